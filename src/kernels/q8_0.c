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
    float sum = 0.0f;
    for (int64_t i = 0; i < n / LM_QK; i++) {
        int32_t isum = 0;
        for (int j = 0; j < LM_QK; j++) isum += x[i].qs[j] * y[i].qs[j];
        sum += (float)isum * (lm_f16_to_f32(x[i].d) * lm_f16_to_f32(y[i].d));
    }
    return sum;
}
