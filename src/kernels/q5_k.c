// q5_k: q4_k plus a fifth bit per code in qh (layout in tensor.h).
#include "kernels.h"
#include "kquant.h"
#include "../f16.h"

// Code of element l of chunk c (0..3), low (hi=0) or high (hi=1) half: 0..31.
static inline int q5_code(const block_q5_k *b, int c, int hi, int l) {
    int nib = hi ? b->qs[32*c + l] >> 4 : b->qs[32*c + l] & 15;
    return nib | (((b->qh[l] >> (2*c + hi)) & 1) << 4);
}

void dequant_q5_k_ref(const void *src, float *dst, int64_t n) {
    const block_q5_k *b = src;
    for (int64_t i = 0; i < n / LM_QK_K; i++, dst += LM_QK_K) {
        float d = lm_f16_to_f32(b[i].d), dmin = lm_f16_to_f32(b[i].dmin);
        for (int c = 0; c < 4; c++)
            for (int hi = 0; hi < 2; hi++) {
                uint8_t sc, m;
                kq_get_scale_min(2*c + hi, b[i].scales, &sc, &m);
                for (int l = 0; l < 32; l++) dst[64*c + 32*hi + l] = d * sc * q5_code(&b[i], c, hi, l) - dmin * m;
            }
    }
}

void quantize_q5_k_ref(const float *src, void *dst, int64_t n) {
    block_q5_k *b = dst;
    for (int64_t i = 0; i < n / LM_QK_K; i++) {
        uint8_t L[LM_QK_K];
        float d, dmin;
        kq_quantize_asym(src + i * LM_QK_K, 31, L, b[i].scales, &d, &dmin);
        b[i].d = lm_f32_to_f16(d);  b[i].dmin = lm_f32_to_f16(dmin);
        for (int l = 0; l < 32; l++) b[i].qh[l] = 0;
        for (int c = 0; c < 4; c++)
            for (int l = 0; l < 32; l++) {
                int lo = L[64*c + l], hi = L[64*c + 32 + l];
                b[i].qs[32*c + l] = (uint8_t)((lo & 15) | ((hi & 15) << 4));
                b[i].qh[l] |= (uint8_t)(((lo >> 4) << (2*c)) | ((hi >> 4) << (2*c + 1)));
            }
    }
}

float vec_dot_q5_k_q8_k_ref(int64_t n, const void *w, const void *a) {
    const block_q5_k *x = w;
    const block_q8_k *y = a;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / LM_QK_K; i++) {
        int32_t sumi = 0, summ = 0;
        for (int c = 0; c < 4; c++)
            for (int hi = 0; hi < 2; hi++) {
                uint8_t sc, m;
                kq_get_scale_min(2*c + hi, x[i].scales, &sc, &m);
                const int8_t *p = y[i].qs + 64*c + 32*hi;
                int32_t s = 0;
                for (int l = 0; l < 32; l++) s += q5_code(&x[i], c, hi, l) * p[l];
                sumi += sc * s;
                summ += m * (y[i].bsums[4*c + 2*hi] + y[i].bsums[4*c + 2*hi + 1]);
            }
        sum += lm_f16_to_f32(x[i].d) * y[i].d * (float)sumi - lm_f16_to_f32(x[i].dmin) * y[i].d * (float)summ;
    }
    return sum;
}
