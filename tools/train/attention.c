// attention.c — causal self-attention of one layer over B sequences of T tokens, forward and
// backward: scores q.k with scale 1.0 (Gemma 4 normalizes q and k instead), softmax over the
// visible keys (j <= t, and t - j < n_swa on sliding-window layers), GQA (query head h reads
// kv head h / (H / Hkv)). Dots run in 8 lanes summed in a fixed order.
#include "train.h"
#include <math.h>
#include <string.h>

typedef float v8f __attribute__((vector_size(32)));

// dot and axpy are inlined into the AVX2 and default clones of their callers.
static inline __attribute__((always_inline)) float dot(const float *a, const float *b, int n) {   // n % 8 == 0
    v8f acc = { 0 };
    for (int i = 0; i < n; i += 8) {
        v8f x, y;
        memcpy(&x, a + i, sizeof x);
        memcpy(&y, b + i, sizeof y);
        acc += x * y;
    }
    return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

static inline __attribute__((always_inline)) void axpy(float *y, float a, const float *x, int n) {   // n % 8 == 0
    for (int i = 0; i < n; i += 8) {
        v8f u, v;
        memcpy(&u, y + i, sizeof u);
        memcpy(&v, x + i, sizeof v);
        u += v * a;
        memcpy(y + i, &u, sizeof u);
    }
}

typedef struct {
    const tr_config *c;
    int il, B, T, H, Hkv, D;
    const float *q, *k, *v, *prob, *datt;
    float *prob_out, *att, *dq, *dk, *dv, *tmp;
} attn_job;

static int first_visible(const attn_job *j, int t) {
    return j->c->swa[j->il] && t - j->c->n_swa + 1 > 0 ? t - j->c->n_swa + 1 : 0;
}

// One (sequence b, query head h).
__attribute__((target_clones("avx2", "default")))
static void head_forward(const attn_job *j, int b, int h) {
    int T = j->T, D = j->D, qd = j->H * D, kvd = j->Hkv * D, g = h / (j->H / j->Hkv);
    for (int t = 0; t < T; t++) {
        const float *q = j->q + ((int64_t)b * T + t) * qd + h * D;
        float *pr = j->prob_out + (((int64_t)b * j->H + h) * T + t) * T, *o = j->att + ((int64_t)b * T + t) * qd + h * D;
        int j0 = first_visible(j, t);
        float max = -INFINITY;
        memset(pr, 0, (size_t)T * sizeof *pr);
        for (int s = j0; s <= t; s++) {
            pr[s] = dot(q, j->k + ((int64_t)b * T + s) * kvd + g * D, D);
            max = pr[s] > max ? pr[s] : max;
        }
        double sum = 0.0;
        for (int s = j0; s <= t; s++) { pr[s] = expf(pr[s] - max); sum += pr[s]; }
        float inv = (float)(1.0 / sum);
        memset(o, 0, (size_t)D * sizeof *o);
        for (int s = j0; s <= t; s++) {
            pr[s] *= inv;
            axpy(o, pr[s], j->v + ((int64_t)b * T + s) * kvd + g * D, D);
        }
    }
}

static void forward_worker(void *arg, int ith, int nth) {
    const attn_job *j = arg;
    int tasks = j->B * j->H;
    for (int i = tasks * ith / nth; i < tasks * (ith + 1) / nth; i++) head_forward(j, i / j->H, i % j->H);
}

void tr_attention(lm_pool *p, const tr_config *c, int il, int B, const float *q, const float *k, const float *v,
                  float *prob, float *att) {
    attn_job j = { .c = c, .il = il, .B = B, .T = c->n_ctx, .H = c->n_head, .Hkv = c->n_head_kv, .D = tr_head_dim(c, il),
                   .q = q, .k = k, .v = v, .prob_out = prob, .att = att };
    lm_pool_run(p, forward_worker, &j);
}

// All query heads of kv group g of sequence b: they alone write the group's dk/dv rows.
__attribute__((target_clones("avx2", "default")))
static void group_backward(const attn_job *j, int b, int g, float *dp) {
    int T = j->T, D = j->D, qd = j->H * D, kvd = j->Hkv * D, per = j->H / j->Hkv;
    for (int h = g * per; h < (g + 1) * per; h++)
        for (int t = 0; t < T; t++) {
            int64_t row = (int64_t)b * T + t;
            const float *pr = j->prob + (((int64_t)b * j->H + h) * T + t) * T, *dout = j->datt + row * qd + h * D;
            const float *q = j->q + row * qd + h * D;
            float *dq = j->dq + row * qd + h * D;
            int j0 = first_visible(j, t);
            double sum = 0.0;
            for (int s = j0; s <= t; s++) {
                dp[s] = dot(dout, j->v + ((int64_t)b * T + s) * kvd + g * D, D);
                sum += (double)pr[s] * dp[s];
            }
            memset(dq, 0, (size_t)D * sizeof *dq);
            for (int s = j0; s <= t; s++) {
                int64_t kr = ((int64_t)b * T + s) * kvd + g * D;
                float ds = pr[s] * (dp[s] - (float)sum);
                axpy(dq, ds, j->k + kr, D);
                axpy(j->dk + kr, ds, q, D);
                axpy(j->dv + kr, pr[s], dout, D);
            }
        }
}

static void backward_worker(void *arg, int ith, int nth) {
    const attn_job *j = arg;
    int tasks = j->B * j->Hkv;
    for (int i = tasks * ith / nth; i < tasks * (ith + 1) / nth; i++) group_backward(j, i / j->Hkv, i % j->Hkv, j->tmp + (int64_t)ith * j->T);
}

void tr_attention_back(lm_pool *p, const tr_config *c, int il, int B, const float *q, const float *k, const float *v,
                       const float *prob, const float *datt, float *dq, float *dk, float *dv, float *tmp) {
    attn_job j = { .c = c, .il = il, .B = B, .T = c->n_ctx, .H = c->n_head, .Hkv = c->n_head_kv, .D = tr_head_dim(c, il),
                   .q = q, .k = k, .v = v, .prob = prob, .datt = datt, .dq = dq, .dk = dk, .dv = dv, .tmp = tmp };
    lm_pool_run(p, backward_worker, &j);
}
