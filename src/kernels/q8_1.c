// q8_1: activation format for q4_1 dots: q8_0 plus s = d*sum(qs) so the min term folds to m*s.
#include "kernels.h"
#include "../f16.h"
#include <math.h>

void dequant_q8_1_ref(const void *src, float *dst, int64_t n) {
    const block_q8_1 *b = src;
    for (int64_t i = 0; i < n / LM_QK; i++) {
        float d = lm_f16_to_f32(b[i].d);
        for (int j = 0; j < LM_QK; j++) dst[i * LM_QK + j] = d * b[i].qs[j];
    }
}

void quantize_q8_1_ref(const float *src, void *dst, int64_t n) {
    block_q8_1 *b = dst;
    for (int64_t i = 0; i < n / LM_QK; i++) {
        const float *x = src + i * LM_QK;
        float amax = 0.0f;
        for (int j = 0; j < LM_QK; j++) amax = fmaxf(amax, fabsf(x[j]));
        float d = amax / 127.0f, id = amax != 0.0f ? 127.0f / amax : 0.0f;
        int sum = 0;
        for (int j = 0; j < LM_QK; j++) {
            b[i].qs[j] = (int8_t)lm_nearest_int(x[j] * id);
            sum += b[i].qs[j];
        }
        b[i].d = lm_f32_to_f16(d);
        b[i].s = lm_f32_to_f16((float)sum * d);
    }
}

#if defined(__wasm_simd128__)
#include "simd128.h"

// Bit-identical to quantize_q8_1_ref (see quantize_q8_0_simd128); the code sum is exact.
void quantize_q8_1_simd128(const float *src, void *dst, int64_t n) {
    block_q8_1 *b = dst;
    for (int64_t i = 0; i < n / LM_QK; i++) {
        const float *x = src + i * LM_QK;
        float amax = lm_absmax32(x), d = amax / 127.0f;
        v128_t id = wasm_f32x4_splat(amax != 0.0f ? 127.0f / amax : 0.0f);
        v128_t q0 = lm_round16_i8(x, id), q1 = lm_round16_i8(x + 16, id);
        wasm_v128_store(b[i].qs, q0);
        wasm_v128_store(b[i].qs + 16, q1);
        b[i].d = lm_f32_to_f16(d);
        b[i].s = lm_f32_to_f16((float)(lm_hsum_i8x16(q0) + lm_hsum_i8x16(q1)) * d);
    }
}
#endif
