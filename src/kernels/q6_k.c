// q6_k: 256-element super-blocks of 6-bit codes (offset 32) with 16 int8 sub-block scales (tensor.h).
#include "kernels.h"
#include "../f16.h"
#include <math.h>

// Code (-32..31) of element e (0..255): half h = e/128; within it quarter k = (e%128)/32, l = e%32.
static inline int q6_code(const block_q6_k *b, int e) {
    int h = e / 128, k = (e % 128) / 32, l = e % 32;
    const uint8_t *ql = b->ql + 64*h, *qh = b->qh + 32*h;
    int lo = (k & 1) ? ql[l + 32] : ql[l];
    int nib = (k & 2) ? lo >> 4 : lo & 15;
    return (nib | (((qh[l] >> (2*k)) & 3) << 4)) - 32;
}

// Scale index of element e: 16-element groups, in the order ggml stores them (l/16 + 2k per half).
static inline int q6_scale_index(int e) {
    int h = e / 128, k = (e % 128) / 32, l = e % 32;
    return 8*h + l/16 + 2*k;
}

void dequant_q6_k_ref(const void *src, float *dst, int64_t n) {
    const block_q6_k *b = src;
    for (int64_t i = 0; i < n / LM_QK_K; i++) {
        float d = lm_f16_to_f32(b[i].d);
        for (int e = 0; e < LM_QK_K; e++) dst[i * LM_QK_K + e] = d * b[i].scales[q6_scale_index(e)] * q6_code(&b[i], e);
    }
}

void quantize_q6_k_ref(const float *src, void *dst, int64_t n) {
    block_q6_k *b = dst;
    for (int64_t i = 0; i < n / LM_QK_K; i++) {
        const float *x = src + i * LM_QK_K;
        float s[16] = {0}, max_s = 0.0f;
        for (int e = 0; e < LM_QK_K; e++) { int j = q6_scale_index(e); s[j] = fmaxf(s[j], fabsf(x[e]) / 31.0f); }
        for (int j = 0; j < 16; j++) max_s = fmaxf(max_s, s[j]);
        float d = max_s / 127.0f;
        for (int j = 0; j < 16; j++) b[i].scales[j] = (int8_t)(d > 0 ? lrintf(s[j] / d) : 0);
        b[i].d = lm_f32_to_f16(d);
        for (int j = 0; j < 64; j++) b[i].qh[j] = 0;
        for (int j = 0; j < 128; j++) b[i].ql[j] = 0;
        for (int e = 0; e < LM_QK_K; e++) {
            float ds = d * b[i].scales[q6_scale_index(e)];
            int q = ds > 0 ? (int)lrintf(x[e] / ds) : 0;
            q = (q < -32 ? -32 : q > 31 ? 31 : q) + 32;
            int h = e / 128, k = (e % 128) / 32, l = e % 32;
            b[i].ql[64*h + l + ((k & 1) ? 32 : 0)] |= (uint8_t)((q & 15) << ((k & 2) ? 4 : 0));
            b[i].qh[32*h + l] |= (uint8_t)((q >> 4) << (2*k));
        }
    }
}

float vec_dot_q6_k_q8_k_ref(int64_t n, const void *w, const void *a) {
    const block_q6_k *x = w;
    const block_q8_k *y = a;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / LM_QK_K; i++) {
        int32_t isum[16] = {0}, sumi = 0;
        for (int e = 0; e < LM_QK_K; e++) isum[q6_scale_index(e)] += q6_code(&x[i], e) * y[i].qs[e];
        for (int j = 0; j < 16; j++) sumi += x[i].scales[j] * isum[j];
        sum += lm_f16_to_f32(x[i].d) * y[i].d * (float)sumi;
    }
    return sum;
}
