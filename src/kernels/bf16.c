// bf16: bfloat16 weights; activations are rounded to bf16 before the dot, as ggml's CPU backend does.
#include "kernels.h"
#include "../f16.h"

void dequant_bf16_ref(const void *src, float *dst, int64_t n) {
    const uint16_t *h = src;
    for (int64_t i = 0; i < n; i++) dst[i] = lm_bf16_to_f32(h[i]);
}

void quantize_bf16_ref(const float *src, void *dst, int64_t n) {
    uint16_t *h = dst;
    for (int64_t i = 0; i < n; i++) h[i] = lm_f32_to_bf16(src[i]);
}

// Canonical float-dot order (kernels.h) over the converted values; products are exact in f32.
float vec_dot_bf16_ref(int64_t n, const void *w, const void *a) { return lm_fdot_u16(n, w, a, lm_bf16_to_f32); }

#if defined(__wasm_simd128__)
#include "simd128.h"

// bf16 -> f32 is a 16-bit shift (even elements) or a mask (odd elements), and products are
// exact in f32 (8-bit significands) unless they leave f32's range. Summation in f32 lanes per
// chunk of at most 256 elements, each chunk flushed into a double. Bit-identical to _ref (the canonical order of kernels.h).
float vec_dot_bf16_simd128(int64_t n, const void *w, const void *a) {
    const uint16_t *x = w, *y = a;
    const v128_t hi16 = wasm_i32x4_splat((int32_t)0xffff0000u);
    double sum = 0.0;
    int64_t i = 0, n8 = n - n % 8;
    while (i < n8) {
        int64_t end = i + 256 < n8 ? i + 256 : n8;
        v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0;
        for (; i < end; i += 8) {
            v128_t vx = wasm_v128_load(x + i), vy = wasm_v128_load(y + i);
            s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_i32x4_shl(vx, 16), wasm_i32x4_shl(vy, 16)));   // even
            s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_v128_and(vx, hi16), wasm_v128_and(vy, hi16)));  // odd
        }
        sum += lm_hsum_f32x4_f64(wasm_f32x4_add(s0, s1));
    }
    for (; i < n; i++) sum += (double)lm_bf16_to_f32(x[i]) * (double)lm_bf16_to_f32(y[i]);
    return (float)sum;
}
#endif
