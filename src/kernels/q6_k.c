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

#if defined(__wasm_simd128__)
#include "simd128.h"

#if defined(__wasm_relaxed_simd__)
// Relaxed build: each group of 16 (one scale) is one exact relaxed dot of the activations with
// the unsigned codes (0..63, inside the operand's deterministic range [0, 127]); the offset 32
// comes back through the activations' 16-element sums, which q8_k keeps (bsums).
static inline v128_t q6_k_half(const uint8_t *ql, const uint8_t *qh, const int8_t *sc, const int8_t *p,
                               const int16_t *bsums) {
    const v128_t m4 = wasm_i8x16_splat(15), m30 = wasm_i8x16_splat(0x30), zero = wasm_i32x4_splat(0);
    v128_t acc = zero;
    int32_t offset = 0;
    for (int l = 0; l < 32; l += 16) {            // scale index l/16 + 2k
        v128_t a = wasm_v128_load(ql + l), b = wasm_v128_load(ql + 32 + l), h = wasm_v128_load(qh + l);
        v128_t q[4] = {
            wasm_v128_or(wasm_v128_and(a, m4), wasm_v128_and(wasm_i8x16_shl(h, 4), m30)),
            wasm_v128_or(wasm_v128_and(b, m4), wasm_v128_and(wasm_i8x16_shl(h, 2), m30)),
            wasm_v128_or(wasm_u8x16_shr(a, 4), wasm_v128_and(h, m30)),
            wasm_v128_or(wasm_u8x16_shr(b, 4), wasm_v128_and(wasm_u8x16_shr(h, 2), m30)),
        };
        for (int k = 0; k < 4; k++) {
            int g = l/16 + 2*k;                       // also the 16-element group of p: (32k + l)/16
            v128_t d = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(wasm_v128_load(p + 32*k + l), q[k], zero);
            acc = wasm_i32x4_add(acc, wasm_i32x4_mul(d, wasm_i32x4_splat(sc[g])));
            offset += 32 * sc[g] * bsums[(32*k + l) / 16];
        }
    }
    return wasm_i32x4_sub(acc, wasm_i32x4_make(offset, 0, 0, 0));
}
#else
// Exact sum over one 128-element half of sc[e/16] * (code[e] - 32) * p[e]. For l in 0..31 the
// four quarters k = 0..3 take: ql[l] low, ql[l+32] low, ql[l] high, ql[l+32] high nibble,
// with qh[l] bits 2k..2k+1 as bits 4-5 (moved to 0x30 by <<4, <<2, as is, >>2). The scale is
// multiplied in at i16 (|(code-32)*sc| <= 4096) so one accumulator serves all 8 groups.
static inline v128_t q6_k_half(const uint8_t *ql, const uint8_t *qh, const int8_t *sc, const int8_t *p,
                               const int16_t *bsums) {
    (void)bsums;   // used by the relaxed variant above
    const v128_t m4 = wasm_i16x8_splat(15), m30 = wasm_i16x8_splat(0x30), off = wasm_i16x8_splat(32);
    v128_t acc = wasm_i32x4_splat(0);
    for (int l = 0; l < 32; l += 8) {             // scale index l/16 + 2k
        v128_t a = wasm_u16x8_load8x8(ql + l), b = wasm_u16x8_load8x8(ql + 32 + l), h = wasm_u16x8_load8x8(qh + l);
        v128_t q[4] = {
            wasm_v128_or(wasm_v128_and(a, m4), wasm_v128_and(wasm_i16x8_shl(h, 4), m30)),
            wasm_v128_or(wasm_v128_and(b, m4), wasm_v128_and(wasm_i16x8_shl(h, 2), m30)),
            wasm_v128_or(wasm_u16x8_shr(a, 4), wasm_v128_and(h, m30)),
            wasm_v128_or(wasm_u16x8_shr(b, 4), wasm_v128_and(wasm_u16x8_shr(h, 2), m30)),
        };
        for (int k = 0; k < 4; k++) {
            v128_t w = wasm_i16x8_mul(wasm_i16x8_sub(q[k], off), wasm_i16x8_splat(sc[l/16 + 2*k]));
            acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(w, wasm_i16x8_load8x8(p + 32*k + l)));
        }
    }
    return acc;
}
#endif

// Integer parts exact, float epilogue as _ref: bit-identical to _ref (LM_TOL_KQUANT).
float vec_dot_q6_k_q8_k_simd128(int64_t n, const void *w, const void *a) {
    const block_q6_k *x = w;
    const block_q8_k *y = a;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / LM_QK_K; i++) {
        v128_t acc = wasm_i32x4_add(q6_k_half(x[i].ql, x[i].qh, x[i].scales, y[i].qs, y[i].bsums),
                                    q6_k_half(x[i].ql + 64, x[i].qh + 32, x[i].scales + 8, y[i].qs + 128, y[i].bsums + 8));
        sum += lm_f16_to_f32(x[i].d) * y[i].d * (float)lm_hsum_i32x4(acc);
    }
    return sum;
}
#endif
