// quant.c — fake quantization for quantization-aware training, with straight-through gradients.
//
// Weights: the forward pass multiplies by exactly the values the exported file will hold. Q4_0
// runs the engine's own quantizer and dequantizer (src/kernels/q4_0.c); the mobile scheme uses
// the PTQ tool's recipe and row-scale search (tools/quantize.c), so QAT and PTQ differ only in
// training. Gradients pass straight through to the latent f32 weights.
// Activations (mobile): static per-tensor int8 scales at each matmul input and output, rounded
// half to even and clamped to [-128, 127] as the engine does (docs/FORMAT.md §8); the gradient is
// zero where a value sits on the clip boundary. Scales are calibrated as a percentile of |x|.
#include "train.h"
#include "../mq.h"
#include "../../src/kernels/kernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

int tr_mobile_type(const tr_model *m, int ti) {
    const tr_tensor *t = &m->t[ti];
    if (t->kind != TK_MATRIX) return 0;
    lm_type type = mq_recipe_type("e2b", t->name, m->c.n_layer_kv, m->c.n_layer);
    if (type == LM_TYPE_Q2_C && t->cols % LM_QK2_C) type = LM_TYPE_Q4_C;   // the PTQ tool's fallbacks
    if (type == LM_TYPE_Q4_C && t->cols % LM_QK4_C) type = LM_TYPE_I8;
    return type;
}

// ---- weights ----

typedef struct { const tr_model *m; const tr_quant *q; const float *w; float *weff; int ti; } wq_job;

static void channel_row(const float *x, float *y, int n, lm_type type) {
    float s = mq_best_scale(x, n, type), lo = type == LM_TYPE_Q2_C ? -2.0f : type == LM_TYPE_Q4_C ? -8.0f : -128.0f;
    float hi = -lo - 1.0f;
    for (int i = 0; i < n; i++) {
        float v = s != 0.0f ? x[i] / s : 0.0f;   // as tools/quantize.c fill_channel and the q*_c quantizers
        v = v < lo ? lo : v > hi ? hi : v;
        y[i] = (float)lm_nearest_int(v) * s;
    }
}

static void fq_rows(void *ctx, int64_t lo, int64_t hi) {
    const wq_job *j = ctx;
    const tr_tensor *t = &j->m->t[j->ti];
    block_q4_0 blk[256];
    lm_type type = j->q->mode == TR_QAT_MOBILE ? (lm_type)tr_mobile_type(j->m, j->ti) : LM_TYPE_Q4_0;
    for (int64_t r = lo; r < hi; r++) {
        const float *x = j->w + t->off + r * t->cols;
        float *y = j->weff + t->off + r * t->cols;
        if (type != LM_TYPE_Q4_0) { channel_row(x, y, t->cols, type); continue; }
        quantize_q4_0_ref(x, blk, t->cols);
        dequant_q4_0_ref(blk, y, t->cols);
    }
}

void tr_fake_quant_weights(lm_pool *p, const tr_model *m, const tr_quant *q, const float *w, float *weff) {
    memcpy(weff, w, (size_t)m->n_params * sizeof *w);
    if (q->mode == TR_QAT_NONE) return;
    for (int ti = 0; ti < m->n_t; ti++) {
        if (m->t[ti].kind != TK_MATRIX || m->t[ti].cols > 256 * LM_QK) continue;
        wq_job j = { m, q, w, weff, ti };
        tr_par(p, m->t[ti].rows, fq_rows, &j);
    }
}

// ---- activations ----

typedef struct { float *x; const float *xq; float s; } aq_job;

static inline float fq8(float x, float s) {
    float v = x / s;
    v = v < -128.0f ? -128.0f : v > 127.0f ? 127.0f : v;
    return (float)lm_nearest_int(v) * s;
}

static void fq_act_rows(void *ctx, int64_t lo, int64_t hi) {
    const aq_job *j = ctx;
    for (int64_t i = lo; i < hi; i++) j->x[i] = fq8(j->x[i], j->s);
}

// k-th smallest of a[0..n) (partially reorders a): quickselect with a median-of-three pivot.
static float select_kth(float *a, int64_t n, int64_t k) {
    int64_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        float x = a[lo], y = a[mid], z = a[hi];
        float pivot = x < y ? (y < z ? y : x < z ? z : x) : (x < z ? x : y < z ? z : y);
        int64_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) { float t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else return a[k];
    }
    return a[k];
}

void tr_fq_act(lm_pool *p, tr_quant *q, float *s, float *x, int64_t n) {
    if (q->mode != TR_QAT_MOBILE || n <= 0) return;
    if (q->calibrating) {
        float *a = malloc((size_t)n * sizeof *a);
        if (!a) abort();
        for (int64_t i = 0; i < n; i++) a[i] = fabsf(x[i]);
        float v = select_kth(a, n, (int64_t)((double)q->pct / 100.0 * (double)(n - 1))) / 127.0f;
        free(a);
        *s = (*s * (float)q->n_calib + v) / (float)(q->n_calib + 1);   // mean over calibration batches
        return;
    }
    if (!(*s > 0.0f)) return;
    aq_job j = { x, NULL, *s };
    tr_par(p, n, fq_act_rows, &j);
}

static void fq_back_rows(void *ctx, int64_t lo, int64_t hi) {
    const aq_job *j = ctx;
    for (int64_t i = lo; i < hi; i++) {
        float c = j->xq[i] / j->s;
        if (c <= -127.5f || c >= 126.5f) j->x[i] = 0.0f;
    }
}

void tr_fq_act_back(lm_pool *p, float s, float *dx, const float *xq, int64_t n) {
    if (!(s > 0.0f)) return;
    aq_job j = { dx, xq, s };
    tr_par(p, n, fq_back_rows, &j);
}
