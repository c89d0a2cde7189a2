// blocks.c — transformer blocks shared by the architectures, over n token rows at a time.
// Numerics follow ggml's CPU backend: activations quantized to the weight's vec_dot_type,
// F16 KV cache, Q and softmax weights rounded to f16 for the attention products.
#include "arch.h"
#include "../f16.h"
#include "../threads.h"
#include <math.h>
#include <string.h>

void blk_add(float *y, const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] += x[i];
}

void blk_embed(lm_ctx *c, const lm_token *tokens, int32_t n, float scale) {
    const lm_model *m = c->m;
    for (int32_t t = 0; t < n; t++) {
        float *x = c->x + (int64_t)t * m->n_embd;
        lm_tensor_row(&m->tok_embd, tokens[t], x);
        for (int i = 0; i < m->n_embd; i++) x[i] *= scale;
    }
}

void blk_norm(lm_ctx *c, float *y, const float *x, const lm_tensor *w, int32_t rows, int32_t n) {
    for (int32_t r = 0; r < rows; r++)
        c->k->rmsnorm(y + (int64_t)r * n, x + (int64_t)r * n, w ? (const float *)w->data : NULL, n, c->m->eps);
}

static void matmul_block(lm_ctx *c, const lm_tensor *w, const float *x, int32_t n_tok, float *y);

// ---- matmul row jobs: thread ith of nth computes rows [rows*ith/nth, rows*(ith+1)/nth) ----

typedef struct {
    const lm_ctx *c;
    const lm_tensor *w;
    int32_t n_tok;
    float *y;                  // [n_tok][rows]
    int64_t qrow;              // block path: bytes per quantized activation row in c->qact
    const int16_t *q;          // channel path: int8 codes in int16 lanes, [n_tok][cols]
    const int32_t *off;        // channel path: code_offset x sum of codes, [n_tok]
    const float *sx;           // channel path: activation scales, [n_tok]
    float s_out;               // channel path: static output scale (0 = none)
} mm_job;

static void row_range(const mm_job *j, int ith, int nth, int64_t *r0, int64_t *r1) {
    *r0 = j->w->rows * ith / nth;
    *r1 = j->w->rows * (ith + 1) / nth;
}

static inline float requant(float v, float s);

static void rows_block(void *arg, int ith, int nth) {
    const mm_job *j = arg;
    const lm_tensor *w = j->w;
    lm_vec_dot_fn dot = j->c->k->vec_dot[w->type];
    int64_t r0, r1;
    row_range(j, ith, nth, &r0, &r1);
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *wr = (const uint8_t *)w->data + r * w->row_bytes;
        for (int32_t t = 0; t < j->n_tok; t++)
            j->y[t * w->rows + r] = dot(w->cols, wr, (const uint8_t *)j->c->qact + t * j->qrow);
    }
}

static void rows_channel(void *arg, int ith, int nth) {
    const mm_job *j = arg;
    const lm_tensor *w = j->w;
    lm_dot_pc_fn dot = j->c->k->dot_pc[w->type];
    int64_t r0, r1, K = w->cols;
    row_range(j, ith, nth, &r0, &r1);
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *wr = (const uint8_t *)w->data + r * w->row_bytes;
        for (int32_t t = 0; t < j->n_tok; t++) {
            float v = (float)(dot(K, wr, j->q + t * K) - j->off[t]) * (w->scale[r] * j->sx[t]);
            j->y[t * w->rows + r] = j->s_out > 0.0f ? requant(v, j->s_out) : v;
        }
    }
}

// v -> clamp(round_half_even(v / s), -128, 127) * s: the wNa8o8 output fake-quant.
static inline float requant(float v, float s) {
    float r = v / s;
    r = r < -128.0f ? -128.0f : r;
    r = 127.0f < r ? 127.0f : r;
    return (float)lm_nearest_int(r) * s;
}

// Per-channel weights (GGUF-M, docs/FORMAT.md): each token row becomes int8 codes (in int16
// lanes) with one scale: the static input_scale, or a dynamic one when it is absent or static
// activations are off. Each weight row is one exact int32 dot over the stored codes, minus
// code_offset x (sum of the activation codes), times s_w[r] * s_x; a static output_scale then
// requantizes the result. qact holds [n_tok] scales, [n_tok] offset terms, then the codes.
static void matmul_channel(lm_ctx *c, const lm_tensor *w, const float *x, int32_t n_tok, float *y) {
    int64_t K = w->cols, pad = (n_tok + 3) & ~3;
    float *sx = c->qact, s_in = c->static_act ? w->in_scale : 0.0f;
    int32_t *off = (int32_t *)(sx + pad), code_offset = lm_type_traits_of(w->type)->code_offset;
    int16_t *q = (int16_t *)(off + pad);
    for (int32_t t = 0; t < n_tok; t++) {
        sx[t] = c->k->act16(x + t * K, q + t * K, K, s_in);
        int32_t sum = 0;
        for (int64_t i = 0; i < K; i++) sum += q[t * K + i];
        off[t] = code_offset * sum;
    }
    mm_job job = { c, w, n_tok, y, 0, q, off, sx, c->static_act ? w->out_scale : 0.0f };
    lm_pool_run(c->pool, rows_channel, &job);
}

// y[t][r] = W[r] . x[t] for t < n_tok; x rows have W->cols floats, y rows W->rows.
void blk_matmul(lm_ctx *c, const lm_tensor *w, const float *x, int32_t n_tok, float *y) {
    if (w->scale) matmul_channel(c, w, x, n_tok, y);
    else matmul_block(c, w, x, n_tok, y);
    if (c->observe) c->observe(c->observe_ud, w, x, y, n_tok);
}

// Block-scaled and float weights: activations quantized to the weight's vec_dot_type (ggml's CPU path).
static void matmul_block(lm_ctx *c, const lm_tensor *w, const float *x, int32_t n_tok, float *y) {
    lm_type at = lm_type_traits_of(w->type)->vec_dot_type;
    int64_t qrow = lm_row_bytes(at, w->cols);
    for (int32_t t = 0; t < n_tok; t++)
        c->k->quantize[at](x + t * w->cols, (uint8_t *)c->qact + t * qrow, w->cols);
    mm_job job = { c, w, n_tok, y, qrow, NULL, NULL, NULL, 0.0f };
    lm_pool_run(c->pool, rows_block, &job);
}

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

static void kv_store(lm_kv_layer *kv, int32_t pos, const float *k, const float *v, int n) {
    uint16_t *kd = kv->k + (int64_t)(pos % kv->n_cells) * n, *vd = kv->v + (int64_t)(pos % kv->n_cells) * n;
    for (int i = 0; i < n; i++) { kd[i] = lm_f32_to_f16(k[i]); vd[i] = lm_f32_to_f16(v[i]); }
}

// One query head over visible positions [j0, p] of the cache: out[D].
static void attend_head(lm_ctx *c, const lm_layer *L, const lm_kv_layer *kv, const float *q, int g,
                        int32_t j0, int32_t p, float *out) {
    int D = L->head_dim, kvd = L->n_head_kv * D;
    float q16[4096];
    for (int d = 0; d < D; d++) q16[d] = lm_round_f16(q[d]);
    float *s = c->scores;
    for (int32_t j = j0; j <= p; j++) {
        const uint16_t *kr = kv->k + (int64_t)(j % kv->n_cells) * kvd + g * D;
        double dot = 0.0;
        for (int d = 0; d < D; d++) dot += (double)q16[d] * lm_f16_to_f32(kr[d]);
        s[j - j0] = (float)dot * L->kq_scale;
    }
    c->k->softmax(s, p - j0 + 1);
    memset(out, 0, (size_t)D * sizeof *out);
    for (int32_t j = j0; j <= p; j++) {
        const uint16_t *vr = kv->v + (int64_t)(j % kv->n_cells) * kvd + g * D;
        float w = lm_round_f16(s[j - j0]);
        for (int d = 0; d < D; d++) out[d] += w * lm_f16_to_f32(vr[d]);
    }
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
        kv_store(&c->kv[il], pos0 + t, c->kc + (int64_t)t * kvd, c->vc + (int64_t)t * kvd, kvd);
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

// Gated feed-forward: c->xn -> c->tmp.
void blk_ffn(lm_ctx *c, const lm_layer *L, int32_t n) {
    blk_matmul(c, &L->ffn_gate, c->xn, n, c->ff_a);
    blk_matmul(c, &L->ffn_up, c->xn, n, c->ff_b);
    int64_t len = (int64_t)n * L->n_ff;
    if (c->m->act == LM_ACT_GELU) c->k->geglu(c->ff_a, c->ff_a, c->ff_b, (int)len);
    else c->k->swiglu(c->ff_a, c->ff_a, c->ff_b, (int)len);
    blk_matmul(c, &L->ffn_down, c->ff_a, n, c->tmp);
}
