// q8_0: blocks of 32 int8 with one fp16 scale (layout in tensor.h). Also the activation format
// for q4_0/q8_0 dots; quantization follows ggml's x86 path (scale 127/amax, round half to even).
#include "kernels.h"
#include "../f16.h"
#include <math.h>

void dequant_q8_0_ref(const void *src, float *dst, int64_t n) {
    const block_q8_0 *b = src;
    for (int64_t i = 0; i < n / LM_QK; i++) {
        float d = lm_f16_to_f32(b[i].d);
        for (int j = 0; j < LM_QK; j++) dst[i * LM_QK + j] = d * b[i].qs[j];
    }
}

void quantize_q8_0_ref(const float *src, void *dst, int64_t n) {
    block_q8_0 *b = dst;
    for (int64_t i = 0; i < n / LM_QK; i++) {
        const float *x = src + i * LM_QK;
        float amax = 0.0f;
        for (int j = 0; j < LM_QK; j++) amax = fmaxf(amax, fabsf(x[j]));
        b[i].d = lm_f32_to_f16(amax / 127.0f);
        float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        for (int j = 0; j < LM_QK; j++) b[i].qs[j] = (int8_t)lm_nearest_int(x[j] * id);
    }
}

float vec_dot_q8_0_q8_0_ref(int64_t n, const void *w, const void *a) {
    const block_q8_0 *x = w, *y = a;
    lm_qsum q = lm_qsum_init(n / LM_QK);   // canonical lane order (kernels.h)
    for (int64_t i = 0; i < n / LM_QK; i++) {
        int32_t isum = 0;
        for (int j = 0; j < LM_QK; j++) isum += x[i].qs[j] * y[i].qs[j];
        lm_qsum_add(&q, i, (float)isum * (lm_f16_to_f32(x[i].d) * lm_f16_to_f32(y[i].d)));
    }
    return lm_qsum_result(&q);
}

void gemm_q8_0_ref(int64_t n, const void *w, int64_t wb, int64_t nr, const void *a, int64_t ab, int32_t nt, float *y, int64_t ys) {
    lm_gemm_loop(vec_dot_q8_0_q8_0_ref, n, w, wb, nr, a, ab, nt, y, ys);
}

#if defined(__wasm_simd128__)
#include "simd128.h"

// Bit-identical to quantize_q8_0_ref for finite x with 127/amax finite (amax > ~4e-37): same
// amax, same x*id products, f32x4.nearest rounds half to even like lm_nearest_int, and
// |x*id| <= 127 so the saturating narrows never clip.
void quantize_q8_0_simd128(const float *src, void *dst, int64_t n) {
    block_q8_0 *b = dst;
    for (int64_t i = 0; i < n / LM_QK; i++) {
        const float *x = src + i * LM_QK;
        float amax = lm_absmax32(x);
        b[i].d = lm_f32_to_f16(amax / 127.0f);
        v128_t id = wasm_f32x4_splat(amax != 0.0f ? 127.0f / amax : 0.0f);
        wasm_v128_store(b[i].qs, lm_round16_i8(x, id));
        wasm_v128_store(b[i].qs + 16, lm_round16_i8(x + 16, id));
    }
}

// Exact int32 dot of one block pair as 4 partial sums: load8x8_s sign-extends 8 int8 to i16,
// dot_i16x8 multiplies pairs and adds adjacent products (|sum| <= 2*128*128).
static inline v128_t q8_0_block_dot(const block_q8_0 *x, const block_q8_0 *y) {
    v128_t s = wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(x->qs), wasm_i16x8_load8x8(y->qs));
    for (int j = 8; j < LM_QK; j += 8)
        s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(x->qs + j), wasm_i16x8_load8x8(y->qs + j)));
    return s;
}

// Blocks 0..3 -> lane k = (float)isum_k * (d_x,k * d_y,k), the same per-block term as _ref.
static inline v128_t q8_0_group4(const block_q8_0 *x, const block_q8_0 *y) {
    v128_t s = lm_hsum4_i32x4(q8_0_block_dot(x, y), q8_0_block_dot(x + 1, y + 1),
                              q8_0_block_dot(x + 2, y + 2), q8_0_block_dot(x + 3, y + 3));
    v128_t d = wasm_f32x4_mul(lm_f16lo_to_f32x4(lm_load32x4_strided(x, sizeof *x)),     // d is each block's
                              lm_f16lo_to_f32x4(lm_load32x4_strided(y, sizeof *y)));    // first field
    return wasm_f32x4_mul(wasm_f32x4_convert_i32x4(s), d);
}

// Per-block terms and their summation order equal _ref's (kernels.h lm_qsum): bit-identical.
float vec_dot_q8_0_q8_0_simd128(int64_t n, const void *w, const void *a) {
    const block_q8_0 *x = w, *y = a;
    int64_t nb = n / LM_QK, i = 0;
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (; i + 4 <= nb; i += 4) acc = wasm_f32x4_add(acc, q8_0_group4(x + i, y + i));
    float tail = 0.0f;
    for (; i < nb; i++)
        tail += (float)lm_hsum_i32x4(q8_0_block_dot(x + i, y + i)) * (lm_f16_to_f32(x[i].d) * lm_f16_to_f32(y[i].d));
    return lm_hsum_f32x4(acc) + tail;
}

// ---- gemm: 4 rows per pass over int16-widened activations (simd128.h lm_q8p) ----

void act_prep_q8_i16_simd128(const float *src, void *dst, int64_t n) { lm_q8p_prep(src, dst, n, 2); }

typedef struct { v128_t v[4]; } q8_vec;          // 32 elements as i16x8
static inline q8_vec q8_w_load(const block_q8_0 *b) {
    return (q8_vec){ { wasm_i16x8_load8x8(b->qs), wasm_i16x8_load8x8(b->qs + 8),
                       wasm_i16x8_load8x8(b->qs + 16), wasm_i16x8_load8x8(b->qs + 24) } };
}
static inline q8_vec q8_a_load(const lm_q8p *y, int64_t i) {
    const int16_t *p = (const int16_t *)y->q + 32 * i;
    return (q8_vec){ { wasm_v128_load(p), wasm_v128_load(p + 8), wasm_v128_load(p + 16), wasm_v128_load(p + 24) } };
}
static inline v128_t q8_dot(q8_vec w, q8_vec a) {
    v128_t s = wasm_i32x4_add(wasm_i32x4_dot_i16x8(w.v[0], a.v[0]), wasm_i32x4_dot_i16x8(w.v[1], a.v[1]));
    return wasm_i32x4_add(s, wasm_i32x4_add(wasm_i32x4_dot_i16x8(w.v[2], a.v[2]), wasm_i32x4_dot_i16x8(w.v[3], a.v[3])));
}

// Lanes = 4 rows against one token (simd128.h lm_gemm_rows4); seen: the scales' largest |bits|.
typedef struct { const block_q8_0 *x[4]; lm_q8p y; v128_t *seen; } q8_lanes;

// Block i of 4 rows, one token: lane k = (float)isum_k * (d_x,k * d_y), as _ref's term. The
// fast conversion of the rows' scales is exact unless one is inf/NaN (then exact = 1 is rerun).
static inline __attribute__((always_inline)) v128_t q8_0_term(const q8_lanes *l, int64_t i, int exact) {
    const block_q8_0 *const *x = l->x;
    const lm_q8p *y = &l->y;
    q8_vec a = q8_a_load(y, i);
    v128_t s = lm_hsum4_i32x4(q8_dot(q8_w_load(x[0] + i), a), q8_dot(q8_w_load(x[1] + i), a),
                              q8_dot(q8_w_load(x[2] + i), a), q8_dot(q8_w_load(x[3] + i), a));
    v128_t h = lm_load32x4_ptrs(x[0] + i, x[1] + i, x[2] + i, x[3] + i);
    v128_t d = exact ? lm_f16lo_to_f32x4(h) : lm_f16lo_finite_to_f32x4(h, l->seen);
    return wasm_f32x4_mul(wasm_f32x4_convert_i32x4(s), wasm_f32x4_mul(d, wasm_f32x4_splat(y->d[i])));
}
static inline v128_t q8_0_term_fast(const void *ctx, int64_t i) { return q8_0_term(ctx, i, 0); }
static inline v128_t q8_0_term_exact(const void *ctx, int64_t i) { return q8_0_term(ctx, i, 1); }

static v128_t q8_0_rows4(int64_t n, const uint8_t *const w[4], const uint8_t *a) {
    v128_t seen = wasm_i32x4_splat(0);
    q8_lanes l = { { (const void *)w[0], (const void *)w[1], (const void *)w[2], (const void *)w[3] }, lm_q8p_view(a, n, 2), &seen };
    v128_t r = lm_qsum_lanes4(n / LM_QK, q8_0_term_fast, &l);
    return lm_f16_seen_special(seen) ? lm_qsum_lanes4(n / LM_QK, q8_0_term_exact, &l) : r;
}

// Each lane follows _ref's terms and lm_qsum order: bit-identical to _ref per row and token.
void gemm_q8_0_simd128(int64_t n, const void *w, int64_t wb, int64_t nr, const void *a, int64_t ab, int32_t nt, float *y, int64_t ys) {
    lm_gemm_rows4(q8_0_rows4, n, w, wb, nr, a, ab, nt, y, ys);
}
#endif
