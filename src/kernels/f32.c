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
