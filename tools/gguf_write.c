// gguf_write.c — GGUF v3 serialization: metadata buffered, tensor data streamed at write time.
#define _POSIX_C_SOURCE 200809L   // strdup, open_memstream
#include "gguf_write.h"
#include "../src/gguf.h"
#include "../src/tensor.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
    char      *name;
    uint32_t   type;
    int        n_dims;
    int64_t    ne[4];
    const void *data;          // raw bytes, or NULL when generated
    gw_fill_fn fill;
    gw_bytes_fn bytes;         // or raw row bytes from a generator
    void      *ctx;
    uint64_t   offset, size;
} gw_tensor;

struct gguf_writer {
    uint8_t  *kv;              // serialized metadata entries
    uint64_t  kv_len, kv_cap, n_kv;
    gw_tensor *t;
    uint64_t  n_t, cap_t;
    uint32_t  alignment;
};

gguf_writer *gw_new(uint32_t alignment) {
    gguf_writer *w = calloc(1, sizeof *w);
    if (w) w->alignment = alignment ? alignment : GGUF_DEFAULT_ALIGNMENT;
    return w;
}

void gw_free(gguf_writer *w) {
    if (!w) return;
    for (uint64_t i = 0; i < w->n_t; i++) free(w->t[i].name);
    free(w->t);
    free(w->kv);
    free(w);
}

static void put(gguf_writer *w, const void *p, uint64_t n) {
    if (w->kv_len + n > w->kv_cap) {
        w->kv_cap = (w->kv_len + n) * 2 + 256;
        w->kv = realloc(w->kv, w->kv_cap);
        if (!w->kv) { fprintf(stderr, "gguf_write: out of memory\n"); exit(1); }
    }
    memcpy(w->kv + w->kv_len, p, n);
    w->kv_len += n;
}

static void put_u32(gguf_writer *w, uint32_t v) { put(w, &v, 4); }
static void put_u64(gguf_writer *w, uint64_t v) { put(w, &v, 8); }
static void put_str(gguf_writer *w, const char *s) { put_u64(w, strlen(s)); put(w, s, strlen(s)); }
static void key(gguf_writer *w, const char *k, uint32_t type) { put_str(w, k); put_u32(w, type); w->n_kv++; }

void gw_u32(gguf_writer *w, const char *k, uint32_t v) { key(w, k, GGUF_U32); put_u32(w, v); }
void gw_u64(gguf_writer *w, const char *k, uint64_t v) { key(w, k, GGUF_U64); put_u64(w, v); }
void gw_i32(gguf_writer *w, const char *k, int32_t v) { key(w, k, GGUF_I32); put(w, &v, 4); }
void gw_f32(gguf_writer *w, const char *k, float v) { key(w, k, GGUF_F32); put(w, &v, 4); }
void gw_bool(gguf_writer *w, const char *k, bool v) { uint8_t b = v; key(w, k, GGUF_BOOL); put(w, &b, 1); }
void gw_str(gguf_writer *w, const char *k, const char *v) { key(w, k, GGUF_STRING); put_str(w, v); }
void gw_raw_kv(gguf_writer *w, const void *bytes, uint64_t n) { put(w, bytes, n); w->n_kv++; }

int gw_copy_kv(gguf_writer *w, const void *p) {
    static const uint8_t SIZE[GGUF_VTYPE_COUNT] = {
        [GGUF_U8] = 1, [GGUF_I8] = 1, [GGUF_U16] = 2, [GGUF_I16] = 2, [GGUF_U32] = 4, [GGUF_I32] = 4,
        [GGUF_F32] = 4, [GGUF_BOOL] = 1, [GGUF_U64] = 8, [GGUF_I64] = 8, [GGUF_F64] = 8,
    };
    const gguf_kv *kv = p;
    uint64_t len = 0;
    if (kv->type == GGUF_STRING) { memcpy(&len, kv->data, 8); len += 8; }
    else if (kv->type == GGUF_ARRAY && kv->arr_type == GGUF_STRING)
        for (uint64_t i = 0; i < kv->n; i++) gguf_arr_next_str(kv, &len);
    else if (kv->type == GGUF_ARRAY && kv->arr_type < GGUF_VTYPE_COUNT && SIZE[kv->arr_type]) len = kv->n * SIZE[kv->arr_type];
    else if (kv->type < GGUF_VTYPE_COUNT && SIZE[kv->type]) len = SIZE[kv->type];
    else return -1;
    put_u64(w, kv->key.len);
    put(w, kv->key.ptr, kv->key.len);
    put_u32(w, kv->type);
    if (kv->type == GGUF_ARRAY) { put_u32(w, kv->arr_type); put_u64(w, kv->n); }
    put(w, kv->data, len);
    w->n_kv++;
    return 0;
}

static void arr(gguf_writer *w, const char *k, uint32_t et, uint64_t n) { key(w, k, GGUF_ARRAY); put_u32(w, et); put_u64(w, n); }
void gw_arr_i32(gguf_writer *w, const char *k, const int32_t *v, uint64_t n) { arr(w, k, GGUF_I32, n); put(w, v, 4 * n); }
void gw_arr_f32(gguf_writer *w, const char *k, const float *v, uint64_t n) { arr(w, k, GGUF_F32, n); put(w, v, 4 * n); }
void gw_arr_bool(gguf_writer *w, const char *k, const bool *v, uint64_t n) {
    arr(w, k, GGUF_BOOL, n);
    for (uint64_t i = 0; i < n; i++) { uint8_t b = v[i]; put(w, &b, 1); }
}
void gw_arr_str(gguf_writer *w, const char *k, const char *const *v, uint64_t n) {
    arr(w, k, GGUF_STRING, n);
    for (uint64_t i = 0; i < n; i++) put_str(w, v[i]);
}

static gw_tensor *add_tensor(gguf_writer *w, const char *name, uint32_t type, int n_dims, const int64_t *ne) {
    if (w->n_t == w->cap_t) {
        w->cap_t = w->cap_t * 2 + 16;
        w->t = realloc(w->t, w->cap_t * sizeof *w->t);
        if (!w->t) { fprintf(stderr, "gguf_write: out of memory\n"); exit(1); }
    }
    gw_tensor *t = &w->t[w->n_t++];
    memset(t, 0, sizeof *t);
    t->name = strdup(name);
    t->type = type;
    t->n_dims = n_dims;
    int64_t rows = 1;
    for (int d = 0; d < 4; d++) { t->ne[d] = d < n_dims ? ne[d] : 1; if (d) rows *= t->ne[d]; }
    int64_t rb = gguf_type_bytes(type, t->ne[0]);
    t->size = rb < 0 ? 0 : (uint64_t)rb * (uint64_t)rows;
    return t;
}

void gw_tensor_raw(gguf_writer *w, const char *name, uint32_t type, int n_dims, const int64_t *ne, const void *data) {
    add_tensor(w, name, type, n_dims, ne)->data = data;
}

void gw_tensor_gen(gguf_writer *w, const char *name, uint32_t type, int n_dims, const int64_t *ne,
                   gw_fill_fn fill, void *ctx) {
    gw_tensor *t = add_tensor(w, name, type, n_dims, ne);
    t->fill = fill;
    t->ctx = ctx;
}

static uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

void gw_tensor_bytes(gguf_writer *w, const char *name, uint32_t type, int n_dims, const int64_t *ne,
                     gw_bytes_fn fill, void *ctx) {
    gw_tensor *t = add_tensor(w, name, type, n_dims, ne);
    t->bytes = fill;
    t->ctx = ctx;
}

uint64_t gw_data_size(const gguf_writer *w) {
    uint64_t off = 0;
    for (uint64_t i = 0; i < w->n_t; i++) off = align_up(off + w->t[i].size, w->alignment);
    return off;
}

static int write_header(gguf_writer *w, FILE *f) {
    uint32_t magic_version[2] = { 0x46554747u, 3 };   // "GGUF", v3
    uint64_t counts[2] = { w->n_t, w->n_kv };
    if (fwrite(magic_version, 4, 2, f) != 2 || fwrite(counts, 8, 2, f) != 2) return -1;
    if (w->kv_len && fwrite(w->kv, 1, w->kv_len, f) != w->kv_len) return -1;
    uint64_t off = 0, pos = 24 + w->kv_len;
    for (uint64_t i = 0; i < w->n_t; i++) {
        gw_tensor *t = &w->t[i];
        uint64_t len = strlen(t->name), ne[4];
        uint32_t nd = (uint32_t)t->n_dims;
        for (int d = 0; d < 4; d++) ne[d] = (uint64_t)t->ne[d];
        t->offset = off;
        off = align_up(off + t->size, w->alignment);
        if (fwrite(&len, 8, 1, f) != 1 || fwrite(t->name, 1, len, f) != len || fwrite(&nd, 4, 1, f) != 1 ||
            fwrite(ne, 8, nd, f) != nd || fwrite(&t->type, 4, 1, f) != 1 || fwrite(&t->offset, 8, 1, f) != 1)
            return -1;
        pos += 8 + len + 4 + 8 * nd + 4 + 8;
    }
    for (uint64_t pad = align_up(pos, w->alignment) - pos; pad; pad--) if (fputc(0, f) == EOF) return -1;
    return 0;
}

static int write_tensor(gguf_writer *w, const gw_tensor *t, FILE *f) {
    if (t->data) {
        if (t->size && fwrite(t->data, 1, t->size, f) != t->size) return -1;
    } else if (t->bytes) {
        int64_t rb = gguf_type_bytes(t->type, t->ne[0]);
        uint8_t *q = rb > 0 ? malloc((size_t)rb) : NULL;
        int rc = q ? 0 : -1;
        for (int64_t r = 0; rc == 0 && r < t->ne[1] * t->ne[2] * t->ne[3]; r++) {
            t->bytes(t->ctx, r, q);
            if (fwrite(q, 1, (size_t)rb, f) != (size_t)rb) rc = -1;
        }
        free(q);
        if (rc) return rc;
    } else {
        const lm_type_traits *tr = lm_type_traits_of((int)t->type);
        int64_t rb = lm_row_bytes((int)t->type, t->ne[0]);
        if (!tr || !tr->from_float || rb < 0) { fprintf(stderr, "gguf_write: cannot quantize '%s'\n", t->name); return -1; }
        float *row = malloc((size_t)t->ne[0] * sizeof *row);
        uint8_t *q = malloc((size_t)rb);
        int rc = row && q ? 0 : -1;
        for (int64_t r = 0; rc == 0 && r < t->ne[1] * t->ne[2] * t->ne[3]; r++) {
            t->fill(t->ctx, r, row);
            tr->from_float(row, q, t->ne[0]);
            if (fwrite(q, 1, (size_t)rb, f) != (size_t)rb) rc = -1;
        }
        free(row);
        free(q);
        if (rc) return rc;
    }
    for (uint64_t pad = align_up(t->size, w->alignment) - t->size; pad; pad--) if (fputc(0, f) == EOF) return -1;
    return 0;
}

int gw_write(gguf_writer *w, FILE *f) {
    if (write_header(w, f)) return -1;
    for (uint64_t i = 0; i < w->n_t; i++)
        if (write_tensor(w, &w->t[i], f)) return -1;
    return fflush(f) ? -1 : 0;
}

int gw_write_mem(gguf_writer *w, uint8_t **buf, uint64_t *len) {
    char *p = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&p, &n);
    if (!f) return -1;
    int rc = gw_write(w, f);
    fclose(f);
    if (rc) { free(p); return rc; }
    *buf = (uint8_t *)p;
    *len = n;
    return 0;
}
