// q4_0: blocks of 32 4-bit weights, one fp16 scale, offset 8 (layout in tensor.h); dotted with q8_0.
#include "kernels.h"
#include "../f16.h"
#include <math.h>

void dequant_q4_0_ref(const void *src, float *dst, int64_t n) {
    const block_q4_0 *b = src;
    for (int64_t i = 0; i < n / LM_QK; i++) {
        float d = lm_f16_to_f32(b[i].d);
        for (int j = 0; j < LM_QK / 2; j++) {
            dst[i * LM_QK + j]          = d * ((b[i].qs[j] & 15) - 8);
            dst[i * LM_QK + j + LM_QK/2] = d * ((b[i].qs[j] >> 4) - 8);
        }
    }
}

// As ggml's reference quantizer: the signed value of largest magnitude maps to -8.
void quantize_q4_0_ref(const float *src, void *dst, int64_t n) {
    block_q4_0 *b = dst;
    for (int64_t i = 0; i < n / LM_QK; i++) {
        const float *x = src + i * LM_QK;
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < LM_QK; j++)
            if (fabsf(x[j]) > amax) { amax = fabsf(x[j]); max = x[j]; }
        float d = max / -8.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = lm_f32_to_f16(d);
        for (int j = 0; j < LM_QK / 2; j++) {
            int q0 = (int)(x[j] * id + 8.5f), q1 = (int)(x[j + LM_QK/2] * id + 8.5f);
            q0 = q0 > 15 ? 15 : q0;  q1 = q1 > 15 ? 15 : q1;
            b[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

float vec_dot_q4_0_q8_0_ref(int64_t n, const void *w, const void *a) {
    const block_q4_0 *x = w;
    const block_q8_0 *y = a;
    lm_qsum q = lm_qsum_init(n / LM_QK);   // canonical lane order (kernels.h)
    for (int64_t i = 0; i < n / LM_QK; i++) {
        int32_t isum = 0;
        for (int j = 0; j < LM_QK / 2; j++) {
            isum += ((x[i].qs[j] & 15) - 8) * y[i].qs[j];
            isum += ((x[i].qs[j] >> 4) - 8) * y[i].qs[j + LM_QK/2];
        }
        lm_qsum_add(&q, i, (float)isum * (lm_f16_to_f32(x[i].d) * lm_f16_to_f32(y[i].d)));
    }
    return lm_qsum_result(&q);
}

void gemm_q4_0_ref(int64_t n, const void *w, int64_t wb, int64_t nr, const void *a, int64_t ab, int32_t nt, float *y, int64_t ys) {
    lm_gemm_loop(vec_dot_q4_0_q8_0_ref, n, w, wb, nr, a, ab, nt, y, ys);
}

#if defined(__wasm_simd128__)
#include "simd128.h"

#if defined(__wasm_relaxed_simd__)
// Relaxed build. i32x4.relaxed_dot_i8x16_i7x16_add is exact and deterministic only when every
// element of its second operand is in [0, 127] (x86 reads it as unsigned), so the dot takes the
// unsigned nibbles and subtracts 8 * sum(y), the sum being a dot with ones: 4 instructions per
// block for 32 products.
static inline v128_t q4_0_block_dot(const block_q4_0 *x, const block_q8_0 *y) {
    const v128_t m4 = wasm_i8x16_splat(15), one = wasm_i8x16_splat(1), zero = wasm_i32x4_splat(0);
    v128_t q = wasm_v128_load(x->qs), y0 = wasm_v128_load(y->qs), y1 = wasm_v128_load(y->qs + 16);
    v128_t s = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(y0, wasm_v128_and(q, m4), zero);
    s = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(y1, wasm_u8x16_shr(q, 4), s);
    v128_t sum = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(y1, one, wasm_i32x4_relaxed_dot_i8x16_i7x16_add(y0, one, zero));
    return wasm_i32x4_sub(s, wasm_i32x4_shl(sum, 3));
}
#else
// Exact int32 dot of one q4_0 block with one q8_0 block as 4 partial sums. load8x8_u puts
// qs bytes 0-7 (8-15) in u16 lanes: &15 gives elements 0-7 (8-15), >>4 gives 16-23 (24-31).
static inline v128_t q4_0_block_dot(const block_q4_0 *x, const block_q8_0 *y) {
    const v128_t m4 = wasm_i16x8_splat(15), off = wasm_i16x8_splat(8);
    v128_t q0 = wasm_u16x8_load8x8(x->qs), q1 = wasm_u16x8_load8x8(x->qs + 8);
    v128_t s = wasm_i32x4_dot_i16x8(wasm_i16x8_sub(wasm_v128_and(q0, m4), off), wasm_i16x8_load8x8(y->qs));
    s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wasm_i16x8_sub(wasm_v128_and(q1, m4), off), wasm_i16x8_load8x8(y->qs + 8)));
    s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wasm_i16x8_sub(wasm_u16x8_shr(q0, 4), off), wasm_i16x8_load8x8(y->qs + 16)));
    return wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wasm_i16x8_sub(wasm_u16x8_shr(q1, 4), off), wasm_i16x8_load8x8(y->qs + 24)));
}
#endif

// Blocks 0..3 -> lane k = (float)isum_k * (d_x,k * d_y,k), the same per-block term as _ref.
static inline v128_t q4_0_group4(const block_q4_0 *x, const block_q8_0 *y) {
    v128_t s = lm_hsum4_i32x4(q4_0_block_dot(x, y), q4_0_block_dot(x + 1, y + 1),
                              q4_0_block_dot(x + 2, y + 2), q4_0_block_dot(x + 3, y + 3));
    v128_t d = wasm_f32x4_mul(lm_f16lo_to_f32x4(lm_load32x4_strided(x, sizeof *x)),     // d is each block's
                              lm_f16lo_to_f32x4(lm_load32x4_strided(y, sizeof *y)));    // first field
    return wasm_f32x4_mul(wasm_f32x4_convert_i32x4(s), d);
}

// Per-block terms and their summation order equal _ref's (kernels.h lm_qsum): bit-identical.
float vec_dot_q4_0_q8_0_simd128(int64_t n, const void *w, const void *a) {
    const block_q4_0 *x = w;
    const block_q8_0 *y = a;
    int64_t nb = n / LM_QK, i = 0;
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (; i + 4 <= nb; i += 4) acc = wasm_f32x4_add(acc, q4_0_group4(x + i, y + i));
    float tail = 0.0f;
    for (; i < nb; i++)
        tail += (float)lm_hsum_i32x4(q4_0_block_dot(x + i, y + i)) * (lm_f16_to_f32(x[i].d) * lm_f16_to_f32(y[i].d));
    return lm_hsum_f32x4(acc) + tail;
}

// ---- gemm: 4 rows per pass (one per lane), each lane's terms and sums in _ref's order ----
// A block's integer dot runs on the unsigned codes u (0..15) against the prepared activations
// (simd128.h lm_q8p); sum (u - 8) y = sum u y - 8 sum y, the second term prepared per block.

#if defined(__wasm_relaxed_simd__)
#define Q4_CODE_BYTES 1
typedef struct { v128_t v[2]; } q4_vec;          // 32 elements: codes u8 0..15, activations i8
static inline q4_vec q4_w_load(const block_q4_0 *b) {
    v128_t q = wasm_v128_load(b->qs);
    return (q4_vec){ { wasm_v128_and(q, wasm_i8x16_splat(15)), wasm_u8x16_shr(q, 4) } };
}
static inline q4_vec q4_a_load(const lm_q8p *y, int64_t i) {
    const int8_t *p = (const int8_t *)y->q + 32 * i;
    return (q4_vec){ { wasm_v128_load(p), wasm_v128_load(p + 16) } };
}
// exact: the codes are the i7 operand, inside its deterministic range [0, 127]
static inline v128_t q4_dot(q4_vec w, q4_vec a) {
    v128_t s = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(a.v[0], w.v[0], wasm_i32x4_splat(0));
    return wasm_i32x4_relaxed_dot_i8x16_i7x16_add(a.v[1], w.v[1], s);
}
#else
#define Q4_CODE_BYTES 2
typedef struct { v128_t v[4]; } q4_vec;          // 32 elements as i16x8: codes 0..15, activations
static inline q4_vec q4_w_load(const block_q4_0 *b) {
    const v128_t m4 = wasm_i16x8_splat(15);
    v128_t q0 = wasm_u16x8_load8x8(b->qs), q1 = wasm_u16x8_load8x8(b->qs + 8);
    return (q4_vec){ { wasm_v128_and(q0, m4), wasm_v128_and(q1, m4), wasm_u16x8_shr(q0, 4), wasm_u16x8_shr(q1, 4) } };
}
static inline q4_vec q4_a_load(const lm_q8p *y, int64_t i) {
    const int16_t *p = (const int16_t *)y->q + 32 * i;
    return (q4_vec){ { wasm_v128_load(p), wasm_v128_load(p + 8), wasm_v128_load(p + 16), wasm_v128_load(p + 24) } };
}
static inline v128_t q4_dot(q4_vec w, q4_vec a) {
    v128_t s = wasm_i32x4_add(wasm_i32x4_dot_i16x8(w.v[0], a.v[0]), wasm_i32x4_dot_i16x8(w.v[1], a.v[1]));
    return wasm_i32x4_add(s, wasm_i32x4_add(wasm_i32x4_dot_i16x8(w.v[2], a.v[2]), wasm_i32x4_dot_i16x8(w.v[3], a.v[3])));
}
#endif

void act_prep_q4_0_simd128(const float *src, void *dst, int64_t n) { lm_q8p_prep(src, dst, n, Q4_CODE_BYTES); }

// Lanes = 4 rows against one token (simd128.h lm_gemm_rows4); seen: the scales' largest |bits|.
typedef struct { const block_q4_0 *x[4]; lm_q8p y; v128_t *seen; } q4_lanes;

// Block i of 4 rows, one token: lane k = (float)isum_k * (d_x,k * d_y), as _ref's term. The
// fast conversion of the rows' scales is exact unless one is inf/NaN (then exact = 1 is rerun).
static inline __attribute__((always_inline)) v128_t q4_0_term(const q4_lanes *l, int64_t i, int exact) {
    const block_q4_0 *const *x = l->x;
    const lm_q8p *y = &l->y;
    q4_vec a = q4_a_load(y, i);
    v128_t s = lm_hsum4_i32x4(q4_dot(q4_w_load(x[0] + i), a), q4_dot(q4_w_load(x[1] + i), a),
                              q4_dot(q4_w_load(x[2] + i), a), q4_dot(q4_w_load(x[3] + i), a));
    s = wasm_i32x4_sub(s, wasm_i32x4_splat(y->s8[i]));
    v128_t h = lm_load32x4_ptrs(x[0] + i, x[1] + i, x[2] + i, x[3] + i);
    v128_t d = exact ? lm_f16lo_to_f32x4(h) : lm_f16lo_finite_to_f32x4(h, l->seen);
    return wasm_f32x4_mul(wasm_f32x4_convert_i32x4(s), wasm_f32x4_mul(d, wasm_f32x4_splat(y->d[i])));
}
static inline v128_t q4_0_term_fast(const void *ctx, int64_t i) { return q4_0_term(ctx, i, 0); }
static inline v128_t q4_0_term_exact(const void *ctx, int64_t i) { return q4_0_term(ctx, i, 1); }

static v128_t q4_0_rows4(int64_t n, const uint8_t *const w[4], const uint8_t *a) {
    v128_t seen = wasm_i32x4_splat(0);
    q4_lanes l = { { (const void *)w[0], (const void *)w[1], (const void *)w[2], (const void *)w[3] }, lm_q8p_view(a, n, Q4_CODE_BYTES), &seen };
    v128_t r = lm_qsum_lanes4(n / LM_QK, q4_0_term_fast, &l);
    return lm_f16_seen_special(seen) ? lm_qsum_lanes4(n / LM_QK, q4_0_term_exact, &l) : r;
}

// Each lane follows _ref's terms and lm_qsum order: bit-identical to _ref per row and token.
void gemm_q4_0_simd128(int64_t n, const void *w, int64_t wb, int64_t nr, const void *a, int64_t ab, int32_t nt, float *y, int64_t ys) {
    lm_gemm_rows4(q4_0_rows4, n, w, wb, nr, a, ab, nt, y, ys);
}
#endif
