// simd128.h — small wasm SIMD128 helpers shared by the *_simd128 kernels (private to src/kernels/).
// Included only inside `#if defined(__wasm_simd128__)` sections. Lane comments list lanes 0..3.
#ifndef LM_SIMD128_H
#define LM_SIMD128_H
#include <stddef.h>
#include <stdint.h>
#include <wasm_simd128.h>
#include "../f16.h"

// Sum of the 4 int32 lanes (exact, wraps like int32 addition).
static inline int32_t lm_hsum_i32x4(v128_t v) {
    v = wasm_i32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    v = wasm_i32x4_add(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
    return wasm_i32x4_extract_lane(v, 0);
}

// Sum of the 4 float lanes as (l0 + l2) + (l1 + l3).
static inline float lm_hsum_f32x4(v128_t v) {
    v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
    return wasm_f32x4_extract_lane(v, 0);
}

// Sum of the 4 float lanes, each widened to double first (exact widening; double adds).
static inline double lm_hsum_f32x4_f64(v128_t v) {
    v128_t lo = wasm_f64x2_promote_low_f32x4(v);
    v128_t hi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    v128_t s = wasm_f64x2_add(lo, hi);
    return wasm_f64x2_extract_lane(s, 0) + wasm_f64x2_extract_lane(s, 1);
}

// Transposed reduction: returns [sum(a), sum(b), sum(c), sum(d)] (int32, exact).
static inline v128_t lm_hsum4_i32x4(v128_t a, v128_t b, v128_t c, v128_t d) {
    v128_t ab = wasm_i32x4_add(wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
    v128_t cd = wasm_i32x4_add(wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), wasm_i32x4_shuffle(c, d, 2, 6, 3, 7));
    // ab = [a0+a2, b0+b2, a1+a3, b1+b3]; same for cd
    return wasm_i32x4_add(wasm_i32x4_shuffle(ab, cd, 0, 1, 4, 5), wasm_i32x4_shuffle(ab, cd, 2, 3, 6, 7));
}

// IEEE half -> float for 4 lanes holding the half's bits in the high 16 bits of each 32-bit lane
// (the low 16 bits are ignored). Exact for every input, as lm_f16_to_f32: normals and subnormals by
// rescaling the shifted exponent/mantissa by 2^112; inf/NaN keep their payload.
static inline v128_t lm_f16hi_to_f32x4(v128_t h) {
    const v128_t em_mask = wasm_i32x4_splat(0x7fff0000), inf_exp = wasm_i32x4_splat(0x7c000000);
    v128_t em = wasm_u32x4_shr(wasm_v128_and(h, em_mask), 3);              // exp|man in f32 position, bias 15
    v128_t v = wasm_f32x4_mul(em, wasm_f32x4_splat(0x1p112f));             // rebias 15 -> 127
    v128_t special = wasm_i32x4_eq(wasm_v128_and(h, inf_exp), inf_exp);     // exponent all ones
    v = wasm_v128_bitselect(wasm_v128_or(em, wasm_i32x4_splat(0x7f800000)), v, special);
    return wasm_v128_or(v, wasm_v128_and(h, wasm_i32x4_splat((int32_t)0x80000000u)));
}

// As lm_f16lo_to_f32x4 for finite halves (subnormals included), in 4 operations; *seen keeps the
// largest |half| bits so that the caller can tell (lm_f16_seen_special) when an inf/NaN went
// through and redo the work with the exact conversion.
static inline v128_t lm_f16lo_finite_to_f32x4(v128_t v, v128_t *seen) {
    *seen = wasm_i32x4_max(*seen, wasm_v128_and(v, wasm_i32x4_splat(0x7fff)));
    v128_t h = wasm_i32x4_shr(wasm_i32x4_shl(v, 16), 3);   // exp|man in f32 position, sign copied down
    return wasm_f32x4_mul(wasm_v128_and(h, wasm_i32x4_splat((int32_t)0x8fffe000u)), wasm_f32x4_splat(0x1p112f));
}
static inline int lm_f16_seen_special(v128_t seen) { return wasm_v128_any_true(wasm_i32x4_ge(seen, wasm_i32x4_splat(0x7c00))); }

// The first 4 bytes of 4 structs at p, p+stride, ... as the 4 u32 lanes (little-endian: the
// struct's first u16 field is the low half, its second the high half).
static inline v128_t lm_load32x4_strided(const void *p, size_t stride) {
    const uint8_t *b = p;
    v128_t v = wasm_v128_load32_zero(b);
    v = wasm_v128_load32_lane(b + stride, v, 1);
    v = wasm_v128_load32_lane(b + 2*stride, v, 2);
    return wasm_v128_load32_lane(b + 3*stride, v, 3);
}

// Low / high u16 field of each u32 lane as an f16 -> f32x4 (exact).
static inline v128_t lm_f16lo_to_f32x4(v128_t v) { return lm_f16hi_to_f32x4(wasm_i32x4_shl(v, 16)); }
static inline v128_t lm_f16hi16_to_f32x4(v128_t v) {
    return lm_f16hi_to_f32x4(wasm_v128_and(v, wasm_i32x4_splat((int32_t)0xffff0000u)));
}

// ---- shared by the q8_0/q8_1 activation quantizers ----

// max |x[j]| over 32 floats (pmax keeps the accumulator on NaN, as fmaxf(amax, NaN) does).
static inline float lm_absmax32(const float *x) {
    v128_t m = wasm_f32x4_splat(0.0f);
    for (int j = 0; j < 32; j += 4) m = wasm_f32x4_pmax(m, wasm_f32x4_abs(wasm_v128_load(x + j)));
    m = wasm_f32x4_pmax(m, wasm_i32x4_shuffle(m, m, 2, 3, 0, 1));
    m = wasm_f32x4_pmax(m, wasm_i32x4_shuffle(m, m, 1, 0, 3, 2));
    return wasm_f32x4_extract_lane(m, 0);
}

// q[j] = round_half_even(x[j] * id) for 16 floats, saturated to int8; returns the i8x16.
static inline v128_t lm_round16_i8(const float *x, v128_t id) {
    v128_t r[4];
    for (int k = 0; k < 4; k++)
        r[k] = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(wasm_f32x4_mul(wasm_v128_load(x + 4*k), id)));
    return wasm_i8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(r[0], r[1]), wasm_i16x8_narrow_i32x4(r[2], r[3]));
}

// Sum of the 16 int8 lanes (exact).
static inline int32_t lm_hsum_i8x16(v128_t q) {
    return lm_hsum_i32x4(wasm_i32x4_extadd_pairwise_i16x8(wasm_i16x8_extadd_pairwise_i8x16(q)));
}

// 4 u32 lanes from 4 addresses (each block's first fields: a q4_0/q8_0 scale in the low half).
static inline v128_t lm_load32x4_ptrs(const void *p0, const void *p1, const void *p2, const void *p3) {
    v128_t v = wasm_v128_load32_zero(p0);
    v = wasm_v128_load32_lane(p1, v, 1);
    v = wasm_v128_load32_lane(p2, v, 2);
    return wasm_v128_load32_lane(p3, v, 3);
}

// ---- gemm (kernels.h lm_gemm_fn) over 4-lane kernels ----

// Lane k of the result is W[w[k]] . A over n elements: 4 weight rows against one activation row.
typedef v128_t (*lm_rows4_fn)(int64_t n, const uint8_t *const w[4], const uint8_t *a);

// Tiles of 4 rows, each against every token in turn: the tile's weights stay in L1 across the
// tokens and each activation load serves 4 rows. (Measured here, this beats unpacking a weight
// block once for 4 tokens: that needs the tokens' scales gathered from 4 rows per block.) Lanes
// past the last row repeat it and are dropped, so every (row, token) value is computed alike.
static inline void lm_gemm_rows4(lm_rows4_fn rows4, int64_t n, const void *w, int64_t wb, int64_t nr,
                                 const void *a, int64_t ab, int32_t nt, float *y, int64_t ys) {
    const uint8_t *W = w, *A = a, *wp[4];
    float out[4];
    for (int64_t r = 0; r < nr; r += 4) {
        for (int k = 0; k < 4; k++) wp[k] = W + (r + k < nr ? r + k : nr - 1) * wb;
        for (int32_t t = 0; t < nt; t++) {
            wasm_v128_store(out, rows4(n, wp, A + t * ab));
            for (int k = 0; k < 4 && r + k < nr; k++) y[t * ys + r + k] = out[k];
        }
    }
}

// lm_qsum's order (kernels.h) in each of 4 independent lanes: block i's term goes to accumulator
// i % 4 for whole groups of 4 blocks, the rest to the tail in order; ((l0 + l2) + (l1 + l3)) + tail.
// Always inlined, so a constant term function is inlined too.
typedef v128_t (*lm_term4_fn)(const void *ctx, int64_t i);
static inline __attribute__((always_inline)) v128_t lm_qsum_lanes4(int64_t nb, lm_term4_fn term, const void *ctx) {
    v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0, tail = a0;
    int64_t i = 0;
    for (; i + 4 <= nb; i += 4) {
        a0 = wasm_f32x4_add(a0, term(ctx, i));
        a1 = wasm_f32x4_add(a1, term(ctx, i + 1));
        a2 = wasm_f32x4_add(a2, term(ctx, i + 2));
        a3 = wasm_f32x4_add(a3, term(ctx, i + 3));
    }
    for (; i < nb; i++) tail = wasm_f32x4_add(tail, term(ctx, i));
    return wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(a0, a2), wasm_f32x4_add(a1, a3)), tail);
}

// ---- prepared q8_0 activations (the q8_0 and q4_0 gemms) ----

// [n] codes (int16, or int8 where code_bytes is 1), then per 32-block the scale as a float
// (lm_f16_to_f32 of the q8_0 block's fp16 d) and 8 x the sum of its codes (q4_0's offset term).
typedef struct { const void *q; const float *d; const int32_t *s8; } lm_q8p;
static inline lm_q8p lm_q8p_view(const void *a, int64_t n, int code_bytes) {
    const float *d = (const float *)((const uint8_t *)a + n * code_bytes);
    return (lm_q8p){ a, d, (const int32_t *)(d + n / 32) };
}

// The codes and scales of quantize_q8_0_simd128 (bit-identical to _ref) in the layout above.
static inline void lm_q8p_prep(const float *src, void *dst, int64_t n, int code_bytes) {
    float *d = (float *)((uint8_t *)dst + n * code_bytes);
    int32_t *s8 = (int32_t *)(d + n / 32);
    for (int64_t i = 0; i < n / 32; i++) {
        const float *x = src + 32 * i;
        float amax = lm_absmax32(x);
        d[i] = lm_f16_to_f32(lm_f32_to_f16(amax / 127.0f));
        v128_t id = wasm_f32x4_splat(amax != 0.0f ? 127.0f / amax : 0.0f);
        v128_t q0 = lm_round16_i8(x, id), q1 = lm_round16_i8(x + 16, id);
        s8[i] = 8 * (lm_hsum_i8x16(q0) + lm_hsum_i8x16(q1));
        if (code_bytes == 1) {
            int8_t *q = (int8_t *)dst + 32 * i;
            wasm_v128_store(q, q0);
            wasm_v128_store(q + 16, q1);
        } else {
            int16_t *q = (int16_t *)dst + 32 * i;
            wasm_v128_store(q, wasm_i16x8_extend_low_i8x16(q0));
            wasm_v128_store(q + 8, wasm_i16x8_extend_high_i8x16(q0));
            wasm_v128_store(q + 16, wasm_i16x8_extend_low_i8x16(q1));
            wasm_v128_store(q + 24, wasm_i16x8_extend_high_i8x16(q1));
        }
    }
}

// ---- shared by the q4_k/q5_k dots ----

// sum_j m[j] * (bsums[2j] + bsums[2j+1]) for the 8 sub-block mins (exact): dot_i16x8 of the
// 16 sums against the mins duplicated pairwise.
static inline int32_t lm_kq_min_dot(const uint8_t m[8], const int16_t bsums[16]) {
    v128_t mv = wasm_u16x8_load8x8(m);
    v128_t lo = wasm_i16x8_shuffle(mv, mv, 0, 0, 1, 1, 2, 2, 3, 3), hi = wasm_i16x8_shuffle(mv, mv, 4, 4, 5, 5, 6, 6, 7, 7);
    v128_t s = wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_v128_load(bsums), lo), wasm_i32x4_dot_i16x8(wasm_v128_load(bsums + 8), hi));
    return lm_hsum_i32x4(s);
}

#endif
