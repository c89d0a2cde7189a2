// test_ctx.c — context behaviour: batching does not change results, truncation (prefix reuse)
// equals a fresh prefill, and refused truncations leave the context intact.
#define _POSIX_C_SOURCE 200809L
#include "../src/lm.h"
#include "../src/tensor.h"
#include "../tools/gen.h"
#include "t.h"
#include <stdlib.h>
#include <string.h>

static lm_model *model(uint8_t **buf) {
    char *p = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&p, &n);
    gen_opts o = { "gemma4-e2b-tiny", LM_TYPE_Q4_0, 11, 0 };   // window 16: rings of 16 + n_batch
    CHECK_EQ(gen_model(&o, f), 0);
    fclose(f);
    lm_model *m = NULL;
    CHECK_EQ(lm_model_load((uint8_t *)p, n, &m), LM_OK);
    *buf = (uint8_t *)p;
    return m;
}

static lm_ctx *ctx_t(const lm_model *m, int n_batch, int n_threads) {
    lm_ctx_params p = lm_ctx_default_params();
    p.n_ctx = 256;
    p.n_batch = n_batch;
    p.n_threads = n_threads;
    lm_ctx *c = NULL;
    CHECK_EQ(lm_ctx_new(m, &p, &c), LM_OK);
    return c;
}

static lm_ctx *ctx(const lm_model *m, int n_batch) { return ctx_t(m, n_batch, 1); }

static int same_logits(const lm_ctx *a, const lm_ctx *b, int n_vocab) {
    return memcmp(lm_logits(a, 0), lm_logits(b, 0), (size_t)n_vocab * sizeof(float)) == 0;
}

int main(void) {
    uint8_t *buf;
    lm_model *m = model(&buf);
    lm_model_info in;
    lm_model_get_info(m, &in);
    lm_token t[120];
    for (int i = 0; i < 120; i++) t[i] = 260 + (i * 37) % 250;

    // one batch of 35 == 30 then 5 == one token at a time (bit for bit)
    lm_ctx *a = ctx(m, 64), *b = ctx(m, 8), *c = ctx(m, 8);
    CHECK_EQ(lm_decode(a, t, 35), LM_OK);
    CHECK_EQ(lm_decode(b, t, 30), LM_OK);
    CHECK_EQ(lm_decode(b, t + 30, 5), LM_OK);
    for (int i = 0; i < 35; i++) CHECK_EQ(lm_decode(c, t + i, 1), LM_OK);
    CHECK(same_logits(a, b, in.n_vocab));
    CHECK(same_logits(a, c, in.n_vocab));

    // truncation: 40 tokens, keep 30, append 5 -> same as 35 fresh
    lm_ctx *d = ctx(m, 32);
    CHECK_EQ(lm_decode(d, t, 40), LM_OK);
    CHECK_EQ(lm_ctx_truncate(d, 30), LM_OK);
    CHECK_EQ(lm_ctx_n_past(d), 30);
    CHECK_EQ(lm_decode(d, t + 30, 5), LM_OK);
    CHECK(same_logits(a, d, in.n_vocab));

    // refused: the ring (16 + 32 cells) no longer holds positions before 10 after 100 tokens
    lm_ctx *e = ctx(m, 32);
    CHECK_EQ(lm_decode(e, t, 100), LM_OK);
    CHECK_EQ(lm_ctx_truncate(e, 10), LM_INVALID_ARG);
    CHECK_EQ(lm_ctx_n_past(e), 100);
    CHECK_EQ(lm_ctx_truncate(e, 101), LM_INVALID_ARG);
    CHECK_EQ(lm_ctx_truncate(e, 70), LM_OK);

    // threads split matmul rows; every value is computed by one thread with the same code
    lm_ctx *f = ctx_t(m, 64, 3);
    CHECK_EQ(lm_decode(f, t, 35), LM_OK);
    CHECK(same_logits(a, f, in.n_vocab));

    lm_ctx *ctxs[] = { a, b, c, d, e, f };
    for (int i = 0; i < 6; i++) lm_ctx_free(ctxs[i]);
    lm_model_free(m);
    free(buf);
    return T_DONE();
}
