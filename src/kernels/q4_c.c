// q4_c: GGUF-M 4-bit per-channel weights (layout in tensor.h; docs/FORMAT.md). Blocks of 32
// codes in 16 bytes with q4_0's nibble order and no scale; w = s[row] * (code - 8). Dotted with
// a16 activations as one exact int32 sum over the whole row (kernels.h lm_dot_pc_fn).
#include "kernels.h"

void dequant_q4_c_ref(const void *src, float *dst, int64_t n) {
    const block_q4_c *b = src;
    for (int64_t i = 0; i < n / LM_QK4_C; i++)
        for (int j = 0; j < LM_QK4_C / 2; j++) {
            dst[i * LM_QK4_C + j]                = (float)((b[i].qs[j] & 15) - 8);
            dst[i * LM_QK4_C + j + LM_QK4_C / 2] = (float)((b[i].qs[j] >> 4) - 8);
        }
}

// Unit-scale values (already divided by the row scale) -> codes: round half to even, clamp to -8..7.
static inline int q4c_code(float v) {
    v = v < -8.0f ? -8.0f : v;
    v = 7.0f < v ? 7.0f : v;
    return lm_nearest_int(v) + 8;
}

void quantize_q4_c_ref(const float *src, void *dst, int64_t n) {
    block_q4_c *b = dst;
    for (int64_t i = 0; i < n / LM_QK4_C; i++) {
        const float *x = src + i * LM_QK4_C;
        for (int j = 0; j < LM_QK4_C / 2; j++)
            b[i].qs[j] = (uint8_t)(q4c_code(x[j]) | q4c_code(x[j + LM_QK4_C / 2]) << 4);
    }
}

// Raw-code dot: sum u*a with u = 0..15 (the offset 8 is removed by the caller, kernels.h).
// |sum| <= n * 15 * 128: exact in int32 for n < 2^20.
int32_t dot_q4_c_ref(int64_t n, const void *w, const int16_t *a) {
    const block_q4_c *x = w;
    int32_t acc = 0;
    for (int64_t i = 0; i < n / LM_QK4_C; i++, a += LM_QK4_C)
        for (int j = 0; j < LM_QK4_C / 2; j++) acc += (x[i].qs[j] & 15) * a[j] + (x[i].qs[j] >> 4) * a[j + LM_QK4_C / 2];
    return acc;
}

#if defined(__wasm_simd128__)
#include "simd128.h"

// load8x8_u puts qs bytes 0-7 (8-15) in u16 lanes: &15 gives elements 0-7 (8-15), >>4 gives
// 16-23 (24-31), already the i16 operands of dot_i16x8 against the pre-widened activations.
// Exact integer sum: identical to _ref.
static inline v128_t q4c_block(const block_q4_c *x, const int16_t *a, v128_t acc) {
    const v128_t m4 = wasm_i16x8_splat(15);
    v128_t q0 = wasm_u16x8_load8x8(x->qs), q1 = wasm_u16x8_load8x8(x->qs + 8);
    acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_v128_and(q0, m4), wasm_v128_load(a)));
    acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_v128_and(q1, m4), wasm_v128_load(a + 8)));
    acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_u16x8_shr(q0, 4), wasm_v128_load(a + 16)));
    return wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_u16x8_shr(q1, 4), wasm_v128_load(a + 24)));
}

// Two accumulators, two blocks in flight.
int32_t dot_q4_c_simd128(int64_t n, const void *w, const int16_t *a) {
    const block_q4_c *x = w;
    int64_t nb = n / LM_QK4_C, i = 0;
    v128_t acc0 = wasm_i32x4_splat(0), acc1 = acc0;
    for (; i + 2 <= nb; i += 2) {
        acc0 = q4c_block(x + i, a + i * LM_QK4_C, acc0);
        acc1 = q4c_block(x + i + 1, a + (i + 1) * LM_QK4_C, acc1);
    }
    if (i < nb) acc0 = q4c_block(x + i, a + i * LM_QK4_C, acc0);
    return lm_hsum_i32x4(wasm_i32x4_add(acc0, acc1));
}
#endif
