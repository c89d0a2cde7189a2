// q2_c: GGUF-M 2-bit per-channel weights (layout in tensor.h; docs/FORMAT.md). Blocks of 64
// codes in 16 bytes, "planar by shift": byte j holds elements j, 16+j, 32+j, 48+j in bits 1:0,
// 3:2, 5:4, 7:6; w = s[row] * (code - 2), i.e. values -2..1. Dotted with a16 activations as one
// exact int32 sum over the whole row (kernels.h lm_dot_pc_fn).
#include "kernels.h"

void dequant_q2_c_ref(const void *src, float *dst, int64_t n) {
    const block_q2_c *b = src;
    for (int64_t i = 0; i < n / LM_QK2_C; i++)
        for (int k = 0; k < 4; k++)
            for (int j = 0; j < 16; j++) dst[i * LM_QK2_C + 16 * k + j] = (float)(((b[i].qs[j] >> (2 * k)) & 3) - 2);
}

// Unit-scale values -> codes: round half to even, clamp to -2..1.
static inline int q2c_code(float v) {
    v = v < -2.0f ? -2.0f : v;
    v = 1.0f < v ? 1.0f : v;
    return lm_nearest_int(v) + 2;
}

void quantize_q2_c_ref(const float *src, void *dst, int64_t n) {
    block_q2_c *b = dst;
    for (int64_t i = 0; i < n / LM_QK2_C; i++) {
        const float *x = src + i * LM_QK2_C;
        for (int j = 0; j < 16; j++)
            b[i].qs[j] = (uint8_t)(q2c_code(x[j]) | q2c_code(x[16 + j]) << 2 | q2c_code(x[32 + j]) << 4 | q2c_code(x[48 + j]) << 6);
    }
}

// Raw-code dot: sum u*a with u = 0..3 (the offset 2 is removed by the caller, kernels.h).
int32_t dot_q2_c_ref(int64_t n, const void *w, const int16_t *a) {
    const block_q2_c *x = w;
    int32_t acc = 0;
    for (int64_t i = 0; i < n / LM_QK2_C; i++, a += LM_QK2_C)
        for (int k = 0; k < 4; k++)
            for (int j = 0; j < 16; j++) acc += ((x[i].qs[j] >> (2 * k)) & 3) * a[16 * k + j];
    return acc;
}

void gemm_q2_c_ref(int64_t n, const void *w, int64_t wb, int nr, const int16_t *a, int nt, int32_t *out) {
    lm_gemm_pc_loop(dot_q2_c_ref, n, w, wb, nr, a, nt, out);
}

#if defined(__wasm_simd128__)
#include "simd128.h"

#if defined(__wasm_relaxed_simd__)
// Relaxed build: the codes of elements 16k..16k+15 as u8 ((u16 >> 2k) & 0x03 per byte, as below)
// are the second operand of i32x4.relaxed_dot_i8x16_i7x16_add, exact and deterministic for values
// in [0, 127]; the activations (int8 codes in int16 lanes) are narrowed back to i8 (exact). One
// dot-add per 16 products instead of 2 extends, 2 dots and 2 adds. Identical to _ref.
#define Q2C_PART(v, k, a, acc)                                                                        \
    do {                                                                                              \
        v128_t c_ = wasm_v128_and(wasm_u16x8_shr(v, 2 * (k)), m3);                                   \
        v128_t a_ = wasm_i8x16_narrow_i16x8(wasm_v128_load((a) + 16 * (k)), wasm_v128_load((a) + 16 * (k) + 8)); \
        acc = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(a_, c_, acc);                                   \
    } while (0)
#else
// One 16-byte load; for shift 2k, (u16 >> 2k) & 0x03 per byte gives the codes of elements
// 16k..16k+15 as u8x16 (the u16 shift drags the neighbour byte's bits in, the byte mask drops
// them); zero-extend to i16 and dot against the pre-widened activations. With the offset out of
// the loop that is 1 load + per 16 codes shr, and, 2 extends, 2 dots (+26% over subtracting 2
// here, on the development machine). Exact: identical to _ref.
#define Q2C_PART(v, k, a, acc)                                                                        \
    do {                                                                                              \
        v128_t c_ = wasm_v128_and(wasm_u16x8_shr(v, 2 * (k)), m3);                                   \
        acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_u16x8_extend_low_u8x16(c_), wasm_v128_load((a) + 16 * (k))));      \
        acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_u16x8_extend_high_u8x16(c_), wasm_v128_load((a) + 16 * (k) + 8))); \
    } while (0)
#endif

int32_t dot_q2_c_simd128(int64_t n, const void *w, const int16_t *a) {
    const block_q2_c *x = w;
    const v128_t m3 = wasm_i8x16_splat(3);
    v128_t acc0 = wasm_i32x4_splat(0), acc1 = acc0;
    for (int64_t i = 0; i < n / LM_QK2_C; i++, a += LM_QK2_C) {
        v128_t v = wasm_v128_load(x[i].qs);
        Q2C_PART(v, 0, a, acc0);
        Q2C_PART(v, 1, a, acc1);
        Q2C_PART(v, 2, a, acc0);
        Q2C_PART(v, 3, a, acc1);
    }
    return lm_hsum_i32x4(wasm_i32x4_add(acc0, acc1));
}
#undef Q2C_PART

// 4 rows x NT tokens (NT = 1 or 2) of one tile: out[t * 4 + r]. For each 16-code part of a block,
// each row's codes are decoded once for the NT tokens and each activation vector is loaded (the
// relaxed build: narrowed) once for the 4 rows. Exact: identical to _ref.
static inline __attribute__((always_inline)) void q2c_tile(int64_t n, const uint8_t *w, int64_t wb, const int16_t *a,
                                                           const int NT, int32_t *out) {
    const v128_t m3 = wasm_i8x16_splat(3);
    v128_t acc[4][2];
    for (int r = 0; r < 4; r++) acc[r][0] = acc[r][1] = wasm_i32x4_splat(0);
    for (int64_t i = 0; i < n / LM_QK2_C; i++) {
        const uint8_t *wi = w + i * (int64_t)sizeof(block_q2_c);
        const int16_t *ai = a + i * LM_QK2_C;
        v128_t v[4];
        for (int r = 0; r < 4; r++) v[r] = wasm_v128_load(wi + r * wb);
        for (int k = 0; k < 4; k++) {
#if defined(__wasm_relaxed_simd__)
            v128_t a8[2];
            for (int t = 0; t < NT; t++)
                a8[t] = wasm_i8x16_narrow_i16x8(wasm_v128_load(ai + t * n + 16 * k), wasm_v128_load(ai + t * n + 16 * k + 8));
            for (int r = 0; r < 4; r++) {
                v128_t c = wasm_v128_and(wasm_u16x8_shr(v[r], 2 * k), m3);
                for (int t = 0; t < NT; t++) acc[r][t] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(a8[t], c, acc[r][t]);
            }
#else
            v128_t al[2], ah[2];
            for (int t = 0; t < NT; t++) { al[t] = wasm_v128_load(ai + t * n + 16 * k); ah[t] = wasm_v128_load(ai + t * n + 16 * k + 8); }
            for (int r = 0; r < 4; r++) {
                v128_t c = wasm_v128_and(wasm_u16x8_shr(v[r], 2 * k), m3);
                v128_t cl = wasm_u16x8_extend_low_u8x16(c), ch = wasm_u16x8_extend_high_u8x16(c);
                for (int t = 0; t < NT; t++)
                    acc[r][t] = wasm_i32x4_add(wasm_i32x4_add(acc[r][t], wasm_i32x4_dot_i16x8(cl, al[t])), wasm_i32x4_dot_i16x8(ch, ah[t]));
            }
#endif
        }
    }
    for (int t = 0; t < NT; t++) wasm_v128_store(out + 4 * t, lm_hsum4_i32x4(acc[0][t], acc[1][t], acc[2][t], acc[3][t]));
}

// Tiles of 2 (then 1) tokens; partial tiles run the one-row dot per row. SIMD128: so does one
// token (decode), where the one-row dot measured faster than a 4 x 1 tile on the 262144 x 1536 LM
// head; the relaxed build keeps the 4 x 1 tile, which narrows each activation vector once for 4 rows.
#if defined(__wasm_relaxed_simd__)
#define ROWS_ONLY(nr, nt) ((nr) != 4)
#else
#define ROWS_ONLY(nr, nt) ((nr) != 4 || (nt) == 1)
#endif
void gemm_q2_c_simd128(int64_t n, const void *w, int64_t wb, int nr, const int16_t *a, int nt, int32_t *out) {
    if (ROWS_ONLY(nr, nt)) { lm_gemm_pc_loop(dot_q2_c_simd128, n, w, wb, nr, a, nt, out); return; }
    int t = 0;
    for (; t + 2 <= nt; t += 2) q2c_tile(n, w, wb, a + t * n, 2, out + 4 * t);
    if (t < nt) q2c_tile(n, w, wb, a + t * n, 1, out + 4 * t);
}
#undef ROWS_ONLY
#endif
