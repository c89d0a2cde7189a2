// q4_0: blocks of 32 4-bit weights, one fp16 scale, offset 8 (layout in tensor.h); dotted with q8_0.
#include "kernels.h"
#include "../f16.h"
#include <math.h>

void dequant_q4_0_ref(const void *src, float *dst, int64_t n) {
    const block_q4_0 *b = src;
    for (int64_t i = 0; i < n / LM_QK; i++) {
        float d = lm_f16_to_f32(b[i].d);
        for (int j = 0; j < LM_QK / 2; j++) {
            dst[i * LM_QK + j]          = d * ((b[i].qs[j] & 15) - 8);
            dst[i * LM_QK + j + LM_QK/2] = d * ((b[i].qs[j] >> 4) - 8);
        }
    }
}

// As ggml's reference quantizer: the signed value of largest magnitude maps to -8.
void quantize_q4_0_ref(const float *src, void *dst, int64_t n) {
    block_q4_0 *b = dst;
    for (int64_t i = 0; i < n / LM_QK; i++) {
        const float *x = src + i * LM_QK;
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < LM_QK; j++)
            if (fabsf(x[j]) > amax) { amax = fabsf(x[j]); max = x[j]; }
        float d = max / -8.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = lm_f32_to_f16(d);
        for (int j = 0; j < LM_QK / 2; j++) {
            int q0 = (int)(x[j] * id + 8.5f), q1 = (int)(x[j + LM_QK/2] * id + 8.5f);
            q0 = q0 > 15 ? 15 : q0;  q1 = q1 > 15 ? 15 : q1;
            b[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

float vec_dot_q4_0_q8_0_ref(int64_t n, const void *w, const void *a) {
    const block_q4_0 *x = w;
    const block_q8_0 *y = a;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / LM_QK; i++) {
        int32_t isum = 0;
        for (int j = 0; j < LM_QK / 2; j++) {
            isum += ((x[i].qs[j] & 15) - 8) * y[i].qs[j];
            isum += ((x[i].qs[j] >> 4) - 8) * y[i].qs[j + LM_QK/2];
        }
        sum += (float)isum * (lm_f16_to_f32(x[i].d) * lm_f16_to_f32(y[i].d));
    }
    return sum;
}
