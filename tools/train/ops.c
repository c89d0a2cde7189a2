// ops.c — the row-wise parts of the forward and backward passes (norms, RoPE, GEGLU, softcapped
// cross-entropy), split across the pool by rows. Reductions across rows (norm-weight gradients,
// the loss) run in a fixed order, so nothing depends on the thread count.
#include "train.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct { tr_range_fn fn; void *ctx; int64_t n; } par_job;

static void par_worker(void *arg, int ith, int nth) {
    const par_job *j = arg;
    int64_t lo = j->n * ith / nth, hi = j->n * (ith + 1) / nth;
    if (lo < hi) j->fn(j->ctx, lo, hi);
}

void tr_par(lm_pool *p, int64_t n, tr_range_fn fn, void *ctx) {
    par_job j = { fn, ctx, n };
    lm_pool_run(p, par_worker, &j);
}

// ---- RMSNorm ----

typedef struct {
    float *y, *dx, *dw, *rs; const float *x, *w, *dy;
    int n; float eps; bool acc;
    int64_t n_rows;
} norm_job;

static float inv_rms(const float *x, int n, float eps) {
    double ss = 0.0;
    for (int i = 0; i < n; i++) ss += (double)x[i] * x[i];
    return 1.0f / sqrtf((float)(ss / n) + eps);
}

static void norm_rows(void *ctx, int64_t lo, int64_t hi) {
    const norm_job *j = ctx;
    for (int64_t r = lo; r < hi; r++) {
        const float *x = j->x + r * j->n;
        float *y = j->y + r * j->n, s = inv_rms(x, j->n, j->eps);
        for (int i = 0; i < j->n; i++) y[i] = j->w ? x[i] * s * j->w[i] : x[i] * s;
    }
}

void tr_rmsnorm(lm_pool *p, float *y, const float *x, const float *w, int64_t rows, int n, float eps) {
    norm_job j = { .y = y, .x = x, .w = w, .n = n, .eps = eps };
    tr_par(p, rows, norm_rows, &j);
}

// dx = s * (g - xh * mean(xh * g)) with xh = x * s, g = dy * w.
static void norm_back_rows(void *ctx, int64_t lo, int64_t hi) {
    const norm_job *j = ctx;
    for (int64_t r = lo; r < hi; r++) {
        const float *x = j->x + r * j->n, *dy = j->dy + r * j->n;
        float *dx = j->dx + r * j->n, s = inv_rms(x, j->n, j->eps);
        j->rs[r] = s;
        double dot = 0.0;
        for (int i = 0; i < j->n; i++) dot += (double)(x[i] * s) * (dy[i] * (j->w ? j->w[i] : 1.0f));
        float mean = (float)(dot / j->n);
        for (int i = 0; i < j->n; i++) {
            float v = s * (dy[i] * (j->w ? j->w[i] : 1.0f) - x[i] * s * mean);
            dx[i] = j->acc ? dx[i] + v : v;
        }
    }
}

// dw[i] += sum over all rows (in order) of dy * x * s: split by columns, rows streamed.
static void norm_dw_cols(void *ctx, int64_t lo, int64_t hi) {
    const norm_job *j = ctx;
    for (int64_t r = 0; r < j->n_rows; r++) {
        const float *dy = j->dy + r * j->n, *x = j->x + r * j->n;
        float s = j->rs[r];
        for (int64_t i = lo; i < hi; i++) j->dw[i] += dy[i] * (x[i] * s);
    }
}

void tr_rmsnorm_back(lm_pool *p, float *dx, float *dw, const float *dy, const float *x, const float *w,
                     int64_t rows, int n, float eps, bool acc) {
    norm_job j = { .dx = dx, .dw = dw, .x = x, .w = w, .dy = dy, .n = n, .eps = eps, .acc = acc, .n_rows = rows };
    if (!(j.rs = malloc((size_t)rows * sizeof *j.rs))) abort();   // [rows] 1/rms, a few KB
    tr_par(p, rows, norm_back_rows, &j);
    if (dw) tr_par(p, n, norm_dw_cols, &j);
    free(j.rs);
}

// ---- RoPE (NEOX pairs (i, i + n_rot/2)) ----

void tr_rope_angles(float *cs, int T, int n_rot, float base, bool ff_quarter) {
    float theta_scale = (float)pow((double)base, (double)(-2.0f / (float)n_rot));
    for (int t = 0; t < T; t++) {
        float theta = (float)t;
        for (int i = 0; i < n_rot / 2; i++) {
            float th = ff_quarter ? theta / (i < n_rot / 8 ? 1.0f : 1e30f) : theta;
            cs[((int64_t)t * (n_rot / 2) + i) * 2] = (float)cos((double)th);
            cs[((int64_t)t * (n_rot / 2) + i) * 2 + 1] = (float)sin((double)th);
            theta *= theta_scale;
        }
    }
}

typedef struct { float *x; int heads, D, n_rot, T; const float *cs; bool inverse; } rope_job;

static void rope_rows(void *ctx, int64_t lo, int64_t hi) {
    const rope_job *j = ctx;
    int half = j->n_rot / 2;
    for (int64_t r = lo; r < hi; r++) {
        const float *cs = j->cs + (r % j->T) * half * 2;
        for (int h = 0; h < j->heads; h++) {
            float *x = j->x + (r * j->heads + h) * j->D;
            for (int i = 0; i < half; i++) {
                float x0 = x[i], x1 = x[i + half], co = cs[2 * i], si = j->inverse ? -cs[2 * i + 1] : cs[2 * i + 1];
                x[i] = x0 * co - x1 * si;
                x[i + half] = x0 * si + x1 * co;
            }
        }
    }
}

void tr_rope(lm_pool *p, float *x, int64_t rows, int heads, int D, int n_rot, int T, const float *cs, bool inverse) {
    rope_job j = { x, heads, D, n_rot, T, cs, inverse };
    tr_par(p, rows, rope_rows, &j);
}

// ---- GEGLU with the tanh GELU ----

// tanh through expf: within ~1e-7 absolute of tanh, several times faster than libm's tanh.
static inline float tanh_fast(float x) {
    float ax = fabsf(x);
    if (ax > 9.0f) return x < 0.0f ? -1.0f : 1.0f;
    float t = 1.0f - 2.0f / (expf(2.0f * ax) + 1.0f);
    return x < 0.0f ? -t : t;
}

#define GELU_K 0.7978845608f
#define GELU_A 0.044715f

typedef struct { float *z, *dg, *du; const float *g, *u, *dz; } geglu_job;

static void geglu_rows(void *ctx, int64_t lo, int64_t hi) {
    const geglu_job *j = ctx;
    for (int64_t i = lo; i < hi; i++) {
        float x = j->g[i], t = tanh_fast(GELU_K * (x + GELU_A * x * x * x));
        j->z[i] = 0.5f * x * (1.0f + t) * j->u[i];
    }
}

static void geglu_back_rows(void *ctx, int64_t lo, int64_t hi) {
    const geglu_job *j = ctx;
    for (int64_t i = lo; i < hi; i++) {
        float x = j->g[i], t = tanh_fast(GELU_K * (x + GELU_A * x * x * x));
        float gelu = 0.5f * x * (1.0f + t), dgelu = 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * GELU_K * (1.0f + 3.0f * GELU_A * x * x);
        j->dg[i] = j->dz[i] * j->u[i] * dgelu;
        j->du[i] = j->dz[i] * gelu;
    }
}

void tr_geglu(lm_pool *p, float *z, const float *g, const float *u, int64_t n) {
    geglu_job j = { .z = z, .g = g, .u = u };
    tr_par(p, n, geglu_rows, &j);
}

void tr_geglu_back(lm_pool *p, float *dg, float *du, const float *dz, const float *g, const float *u, int64_t n) {
    geglu_job j = { .dg = dg, .du = du, .g = g, .u = u, .dz = dz };
    tr_par(p, n, geglu_back_rows, &j);
}

// ---- softcapped logits and cross-entropy ----

typedef struct { float *logits; const int32_t *targets; double *loss; int N, V; float cap; bool grad; } xent_job;

// One pass of exponentials: with the gradient on, row i first holds exp(c_i - max) * (1 - (c_i/cap)^2),
// the softmax-times-softcap-derivative numerator, then is divided by the sum.
static void xent_rows(void *ctx, int64_t lo, int64_t hi) {
    const xent_job *j = ctx;
    for (int64_t r = lo; r < hi; r++) {
        float *c = j->logits + r * j->V, max = -INFINITY;
        for (int i = 0; i < j->V; i++) {
            c[i] = j->cap * tanh_fast(c[i] / j->cap);
            max = c[i] > max ? c[i] : max;
        }
        int tg = j->targets[r];
        float ct = c[tg], tt = ct / j->cap;
        double sum = 0.0;
        for (int i = 0; i < j->V; i++) {
            float e = expf(c[i] - max), th = c[i] / j->cap;
            sum += e;
            if (j->grad) c[i] = e * (1.0f - th * th);
        }
        j->loss[r] = max + log(sum) - ct;
        if (!j->grad) continue;
        float scale = (float)(1.0 / sum) / (float)j->N;
        for (int i = 0; i < j->V; i++) c[i] *= scale;
        c[tg] -= (1.0f - tt * tt) / (float)j->N;
    }
}

double tr_softcap_xent(lm_pool *p, float *logits, const int32_t *targets, int N, int V, float cap, bool grad) {
    xent_job j = { logits, targets, malloc((size_t)N * sizeof(double)), N, V, cap, grad };
    if (!j.loss) abort();
    tr_par(p, N, xent_rows, &j);
    double sum = 0.0;
    for (int r = 0; r < N; r++) sum += j.loss[r];
    free(j.loss);
    return sum / N;
}
