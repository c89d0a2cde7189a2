// q4_k: 256-element super-blocks of 4-bit codes, 8 sub-blocks with 6-bit scale and min (tensor.h).
#include "kernels.h"
#include "kquant.h"
#include "../f16.h"

void dequant_q4_k_ref(const void *src, float *dst, int64_t n) {
    const block_q4_k *b = src;
    for (int64_t i = 0; i < n / LM_QK_K; i++, dst += LM_QK_K) {
        float d = lm_f16_to_f32(b[i].d), dmin = lm_f16_to_f32(b[i].dmin);
        for (int c = 0; c < 4; c++) {
            uint8_t sc1, m1, sc2, m2;
            kq_get_scale_min(2*c, b[i].scales, &sc1, &m1);
            kq_get_scale_min(2*c + 1, b[i].scales, &sc2, &m2);
            const uint8_t *q = b[i].qs + 32*c;
            for (int l = 0; l < 32; l++) {
                dst[64*c + l]      = d * sc1 * (q[l] & 15) - dmin * m1;
                dst[64*c + 32 + l] = d * sc2 * (q[l] >> 4) - dmin * m2;
            }
        }
    }
}

void quantize_q4_k_ref(const float *src, void *dst, int64_t n) {
    block_q4_k *b = dst;
    for (int64_t i = 0; i < n / LM_QK_K; i++) {
        uint8_t L[LM_QK_K];
        float d, dmin;
        kq_quantize_asym(src + i * LM_QK_K, 15, L, b[i].scales, &d, &dmin);
        b[i].d = lm_f32_to_f16(d);  b[i].dmin = lm_f32_to_f16(dmin);
        for (int c = 0; c < 4; c++)
            for (int l = 0; l < 32; l++)
                b[i].qs[32*c + l] = (uint8_t)(L[64*c + l] | (L[64*c + 32 + l] << 4));
    }
}

float vec_dot_q4_k_q8_k_ref(int64_t n, const void *w, const void *a) {
    const block_q4_k *x = w;
    const block_q8_k *y = a;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / LM_QK_K; i++) {
        int32_t sumi = 0, summ = 0;
        for (int c = 0; c < 4; c++) {
            uint8_t sc1, m1, sc2, m2;
            kq_get_scale_min(2*c, x[i].scales, &sc1, &m1);
            kq_get_scale_min(2*c + 1, x[i].scales, &sc2, &m2);
            const uint8_t *q = x[i].qs + 32*c;
            const int8_t *p = y[i].qs + 64*c;
            int32_t s1 = 0, s2 = 0;
            for (int l = 0; l < 32; l++) { s1 += (q[l] & 15) * p[l]; s2 += (q[l] >> 4) * p[32 + l]; }
            sumi += sc1 * s1 + sc2 * s2;
            summ += m1 * (y[i].bsums[4*c] + y[i].bsums[4*c + 1]) + m2 * (y[i].bsums[4*c + 2] + y[i].bsums[4*c + 3]);
        }
        sum += lm_f16_to_f32(x[i].d) * y[i].d * (float)sumi - lm_f16_to_f32(x[i].dmin) * y[i].d * (float)summ;
    }
    return sum;
}

#if defined(__wasm_simd128__)
#include "simd128.h"

// Exact sum_j sc[j] * (codes of sub-block j . activations), j = 0..7, for one super-block.
// Chunk c: qs[32c..32c+31] as u16 lanes; &15 -> sub-block 2c, >>4 -> sub-block 2c+1.
static inline int32_t q4_k_isum(const uint8_t *qs, const int8_t *p, const uint8_t sc[8]) {
    const v128_t m4 = wasm_i16x8_splat(15);
    v128_t acc = wasm_i32x4_splat(0);
    for (int c = 0; c < 4; c++, qs += 32, p += 64) {
        v128_t lo = wasm_i32x4_splat(0), hi = lo;
        for (int l = 0; l < 32; l += 8) {
            v128_t v = wasm_u16x8_load8x8(qs + l);
            lo = wasm_i32x4_add(lo, wasm_i32x4_dot_i16x8(wasm_v128_and(v, m4), wasm_i16x8_load8x8(p + l)));
            hi = wasm_i32x4_add(hi, wasm_i32x4_dot_i16x8(wasm_u16x8_shr(v, 4), wasm_i16x8_load8x8(p + 32 + l)));
        }
        acc = wasm_i32x4_add(acc, wasm_i32x4_mul(lo, wasm_i32x4_splat(sc[2*c])));
        acc = wasm_i32x4_add(acc, wasm_i32x4_mul(hi, wasm_i32x4_splat(sc[2*c + 1])));
    }
    return lm_hsum_i32x4(acc);
}

// Integer parts are exact and the float epilogue per super-block is _ref's expression in
// _ref's order, so the result is bit-identical to _ref (tested with LM_TOL_KQUANT).
float vec_dot_q4_k_q8_k_simd128(int64_t n, const void *w, const void *a) {
    const block_q4_k *x = w;
    const block_q8_k *y = a;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / LM_QK_K; i++) {
        uint8_t sc[8], m[8];
        for (int j = 0; j < 8; j++) kq_get_scale_min(j, x[i].scales, &sc[j], &m[j]);
        int32_t sumi = q4_k_isum(x[i].qs, y[i].qs, sc), summ = lm_kq_min_dot(m, y[i].bsums);
        sum += lm_f16_to_f32(x[i].d) * y[i].d * (float)sumi - lm_f16_to_f32(x[i].dmin) * y[i].d * (float)summ;
    }
    return sum;
}
#endif
