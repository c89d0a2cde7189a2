// optim.c — AdamW with global-norm gradient clipping and a warmup + cosine learning rate.
// The gradient norm is summed in fixed chunks combined in order (thread-count independent).
#include "train.h"
#include <math.h>
#include <stdlib.h>

tr_optim tr_optim_default(void) {
    return (tr_optim){ .steps = 1000, .warmup = 100, .lr = 2e-3f, .lr_min = 2e-4f, .beta1 = 0.9f, .beta2 = 0.95f,
                       .adam_eps = 1e-8f, .weight_decay = 0.1f, .clip = 1.0f };
}

float tr_lr_at(const tr_optim *o, int step) {
    if (step < o->warmup) return o->lr * (float)(step + 1) / (float)o->warmup;
    if (o->steps <= o->warmup) return o->lr;
    double x = (double)(step - o->warmup) / (double)(o->steps - o->warmup);
    if (x > 1.0) x = 1.0;
    return o->lr_min + (o->lr - o->lr_min) * (float)(0.5 * (1.0 + cos(3.141592653589793 * x)));
}

enum { CHUNK = 1 << 16 };

typedef struct { const float *g; double *part; int64_t n; } norm_job;

static void sq_chunks(void *ctx, int64_t lo, int64_t hi) {
    const norm_job *j = ctx;
    for (int64_t c = lo; c < hi; c++) {
        double s = 0.0;
        int64_t end = (c + 1) * CHUNK < j->n ? (c + 1) * CHUNK : j->n;
        for (int64_t i = c * CHUNK; i < end; i++) s += (double)j->g[i] * j->g[i];
        j->part[c] = s;
    }
}

typedef struct {
    float *w, *g, *m, *v;
    float lr, b1, b2, eps, wd, bc1, bc2, gscale;
} adam_job;

static void adam_range(void *ctx, int64_t lo, int64_t hi) {
    const adam_job *j = ctx;
    for (int64_t i = lo; i < hi; i++) {
        float g = j->g[i] * j->gscale;
        j->m[i] = j->b1 * j->m[i] + (1.0f - j->b1) * g;
        j->v[i] = j->b2 * j->v[i] + (1.0f - j->b2) * g * g;
        float mh = j->m[i] / j->bc1, vh = j->v[i] / j->bc2;
        j->w[i] -= j->lr * (mh / (sqrtf(vh) + j->eps) + j->wd * j->w[i]);
    }
}

double tr_adamw(lm_pool *p, const tr_model *m, const tr_optim *o, int step, float *w, float *grad, float *mom, float *vel) {
    int64_t n = m->n_params, chunks = (n + CHUNK - 1) / CHUNK;
    norm_job nj = { grad, calloc((size_t)chunks, sizeof(double)), n };
    if (!nj.part) abort();
    tr_par(p, chunks, sq_chunks, &nj);
    double ss = 0.0;
    for (int64_t c = 0; c < chunks; c++) ss += nj.part[c];
    free(nj.part);
    double norm = sqrt(ss);
    float gscale = o->clip > 0.0f && norm > o->clip ? (float)(o->clip / norm) : 1.0f;
    float lr = tr_lr_at(o, step);
    float bc1 = 1.0f - powf(o->beta1, (float)(step + 1)), bc2 = 1.0f - powf(o->beta2, (float)(step + 1));
    for (int ti = 0; ti < m->n_t; ti++) {
        const tr_tensor *t = &m->t[ti];
        adam_job j = { w + t->off, grad + t->off, mom + t->off, vel + t->off, lr, o->beta1, o->beta2, o->adam_eps,
                       t->kind == TK_MATRIX ? o->weight_decay : 0.0f, bc1, bc2, gscale };
        tr_par(p, (int64_t)t->rows * t->cols, adam_range, &j);
    }
    return norm;
}
