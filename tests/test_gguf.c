// test_gguf.c — the GGUF reader over hostile input: a valid file with every value type parses
// to the right views; every prefix of a small model fails with TRUNCATED and a `need` that a
// streaming loader can follow; broken headers, keys and tensor infos fail with the right code
// and a message naming the key or tensor. Asserts on codes, never on message wording.
// Every buffer handed to the parser is malloc'd at its exact length, so ASan sees overreads.
#include "t.h"
#include "../src/gguf.h"
#include "../src/lm.h"
#include "../src/tensor.h"
#include "../tools/gguf_write.h"
#include <stdlib.h>
#include <string.h>

// ---- raw byte builder: hostile files are easiest to write byte by byte ----

typedef struct { uint8_t *p; size_t n, cap; } bb;

static void put(bb *b, const void *src, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p) { perror("realloc"); exit(2); }
    }
    if (n) memcpy(b->p + b->n, src, n);
    b->n += n;
}
static void put_u8(bb *b, uint8_t v) { put(b, &v, 1); }
static void put_u32(bb *b, uint32_t v) { put(b, &v, 4); }
static void put_u64(bb *b, uint64_t v) { put(b, &v, 8); }
static void put_str(bb *b, const char *s) { put_u64(b, strlen(s)); put(b, s, strlen(s)); }
static void put_key(bb *b, const char *k, uint32_t type) { put_str(b, k); put_u32(b, type); }
static void put_arr(bb *b, const char *k, uint32_t et, uint64_t n) { put_key(b, k, GGUF_ARRAY); put_u32(b, et); put_u64(b, n); }

// A copy at exactly n bytes: reading one byte past it is an ASan report.
static uint8_t *exact(const uint8_t *src, uint64_t n) {
    uint8_t *p = malloc(n ? n : 1);
    if (n) memcpy(p, src, n);
    return p;
}

typedef struct { const char *name; uint32_t n_dims; uint64_t ne[5]; uint32_t type; uint64_t offset; } tinfo;

static uint64_t tinfo_bytes(const tinfo *t) {
    uint64_t n = 1;                   // wraps for hostile shapes: only used to size the data section
    for (uint32_t d = 1; d < t->n_dims && d < 4; d++) n *= t->ne[d];
    int64_t row = t->ne[0] > (uint64_t)INT64_MAX / 4 ? -1 : gguf_type_bytes(t->type, (int64_t)t->ne[0]);
    return row < 0 ? 0 : (uint64_t)row * n;
}

// header (v, n_t, n_kv) + kv bytes + tensor infos + zero padding to align + data_len bytes of a ramp.
// data_len == UINT64_MAX: exactly up to the end of the last tensor.
static uint8_t *assemble(uint32_t version, uint64_t n_kv, const bb *kv, const tinfo *t, uint64_t n_t,
                         uint64_t align, uint64_t data_len, uint64_t *len) {
    bb b = {0};
    put(&b, "GGUF", 4);
    put_u32(&b, version);
    put_u64(&b, n_t);
    put_u64(&b, n_kv);
    if (kv) put(&b, kv->p, kv->n);
    uint64_t end = 0;
    for (uint64_t i = 0; i < n_t; i++) {
        put_str(&b, t[i].name);
        put_u32(&b, t[i].n_dims);
        for (uint32_t d = 0; d < t[i].n_dims && d < 5; d++) put_u64(&b, t[i].ne[d]);
        put_u32(&b, t[i].type);
        put_u64(&b, t[i].offset);
        if (t[i].offset + tinfo_bytes(&t[i]) > end) end = t[i].offset + tinfo_bytes(&t[i]);
    }
    while (b.n % align) put_u8(&b, 0);
    if (data_len == UINT64_MAX) data_len = end;
    for (uint64_t i = 0; i < data_len; i++) put_u8(&b, (uint8_t)i);
    uint8_t *out = exact(b.p, b.n);
    *len = b.n;
    free(b.p);
    return out;
}

// Parses buf and checks the status; on failure the message must be non-empty and name `needle`.
static lm_status expect_parse(const uint8_t *buf, uint64_t len, lm_status want, const char *needle, const char *what) {
    gguf_file g;
    uint64_t need = 0;
    lm_status s = gguf_parse(buf, len, &g, &need);
    if (s != want) fprintf(stderr, "case '%s': got %s (%s), want %s\n", what, lm_status_name(s), lm_errmsg(), lm_status_name(want));
    CHECK_EQ(s, want);
    if (s != LM_OK) CHECK(lm_errmsg()[0] != 0);
    if (s == LM_TRUNCATED) CHECK(need > len);
    if (needle && s != LM_OK && !strstr(lm_errmsg(), needle)) {
        fprintf(stderr, "case '%s': message \"%s\" does not name '%s'\n", what, lm_errmsg(), needle);
        CHECK(0);
    }
    gguf_free(&g);
    return s;
}

// ---- a valid file: every value type, nested and string arrays, alignment 64, four tensors ----

static const uint8_t Q8_ROWS[3 * 34] = { 0x00, 0x3c, 1, 2, 3 };     // first block: d = 1.0 (f16)

// Types the writer has no helper for, written raw; one gw_raw_kv call per key (it counts keys).
static void all_types_kv(gguf_writer *w) {
    bb b = {0};
#define FLUSH() (gw_raw_kv(w, b.p, b.n), b.n = 0)
    put_key(&b, "t.u8", GGUF_U8); put_u8(&b, 200); FLUSH();
    put_key(&b, "t.i8", GGUF_I8); put_u8(&b, (uint8_t)-5); FLUSH();
    put_key(&b, "t.u16", GGUF_U16); put(&b, &(uint16_t){ 60000 }, 2); FLUSH();
    put_key(&b, "t.i16", GGUF_I16); put(&b, &(int16_t){ -300 }, 2); FLUSH();
    put_key(&b, "t.u64", GGUF_U64); put_u64(&b, 7); FLUSH();
    put_key(&b, "t.u64big", GGUF_U64); put_u64(&b, 1ull << 40); FLUSH();
    put_key(&b, "t.i64", GGUF_I64); put_u64(&b, (uint64_t)-1); FLUSH();
    put_key(&b, "t.f64", GGUF_F64); put(&b, &(double){ 2.25 }, 8); FLUSH();
    put_key(&b, "t.f64big", GGUF_F64); put(&b, &(double){ 1e300 }, 8); FLUSH();
    put_arr(&b, "t.nested", GGUF_ARRAY, 2);                      // [[1, 2], [3]] of i32
    put_u32(&b, GGUF_I32); put_u64(&b, 2); put_u32(&b, 1); put_u32(&b, 2);
    put_u32(&b, GGUF_I32); put_u64(&b, 1); put_u32(&b, 3); FLUSH();
    put_arr(&b, "t.u8arr", GGUF_U8, 3); put_u8(&b, 1); put_u8(&b, 2); put_u8(&b, 250); FLUSH();
#undef FLUSH
    free(b.p);
}

static uint8_t *valid_file(uint64_t *len) {
    gguf_writer *w = gw_new(64);
    gw_u32(w, "general.alignment", 64);
    gw_u32(w, "t.u32", 4000000000u);
    gw_i32(w, "t.i32", -7);
    gw_f32(w, "t.f32", 1.5f);
    gw_bool(w, "t.bool", true);
    gw_str(w, "t.str", "hello");
    static const char *const strs[] = { "a", "bc", "" };
    gw_arr_str(w, "t.strarr", strs, 3);
    gw_arr_i32(w, "t.i32arr", (const int32_t[]){ 5, -6 }, 2);
    gw_arr_bool(w, "t.boolarr", (const bool[]){ true, false, true }, 3);
    gw_arr_f32(w, "t.f32arr", (const float[]){ 0.5f, -2.0f }, 2);
    all_types_kv(w);
    static float f32[4] = { 1, 2, 3, 4 };
    static uint16_t f16[16];
    static uint8_t q4[2 * 18];
    gw_tensor_raw(w, "f32", LM_TYPE_F32, 1, (const int64_t[]){ 4 }, f32);
    gw_tensor_raw(w, "f16", LM_TYPE_F16, 2, (const int64_t[]){ 8, 2 }, f16);
    gw_tensor_raw(w, "q8", LM_TYPE_Q8_0, 2, (const int64_t[]){ 32, 3 }, Q8_ROWS);
    gw_tensor_raw(w, "q4", LM_TYPE_Q4_0, 3, (const int64_t[]){ 32, 1, 2 }, q4);
    uint8_t *tmp, *out;
    if (gw_write_mem(w, &tmp, len)) { fprintf(stderr, "gw_write_mem failed\n"); exit(2); }
    gw_free(w);
    out = exact(tmp, *len);
    free(tmp);
    return out;
}

static void check_scalars(const gguf_file *g) {
    static const struct { const char *key; uint32_t type; } TYPES[] = {
        { "t.u8", GGUF_U8 }, { "t.i8", GGUF_I8 }, { "t.u16", GGUF_U16 }, { "t.i16", GGUF_I16 },
        { "t.u32", GGUF_U32 }, { "t.i32", GGUF_I32 }, { "t.f32", GGUF_F32 }, { "t.bool", GGUF_BOOL },
        { "t.str", GGUF_STRING }, { "t.strarr", GGUF_ARRAY }, { "t.u64", GGUF_U64 }, { "t.i64", GGUF_I64 },
        { "t.f64", GGUF_F64 },
    };
    for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++) {
        const gguf_kv *kv = gguf_find(g, TYPES[i].key);
        CHECK(kv && kv->type == TYPES[i].type && gguf_str_eq(kv->key, TYPES[i].key));
    }
    CHECK(gguf_find(g, "t.nope") == NULL);
    uint32_t u = 0;
    float f = 0;
    bool b = false;
    gguf_str s = { 0 };
    CHECK(gguf_get_u32(g, "t.u32", &u) == LM_OK && u == 4000000000u);
    CHECK(gguf_get_u32(g, "t.u8", &u) == LM_OK && u == 200);
    CHECK(gguf_get_u32(g, "t.u16", &u) == LM_OK && u == 60000);
    CHECK(gguf_get_u32(g, "t.u64", &u) == LM_OK && u == 7);
    CHECK(gguf_get_f32(g, "t.f32", &f) == LM_OK && f == 1.5f);
    CHECK(gguf_get_f32(g, "t.f64", &f) == LM_OK && f == 2.25f);
    CHECK(gguf_get_bool(g, "t.bool", &b) == LM_OK && b);
    CHECK(gguf_get_str(g, "t.str", &s) == LM_OK && gguf_str_eq(s, "hello"));
    // wrong sign, range or kind: CORRUPT, and the message names the key
    static const char *const BAD_U32[] = { "t.i8", "t.i16", "t.i32", "t.i64", "t.u64big", "t.str", "t.f32", "t.strarr" };
    for (size_t i = 0; i < sizeof BAD_U32 / sizeof BAD_U32[0]; i++) {
        CHECK_EQ(gguf_get_u32(g, BAD_U32[i], &u), LM_CORRUPT);
        CHECK(strstr(lm_errmsg(), BAD_U32[i]) != NULL);
    }
    CHECK_EQ(gguf_get_f32(g, "t.f64big", &f), LM_CORRUPT);
    CHECK_EQ(gguf_get_f32(g, "t.u32", &f), LM_CORRUPT);
    CHECK_EQ(gguf_get_str(g, "t.u32", &s), LM_CORRUPT);
    CHECK_EQ(gguf_get_bool(g, "t.str", &b), LM_CORRUPT);
    CHECK_EQ(gguf_get_u32(g, "t.nope", &u), LM_MISSING_KEY);
    CHECK(strstr(lm_errmsg(), "t.nope") != NULL);
}

static void check_arrays(const gguf_file *g) {
    const gguf_kv *kv = gguf_find(g, "t.strarr");
    CHECK(kv && kv->arr_type == GGUF_STRING && kv->n == 3 && !gguf_arr_is_int(kv));
    uint64_t pos = 0;
    CHECK(gguf_str_eq(gguf_arr_next_str(kv, &pos), "a"));
    CHECK(gguf_str_eq(gguf_arr_next_str(kv, &pos), "bc"));
    CHECK(gguf_arr_next_str(kv, &pos).len == 0);
    kv = gguf_find(g, "t.i32arr");
    CHECK(kv && gguf_arr_is_int(kv) && kv->n == 2 && gguf_arr_int(kv, 0) == 5 && gguf_arr_int(kv, 1) == -6);
    kv = gguf_find(g, "t.boolarr");
    CHECK(kv && gguf_arr_is_int(kv) && kv->n == 3 && gguf_arr_int(kv, 0) == 1 && gguf_arr_int(kv, 1) == 0);
    kv = gguf_find(g, "t.u8arr");
    CHECK(kv && gguf_arr_is_int(kv) && gguf_arr_int(kv, 2) == 250);
    kv = gguf_find(g, "t.f32arr");
    CHECK(kv && !gguf_arr_is_int(kv) && gguf_arr_float(kv, 0) == 0.5 && gguf_arr_float(kv, 1) == -2.0);
    // [[1, 2], [3]]: data points at the first inner array's header {type, n}
    kv = gguf_find(g, "t.nested");
    CHECK(kv && kv->arr_type == GGUF_ARRAY && kv->n == 2 && !gguf_arr_is_int(kv));
    uint32_t et = 0;
    uint64_t n = 0;
    int32_t v[2] = { 0 };
    if (kv) { memcpy(&et, kv->data, 4); memcpy(&n, kv->data + 4, 8); memcpy(v, kv->data + 12, 8); }
    CHECK(et == GGUF_I32 && n == 2 && v[0] == 1 && v[1] == 2);
    CHECK(!gguf_arr_is_int(gguf_find(g, "t.u32")));
}

static void check_tensors(const gguf_file *g, const uint8_t *buf) {
    static const struct { const char *name; uint32_t type, n_dims; int64_t ne[4]; uint64_t offset, size; } WANT[] = {
        { "f32", LM_TYPE_F32,  1, { 4, 1, 1, 1 },  0,   16 },
        { "f16", LM_TYPE_F16,  2, { 8, 2, 1, 1 },  64,  32 },
        { "q8",  LM_TYPE_Q8_0, 2, { 32, 3, 1, 1 }, 128, 102 },    // 3 blocks of 34 bytes
        { "q4",  LM_TYPE_Q4_0, 3, { 32, 1, 2, 1 }, 256, 36 },     // 2 blocks of 18 bytes
    };
    for (size_t i = 0; i < 4; i++) {
        const gguf_tensor_info *t = gguf_find_tensor(g, WANT[i].name);
        CHECK(t != NULL);
        if (!t) continue;
        CHECK(t->type == WANT[i].type && t->n_dims == WANT[i].n_dims);
        CHECK(!memcmp(t->ne, WANT[i].ne, sizeof t->ne));
        CHECK_EQ(t->offset, WANT[i].offset);
        CHECK_EQ(t->size, WANT[i].size);
        CHECK(gguf_tensor_data(g, t) == buf + g->data_offset + t->offset);
    }
    CHECK(gguf_find_tensor(g, "nope") == NULL);
    const gguf_tensor_info *t = gguf_find_tensor(g, "f32");
    float f[4];
    if (t) memcpy(f, gguf_tensor_data(g, t), 16);
    CHECK(t && f[0] == 1 && f[3] == 4);
    t = gguf_find_tensor(g, "q8");
    CHECK(t && !memcmp(gguf_tensor_data(g, t), Q8_ROWS, sizeof Q8_ROWS));
}

static void test_valid(void) {
    uint64_t len, need = 123;
    uint8_t *buf = valid_file(&len);
    gguf_file g;
    CHECK_EQ(gguf_parse(buf, len, &g, &need), LM_OK);
    CHECK_EQ(need, 0);
    CHECK_EQ(lm_errmsg()[0], 0);
    CHECK_EQ(g.version, 3);
    CHECK_EQ(g.n_kv, 21);
    CHECK_EQ(g.n_tensors, 4);
    CHECK_EQ(g.alignment, 64);
    CHECK_EQ(g.data_offset % 64, 0);
    // the writer pads after the last tensor too (as llama.cpp does), so the file may be longer
    CHECK_EQ(g.file_size, g.data_offset + 256 + 36);
    CHECK(len >= g.file_size && len - g.file_size < 64);
    check_scalars(&g);
    check_arrays(&g);
    check_tensors(&g, buf);
    gguf_free(&g);
    gguf_free(&g);            // idempotent
    gguf_free(NULL);
    free(buf);
}

// ---- every prefix of a small llama-shaped file ----

// llama metadata, a 24-token vocabulary and two tensors; the last tensor's size is a multiple
// of the alignment, so the file ends exactly at file_size. About 2 KB.
static uint8_t *small_model(uint64_t *len) {
    static const char *const TOK[24] = { "<unk>", "<s>", "</s>", "a", "b", "c", "d", "e", "f", "g", "h", "i",
                                         "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u" };
    float score[24];
    int32_t type[24];
    for (int i = 0; i < 24; i++) { score[i] = -(float)i; type[i] = i < 3 ? 3 : 1; }
    gguf_writer *w = gw_new(32);
    gw_str(w, "general.architecture", "llama");
    gw_str(w, "general.name", "prefix-test");
    static const char *const U32_KEYS[] = { "llama.context_length", "llama.embedding_length", "llama.block_count",
                                            "llama.feed_forward_length", "llama.attention.head_count", "llama.attention.head_count_kv" };
    static const uint32_t U32_VALS[] = { 64, 32, 1, 64, 2, 1 };
    for (int i = 0; i < 6; i++) gw_u32(w, U32_KEYS[i], U32_VALS[i]);
    gw_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    gw_f32(w, "llama.rope.freq_base", 10000.0f);
    gw_str(w, "tokenizer.ggml.model", "llama");
    gw_arr_str(w, "tokenizer.ggml.tokens", TOK, 24);
    gw_arr_f32(w, "tokenizer.ggml.scores", score, 24);
    gw_arr_i32(w, "tokenizer.ggml.token_type", type, 24);
    gw_u32(w, "tokenizer.ggml.bos_token_id", 1);
    gw_bool(w, "tokenizer.ggml.add_bos_token", true);
    static uint8_t embd[24 * 34];
    static float norm[32];
    gw_tensor_raw(w, "token_embd.weight", LM_TYPE_Q8_0, 2, (const int64_t[]){ 32, 24 }, embd);
    gw_tensor_raw(w, "output_norm.weight", LM_TYPE_F32, 1, (const int64_t[]){ 32 }, norm);
    uint8_t *tmp;
    if (gw_write_mem(w, &tmp, len)) { fprintf(stderr, "gw_write_mem failed\n"); exit(2); }
    gw_free(w);
    uint8_t *out = exact(tmp, *len);
    free(tmp);
    return out;
}

static int n_bad;
static void bad(bool cond, uint64_t L, const char *what) {
    if (!cond) return;
    if (n_bad++ < 5) fprintf(stderr, "prefix %llu: %s (%s)\n", (unsigned long long)L, what, lm_errmsg());
}

// One prefix: TRUNCATED with a need that is past L, never past the header, and that gets
// further when followed; or OK with the whole file's size. lm_model_load must say TRUNCATED.
static bool check_prefix(const uint8_t *full, uint64_t len, uint64_t L, uint64_t data_off) {
    uint8_t *p = exact(full, L);
    gguf_file g;
    uint64_t need = 0, need2 = 0;
    lm_status s = gguf_parse(p, L, &g, &need);
    if (s == LM_OK) bad(g.file_size != len, L, "file_size differs");
    else {
        bad(s != LM_TRUNCATED, L, "not TRUNCATED");
        bad(need <= L || need > data_off, L, "need out of range");
        if (need <= L || need > data_off) { free(p); return false; }
        uint8_t *q = exact(full, need);
        lm_status s2 = gguf_parse(q, need, &g, &need2);
        bad(s2 != LM_OK && (s2 != LM_TRUNCATED || need2 <= need), L, "following need does not get further");
        gguf_free(&g);
        free(q);
    }
    gguf_free(&g);
    lm_model *m;
    lm_status ms = lm_model_load(p, L, &m);
    bad(L < len ? ms != LM_TRUNCATED : ms != LM_MISSING_TENSOR, L, "lm_model_load status");
    bad((ms == LM_OK) != (m != NULL), L, "model pointer");
    lm_model_free(m);
    free(p);
    return s == LM_OK;
}

static void test_every_prefix(void) {
    uint64_t len;
    uint8_t *full = small_model(&len);
    gguf_file g;
    CHECK_EQ(gguf_parse(full, len, &g, NULL), LM_OK);
    uint64_t data_off = g.data_offset;
    CHECK_EQ(g.file_size, len);
    gguf_free(&g);
    uint64_t header_end = 0;      // shortest prefix that parses
    n_bad = 0;
    for (uint64_t L = 0; L <= len; L++) {
        bool ok = check_prefix(full, len, L, data_off);
        bad(header_end && !ok, L, "a longer prefix fails again");
        if (ok && !header_end) header_end = L;
    }
    CHECK_EQ(n_bad, 0);
    CHECK(header_end > 24 && header_end <= data_off && data_off - header_end < 32);
    // a streaming loader that only ever grows its prefix to `need` lands exactly on header_end
    uint64_t L = 0, need = 0, steps = 0;
    lm_status s;
    while ((s = gguf_parse(full, L, &g, &need)) == LM_TRUNCATED && steps++ < len) L = need;
    CHECK_EQ(s, LM_OK);
    CHECK_EQ(L, header_end);
    gguf_free(&g);
    // exactly data_offset bytes: the header parses and announces the whole file's size
    uint8_t *p = exact(full, data_off);
    CHECK_EQ(gguf_parse(p, data_off, &g, NULL), LM_OK);
    CHECK_EQ(g.file_size, len);
    CHECK(gguf_tensor_data(&g, &g.tensors[0]) == NULL);   // data not there yet
    gguf_free(&g);
    free(p);
    lm_model *m;
    CHECK_EQ(lm_model_load(full, len, &m), LM_MISSING_TENSOR);
    CHECK(strstr(lm_errmsg(), "blk.0.attn_norm.weight") != NULL);
    free(full);
}

// ---- broken headers: patch the first 24 bytes of a valid file ----

#define ANY_ERROR ((lm_status)1)      // any status but OK (the bytes after a lie are garbage)

static void test_header(void) {
    static const struct { const char *desc; int off, width; uint64_t value; lm_status want; } CASES[] = {
        { "magic GGUX",            0, 4, 0x58554747u,         LM_BAD_MAGIC },
        { "magic gguf",            0, 4, 0x66756767u,         LM_BAD_MAGIC },
        { "magic byte-swapped",    0, 4, 0x47475546u,         LM_BAD_MAGIC },
        { "version 1",             4, 4, 1,                   LM_BAD_VERSION },
        { "version 4",             4, 4, 4,                   LM_BAD_VERSION },
        { "version 0",             4, 4, 0,                   LM_BAD_VERSION },
        { "version 3 big-endian",  4, 4, 0x03000000u,         LM_BAD_VERSION },
        { "version 2",             4, 4, 2,                   LM_OK },
        { "n_tensors 2^40",        8, 8, 1ull << 40,          LM_CORRUPT },
        { "n_tensors 2^64-1",      8, 8, UINT64_MAX,          LM_CORRUPT },
        { "n_kv 2^40",            16, 8, 1ull << 40,          LM_CORRUPT },
        { "n_kv 2^64-1",          16, 8, UINT64_MAX,          LM_CORRUPT },
        { "n_kv at the cap",      16, 8, 1ull << 16,          ANY_ERROR },
        { "n_tensors at the cap",  8, 8, 1ull << 20,          ANY_ERROR },
        { "n_kv one too many",    16, 8, 17,                  ANY_ERROR },
        { "n_tensors one too many", 8, 8, 3,                  ANY_ERROR },
        { "n_kv one too few",     16, 8, 15,                  ANY_ERROR },
    };
    uint64_t len;
    uint8_t *base = small_model(&len);
    uint64_t n_kv, n_t;
    memcpy(&n_t, base + 8, 8);
    memcpy(&n_kv, base + 16, 8);
    CHECK(n_kv == 16 && n_t == 2);             // the table's "one too many/few" rows assume these
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        uint8_t *p = exact(base, len);
        memcpy(p + CASES[i].off, &CASES[i].value, (size_t)CASES[i].width);
        if (CASES[i].want == ANY_ERROR) {
            gguf_file g;
            lm_status s = gguf_parse(p, len, &g, NULL);
            CHECK(s != LM_OK && lm_errmsg()[0]);
            lm_model *m;
            CHECK(lm_model_load(p, len, &m) != LM_OK && m == NULL);
        } else expect_parse(p, len, CASES[i].want, NULL, CASES[i].desc);
        free(p);
    }
    free(base);
    // too short to hold the magic, the version or the counts: TRUNCATED with the exact need
    static const struct { uint64_t len, need; } SHORT[] = { { 0, 4 }, { 3, 4 }, { 4, 8 }, { 7, 8 }, { 8, 16 }, { 15, 16 }, { 16, 24 }, { 23, 24 } };
    static const uint8_t HDR[24] = { 'G', 'G', 'U', 'F', 3 };
    for (size_t i = 0; i < sizeof SHORT / sizeof SHORT[0]; i++) {
        uint8_t *p = exact(HDR, SHORT[i].len);
        gguf_file g;
        uint64_t need = 0;
        CHECK_EQ(gguf_parse(p, SHORT[i].len, &g, &need), LM_TRUNCATED);
        CHECK_EQ(need, SHORT[i].need);
        free(p);
    }
    gguf_file g;
    uint64_t need = 0;
    CHECK_EQ(gguf_parse(NULL, 0, &g, &need), LM_TRUNCATED);
    CHECK_EQ(gguf_parse(NULL, 5, &g, &need), LM_INVALID_ARG);
    uint8_t *p = exact(HDR, 24);                  // no keys, no tensors: a valid (empty) header
    CHECK_EQ(gguf_parse(p, 24, &g, &need), LM_OK);
    CHECK(g.n_kv == 0 && g.n_tensors == 0 && g.alignment == GGUF_DEFAULT_ALIGNMENT);
    gguf_free(&g);
    free(p);
}

// ---- broken metadata: each builder writes raw key/value bytes ----

static void kv_key_huge(bb *b)    { put_u64(b, 1ull << 62); put(b, "x", 1); }
static void kv_str_huge(bb *b)    { put_key(b, "s", GGUF_STRING); put_u64(b, UINT64_MAX); put(b, "abc", 3); }
static void kv_arr_u32(bb *b)     { put_arr(b, "a", GGUF_U32, 1ull << 61); put_u32(b, 1); }
static void kv_arr_u64(bb *b)     { put_arr(b, "a", GGUF_U64, UINT64_MAX); put_u64(b, 1); }
static void kv_arr_str(bb *b)     { put_arr(b, "a", GGUF_STRING, 1ull << 60); put_str(b, "x"); }
static void kv_arr_arr(bb *b)     { put_arr(b, "a", GGUF_ARRAY, 1ull << 60); put_u32(b, GGUF_U8); put_u64(b, 0); }
static void kv_arr_short(bb *b)   { put_arr(b, "a", GGUF_STRING, 2); put_str(b, "x"); }
static void kv_type_13(bb *b)     { put_key(b, "weird", 13); put_u32(b, 0); }
static void kv_type_max(bb *b)    { put_key(b, "weird", UINT32_MAX); put_u32(b, 0); }
static void kv_arr_type_13(bb *b) { put_arr(b, "weird_arr", 13, 1); put_u32(b, 0); }
static void kv_bool_2(bb *b)      { put_key(b, "flag", GGUF_BOOL); put_u8(b, 2); }
static void kv_boolarr_2(bb *b)   { put_arr(b, "flags", GGUF_BOOL, 2); put_u8(b, 1); put_u8(b, 2); }
static void kv_empty_key(bb *b)   { put_key(b, "", GGUF_U8); put_u8(b, 0); }
static void kv_nul_key(bb *b)     { put_u64(b, 3); put(b, "a\0b", 3); put_u32(b, GGUF_U8); put_u8(b, 0); }
static void kv_dup(bb *b)         { for (int i = 0; i < 2; i++) { put_key(b, "dup", GGUF_U32); put_u32(b, (uint32_t)i); } }
static void kv_missing(bb *b)     { put_key(b, "only", GGUF_U8); put_u8(b, 0); }           // header says 2 keys
static void kv_align(bb *b, uint32_t t, uint32_t v) { put_key(b, "general.alignment", t); put_u32(b, v); }
static void kv_align_0(bb *b)     { kv_align(b, GGUF_U32, 0); }
static void kv_align_3(bb *b)     { kv_align(b, GGUF_U32, 3); }
static void kv_align_i32(bb *b)   { kv_align(b, GGUF_I32, 32); }
static void kv_align_u64(bb *b)   { put_key(b, "general.alignment", GGUF_U64); put_u64(b, 32); }
static void kv_align_str(bb *b)   { put_key(b, "general.alignment", GGUF_STRING); put_str(b, "32"); }
static void kv_align_1(bb *b)     { kv_align(b, GGUF_U32, 1); }
static void kv_align_big(bb *b)   { kv_align(b, GGUF_U32, 1u << 31); }

// `levels` arrays nested in each other around one u8.
static void nest(bb *b, int levels) {
    put_arr(b, "deep", levels > 1 ? GGUF_ARRAY : GGUF_U8, 1);
    for (int i = 1; i < levels; i++) { put_u32(b, i < levels - 1 ? GGUF_ARRAY : GGUF_U8); put_u64(b, 1); }
    put_u8(b, 7);
}
static void kv_nest_4(bb *b) { nest(b, 4); }
static void kv_nest_5(bb *b) { nest(b, 5); }

static void test_metadata(void) {
    static const struct { const char *desc; void (*build)(bb *); uint64_t n_kv; lm_status want; const char *needle; } CASES[] = {
        { "key length 2^62",          kv_key_huge,    1, LM_TRUNCATED, NULL },
        { "string length 2^64-1",     kv_str_huge,    1, LM_TRUNCATED, NULL },
        { "u32 array of 2^61",        kv_arr_u32,     1, LM_TRUNCATED, NULL },
        { "u64 array of 2^64-1",      kv_arr_u64,     1, LM_TRUNCATED, NULL },
        { "string array of 2^60",     kv_arr_str,     1, LM_TRUNCATED, NULL },
        { "array of 2^60 arrays",     kv_arr_arr,     1, LM_TRUNCATED, NULL },
        { "string array cut short",   kv_arr_short,   1, LM_TRUNCATED, NULL },
        { "fewer keys than counted",  kv_missing,     2, LM_TRUNCATED, NULL },
        { "value type 13",            kv_type_13,     1, LM_CORRUPT,   "weird" },
        { "value type 2^32-1",        kv_type_max,    1, LM_CORRUPT,   "weird" },
        { "array element type 13",    kv_arr_type_13, 1, LM_CORRUPT,   "weird_arr" },
        { "arrays nested 4 deep",     kv_nest_4,      1, LM_OK,        NULL },
        { "arrays nested 5 deep",     kv_nest_5,      1, LM_CORRUPT,   "deep" },
        { "bool value 2",             kv_bool_2,      1, LM_CORRUPT,   "flag" },
        { "bool array element 2",     kv_boolarr_2,   1, LM_CORRUPT,   "flags" },
        { "empty key",                kv_empty_key,   1, LM_CORRUPT,   NULL },
        { "key with a NUL byte",      kv_nul_key,     1, LM_CORRUPT,   NULL },
        { "duplicate key",            kv_dup,         2, LM_CORRUPT,   "dup" },
        { "alignment 0",              kv_align_0,     1, LM_CORRUPT,   "general.alignment" },
        { "alignment 3",              kv_align_3,     1, LM_CORRUPT,   "general.alignment" },
        { "alignment as i32",         kv_align_i32,   1, LM_CORRUPT,   "general.alignment" },
        { "alignment as u64",         kv_align_u64,   1, LM_CORRUPT,   "general.alignment" },
        { "alignment as string",      kv_align_str,   1, LM_CORRUPT,   "general.alignment" },
        { "alignment 1",              kv_align_1,     1, LM_OK,        NULL },
        { "alignment 2^31",           kv_align_big,   1, LM_OK,        NULL },
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        bb kv = {0};
        CASES[i].build(&kv);
        uint64_t len;
        uint8_t *p = assemble(3, CASES[i].n_kv, &kv, NULL, 0, 1, 0, &len);   // no padding: ends after the keys
        expect_parse(p, len, CASES[i].want, CASES[i].needle, CASES[i].desc);
        lm_model *m;
        CHECK(lm_model_load(p, len, &m) != LM_OK && m == NULL);
        free(p);
        free(kv.p);
    }
}

// ---- broken tensor infos ----

#define EXACT 0                        // data section ends where the last tensor does

static void test_tensor_infos(void) {
    static const struct { const char *desc; tinfo t[2]; uint64_t n_t, data; lm_status want; const char *needle; } CASES[] = {
        { "two tensors",            { { "a", 1, { 8 }, 0, 0 }, { "b", 2, { 4, 2 }, 1, 32 } }, 2, EXACT, LM_OK, NULL },
        { "offsets out of order",   { { "a", 1, { 8 }, 0, 32 }, { "b", 1, { 8 }, 0, 0 } },     2, EXACT, LM_OK, NULL },
        { "zero-sized tensor",      { { "nil", 2, { 0, 4 }, 0, 0 } },                          1, 32,    LM_OK, NULL },
        { "duplicate name",         { { "w", 1, { 8 }, 0, 0 }, { "w", 1, { 8 }, 0, 32 } },     2, EXACT, LM_CORRUPT, "'w'" },
        { "n_dims 0",               { { "t0", 0, { 0 }, 0, 0 } },                              1, 32,    LM_CORRUPT, "t0" },
        { "n_dims 5",               { { "t5", 5, { 1, 1, 1, 1, 1 }, 0, 0 } },                  1, 32,    LM_CORRUPT, "t5" },
        { "n_dims 2^31",            { { "tx", 1u << 31, { 1, 1, 1, 1, 1 }, 0, 0 } },           1, 32,    LM_CORRUPT, "tx" },
        { "elements overflow",      { { "big", 2, { 1ull << 32, 1ull << 32 }, 0, 0 } },        1, 32,    LM_CORRUPT, "big" },
        { "dim above INT64_MAX",    { { "neg", 1, { 1ull << 63 }, 0, 0 } },                    1, 32,    LM_CORRUPT, "neg" },
        { "zero dim hides overflow", { { "zero", 3, { 0, 1ull << 62, 1ull << 62 }, 0, 0 } },   1, 32,    LM_CORRUPT, "zero" },
        { "bytes overflow",         { { "wide", 1, { 1ull << 62 }, 0, 0 } },                   1, 32,    LM_CORRUPT, "wide" },
        { "type 99",                { { "t99", 1, { 4 }, 99, 0 } },                            1, 32,    LM_UNSUPPORTED_TYPE, "t99" },
        { "type 4 (retired q4_2)",  { { "t4", 1, { 32 }, 4, 0 } },                             1, 32,    LM_UNSUPPORTED_TYPE, "t4" },
        { "type 2^32-1",            { { "tm", 1, { 4 }, UINT32_MAX, 0 } },                     1, 32,    LM_UNSUPPORTED_TYPE, "tm" },
        { "q4_0 row of 33",         { { "odd", 2, { 33, 2 }, LM_TYPE_Q4_0, 0 } },              1, 64,    LM_CORRUPT, "odd" },
        { "misaligned offset",      { { "mis", 1, { 8 }, 0, 4 } },                             1, 64,    LM_CORRUPT, "mis" },
        { "overlapping tensors",    { { "a", 1, { 16 }, 0, 0 }, { "b", 1, { 8 }, 0, 32 } },    2, EXACT, LM_CORRUPT, "'b'" },
        { "offset wraps around",    { { "wrap", 1, { 16 }, 0, UINT64_MAX - 31 } },             1, 64,    LM_CORRUPT, "wrap" },
        { "empty name",             { { "", 1, { 4 }, 0, 0 } },                                1, 32,    LM_CORRUPT, NULL },
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        uint64_t len;
        uint8_t *p = assemble(3, 0, NULL, CASES[i].t, CASES[i].n_t, 32, CASES[i].data ? CASES[i].data : UINT64_MAX, &len);
        lm_status s = expect_parse(p, len, CASES[i].want, CASES[i].needle, CASES[i].desc);
        lm_model *m;
        lm_status ms = lm_model_load(p, len, &m);
        CHECK(ms != LM_OK && m == NULL);
        if (s != LM_OK) CHECK_EQ(ms, s);          // the loader reports the parser's verdict
        free(p);
    }
}

// Header fine, data short: the parser announces the size, the loader refuses with TRUNCATED.
static void test_data_bounds(void) {
    static const struct { const char *desc; tinfo t; uint64_t data; } CASES[] = {
        { "data cut short",   { "w", 2, { 16, 4 }, 0, 0 }, 100 },        // needs 256 bytes
        { "offset 2^63",      { "far", 1, { 8 }, 0, 1ull << 63 }, 32 },
        { "size near 2^63",   { "huge", 1, { (1ull << 61) - 32 }, 0, 0 }, 32 },
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        uint64_t len;
        uint8_t *p = assemble(3, 0, NULL, &CASES[i].t, 1, 32, CASES[i].data, &len);
        gguf_file g;
        CHECK_EQ(gguf_parse(p, len, &g, NULL), LM_OK);
        CHECK(g.file_size > len);
        CHECK(g.n_tensors == 1 && gguf_tensor_data(&g, &g.tensors[0]) == NULL);
        gguf_free(&g);
        lm_model *m;
        CHECK_EQ(lm_model_load(p, len, &m), LM_TRUNCATED);
        CHECK(lm_errmsg()[0] != 0);
        free(p);
    }
    // a 64-byte alignment makes offset 32 misaligned
    bb kv = {0};
    kv_align(&kv, GGUF_U32, 64);
    tinfo t = { "t", 1, { 8 }, 0, 32 };
    uint64_t len;
    uint8_t *p = assemble(3, 1, &kv, &t, 1, 64, 64, &len);
    expect_parse(p, len, LM_CORRUPT, "'t'", "offset 32 with alignment 64");
    free(p);
    // a 257-byte tensor name
    char name[258];
    memset(name, 'n', 257);
    name[257] = 0;
    tinfo longname = { name, 1, { 4 }, 0, 0 };
    p = assemble(3, 1, &kv, &longname, 1, 64, 64, &len);
    expect_parse(p, len, LM_CORRUPT, NULL, "257-byte name");
    free(p);
    free(kv.p);
}

int main(void) {
    test_valid();
    test_every_prefix();
    test_header();
    test_metadata();
    test_tensor_infos();
    test_data_bounds();
    return T_DONE();
}
