// f32: plain floats; activations stay f32 for the dot (ggml's vec_dot_type for F32 is F32).
#include "kernels.h"
#include <string.h>

void dequant_f32_ref(const void *src, float *dst, int64_t n) { memcpy(dst, src, (size_t)n * sizeof(float)); }
void quantize_f32_ref(const float *src, void *dst, int64_t n) { memcpy(dst, src, (size_t)n * sizeof(float)); }

// ggml's scalar path accumulates f32 dots in double (ggml_float); the result is rounded once.
float vec_dot_f32_ref(int64_t n, const void *w, const void *a) {
    const float *x = w, *y = a;
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += (double)x[i] * (double)y[i];
    return (float)sum;
}

#if defined(__wasm_simd128__)
#include "simd128.h"

// 4 f32x4 accumulators over chunks of at most 256 elements, each chunk flushed into a double:
// float error grows with the chunk, not with n. Differs from _ref (exact products, one double
// sum) only in rounding; tolerance LM_TOL_FLOAT_DOT in tests/test_kernels.c.
float vec_dot_f32_simd128(int64_t n, const void *w, const void *a) {
    const float *x = w, *y = a;
    double sum = 0.0;
    int64_t i = 0, n16 = n - n % 16;
    while (i < n16) {
        int64_t end = i + 256 < n16 ? i + 256 : n16;
        v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
        for (; i < end; i += 16) {
            s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(x + i),      wasm_v128_load(y + i)));
            s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_v128_load(x + i + 4),  wasm_v128_load(y + i + 4)));
            s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(wasm_v128_load(x + i + 8),  wasm_v128_load(y + i + 8)));
            s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(wasm_v128_load(x + i + 12), wasm_v128_load(y + i + 12)));
        }
        sum += lm_hsum_f32x4_f64(wasm_f32x4_add(wasm_f32x4_add(s0, s1), wasm_f32x4_add(s2, s3)));
    }
    for (; i < n; i++) sum += (double)x[i] * (double)y[i];
    return (float)sum;
}
#endif
