// q4_1: blocks of 32 4-bit weights with fp16 scale and min (layout in tensor.h); dotted with q8_1.
#include "kernels.h"
#include "../f16.h"

void dequant_q4_1_ref(const void *src, float *dst, int64_t n) {
    const block_q4_1 *b = src;
    for (int64_t i = 0; i < n / LM_QK; i++) {
        float d = lm_f16_to_f32(b[i].d), m = lm_f16_to_f32(b[i].m);
        for (int j = 0; j < LM_QK / 2; j++) {
            dst[i * LM_QK + j]          = d * (b[i].qs[j] & 15) + m;
            dst[i * LM_QK + j + LM_QK/2] = d * (b[i].qs[j] >> 4) + m;
        }
    }
}

void quantize_q4_1_ref(const float *src, void *dst, int64_t n) {
    block_q4_1 *b = dst;
    for (int64_t i = 0; i < n / LM_QK; i++) {
        const float *x = src + i * LM_QK;
        float min = x[0], max = x[0];
        for (int j = 1; j < LM_QK; j++) { min = x[j] < min ? x[j] : min; max = x[j] > max ? x[j] : max; }
        float d = (max - min) / 15.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = lm_f32_to_f16(d);
        b[i].m = lm_f32_to_f16(min);
        for (int j = 0; j < LM_QK / 2; j++) {
            int q0 = (int)((x[j] - min) * id + 0.5f), q1 = (int)((x[j + LM_QK/2] - min) * id + 0.5f);
            q0 = q0 > 15 ? 15 : q0;  q1 = q1 > 15 ? 15 : q1;
            b[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

// sum_j (d_x*q_j + m_x) * d_y*p_j = d_x*d_y*sum(q*p) + m_x*s_y, s_y = d_y*sum(p) from the q8_1 block.
float vec_dot_q4_1_q8_1_ref(int64_t n, const void *w, const void *a) {
    const block_q4_1 *x = w;
    const block_q8_1 *y = a;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / LM_QK; i++) {
        int32_t isum = 0;
        for (int j = 0; j < LM_QK / 2; j++) {
            isum += (x[i].qs[j] & 15) * y[i].qs[j];
            isum += (x[i].qs[j] >> 4) * y[i].qs[j + LM_QK/2];
        }
        sum += (lm_f16_to_f32(x[i].d) * lm_f16_to_f32(y[i].d)) * (float)isum
             + lm_f16_to_f32(x[i].m) * lm_f16_to_f32(y[i].s);
    }
    return sum;
}
