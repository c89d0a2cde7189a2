// q8_0: blocks of 32 int8 with one fp16 scale (layout in tensor.h). Also the activation format
// for q4_0/q8_0 dots; quantization follows ggml's x86 path (scale 127/amax, round half to even).
#include "kernels.h"
#include "../f16.h"
#include <math.h>

void dequant_q8_0_ref(const void *src, float *dst, int64_t n) {
    const block_q8_0 *b = src;
    for (int64_t i = 0; i < n / LM_QK; i++) {
        float d = lm_f16_to_f32(b[i].d);
        for (int j = 0; j < LM_QK; j++) dst[i * LM_QK + j] = d * b[i].qs[j];
    }
}

void quantize_q8_0_ref(const float *src, void *dst, int64_t n) {
    block_q8_0 *b = dst;
    for (int64_t i = 0; i < n / LM_QK; i++) {
        const float *x = src + i * LM_QK;
        float amax = 0.0f;
        for (int j = 0; j < LM_QK; j++) amax = fmaxf(amax, fabsf(x[j]));
        b[i].d = lm_f32_to_f16(amax / 127.0f);
        float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        for (int j = 0; j < LM_QK; j++) b[i].qs[j] = (int8_t)lm_nearest_int(x[j] * id);
    }
}

float vec_dot_q8_0_q8_0_ref(int64_t n, const void *w, const void *a) {
    const block_q8_0 *x = w, *y = a;
    lm_qsum q = lm_qsum_init(n / LM_QK);   // canonical lane order (kernels.h)
    for (int64_t i = 0; i < n / LM_QK; i++) {
        int32_t isum = 0;
        for (int j = 0; j < LM_QK; j++) isum += x[i].qs[j] * y[i].qs[j];
        lm_qsum_add(&q, i, (float)isum * (lm_f16_to_f32(x[i].d) * lm_f16_to_f32(y[i].d)));
    }
    return lm_qsum_result(&q);
}

#if defined(__wasm_simd128__)
#include "simd128.h"

// Bit-identical to quantize_q8_0_ref for finite x with 127/amax finite (amax > ~4e-37): same
// amax, same x*id products, f32x4.nearest rounds half to even like lm_nearest_int, and
// |x*id| <= 127 so the saturating narrows never clip.
void quantize_q8_0_simd128(const float *src, void *dst, int64_t n) {
    block_q8_0 *b = dst;
    for (int64_t i = 0; i < n / LM_QK; i++) {
        const float *x = src + i * LM_QK;
        float amax = lm_absmax32(x);
        b[i].d = lm_f32_to_f16(amax / 127.0f);
        v128_t id = wasm_f32x4_splat(amax != 0.0f ? 127.0f / amax : 0.0f);
        wasm_v128_store(b[i].qs, lm_round16_i8(x, id));
        wasm_v128_store(b[i].qs + 16, lm_round16_i8(x + 16, id));
    }
}

// Exact int32 dot of one block pair as 4 partial sums: load8x8_s sign-extends 8 int8 to i16,
// dot_i16x8 multiplies pairs and adds adjacent products (|sum| <= 2*128*128).
static inline v128_t q8_0_block_dot(const block_q8_0 *x, const block_q8_0 *y) {
    v128_t s = wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(x->qs), wasm_i16x8_load8x8(y->qs));
    for (int j = 8; j < LM_QK; j += 8)
        s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(x->qs + j), wasm_i16x8_load8x8(y->qs + j)));
    return s;
}

// Blocks 0..3 -> lane k = (float)isum_k * (d_x,k * d_y,k), the same per-block term as _ref.
static inline v128_t q8_0_group4(const block_q8_0 *x, const block_q8_0 *y) {
    v128_t s = lm_hsum4_i32x4(q8_0_block_dot(x, y), q8_0_block_dot(x + 1, y + 1),
                              q8_0_block_dot(x + 2, y + 2), q8_0_block_dot(x + 3, y + 3));
    v128_t d = wasm_f32x4_mul(lm_f16lo_to_f32x4(lm_load32x4_strided(x, sizeof *x)),     // d is each block's
                              lm_f16lo_to_f32x4(lm_load32x4_strided(y, sizeof *y)));    // first field
    return wasm_f32x4_mul(wasm_f32x4_convert_i32x4(s), d);
}

// Per-block terms and their summation order equal _ref's (kernels.h lm_qsum): bit-identical.
float vec_dot_q8_0_q8_0_simd128(int64_t n, const void *w, const void *a) {
    const block_q8_0 *x = w, *y = a;
    int64_t nb = n / LM_QK, i = 0;
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (; i + 4 <= nb; i += 4) acc = wasm_f32x4_add(acc, q8_0_group4(x + i, y + i));
    float tail = 0.0f;
    for (; i < nb; i++)
        tail += (float)lm_hsum_i32x4(q8_0_block_dot(x + i, y + i)) * (lm_f16_to_f32(x[i].d) * lm_f16_to_f32(y[i].d));
    return lm_hsum_f32x4(acc) + tail;
}
#endif
