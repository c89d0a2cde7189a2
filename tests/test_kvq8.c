// test_kvq8.c — the int8 KV cache (lm_ctx_params.kv_type = LM_KV_Q8): the per-(token, head)
// quantizer, the memory plan, bad parameters, and that batching, sliding-window ring wraps and
// truncation (chat prefix reuse) give the same bits as the straightforward runs.
#define _POSIX_C_SOURCE 200809L
#include "../src/lm.h"
#include "../src/model.h"
#include "../src/models/arch.h"
#include "../tools/gen.h"
#include "t.h"
#include <stdlib.h>
#include <string.h>

static uint8_t *gen(const char *preset, uint64_t *len) {
    char *p = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&p, &n);
    gen_opts o = { preset, LM_TYPE_Q4_0, 11, 0 };   // gemma4-e2b-tiny: window 16, shared-KV layers
    CHECK_EQ(gen_model(&o, f), 0);
    fclose(f);
    *len = n;
    return (uint8_t *)p;
}

static lm_ctx *ctx(const lm_model *m, int n_ctx, int n_batch, lm_kv_type kv) {
    lm_ctx_params p = lm_ctx_default_params();
    p.n_ctx = n_ctx;
    p.n_batch = n_batch;
    p.kv_type = kv;
    lm_ctx *c = NULL;
    CHECK_EQ(lm_ctx_new(m, &p, &c), LM_OK);
    return c;
}

static bool same_logits(const lm_ctx *a, const lm_ctx *b, int n_vocab) {
    return memcmp(lm_logits(a, 0), lm_logits(b, 0), (size_t)n_vocab * sizeof(float)) == 0;
}

static int argmax(const float *x, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) best = x[i] > x[best] ? i : best;
    return best;
}

// Round half to even, the symmetric clamp, and the all-zero row.
static void test_quantizer(void) {
    float x[8] = { 127.0f, -127.0f, 2.5f, 3.5f, -2.5f, 0.49f, -0.5f, 1.5f };
    int8_t q[8];
    CHECK_NEAR(blk_kv_q8_head(x, q, 8), 1.0, 0.0);
    int8_t want[8] = { 127, -127, 2, 4, -2, 0, 0, 2 };
    CHECK(memcmp(q, want, 8) == 0);
    float y[4] = { -3.0f, 1.0f, 0.0f, 1.5f };   // s = 3/127: -3 -> -127, never -128
    CHECK_NEAR(blk_kv_q8_head(y, q, 4), 3.0 / 127.0, 1e-9);
    CHECK_EQ(q[0], -127);
    CHECK_EQ(q[1], 42);                         // 1 / (3/127) = 42.33
    CHECK_EQ(q[3], 64);                         // 63.5 -> 64 (ties to even)
    float z[4] = { 0 };
    memset(q, 1, 4);
    CHECK_NEAR(blk_kv_q8_head(z, q, 4), 0.0, 0.0);
    CHECK(q[0] == 0 && q[1] == 0 && q[2] == 0 && q[3] == 0);
}

// kv bytes: K and V codes (1 byte per element) plus one f32 scale per (cell, head), for the
// layers that own a cache; SWA rings have n_swa + n_batch cells. Header plan == model plan.
static void test_plan(const lm_model *m, const uint8_t *buf, uint64_t len) {
    lm_ctx_params p = lm_ctx_default_params();
    p.n_ctx = 256;
    p.n_batch = 32;
    uint64_t elems = 0, heads = 0;
    for (int il = 0; il < m->n_layer; il++) {
        const lm_layer *L = &m->layers[il];
        if (L->kv_src != il) continue;
        uint64_t cells = L->swa && m->n_swa + 32 < 256 ? (uint64_t)m->n_swa + 32 : 256;
        elems += cells * L->n_head_kv * L->head_dim;
        heads += cells * L->n_head_kv;
    }
    lm_mem_plan f16, q8, hdr;
    CHECK_EQ(lm_model_plan(m, &p, &f16), LM_OK);
    p.kv_type = LM_KV_Q8;
    CHECK_EQ(lm_model_plan(m, &p, &q8), LM_OK);
    CHECK_EQ(f16.kv, 2 * 2 * elems);
    CHECK_EQ(q8.kv, 2 * (elems + 4 * heads));
    CHECK_EQ(q8.weights, f16.weights);
    CHECK_EQ(q8.scratch, f16.scratch);
    CHECK_EQ(lm_plan_from_header(buf, len, &p, &hdr, NULL, NULL), LM_OK);
    CHECK_EQ(hdr.kv, q8.kv);
}

static void test_bad_params(const lm_model *m, const uint8_t *buf, uint64_t len) {
    lm_ctx_params p = lm_ctx_default_params();
    lm_mem_plan plan;
    lm_ctx *c = NULL;
    int bad[] = { LM_KV_COUNT, -1, 99 };
    for (int i = 0; i < 3; i++) {
        p.kv_type = (lm_kv_type)bad[i];
        CHECK_EQ(lm_ctx_new(m, &p, &c), LM_INVALID_ARG);
        CHECK(c == NULL);
        CHECK(strstr(lm_errmsg(), "kv_type") != NULL);
        CHECK_EQ(lm_model_plan(m, &p, &plan), LM_INVALID_ARG);
        CHECK_EQ(lm_plan_from_header(buf, len, &p, &plan, NULL, NULL), LM_INVALID_ARG);
    }
    CHECK(strcmp(lm_kv_type_name(LM_KV_Q8), "q8") == 0 && strcmp(lm_kv_type_name(LM_KV_F16), "f16") == 0);
    CHECK(lm_kv_type_name(LM_KV_COUNT) == NULL);
    CHECK_EQ(lm_kv_type_from_name("q8"), LM_KV_Q8);
    CHECK_EQ(lm_kv_type_from_name("int8"), LM_KV_COUNT);
    CHECK_EQ(lm_kv_type_from_name(NULL), LM_KV_COUNT);
}

// Batching, ring wraps and truncation only change where a token's cell lives, never its bits.
static void test_reuse(const lm_model *m, const lm_token *t, int n_vocab) {
    lm_ctx *a = ctx(m, 256, 64, LM_KV_Q8), *b = ctx(m, 256, 8, LM_KV_Q8);
    CHECK_EQ(lm_decode(a, t, 35), LM_OK);
    for (int i = 0; i < 35; i++) CHECK_EQ(lm_decode(b, t + i, 1), LM_OK);
    CHECK(same_logits(a, b, n_vocab));

    lm_ctx *d = ctx(m, 256, 32, LM_KV_Q8);   // chat reuse: 40 tokens, keep 30, append 5
    CHECK_EQ(lm_decode(d, t, 40), LM_OK);
    CHECK_EQ(lm_ctx_truncate(d, 30), LM_OK);
    CHECK_EQ(lm_decode(d, t + 30, 5), LM_OK);
    CHECK(same_logits(a, d, n_vocab));

    // 110 tokens: a ring of 16 + 8 cells wraps four times; n_batch 110 makes every cache full-size
    lm_ctx *ring = ctx(m, 110, 8, LM_KV_Q8), *full = ctx(m, 110, 110, LM_KV_Q8);
    for (int i = 0; i < 110; i++) {
        CHECK_EQ(lm_decode(ring, t + i, 1), LM_OK);
        CHECK_EQ(lm_decode(full, t + i, 1), LM_OK);
    }
    CHECK(same_logits(ring, full, n_vocab));
    CHECK_EQ(lm_ctx_truncate(ring, 60), LM_INVALID_ARG);   // the ring no longer holds position 45
    CHECK_EQ(lm_ctx_truncate(ring, 100), LM_INVALID_ARG);  // 10 back > 24 cells - window 16
    CHECK_EQ(lm_ctx_truncate(ring, 103), LM_OK);
    CHECK_EQ(lm_ctx_truncate(full, 103), LM_OK);
    CHECK_EQ(lm_decode(ring, t + 103, 3), LM_OK);
    CHECK_EQ(lm_decode(full, t + 103, 3), LM_OK);
    CHECK(same_logits(ring, full, n_vocab));

    // the int8 cache is a different computation from f16, and close to it on this model
    lm_ctx *h = ctx(m, 256, 64, LM_KV_F16);
    CHECK_EQ(lm_decode(h, t, 35), LM_OK);
    CHECK(!same_logits(a, h, n_vocab));
    CHECK_EQ(argmax(lm_logits(a, 0), n_vocab), argmax(lm_logits(h, 0), n_vocab));
    lm_ctx *all[] = { a, b, d, ring, full, h };
    for (int i = 0; i < 6; i++) lm_ctx_free(all[i]);
}

int main(void) {
    test_quantizer();
    uint64_t len;
    uint8_t *buf = gen("gemma4-e2b-tiny", &len);
    lm_model *m = NULL;
    CHECK_EQ(lm_model_load(buf, len, &m), LM_OK);
    lm_model_info in;
    lm_model_get_info(m, &in);
    lm_token t[120];
    for (int i = 0; i < 120; i++) t[i] = 260 + (i * 37) % 250;
    test_plan(m, buf, len);
    test_bad_params(m, buf, len);
    test_reuse(m, t, in.n_vocab);
    lm_model_free(m);
    free(buf);
    return T_DONE();
}
