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
    lm_qsum q = lm_qsum_init(n / LM_QK);   // canonical lane order (kernels.h)
    for (int64_t i = 0; i < n / LM_QK; i++) {
        int32_t isum = 0;
        for (int j = 0; j < LM_QK / 2; j++) {
            isum += (x[i].qs[j] & 15) * y[i].qs[j];
            isum += (x[i].qs[j] >> 4) * y[i].qs[j + LM_QK/2];
        }
        lm_qsum_add(&q, i, (lm_f16_to_f32(x[i].d) * lm_f16_to_f32(y[i].d)) * (float)isum
                           + lm_f16_to_f32(x[i].m) * lm_f16_to_f32(y[i].s));
    }
    return lm_qsum_result(&q);
}

#if defined(__wasm_simd128__)
#include "simd128.h"

// Exact int32 dot of the unsigned nibbles (0..15) of one q4_1 block with one q8_1 block,
// as 4 partial sums; nibble order as q4_0_block_dot.
static inline v128_t q4_1_block_dot(const block_q4_1 *x, const block_q8_1 *y) {
    const v128_t m4 = wasm_i16x8_splat(15);
    v128_t q0 = wasm_u16x8_load8x8(x->qs), q1 = wasm_u16x8_load8x8(x->qs + 8);
    v128_t s = wasm_i32x4_dot_i16x8(wasm_v128_and(q0, m4), wasm_i16x8_load8x8(y->qs));
    s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wasm_v128_and(q1, m4), wasm_i16x8_load8x8(y->qs + 8)));
    s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wasm_u16x8_shr(q0, 4), wasm_i16x8_load8x8(y->qs + 16)));
    return wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wasm_u16x8_shr(q1, 4), wasm_i16x8_load8x8(y->qs + 24)));
}

// Blocks 0..3 -> lane k = (d_x*d_y)*isum + m_x*s_y, the same per-block term as _ref.
static inline v128_t q4_1_group4(const block_q4_1 *x, const block_q8_1 *y) {
    v128_t s = lm_hsum4_i32x4(q4_1_block_dot(x, y), q4_1_block_dot(x + 1, y + 1),
                              q4_1_block_dot(x + 2, y + 2), q4_1_block_dot(x + 3, y + 3));
    v128_t xdm = lm_load32x4_strided(x, sizeof *x), yds = lm_load32x4_strided(y, sizeof *y);   // (d, m), (d, s)
    v128_t d = wasm_f32x4_mul(lm_f16lo_to_f32x4(xdm), lm_f16lo_to_f32x4(yds));
    v128_t ms = wasm_f32x4_mul(lm_f16hi16_to_f32x4(xdm), lm_f16hi16_to_f32x4(yds));
    return wasm_f32x4_add(wasm_f32x4_mul(d, wasm_f32x4_convert_i32x4(s)), ms);
}

// Per-block terms and their summation order equal _ref's (kernels.h lm_qsum): bit-identical.
float vec_dot_q4_1_q8_1_simd128(int64_t n, const void *w, const void *a) {
    const block_q4_1 *x = w;
    const block_q8_1 *y = a;
    int64_t nb = n / LM_QK, i = 0;
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (; i + 4 <= nb; i += 4) acc = wasm_f32x4_add(acc, q4_1_group4(x + i, y + i));
    float tail = 0.0f;
    for (; i < nb; i++)
        tail += (lm_f16_to_f32(x[i].d) * lm_f16_to_f32(y[i].d)) * (float)lm_hsum_i32x4(q4_1_block_dot(x + i, y + i))
              + lm_f16_to_f32(x[i].m) * lm_f16_to_f32(y[i].s);
    return lm_hsum_f32x4(acc) + tail;
}
#endif
