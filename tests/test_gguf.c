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
