// blocks.c — transformer blocks shared by the architectures, over n token rows at a time.
// Numerics follow ggml's CPU backend: activations quantized to the weight's vec_dot_type
// (attention and its KV cache: attention.c).
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

// Split at multiples of 4 rows (the gemm kernels' tile) where there are enough rows.
static void row_range(const mm_job *j, int ith, int nth, int64_t *r0, int64_t *r1) {
    int64_t rows = j->w->rows, unit = rows >= 4 * nth ? 4 : 1, units = (rows + unit - 1) / unit;
    *r0 = units * ith / nth * unit;
    *r1 = ith + 1 == nth ? rows : units * (ith + 1) / nth * unit;
}

static inline float requant(float v, float s);

// Rows [r0, r1) against all tokens: the type's gemm, or one vec_dot per row and token.
static void rows_block(void *arg, int ith, int nth) {
    const mm_job *j = arg;
    const lm_tensor *w = j->w;
    int64_t r0, r1;
    row_range(j, ith, nth, &r0, &r1);
    const uint8_t *wr = (const uint8_t *)w->data + r0 * w->row_bytes;
    lm_gemm_fn gemm = j->c->k->gemm[w->type];
    if (gemm) { gemm(w->cols, wr, w->row_bytes, r1 - r0, j->c->qact, j->qrow, j->n_tok, j->y + r0, w->rows); return; }
    lm_gemm_loop(j->c->k->vec_dot[w->type], w->cols, wr, w->row_bytes, r1 - r0, j->c->qact, j->qrow, j->n_tok, j->y + r0, w->rows);
}

// Rows [r0, r1) against all tokens in tiles of LM_PC_TILE rows x LM_PC_TILE tokens (gemm_pc: exact
// int32 dots), each followed by the float epilogue.
static void rows_channel(void *arg, int ith, int nth) {
    const mm_job *j = arg;
    const lm_tensor *w = j->w;
    lm_gemm_pc_fn gemm = j->c->k->gemm_pc[w->type];
    int64_t r0, r1, K = w->cols;
    row_range(j, ith, nth, &r0, &r1);
    for (int64_t r = r0; r < r1; r += LM_PC_TILE) {
        int nr = r1 - r < LM_PC_TILE ? (int)(r1 - r) : LM_PC_TILE;
        for (int32_t t = 0; t < j->n_tok; t += LM_PC_TILE) {
            int nt = j->n_tok - t < LM_PC_TILE ? j->n_tok - t : LM_PC_TILE;
            int32_t dot[LM_PC_TILE * LM_PC_TILE];
            gemm(K, (const uint8_t *)w->data + r * w->row_bytes, w->row_bytes, nr, j->q + t * K, nt, dot);
            for (int tt = 0; tt < nt; tt++)
                for (int rr = 0; rr < nr; rr++) {
                    float v = (float)(dot[tt * nr + rr] - j->off[t + tt]) * (w->scale[r + rr] * j->sx[t + tt]);
                    j->y[(t + tt) * w->rows + r + rr] = j->s_out > 0.0f ? requant(v, j->s_out) : v;
                }
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

// Block-scaled and float weights: activations quantized to the weight's vec_dot_type (ggml's CPU
// path), in the layout of the type's gemm where it has one; rows LM_ACT_PREP_BYTES(cols) apart.
static void matmul_block(lm_ctx *c, const lm_tensor *w, const float *x, int32_t n_tok, float *y) {
    lm_type at = lm_type_traits_of(w->type)->vec_dot_type;
    lm_from_float_fn prep = c->k->gemm[w->type] ? c->k->act_prep[w->type] : c->k->quantize[at];
    int64_t qrow = LM_ACT_PREP_BYTES(w->cols);
    for (int32_t t = 0; t < n_tok; t++)
        prep(x + t * w->cols, (uint8_t *)c->qact + t * qrow, w->cols);
    mm_job job = { c, w, n_tok, y, qrow, NULL, NULL, NULL, 0.0f };
    lm_pool_run(c->pool, rows_block, &job);
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
