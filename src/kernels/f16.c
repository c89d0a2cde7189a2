// f16: IEEE half weights; activations are rounded to f16 before the dot, as ggml's CPU backend does.
#include "kernels.h"
#include "../f16.h"

void dequant_f16_ref(const void *src, float *dst, int64_t n) {
    const uint16_t *h = src;
    for (int64_t i = 0; i < n; i++) dst[i] = lm_f16_to_f32(h[i]);
}

void quantize_f16_ref(const float *src, void *dst, int64_t n) {
    uint16_t *h = dst;
    for (int64_t i = 0; i < n; i++) h[i] = lm_f32_to_f16(src[i]);
}

float vec_dot_f16_ref(int64_t n, const void *w, const void *a) {
    const uint16_t *x = w, *y = a;
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += (double)lm_f16_to_f32(x[i]) * (double)lm_f16_to_f32(y[i]);
    return (float)sum;
}

#if defined(__wasm_simd128__)
#include "simd128.h"

// Finite halves (bits in the high half of each lane) -> f32x4: exact rescale of exp|man by
// 2^112 with the sign already in place. Callers route inf/NaN to lm_f16hi_to_f32x4.
static inline v128_t f16hi_finite_to_f32x4(v128_t h) {
    v128_t em = wasm_u32x4_shr(wasm_v128_and(h, wasm_i32x4_splat(0x7fff0000)), 3);
    v128_t s = wasm_v128_and(h, wasm_i32x4_splat((int32_t)0x80000000u));
    return wasm_f32x4_mul(wasm_v128_or(em, s), wasm_f32x4_splat(0x1p112f));
}

// f16 products are exact in f32 (11-bit significands), so only the summation differs from
// _ref: 2 f32x4 accumulators per chunk of at most 256 elements, each chunk flushed into a
// double. 8-element steps holding an inf/NaN take the exact general conversion.
// Tolerance LM_TOL_FLOAT_DOT.
float vec_dot_f16_simd128(int64_t n, const void *w, const void *a) {
    const uint16_t *x = w, *y = a;
    const v128_t exp_mask = wasm_i16x8_splat(0x7c00);
    double sum = 0.0;
    int64_t i = 0, n8 = n - n % 8;
    while (i < n8) {
        int64_t end = i + 256 < n8 ? i + 256 : n8;
        v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0;
        for (; i < end; i += 8) {
            v128_t vx = wasm_v128_load(x + i), vy = wasm_v128_load(y + i), xl, xh, yl, yh;
            v128_t special = wasm_v128_or(wasm_i16x8_eq(wasm_v128_and(vx, exp_mask), exp_mask),
                                          wasm_i16x8_eq(wasm_v128_and(vy, exp_mask), exp_mask));
            lm_split_u16x8_hi(vx, &xl, &xh);      // even / odd elements
            lm_split_u16x8_hi(vy, &yl, &yh);
            if (wasm_v128_any_true(special)) {
                xl = lm_f16hi_to_f32x4(xl); xh = lm_f16hi_to_f32x4(xh); yl = lm_f16hi_to_f32x4(yl); yh = lm_f16hi_to_f32x4(yh);
            } else {
                xl = f16hi_finite_to_f32x4(xl); xh = f16hi_finite_to_f32x4(xh);
                yl = f16hi_finite_to_f32x4(yl); yh = f16hi_finite_to_f32x4(yh);
            }
            s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(xl, yl));
            s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(xh, yh));
        }
        sum += lm_hsum_f32x4_f64(wasm_f32x4_add(s0, s1));
    }
    for (; i < n; i++) sum += (double)lm_f16_to_f32(x[i]) * (double)lm_f16_to_f32(y[i]);
    return (float)sum;
}
#endif
