// f32: plain floats; activations stay f32 for the dot (ggml's vec_dot_type for F32 is F32).
#include "kernels.h"
#include <string.h>

void dequant_f32_ref(const void *src, float *dst, int64_t n) { memcpy(dst, src, (size_t)n * sizeof(float)); }
void quantize_f32_ref(const float *src, void *dst, int64_t n) { memcpy(dst, src, (size_t)n * sizeof(float)); }

// Canonical float-dot order (lm_fdot_chunk): chunks of 256 in 8 float lanes, chunks summed in double.
float vec_dot_f32_ref(int64_t n, const void *w, const void *a) {
    const float *x = w, *y = a;
    double sum = 0.0;
    int64_t i = 0, n8 = n - n % 8;
    while (i < n8) {
        int len = (int)(n8 - i < 256 ? n8 - i : 256);
        sum += lm_fdot_chunk(x + i, y + i, len);
        i += len;
    }
    for (; i < n; i++) sum += (double)x[i] * (double)y[i];
    return (float)sum;
}

#if defined(__wasm_simd128__)
#include "simd128.h"

// The canonical float-dot order (kernels.h lm_fdot_chunk): per chunk of <= 256, even elements
// (mod 8) accumulate in s0's lanes and odd ones in s1's, lane j pairing elements 2j and 2j+1.
// Bit-identical to _ref.
static inline v128_t deint_even(v128_t a, v128_t b) { return wasm_i32x4_shuffle(a, b, 0, 2, 4, 6); }
static inline v128_t deint_odd(v128_t a, v128_t b) { return wasm_i32x4_shuffle(a, b, 1, 3, 5, 7); }

float vec_dot_f32_simd128(int64_t n, const void *w, const void *a) {
    const float *x = w, *y = a;
    double sum = 0.0;
    int64_t i = 0, n8 = n - n % 8;
    while (i < n8) {
        int64_t end = i + 256 < n8 ? i + 256 : n8;
        v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0;
        for (; i < end; i += 8) {
            v128_t xa = wasm_v128_load(x + i), xb = wasm_v128_load(x + i + 4);
            v128_t ya = wasm_v128_load(y + i), yb = wasm_v128_load(y + i + 4);
            s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(deint_even(xa, xb), deint_even(ya, yb)));
            s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(deint_odd(xa, xb), deint_odd(ya, yb)));
        }
        sum += lm_hsum_f32x4_f64(wasm_f32x4_add(s0, s1));
    }
    for (; i < n; i++) sum += (double)x[i] * (double)y[i];
    return (float)sum;
}
#endif
