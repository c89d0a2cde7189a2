// simd128.h — small wasm SIMD128 helpers shared by the *_simd128 kernels (private to src/kernels/).
// Included only inside `#if defined(__wasm_simd128__)` sections. Lane comments list lanes 0..3.
#ifndef LM_SIMD128_H
#define LM_SIMD128_H
#include <stddef.h>
#include <stdint.h>
#include <wasm_simd128.h>

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
