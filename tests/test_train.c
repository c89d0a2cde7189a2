// test_train.c — the trainer (tools/train/): its hand-written backward pass against finite
// differences on every tensor of a tiny gemma4 model (sliding and full layers, shared KV),
// results independent of the thread count, checkpoints, QAT's fake-quantized weights equal to
// what the exported files hold, and exported models running in the engine with the trainer's
// logits (F32, Q4_0, GGUF-M with static activation scales).
#define _POSIX_C_SOURCE 200809L   // open_memstream
#include "t.h"
#include "../tools/train/train.h"
#include "../tools/bpe_train.h"
#include "../src/lm.h"
#include "../src/tensor.h"
#include <stdlib.h>
#include <string.h>

typedef struct { tr_model m; tr_acts a; lm_pool *p; float *w, *g, *weff; int32_t *tok, *tgt; tr_quant q; } fixture;

static uint64_t rng = 0x1234567;
static uint32_t next_u32(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return (uint32_t)(rng >> 11); }

static void fixture_init(fixture *f, int B, int threads, int n_vocab) {
    tr_config c;
    tr_preset("tiny", &c);
    if (n_vocab) c.n_vocab = n_vocab;
    memset(f, 0, sizeof *f);
    CHECK(tr_model_init(&f->m, &c));
    lm_pool_new(threads, &f->p);
    CHECK(tr_acts_new(&f->a, &f->m, B, threads));
    f->w = malloc((size_t)f->m.n_params * sizeof(float));
    f->g = malloc((size_t)f->m.n_params * sizeof(float));
    f->weff = malloc((size_t)f->m.n_params * sizeof(float));
    tr_params_init(&f->m, f->w, 7);
    // norms and scalars away from their initial constants, so their gradients are generic
    uint64_t keep = rng;
    rng = 99;
    for (int i = 0; i < f->m.n_t; i++)
        if (f->m.t[i].kind == TK_VECTOR)
            for (int k = 0; k < f->m.t[i].cols; k++) f->w[f->m.t[i].off + k] *= 1.0f + 0.2f * ((float)(next_u32() % 1000) / 1000.0f - 0.5f);
    int N = B * c.n_ctx;
    f->tok = malloc((size_t)N * sizeof(int32_t));
    f->tgt = malloc((size_t)N * sizeof(int32_t));
    for (int i = 0; i < N; i++) { f->tok[i] = (int32_t)(next_u32() % (uint32_t)c.n_vocab); f->tgt[i] = (int32_t)(next_u32() % (uint32_t)c.n_vocab); }
    rng = keep;
}

static void fixture_free(fixture *f) {
    tr_acts_free(&f->a); lm_pool_free(f->p); free(f->w); free(f->g); free(f->weff); free(f->tok); free(f->tgt);
}

static double loss_at(fixture *f) { return tr_forward(f->p, &f->m, f->w, &f->q, &f->a, f->tok, f->tgt, false); }

// Directional derivative along a random +-h direction over each whole tensor: central differences
// of the loss against the analytic gradient.
static void gradient_check(void) {
    fixture f;
    fixture_init(&f, 2, 1, 0);
    tr_forward(f.p, &f.m, f.w, &f.q, &f.a, f.tok, f.tgt, true);
    tr_backward(f.p, &f.m, f.w, &f.q, &f.a, f.tok, f.g);
    int bad = 0;
    for (int ti = 0; ti < f.m.n_t; ti++) {
        const tr_tensor *t = &f.m.t[ti];
        int64_t n = (int64_t)t->rows * t->cols;
        float *dir = malloc((size_t)n * sizeof *dir), h = t->kind == TK_MATRIX ? 3e-3f * t->init : 3e-3f;
        double analytic = 0.0;
        for (int64_t k = 0; k < n; k++) { dir[k] = next_u32() & 1 ? h : -h; analytic += (double)f.g[t->off + k] * dir[k]; }
        for (int64_t k = 0; k < n; k++) f.w[t->off + k] += dir[k];
        double lp = loss_at(&f);
        for (int64_t k = 0; k < n; k++) f.w[t->off + k] -= 2 * dir[k];
        double lm = loss_at(&f);
        for (int64_t k = 0; k < n; k++) f.w[t->off + k] += dir[k];
        double numeric = (lp - lm) / 2.0, err = fabs(numeric - analytic), tol = 3e-3 * fabs(analytic) + 3e-6;
        if (err > tol) { bad++; fprintf(stderr, "grad %-32s analytic %.8g numeric %.8g\n", t->name, analytic, numeric); }
        free(dir);
    }
    CHECK_EQ(bad, 0);
    fixture_free(&f);
}

// Loss, gradients and an AdamW step are bitwise the same with 1 and 3 threads.
static void thread_independence(void) {
    fixture a, b;
    fixture_init(&a, 3, 1, 0);
    fixture_init(&b, 3, 3, 0);
    double la = tr_forward(a.p, &a.m, a.w, &a.q, &a.a, a.tok, a.tgt, true), lb = tr_forward(b.p, &b.m, b.w, &b.q, &b.a, b.tok, b.tgt, true);
    tr_backward(a.p, &a.m, a.w, &a.q, &a.a, a.tok, a.g);
    tr_backward(b.p, &b.m, b.w, &b.q, &b.a, b.tok, b.g);
    CHECK(la == lb);
    CHECK(!memcmp(a.g, b.g, (size_t)a.m.n_params * sizeof(float)));
    tr_optim o = tr_optim_default();
    float *ma = calloc((size_t)a.m.n_params, 4), *va = calloc((size_t)a.m.n_params, 4);
    float *mb = calloc((size_t)a.m.n_params, 4), *vb = calloc((size_t)a.m.n_params, 4);
    tr_adamw(a.p, &a.m, &o, 0, a.w, a.g, ma, va);
    tr_adamw(b.p, &b.m, &o, 0, b.w, b.g, mb, vb);
    CHECK(!memcmp(a.w, b.w, (size_t)a.m.n_params * sizeof(float)));
    free(ma); free(va); free(mb); free(vb);
    fixture_free(&a);
    fixture_free(&b);
}

// The loss goes down over a few AdamW steps on a fixed batch (the pieces fit together).
static void learns(void) {
    fixture f;
    fixture_init(&f, 2, 2, 0);
    tr_optim o = tr_optim_default();
    o.warmup = 1; o.lr = 1e-2f;
    float *m = calloc((size_t)f.m.n_params, 4), *v = calloc((size_t)f.m.n_params, 4);
    double first = 0.0, last = 0.0;
    for (int step = 0; step < 30; step++) {
        last = tr_forward(f.p, &f.m, f.w, &f.q, &f.a, f.tok, f.tgt, true);
        if (step == 0) first = last;
        tr_backward(f.p, &f.m, f.w, &f.q, &f.a, f.tok, f.g);
        tr_adamw(f.p, &f.m, &o, step, f.w, f.g, m, v);
    }
    CHECK(last < 0.5 * first);
    free(m); free(v);
    fixture_free(&f);
}

static void checkpoint_roundtrip(void) {
    fixture f;
    fixture_init(&f, 1, 1, 0);
    tr_state s = { f.m.c, { 0 }, 17, 5, f.w, f.g, f.g };
    s.q.mode = TR_QAT_MOBILE; s.q.act[1][TA_FFN_IN] = 0.25f;
    const char *path = "build/test-train.ckpt";
    CHECK(tr_ckpt_save(path, &f.m, &s));
    tr_model m2;
    tr_state s2;
    CHECK(tr_ckpt_load(path, &m2, &s2));
    CHECK_EQ(s2.step, 17);
    CHECK_EQ(s2.seed, 5);
    CHECK(s2.q.act[1][TA_FFN_IN] == 0.25f && s2.q.mode == TR_QAT_MOBILE);
    CHECK_EQ(m2.n_params, f.m.n_params);
    CHECK(s2.w && !memcmp(s2.w, f.w, (size_t)f.m.n_params * sizeof(float)));
    free(s2.w); free(s2.m); free(s2.v);
    remove(path);
    FILE *bad = fopen(path, "wb");
    if (bad) { fputs("not a checkpoint", bad); fclose(bad); }
    CHECK(!tr_ckpt_load(path, &m2, &s2));
    remove(path);
    fixture_free(&f);
}

// ---- exports through the engine ----

static const char TEXT[] =
    "In the beginning God created the heaven and the earth.\n"
    "And the earth was without form, and void; and darkness was upon the face of the deep.\n\n"
    "And God said, Let there be light: and there was light. 42 days, 7 nights!\n";

static uint8_t *vocab_gguf(uint64_t *len, int32_t *n_tokens) {
    bpe_opts o = bpe_default_opts();
    o.vocab_size = 420;
    bpe_vocab v;
    if (bpe_train(TEXT, sizeof TEXT - 1, &o, &v)) return NULL;
    gguf_writer *w = gw_new(32);
    bpe_write_keys(&v, w);
    uint8_t *buf = NULL;
    gw_write_mem(w, &buf, len);
    gw_free(w);
    *n_tokens = v.n;
    bpe_vocab_free(&v);
    return buf;
}

static uint8_t *slurp(const char *path, uint64_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); buf = NULL; }
    fclose(f);
    *len = (uint64_t)n;
    return buf;
}

// Max |engine logit - trainer logit| over the first sequence, and the share of equal argmaxes.
static double engine_diff(const char *path, const fixture *f, double *top1) {
    uint64_t len;
    uint8_t *buf = slurp(path, &len);
    lm_model *m = NULL;
    lm_ctx *c = NULL;
    double max = INFINITY;
    *top1 = 0.0;
    if (buf && !lm_model_load(buf, len, &m)) {
        lm_ctx_params cp = lm_ctx_default_params();
        cp.n_ctx = f->m.c.n_ctx;
        cp.logits_all = true;
        int V = f->m.c.n_vocab, T = f->m.c.n_ctx, same = 0;
        if (!lm_ctx_new(m, &cp, &c) && !lm_decode(c, f->tok, T)) {
            max = 0.0;
            for (int t = 0; t < T; t++) {
                const float *e = lm_logits(c, t), *r = f->a.logits + (int64_t)t * V;
                int ae = 0, ar = 0;
                for (int i = 0; i < V; i++) {
                    max = fmax(max, fabs((double)e[i] - r[i]));
                    if (e[i] > e[ae]) ae = i;
                    if (r[i] > r[ar]) ar = i;
                }
                same += ae == ar;
            }
            *top1 = (double)same / T;
        } else fprintf(stderr, "engine: %s\n", lm_errmsg());
    } else fprintf(stderr, "load %s: %s\n", path, lm_errmsg());
    lm_ctx_free(c); lm_model_free(m); free(buf);
    return max;
}

static void export_roundtrips(void) {
    uint64_t vlen;
    int32_t V;
    uint8_t *vocab = vocab_gguf(&vlen, &V);
    CHECK(vocab != NULL);
    if (!vocab) return;
    fixture f;
    fixture_init(&f, 1, 2, V);
    for (int i = 0; i < f.a.N; i++) f.tok[i] = i == 0 ? 2 : 300 + (int32_t)(next_u32() % (uint32_t)(V - 310));
    const char *path = "build/test-train-export.gguf";
    static const struct { tr_out out; tr_qat qat; double tol; double top1; } CASES[] = {
        { TR_OUT_F32, TR_QAT_NONE, 0.01, 1.0 },        // engine: f16 KV cache and attention products, GELU table (0.003)
        { TR_OUT_Q4_0, TR_QAT_Q4_0, 0.2, 0.9 },        // engine: activations quantized to Q8_0 as well (0.09)
        { TR_OUT_MOBILE, TR_QAT_MOBILE, 0.3, 0.9 },    // the same int8 activations; rounding flips move codes (0.15)
    };
    for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
        memset(&f.q, 0, sizeof f.q);
        f.q.mode = CASES[k].qat;
        f.q.pct = 99.99f;
        if (f.q.mode == TR_QAT_MOBILE) {   // calibrate the static activation scales on the batch itself
            tr_fake_quant_weights(f.p, &f.m, &f.q, f.w, f.weff);
            f.q.calibrating = true;
            tr_forward(f.p, &f.m, f.weff, &f.q, &f.a, f.tok, f.tok, false);
            f.q.calibrating = false;
            f.q.n_calib = 1;
            CHECK(f.q.act[0][TA_FFN_IN] > 0.0f && f.q.head_in > 0.0f);
        }
        tr_fake_quant_weights(f.p, &f.m, &f.q, f.w, f.weff);
        tr_forward(f.p, &f.m, f.weff, &f.q, &f.a, f.tok, f.tok, false);
        CHECK(tr_export(path, &f.m, f.w, &f.q, CASES[k].out, vocab, vlen, "test", 0));
        double top1, d = engine_diff(path, &f, &top1);
        if (getenv("TRAIN_VERBOSE") || !(d <= CASES[k].tol) || top1 < CASES[k].top1) fprintf(stderr, "export case %zu: max |dlogit| %g, top-1 %.2f\n", k, d, top1);
        CHECK(d <= CASES[k].tol);
        CHECK(top1 >= CASES[k].top1);
        remove(path);
    }
    fixture_free(&f);
    free(vocab);
}

// QAT's Q4_0 weights are the engine's Q4_0 round trip; mobile weights are code * row scale with
// at most 4 (q2_c) or 16 (q4_c) distinct codes per row.
static void fake_quant_weights(void) {
    fixture f;
    fixture_init(&f, 1, 1, 0);
    f.q.mode = TR_QAT_MOBILE;
    tr_fake_quant_weights(f.p, &f.m, &f.q, f.w, f.weff);
    int ti = f.m.tok_embd, bad = 0;
    CHECK_EQ(tr_mobile_type(&f.m, ti), LM_TYPE_Q2_C);
    CHECK_EQ(tr_mobile_type(&f.m, f.m.layer[3][TL_DOWN]), LM_TYPE_Q2_C);   // MLP of a KV-sharing layer
    CHECK_EQ(tr_mobile_type(&f.m, f.m.layer[0][TL_DOWN]), LM_TYPE_Q4_C);
    CHECK_EQ(tr_mobile_type(&f.m, f.m.out_norm), 0);
    for (int r = 0; r < f.m.t[ti].rows; r++) {
        const float *y = f.weff + f.m.t[ti].off + (int64_t)r * f.m.t[ti].cols;
        float vals[8];
        int n = 0;
        for (int i = 0; i < f.m.t[ti].cols; i++) {
            int k = 0;
            while (k < n && vals[k] != y[i]) k++;
            if (k == n && n < 8) vals[n++] = y[i];
        }
        bad += n > 4;
    }
    CHECK_EQ(bad, 0);
    CHECK(!memcmp(f.weff + f.m.t[f.m.out_norm].off, f.w + f.m.t[f.m.out_norm].off, (size_t)f.m.c.n_embd * sizeof(float)));
    fixture_free(&f);
}

int main(void) {
    gradient_check();
    thread_independence();
    learns();
    checkpoint_roundtrip();
    fake_quant_weights();
    export_roundtrips();
    return T_DONE();
}
