// q8_k: activation format for k-quant dots (layout in tensor.h); quantized exactly as ggml's
// reference (scale -127/max of the signed extreme, codes clamped to 127, 16-element sums).
#include "kernels.h"
#include <math.h>
#include <string.h>

void dequant_q8_k_ref(const void *src, float *dst, int64_t n) {
    const block_q8_k *b = src;
    for (int64_t i = 0; i < n / LM_QK_K; i++)
        for (int j = 0; j < LM_QK_K; j++) dst[i * LM_QK_K + j] = b[i].d * b[i].qs[j];
}

void quantize_q8_k_ref(const float *src, void *dst, int64_t n) {
    block_q8_k *b = dst;
    for (int64_t i = 0; i < n / LM_QK_K; i++) {
        const float *x = src + i * LM_QK_K;
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < LM_QK_K; j++)
            if (fabsf(x[j]) > amax) { amax = fabsf(x[j]); max = x[j]; }
        if (amax == 0.0f) { memset(&b[i], 0, sizeof b[i]); continue; }
        float iscale = -127.0f / max;
        for (int j = 0; j < LM_QK_K; j++) {
            int v = lm_nearest_int(iscale * x[j]);
            b[i].qs[j] = (int8_t)(v > 127 ? 127 : v);
        }
        for (int j = 0; j < LM_QK_K / 16; j++) {
            int s = 0;
            for (int l = 0; l < 16; l++) s += b[i].qs[16*j + l];
            b[i].bsums[j] = (int16_t)s;
        }
        b[i].d = 1.0f / iscale;
    }
}
