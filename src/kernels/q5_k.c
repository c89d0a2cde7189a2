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

#if defined(__wasm_simd128__)
#include "simd128.h"

// Exact sum_j sc[j] * (codes of sub-block j . activations) for one super-block. Fifth bits:
// qh[l] in u16 lanes, pre-shifted left by 4 (3) so that >> 2c and & 16 leaves bit 2c (2c+1)
// worth 16, the low-nibble (high-nibble) sub-block's fifth bit in chunk c.
static inline int32_t q5_k_isum(const uint8_t *qs, const uint8_t *qh, const int8_t *p, const uint8_t sc[8]) {
    const v128_t m4 = wasm_i16x8_splat(15), b4 = wasm_i16x8_splat(16);
    v128_t h4[4], h3[4], acc = wasm_i32x4_splat(0);
    for (int t = 0; t < 4; t++) {
        v128_t h = wasm_u16x8_load8x8(qh + 8*t);
        h4[t] = wasm_i16x8_shl(h, 4);
        h3[t] = wasm_i16x8_shl(h, 3);
    }
    for (int c = 0; c < 4; c++, qs += 32, p += 64) {
        v128_t lo = wasm_i32x4_splat(0), hi = lo;
        for (int t = 0; t < 4; t++) {
            v128_t v = wasm_u16x8_load8x8(qs + 8*t);
            v128_t wl = wasm_v128_or(wasm_v128_and(v, m4), wasm_v128_and(wasm_u16x8_shr(h4[t], 2*c), b4));
            v128_t wh = wasm_v128_or(wasm_u16x8_shr(v, 4), wasm_v128_and(wasm_u16x8_shr(h3[t], 2*c), b4));
            lo = wasm_i32x4_add(lo, wasm_i32x4_dot_i16x8(wl, wasm_i16x8_load8x8(p + 8*t)));
            hi = wasm_i32x4_add(hi, wasm_i32x4_dot_i16x8(wh, wasm_i16x8_load8x8(p + 32 + 8*t)));
        }
        acc = wasm_i32x4_add(acc, wasm_i32x4_mul(lo, wasm_i32x4_splat(sc[2*c])));
        acc = wasm_i32x4_add(acc, wasm_i32x4_mul(hi, wasm_i32x4_splat(sc[2*c + 1])));
    }
    return lm_hsum_i32x4(acc);
}

// Bit-identical to _ref for the reasons given at vec_dot_q4_k_q8_k_simd128 (LM_TOL_KQUANT).
float vec_dot_q5_k_q8_k_simd128(int64_t n, const void *w, const void *a) {
    const block_q5_k *x = w;
    const block_q8_k *y = a;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / LM_QK_K; i++) {
        uint8_t sc[8], m[8];
        for (int j = 0; j < 8; j++) kq_get_scale_min(j, x[i].scales, &sc[j], &m[j]);
        int32_t sumi = q5_k_isum(x[i].qs, x[i].qh, y[i].qs, sc), summ = lm_kq_min_dot(m, y[i].bsums);
        sum += lm_f16_to_f32(x[i].d) * y[i].d * (float)sumi - lm_f16_to_f32(x[i].dmin) * y[i].d * (float)summ;
    }
    return sum;
}
#endif
