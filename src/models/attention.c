// attention.c — self-attention over the KV cache: Q/K/V projections, per-head norms and RoPE,
// the cache store (f16, or int8 codes with one scale per token and KV head) and the attention
// of each query head over its visible positions. Numerics of the f16 cache follow ggml's CPU
// backend: Q and the softmax weights rounded to f16 for the two products.
#include "arch.h"
#include "../f16.h"
#include <math.h>
#include <string.h>

// ---- rotary position embedding ----

// cs[2i], cs[2i+1] = cos, sin of the angle of pair i, computed as ggml does (repeated products).
// pow/cos/sin run in double and are rounded: float libm results may differ by an ulp between
// glibc (native) and musl (wasm), and the two builds must give the same bits.
static void rope_angles(const lm_layer *L, int32_t pos, float *cs) {
    float theta_scale = (float)pow((double)L->rope_base, (double)(-2.0f / (float)L->n_rot)), theta = (float)pos;
    const float *ff = L->rope_freqs.data;
    for (int i = 0; i < L->n_rot / 2; i++) {
        float th = L->rope_scale * (ff ? theta / ff[i] : theta);
        cs[2*i] = (float)cos((double)th);
        cs[2*i + 1] = (float)sin((double)th);
        theta *= theta_scale;
    }
}

static void rope_apply(float *x, const float *cs, int n_rot, lm_rope_type type) {
    for (int i = 0; i < n_rot / 2; i++) {
        int a = type == LM_ROPE_NEOX ? i : 2*i, b = type == LM_ROPE_NEOX ? i + n_rot / 2 : 2*i + 1;
        float x0 = x[a], x1 = x[b], co = cs[2*i], si = cs[2*i + 1];
        x[a] = x0 * co - x1 * si;
        x[b] = x0 * si + x1 * co;
    }
}

// ---- attention ----

// Norms (weights optional) and RoPE per head, in place over n_heads heads of D.
static void heads_prepare(lm_ctx *c, const lm_layer *L, float *v, int n_heads, const lm_tensor *norm,
                          bool unit_norm, const float *cs) {
    int D = L->head_dim;
    for (int h = 0; h < n_heads; h++) {
        float *x = v + h * D;
        if (norm->data || unit_norm) c->k->rmsnorm(x, x, norm->data, D, c->m->eps);
        if (cs) rope_apply(x, cs, L->n_rot, c->m->rope_type);
    }
}

// ---- KV cache formats (lm.h lm_kv_type): one cell holds K and V of one token ----

// f16 (ggml's default): the query is converted to f16 for the K products (ggml converts it to K's
// vec_dot_type), which are the f16 vec_dot (kernels.h's canonical float order, SIMD in wasm), and
// the softmax weights are rounded to f16 for the V products (axpy_f16).
static void f16_store(lm_kv_layer *kv, int64_t cell, const float *k, const float *v, int n_head_kv, int D) {
    int64_t n = (int64_t)n_head_kv * D;
    uint16_t *kd = (uint16_t *)kv->k + cell * n, *vd = (uint16_t *)kv->v + cell * n;
    for (int64_t i = 0; i < n; i++) { kd[i] = lm_f32_to_f16(k[i]); vd[i] = lm_f32_to_f16(v[i]); }
}

static void f16_query(const float *q, float *qk, int D) {   // qk holds D f16 values
    uint16_t *h = (uint16_t *)qk;
    for (int d = 0; d < D; d++) h[d] = lm_f32_to_f16(q[d]);
}

static float f16_score(const lm_kernels *k, const lm_kv_layer *kv, int64_t cell, int g, const float *qk, int D, int kvd) {
    return k->vec_dot[LM_TYPE_F16](D, (const uint16_t *)kv->k + cell * kvd + g * D, qk);
}

static void f16_gather(const lm_kernels *k, const lm_kv_layer *kv, int64_t cell, int g, float w, float *out, int D, int kvd) {
    k->axpy_f16(out, lm_round_f16(w), (const uint16_t *)kv->v + cell * kvd + g * D, D);
}

// q8: per (token, KV head) one f32 scale s = max|x| / 127 and int8 codes
// q = clamp(round_half_even(x / s), -127, 127), so x ~ q * s. Symmetric: -128 never occurs (x / s
// stays within +-127 up to a rounding of the division; the clamp makes that explicit). An all-zero
// head gets s = 0 and codes 0. The query stays f32: the K dot is the f32 vec_dot of q with the
// codes as floats (kernels.h's canonical lane order: SIMD in wasm, bit-identical to its _ref),
// times the cell's scale; V rows add (w * s) * code.
float blk_kv_q8_head(const float *x, int8_t *q, int D) {
    float amax = 0.0f;
    for (int d = 0; d < D; d++) amax = fmaxf(amax, fabsf(x[d]));
    float s = amax / 127.0f;
    for (int d = 0; d < D; d++) {
        float r = s > 0.0f ? x[d] / s : 0.0f;
        r = r < -127.0f ? -127.0f : r;
        r = 127.0f < r ? 127.0f : r;
        q[d] = (int8_t)lm_nearest_int(r);
    }
    return s;
}

static void q8_store(lm_kv_layer *kv, int64_t cell, const float *k, const float *v, int n_head_kv, int D) {
    int64_t n = (int64_t)n_head_kv * D;
    int8_t *kd = (int8_t *)kv->k + cell * n, *vd = (int8_t *)kv->v + cell * n;
    for (int h = 0; h < n_head_kv; h++) {
        kv->ks[cell * n_head_kv + h] = blk_kv_q8_head(k + h * D, kd + h * D, D);
        kv->vs[cell * n_head_kv + h] = blk_kv_q8_head(v + h * D, vd + h * D, D);
    }
}

static void q8_query(const float *q, float *qk, int D) { memcpy(qk, q, (size_t)D * sizeof *qk); }

static float q8_score(const lm_kernels *k, const lm_kv_layer *kv, int64_t cell, int g, const float *qk, int D, int kvd) {
    const int8_t *kr = (const int8_t *)kv->k + cell * kvd + g * D;
    return k->dot_f32_i8(D, kr, qk) * kv->ks[cell * (kvd / D) + g];
}

static void q8_gather(const lm_kernels *k, const lm_kv_layer *kv, int64_t cell, int g, float w, float *out, int D, int kvd) {
    const int8_t *vr = (const int8_t *)kv->v + cell * kvd + g * D;
    k->axpy_i8(out, w * kv->vs[cell * (kvd / D) + g], vr, D);
}

typedef struct {
    void  (*store)(lm_kv_layer *kv, int64_t cell, const float *k, const float *v, int n_head_kv, int D);
    void  (*query)(const float *q, float *qk, int D);                   // q as the K products see it
    float (*score)(const lm_kernels *k, const lm_kv_layer *kv, int64_t cell, int g, const float *qk, int D, int kvd);   // qk . K
    void  (*gather)(const lm_kernels *k, const lm_kv_layer *kv, int64_t cell, int g, float w, float *out, int D, int kvd);   // out += w V
} kv_format;

static const kv_format KV_FORMATS[LM_KV_COUNT] = {
    [LM_KV_F16] = { f16_store, f16_query, f16_score, f16_gather },
    [LM_KV_Q8]  = { q8_store, q8_query, q8_score, q8_gather },
};

// One query head over visible positions [j0, p] of the cache: out[D].
static void attend_head(lm_ctx *c, const lm_layer *L, const lm_kv_layer *kv, const float *q, int g,
                        int32_t j0, int32_t p, float *out) {
    const kv_format *f = &KV_FORMATS[c->kv_type];
    int D = L->head_dim, kvd = L->n_head_kv * D;
    float qk[4096];
    f->query(q, qk, D);
    float *s = c->scores;
    for (int32_t j = j0; j <= p; j++) s[j - j0] = f->score(c->k, kv, j % kv->n_cells, g, qk, D, kvd) * L->kq_scale;
    c->k->softmax(s, p - j0 + 1);
    memset(out, 0, (size_t)D * sizeof *out);
    for (int32_t j = j0; j <= p; j++) f->gather(c->k, kv, j % kv->n_cells, g, s[j - j0], out, D, kvd);
}

// Self-attention of layer il for n tokens at pos0..: reads c->xn (normed input), writes c->tmp.
void blk_attention(lm_ctx *c, int il, int32_t n, int32_t pos0) {
    const lm_model *m = c->m;
    const lm_layer *L = &m->layers[il];
    int D = L->head_dim, qd = L->n_head * D, kvd = L->n_head_kv * D;
    float cs[4096];
    blk_matmul(c, &L->wq, c->xn, n, c->q);
    bool own = L->kv_src == il;
    if (own) {
        blk_matmul(c, &L->wk, c->xn, n, c->kc);
        if (L->wv.data) blk_matmul(c, &L->wv, c->xn, n, c->vc);
        else memcpy(c->vc, c->kc, (size_t)n * kvd * sizeof(float));   // V = raw K projection
    }
    for (int32_t t = 0; t < n; t++) {
        rope_angles(L, pos0 + t, cs);
        float *q = c->q + (int64_t)t * qd;
        heads_prepare(c, L, q, L->n_head, &L->q_norm, false, cs);
        if (L->q_scale != 1.0f) for (int i = 0; i < qd; i++) q[i] *= L->q_scale;
        if (!own) continue;
        lm_tensor none = {0};
        heads_prepare(c, L, c->kc + (int64_t)t * kvd, L->n_head_kv, &L->k_norm, false, cs);
        heads_prepare(c, L, c->vc + (int64_t)t * kvd, L->n_head_kv, &none, L->v_norm, NULL);
        KV_FORMATS[c->kv_type].store(&c->kv[il], (pos0 + t) % c->kv[il].n_cells, c->kc + (int64_t)t * kvd, c->vc + (int64_t)t * kvd,
                                      L->n_head_kv, D);
    }
    const lm_kv_layer *kv = &c->kv[L->kv_src];
    int group = L->n_head / L->n_head_kv;
    for (int32_t t = 0; t < n; t++) {
        int32_t p = pos0 + t, j0 = L->swa && p - m->n_swa + 1 > 0 ? p - m->n_swa + 1 : 0;
        for (int h = 0; h < L->n_head; h++)
            attend_head(c, L, kv, c->q + (int64_t)t * qd + h * D, h / group, j0, p, c->att + (int64_t)t * qd + h * D);
    }
    blk_matmul(c, &L->wo, c->att, n, c->tmp);
}
