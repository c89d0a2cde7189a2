// gguf.c — hostile-input GGUF parser. Every read goes through the cursor, which fails with
// LM_TRUNCATED and records how many bytes it wanted; every count is checked against the bytes
// left before anything is allocated. Not responsible for model semantics (see models/).
#include "gguf.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
    const uint8_t *base;
    uint64_t pos, len;
    uint64_t want;        // on truncation: the prefix length that would have satisfied the read
} cursor;

static bool take(cursor *c, uint64_t n, const uint8_t **p) {
    if (n > c->len - c->pos) { c->want = c->pos + n < c->pos ? UINT64_MAX : c->pos + n; return false; }
    *p = c->base + c->pos;
    c->pos += n;
    return true;
}

#define READ_FN(name, T)                                                   \
    static bool name(cursor *c, T *out) {                                  \
        const uint8_t *p;                                                  \
        if (!take(c, sizeof(T), &p)) return false;                         \
        memcpy(out, p, sizeof(T));                                         \
        return true;                                                       \
    }
READ_FN(read_u32, uint32_t)
READ_FN(read_u64, uint64_t)

static bool read_str(cursor *c, gguf_str *s) {
    uint64_t n;
    const uint8_t *p;
    if (!read_u64(c, &n) || !take(c, n, &p)) return false;
    s->ptr = (const char *)p;
    s->len = n;
    return true;
}

static const uint8_t VTYPE_SIZE[GGUF_VTYPE_COUNT] = {
    [GGUF_U8] = 1, [GGUF_I8] = 1, [GGUF_U16] = 2, [GGUF_I16] = 2, [GGUF_U32] = 4, [GGUF_I32] = 4,
    [GGUF_F32] = 4, [GGUF_BOOL] = 1, [GGUF_U64] = 8, [GGUF_I64] = 8, [GGUF_F64] = 8,
};

// ggml block geometry for every type id ggml has defined, plus GGUF-M's: {elements per block, bytes per block}.
static const struct { uint16_t blck, size; } GGML_TYPES[] = {
    [0] = {1, 4},      [1] = {1, 2},      [2] = {32, 18},    [3] = {32, 20},    [6] = {32, 22},
    [7] = {32, 24},    [8] = {32, 34},    [9] = {32, 36},    [10] = {256, 84},  [11] = {256, 110},
    [12] = {256, 144}, [13] = {256, 176}, [14] = {256, 210}, [15] = {256, 292}, [16] = {256, 66},
    [17] = {256, 74},  [18] = {256, 98},  [19] = {256, 50},  [20] = {32, 18},   [21] = {256, 110},
    [22] = {256, 82},  [23] = {256, 136}, [24] = {1, 1},     [25] = {1, 2},     [26] = {1, 4},
    [27] = {1, 8},     [28] = {1, 8},     [29] = {256, 56},  [30] = {1, 2},     [34] = {256, 54},
    [35] = {256, 66},  [39] = {32, 17},   [40] = {64, 36},   [41] = {128, 18},  [42] = {64, 18},
    // GGUF-M per-channel types (ours, docs/FORMAT.md): q2_c, q4_c; 102 (a16) is never in a file
    [100] = {64, 16},  [101] = {32, 16},
};

int64_t gguf_type_bytes(uint32_t type, int64_t n) {
    if (type >= sizeof GGML_TYPES / sizeof GGML_TYPES[0] || !GGML_TYPES[type].blck) return -1;
    if (n < 0 || n % GGML_TYPES[type].blck) return -1;
    if (n / GGML_TYPES[type].blck > INT64_MAX / GGML_TYPES[type].size) return -1;   // bytes overflow int64
    return n / GGML_TYPES[type].blck * GGML_TYPES[type].size;
}

bool gguf_str_eq(gguf_str s, const char *z) {
    size_t n = strlen(z);
    return s.len == n && memcmp(s.ptr, z, n) == 0;
}

#define GGUF_MAX_KV      (1u << 16)   // real files have < 100 keys
#define GGUF_MAX_TENSORS (1u << 20)   // real files have < 10k tensors

#define KEYFMT "%.*s"
#define KEYARG(s) (int)((s).len > 200 ? 200 : (s).len), (s).ptr

static lm_status truncated(cursor *c, const char *what) {
    return lm_fail(LM_TRUNCATED, "file ends inside %s (needs at least %llu bytes, has %llu)",
                   what, (unsigned long long)c->want, (unsigned long long)c->len);
}

// Skips one value of type t (validating it); depth bounds nested arrays.
static lm_status skip_value(cursor *c, uint32_t t, int depth, gguf_str key) {
    const uint8_t *p;
    if (t < GGUF_VTYPE_COUNT && VTYPE_SIZE[t]) {
        if (!take(c, VTYPE_SIZE[t], &p)) return truncated(c, "a metadata value");
        if (t == GGUF_BOOL && *p > 1) return lm_fail(LM_CORRUPT, "key '" KEYFMT "': bool value %u", KEYARG(key), *p);
        return LM_OK;
    }
    if (t == GGUF_STRING) {
        gguf_str s;
        return read_str(c, &s) ? LM_OK : truncated(c, "a metadata string");
    }
    if (t != GGUF_ARRAY) return lm_fail(LM_CORRUPT, "key '" KEYFMT "': unknown value type %u", KEYARG(key), t);
    if (depth >= 4) return lm_fail(LM_CORRUPT, "key '" KEYFMT "': arrays nested too deeply", KEYARG(key));
    uint32_t et;
    uint64_t n;
    if (!read_u32(c, &et) || !read_u64(c, &n)) return truncated(c, "an array header");
    if (et >= GGUF_VTYPE_COUNT) return lm_fail(LM_CORRUPT, "key '" KEYFMT "': unknown array type %u", KEYARG(key), et);
    if (VTYPE_SIZE[et]) {
        if (n > (c->len - c->pos) / VTYPE_SIZE[et]) {
            c->want = n > UINT64_MAX / VTYPE_SIZE[et] - c->pos ? UINT64_MAX : c->pos + n * VTYPE_SIZE[et];
            return truncated(c, "an array");
        }
        for (uint64_t i = 0; et == GGUF_BOOL && i < n; i++)
            if (c->base[c->pos + i] > 1) return lm_fail(LM_CORRUPT, "key '" KEYFMT "': bool value", KEYARG(key));
        c->pos += n * VTYPE_SIZE[et];
        return LM_OK;
    }
    for (uint64_t i = 0; i < n; i++) {   // strings/arrays: each element costs >= 8 bytes, so this ends
        lm_status s = skip_value(c, et, depth + 1, key);
        if (s != LM_OK) return s;
    }
    return LM_OK;
}

static lm_status parse_kvs(cursor *c, gguf_file *g) {
    g->kv = calloc(g->n_kv ? g->n_kv : 1, sizeof *g->kv);
    if (!g->kv) return lm_fail(LM_NOMEM, "metadata index (%llu entries)", (unsigned long long)g->n_kv);
    for (uint64_t i = 0; i < g->n_kv; i++) {
        gguf_kv *kv = &g->kv[i];
        if (!read_str(c, &kv->key) || !read_u32(c, &kv->type)) return truncated(c, "a metadata key");
        if (kv->key.len == 0 || memchr(kv->key.ptr, 0, kv->key.len))
            return lm_fail(LM_CORRUPT, "metadata key #%llu is empty or has a NUL byte", (unsigned long long)i);
        kv->n = 1;
        uint64_t start = c->pos;
        if (kv->type == GGUF_ARRAY && c->len - c->pos >= 12) {
            memcpy(&kv->arr_type, c->base + c->pos, 4);
            memcpy(&kv->n, c->base + c->pos + 4, 8);
            start += 12;
        }
        lm_status s = skip_value(c, kv->type, 0, kv->key);
        if (s != LM_OK) return s;
        kv->data = c->base + start;
    }
    return LM_OK;
}

// ---- name index: sorted (name, index) pairs for O(log n) lookup and duplicate detection ----

static int cmp_str(gguf_str a, gguf_str b) {
    int r = memcmp(a.ptr, b.ptr, a.len < b.len ? a.len : b.len);
    return r ? r : (a.len > b.len) - (a.len < b.len);
}

typedef struct { gguf_str s; uint64_t i; } named;
static int cmp_named(const void *a, const void *b) { return cmp_str(((const named *)a)->s, ((const named *)b)->s); }

// Returns the index of a duplicate name, or -1.
static int64_t sort_names(named *v, uint64_t n) {
    qsort(v, n, sizeof *v, cmp_named);
    for (uint64_t i = 1; i < n; i++)
        if (!cmp_str(v[i - 1].s, v[i].s)) return (int64_t)v[i].i;
    return -1;
}

static int64_t find_named(const named *v, uint64_t n, const char *z) {
    gguf_str key = { z, strlen(z) };
    uint64_t lo = 0, hi = n;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        int r = cmp_str(v[mid].s, key);
        if (!r) return (int64_t)v[mid].i;
        if (r < 0) lo = mid + 1; else hi = mid;
    }
    return -1;
}

// ---- tensor infos ----

static lm_status parse_tensor(cursor *c, gguf_tensor_info *t) {
    if (!read_str(c, &t->name) || !read_u32(c, &t->n_dims)) return truncated(c, "a tensor info");
    if (t->name.len == 0 || t->name.len > 256 || memchr(t->name.ptr, 0, t->name.len))
        return lm_fail(LM_CORRUPT, "tensor name of length %llu is invalid", (unsigned long long)t->name.len);
    if (t->n_dims < 1 || t->n_dims > GGUF_MAX_DIMS)
        return lm_fail(LM_CORRUPT, "tensor '" KEYFMT "': %u dims", KEYARG(t->name), t->n_dims);
    // nz: product of the non-zero dims, so a zero dim cannot hide an overflow of the others
    // (callers multiply sub-products such as ne[1]*ne[2]*ne[3])
    int64_t n = 1, nz = 1;
    for (uint32_t d = 0; d < GGUF_MAX_DIMS; d++) {
        uint64_t ne = 1;
        if (d < t->n_dims && !read_u64(c, &ne)) return truncated(c, "a tensor shape");
        if (ne > (uint64_t)INT64_MAX || (ne && (uint64_t)nz > (uint64_t)INT64_MAX / ne))
            return lm_fail(LM_CORRUPT, "tensor '" KEYFMT "': element count overflows", KEYARG(t->name));
        t->ne[d] = (int64_t)ne;
        n *= (int64_t)ne;
        if (ne) nz *= (int64_t)ne;
    }
    if (!read_u32(c, &t->type) || !read_u64(c, &t->offset)) return truncated(c, "a tensor info");
    if (gguf_type_bytes(t->type, 0) < 0)
        return lm_fail(LM_UNSUPPORTED_TYPE, "tensor '" KEYFMT "': unknown type id %u", KEYARG(t->name), t->type);
    int64_t row = gguf_type_bytes(t->type, t->ne[0]);
    if (row < 0)
        return lm_fail(LM_CORRUPT, "tensor '" KEYFMT "': row of %lld elements is not whole blocks of its type or too large",
                       KEYARG(t->name), (long long)t->ne[0]);
    int64_t rows = t->ne[0] ? n / t->ne[0] : 0;
    if (rows && (uint64_t)row > UINT64_MAX / (uint64_t)rows)
        return lm_fail(LM_CORRUPT, "tensor '" KEYFMT "': byte size overflows", KEYARG(t->name));
    t->size = (uint64_t)row * (uint64_t)rows;
    return LM_OK;
}

static int cmp_offset(const void *a, const void *b) {
    const gguf_tensor_info *x = *(const gguf_tensor_info *const *)a, *y = *(const gguf_tensor_info *const *)b;
    return (x->offset > y->offset) - (x->offset < y->offset);
}

// Offsets aligned, ranges disjoint, end of data computed without overflow.
static lm_status check_layout(gguf_file *g) {
    const gguf_tensor_info **by_off = malloc((g->n_tensors ? g->n_tensors : 1) * sizeof *by_off);
    if (!by_off) return lm_fail(LM_NOMEM, "tensor layout check");
    uint64_t end = 0;
    lm_status s = LM_OK;
    for (uint64_t i = 0; i < g->n_tensors; i++) by_off[i] = &g->tensors[i];
    qsort(by_off, g->n_tensors, sizeof *by_off, cmp_offset);
    for (uint64_t i = 0; i < g->n_tensors && s == LM_OK; i++) {
        const gguf_tensor_info *t = by_off[i];
        if (t->offset % g->alignment)
            s = lm_fail(LM_CORRUPT, "tensor '" KEYFMT "': offset %llu is not a multiple of the alignment %llu",
                        KEYARG(t->name), (unsigned long long)t->offset, (unsigned long long)g->alignment);
        else if (t->offset < end)
            s = lm_fail(LM_CORRUPT, "tensor '" KEYFMT "': data at offset %llu overlaps the previous tensor",
                        KEYARG(t->name), (unsigned long long)t->offset);
        else if (t->offset > UINT64_MAX - g->data_offset || t->size > UINT64_MAX - g->data_offset - t->offset)
            s = lm_fail(LM_CORRUPT, "tensor '" KEYFMT "': offset %llu is out of range",
                        KEYARG(t->name), (unsigned long long)t->offset);
        else
            end = t->offset + t->size;
    }
    for (uint64_t i = 0; s == LM_OK && i < g->n_tensors; i++) {
        gguf_tensor_info *t = &g->tensors[i];
        t->data = g->data_offset + t->offset + t->size <= g->len ? g->buf + g->data_offset + t->offset : NULL;
    }
    free(by_off);
    g->file_size = g->data_offset + end;
    return s;
}

lm_status gguf_index_tensors(gguf_file *g) {
    free(g->t_index);
    named *ti = malloc((g->n_tensors ? g->n_tensors : 1) * sizeof *ti);
    g->t_index = ti;
    if (!ti) return lm_fail(LM_NOMEM, "tensor index");
    for (uint64_t i = 0; i < g->n_tensors; i++) ti[i] = (named){ g->tensors[i].name, i };
    int64_t d = sort_names(ti, g->n_tensors);
    if (d >= 0) return lm_fail(LM_CORRUPT, "duplicate tensor '" KEYFMT "'", KEYARG(g->tensors[d].name));
    return LM_OK;
}

static lm_status build_indexes(gguf_file *g) {
    named *kvi = malloc((g->n_kv ? g->n_kv : 1) * sizeof *kvi);
    g->kv_index = kvi;
    if (!kvi) return lm_fail(LM_NOMEM, "metadata index");
    for (uint64_t i = 0; i < g->n_kv; i++) kvi[i] = (named){ g->kv[i].key, i };
    int64_t d = sort_names(kvi, g->n_kv);
    if (d >= 0) return lm_fail(LM_CORRUPT, "duplicate metadata key '" KEYFMT "'", KEYARG(g->kv[d].key));
    return gguf_index_tensors(g);
}

static lm_status read_alignment(gguf_file *g) {
    g->alignment = GGUF_DEFAULT_ALIGNMENT;
    const gguf_kv *kv = gguf_find(g, "general.alignment");
    if (!kv) return LM_OK;
    uint32_t a;
    if (kv->type != GGUF_U32) return lm_fail(LM_CORRUPT, "key 'general.alignment': type %u, expected u32", kv->type);
    memcpy(&a, kv->data, 4);
    if (a == 0 || (a & (a - 1))) return lm_fail(LM_CORRUPT, "key 'general.alignment': %u is not a power of two", a);
    g->alignment = a;
    return LM_OK;
}

static lm_status parse_all(cursor *c, gguf_file *g) {
    uint32_t magic;
    if (!read_u32(c, &magic)) return truncated(c, "the magic");
    if (memcmp(c->base, "GGUF", 4)) return lm_fail(LM_BAD_MAGIC, "file does not start with 'GGUF'");
    if (!read_u32(c, &g->version)) return truncated(c, "the version");
    if (g->version != 2 && g->version != 3) return lm_fail(LM_BAD_VERSION, "GGUF version %u (supported: 2, 3)", g->version);
    if (!read_u64(c, &g->n_tensors) || !read_u64(c, &g->n_kv)) return truncated(c, "the header counts");
    if (g->n_tensors > GGUF_MAX_TENSORS)
        return lm_fail(LM_CORRUPT, "absurd tensor count %llu", (unsigned long long)g->n_tensors);
    if (g->n_kv > GGUF_MAX_KV) return lm_fail(LM_CORRUPT, "absurd metadata count %llu", (unsigned long long)g->n_kv);
    // Every key and tensor info starts with a u64 length and a u32, so counts the rest of the
    // buffer cannot hold are a truncation, found before the index arrays are allocated
    // (2^20 tensor infos would be ~80 MB).
    uint64_t min_bytes = (g->n_kv + g->n_tensors) * 12;
    if (min_bytes > c->len - c->pos) { c->want = c->pos + min_bytes; return truncated(c, "the metadata"); }
    lm_status s = parse_kvs(c, g);
    if (s != LM_OK) return s;
    g->tensors = calloc(g->n_tensors ? g->n_tensors : 1, sizeof *g->tensors);
    if (!g->tensors) return lm_fail(LM_NOMEM, "tensor index");
    for (uint64_t i = 0; i < g->n_tensors; i++)
        if ((s = parse_tensor(c, &g->tensors[i])) != LM_OK) return s;
    if ((s = build_indexes(g)) != LM_OK || (s = read_alignment(g)) != LM_OK) return s;
    g->data_offset = (c->pos + g->alignment - 1) / g->alignment * g->alignment;
    return check_layout(g);
}

lm_status gguf_parse(const uint8_t *buf, uint64_t len, gguf_file *out, uint64_t *need) {
    memset(out, 0, sizeof *out);
    if (!buf && len) return lm_fail(LM_INVALID_ARG, "NULL buffer");
    cursor c = { buf, 0, len, 0 };
    out->buf = buf;
    out->len = len;
    lm_status s = parse_all(&c, out);
    if (need) *need = s == LM_TRUNCATED ? c.want : 0;
    if (s != LM_OK) gguf_free(out);
    else lm_clear_error();
    return s;
}

void gguf_free(gguf_file *g) {
    if (!g) return;
    free(g->kv);
    free(g->tensors);
    free(g->kv_index);
    free(g->t_index);
    g->kv = NULL; g->tensors = NULL; g->kv_index = NULL; g->t_index = NULL;
}

// ---- lookups and typed getters ----

const gguf_kv *gguf_find(const gguf_file *g, const char *key) {
    int64_t i = find_named(g->kv_index, g->n_kv, key);
    return i < 0 ? NULL : &g->kv[i];
}

const gguf_tensor_info *gguf_find_tensor(const gguf_file *g, const char *name) {
    int64_t i = find_named(g->t_index, g->n_tensors, name);
    return i < 0 ? NULL : &g->tensors[i];
}

const uint8_t *gguf_tensor_data(const gguf_file *g, const gguf_tensor_info *t) {
    (void)g;
    return t->data;
}

static bool is_int_type(uint32_t t) {
    return t == GGUF_U8 || t == GGUF_I8 || t == GGUF_U16 || t == GGUF_I16 || t == GGUF_U32 ||
           t == GGUF_I32 || t == GGUF_U64 || t == GGUF_I64 || t == GGUF_BOOL;
}

// Reads a scalar integer of type t at p; unsigned 64-bit values above INT64_MAX saturate.
static int64_t int_at(uint32_t t, const uint8_t *p) {
    union { uint8_t u8; int8_t i8; uint16_t u16; int16_t i16; uint32_t u32; int32_t i32; uint64_t u64; int64_t i64; } v;
    memcpy(&v, p, VTYPE_SIZE[t]);
    switch (t) {
        case GGUF_U8: case GGUF_BOOL: return v.u8;
        case GGUF_I8:  return v.i8;
        case GGUF_U16: return v.u16;
        case GGUF_I16: return v.i16;
        case GGUF_U32: return v.u32;
        case GGUF_I32: return v.i32;
        case GGUF_U64: return v.u64 > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v.u64;
        default:       return v.i64;
    }
}

static double float_at(uint32_t t, const uint8_t *p) {
    if (t == GGUF_F32) { float f; memcpy(&f, p, 4); return f; }
    double d; memcpy(&d, p, 8); return d;
}

bool gguf_arr_is_int(const gguf_kv *kv) { return kv->type == GGUF_ARRAY && is_int_type(kv->arr_type); }
int64_t gguf_arr_int(const gguf_kv *kv, uint64_t i) { return int_at(kv->arr_type, kv->data + i * VTYPE_SIZE[kv->arr_type]); }
double gguf_arr_float(const gguf_kv *kv, uint64_t i) { return float_at(kv->arr_type, kv->data + i * VTYPE_SIZE[kv->arr_type]); }

gguf_str gguf_arr_next_str(const gguf_kv *kv, uint64_t *pos) {
    uint64_t n;
    memcpy(&n, kv->data + *pos, 8);
    gguf_str s = { (const char *)kv->data + *pos + 8, n };
    *pos += 8 + n;
    return s;
}

lm_status gguf_get_u32(const gguf_file *g, const char *key, uint32_t *out) {
    const gguf_kv *kv = gguf_find(g, key);
    if (!kv) return lm_fail(LM_MISSING_KEY, "metadata key '%s' is missing", key);
    if (!is_int_type(kv->type)) return lm_fail(LM_CORRUPT, "key '%s': type %u, expected an integer", key, kv->type);
    int64_t v = int_at(kv->type, kv->data);
    if (v < 0 || v > UINT32_MAX) return lm_fail(LM_CORRUPT, "key '%s': value %lld out of range", key, (long long)v);
    *out = (uint32_t)v;
    return LM_OK;
}

lm_status gguf_get_f32(const gguf_file *g, const char *key, float *out) {
    const gguf_kv *kv = gguf_find(g, key);
    if (!kv) return lm_fail(LM_MISSING_KEY, "metadata key '%s' is missing", key);
    if (kv->type != GGUF_F32 && kv->type != GGUF_F64) return lm_fail(LM_CORRUPT, "key '%s': type %u, expected a float", key, kv->type);
    double v = float_at(kv->type, kv->data);
    if (!(v == v) || v > 3.0e38 || v < -3.0e38) return lm_fail(LM_CORRUPT, "key '%s': value is not a finite float", key);
    *out = (float)v;
    return LM_OK;
}

lm_status gguf_get_bool(const gguf_file *g, const char *key, bool *out) {
    const gguf_kv *kv = gguf_find(g, key);
    if (!kv) return lm_fail(LM_MISSING_KEY, "metadata key '%s' is missing", key);
    if (!is_int_type(kv->type)) return lm_fail(LM_CORRUPT, "key '%s': type %u, expected a bool", key, kv->type);
    *out = int_at(kv->type, kv->data) != 0;
    return LM_OK;
}

lm_status gguf_get_str(const gguf_file *g, const char *key, gguf_str *out) {
    const gguf_kv *kv = gguf_find(g, key);
    if (!kv) return lm_fail(LM_MISSING_KEY, "metadata key '%s' is missing", key);
    if (kv->type != GGUF_STRING) return lm_fail(LM_CORRUPT, "key '%s': type %u, expected a string", key, kv->type);
    uint64_t pos = 0;
    gguf_kv tmp = *kv;
    tmp.data = kv->data;
    *out = gguf_arr_next_str(&tmp, &pos);
    return LM_OK;
}
