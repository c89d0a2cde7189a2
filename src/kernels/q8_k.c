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

#if defined(__wasm_simd128__)
#include "simd128.h"

// Horizontal max / min of 4 float lanes.
static inline float q8_k_hmax(v128_t m) {
    m = wasm_f32x4_pmax(m, wasm_i32x4_shuffle(m, m, 2, 3, 0, 1));
    return wasm_f32x4_extract_lane(wasm_f32x4_pmax(m, wasm_i32x4_shuffle(m, m, 1, 0, 3, 2)), 0);
}
static inline float q8_k_hmin(v128_t m) {
    m = wasm_f32x4_pmin(m, wasm_i32x4_shuffle(m, m, 2, 3, 0, 1));
    return wasm_f32x4_extract_lane(wasm_f32x4_pmin(m, wasm_i32x4_shuffle(m, m, 1, 0, 3, 2)), 0);
}

// The signed value of largest magnitude, the first one in order on a +a/-a tie (as _ref picks).
static float q8_k_signed_max(const float *x) {
    v128_t hi = wasm_f32x4_splat(0.0f), lo = hi;
    for (int j = 0; j < LM_QK_K; j += 4) {
        v128_t v = wasm_v128_load(x + j);
        hi = wasm_f32x4_pmax(hi, v);
        lo = wasm_f32x4_pmin(lo, v);
    }
    float mx = q8_k_hmax(hi), mn = q8_k_hmin(lo);
    if (mx != -mn) return mx > -mn ? mx : mn;
    for (int j = 0; j < LM_QK_K; j++) if (fabsf(x[j]) == mx) return x[j];   // tie: first wins
    return mx;
}

// Bit-identical to quantize_q8_k_ref for finite x with a finite iscale (amax > ~4e-37): same
// iscale and products, round half to even, clamp to 127 (the low side cannot pass -127),
// exact 16-element sums.
void quantize_q8_k_simd128(const float *src, void *dst, int64_t n) {
    block_q8_k *b = dst;
    for (int64_t i = 0; i < n / LM_QK_K; i++) {
        const float *x = src + i * LM_QK_K;
        float max = q8_k_signed_max(x);
        if (max == 0.0f) { memset(&b[i], 0, sizeof b[i]); continue; }
        float iscale = -127.0f / max;
        v128_t is = wasm_f32x4_splat(iscale), top = wasm_i32x4_splat(127);
        for (int j = 0; j < LM_QK_K; j += 16) {
            v128_t r[4];
            for (int k = 0; k < 4; k++)
                r[k] = wasm_i32x4_min(top, wasm_i32x4_trunc_sat_f32x4(
                           wasm_f32x4_nearest(wasm_f32x4_mul(is, wasm_v128_load(x + j + 4*k)))));
            v128_t q = wasm_i8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(r[0], r[1]), wasm_i16x8_narrow_i32x4(r[2], r[3]));
            wasm_v128_store(b[i].qs + j, q);
            b[i].bsums[j / 16] = (int16_t)lm_hsum_i8x16(q);
        }
        b[i].d = 1.0f / iscale;
    }
}
#endif
