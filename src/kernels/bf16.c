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

float vec_dot_bf16_ref(int64_t n, const void *w, const void *a) {
    const uint16_t *x = w, *y = a;
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += (double)lm_bf16_to_f32(x[i]) * (double)lm_bf16_to_f32(y[i]);
    return (float)sum;
}
