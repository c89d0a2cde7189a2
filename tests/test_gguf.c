// test_gguf.c — the GGUF reader over hostile input: a valid file with every value type parses
// to the right views; every prefix of a small model fails with TRUNCATED and a `need` that a
// streaming loader can follow; broken headers, keys and tensor infos fail with the right code
// and a message naming the key or tensor. Asserts on codes, never on message wording.
// Every buffer handed to the parser is malloc'd at its exact length, so ASan sees overreads.
#include "t.h"
#include "../src/gguf.h"
#include "../src/lm.h"
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
    int64_t n = 1;
    for (uint32_t d = 1; d < t->n_dims && d < 4; d++) n *= (int64_t)t->ne[d];
    int64_t row = gguf_type_bytes(t->type, (int64_t)t->ne[0]);
    return row < 0 ? 0 : (uint64_t)row * (uint64_t)n;
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
