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

void gemm_q4_c_ref(int64_t n, const void *w, int64_t wb, int nr, const int16_t *a, int nt, int32_t *out) {
    lm_gemm_pc_loop(dot_q4_c_ref, n, w, wb, nr, a, nt, out);
}

#if defined(__wasm_simd128__)
#include "simd128.h"

#if defined(__wasm_relaxed_simd__)
// Relaxed build: i32x4.relaxed_dot_i8x16_i7x16_add is exact and deterministic when every element
// of its second operand is in [0, 127]; the raw codes 0..15 are. &15 / u8 >>4 of the 16 bytes give
// elements 0-15 / 16-31 as u8; the activations (int8 codes in int16 lanes) are narrowed back to
// i8 (exact). 2 dot-adds per 32 products instead of 4 dots + 4 adds. Identical to _ref.
static inline v128_t q4c_block(const block_q4_c *x, const int16_t *a, v128_t acc) {
    v128_t q = wasm_v128_load(x->qs);
    v128_t a0 = wasm_i8x16_narrow_i16x8(wasm_v128_load(a), wasm_v128_load(a + 8));
    v128_t a1 = wasm_i8x16_narrow_i16x8(wasm_v128_load(a + 16), wasm_v128_load(a + 24));
    acc = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(a0, wasm_v128_and(q, wasm_i8x16_splat(15)), acc);
    return wasm_i32x4_relaxed_dot_i8x16_i7x16_add(a1, wasm_u8x16_shr(q, 4), acc);
}
#else
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
#endif

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

// 4 rows x NT tokens (NT = 1 or 2) of one tile: out[t * 4 + r]. Per block each row's codes are
// loaded and decoded once for the NT tokens, and each activation vector is loaded once for the 4
// rows (the relaxed build also narrows it once). Exact: identical to _ref.
static inline __attribute__((always_inline)) void q4c_tile(int64_t n, const uint8_t *w, int64_t wb, const int16_t *a,
                                                           const int NT, int32_t *out) {
    v128_t acc[4][2];
    for (int r = 0; r < 4; r++) acc[r][0] = acc[r][1] = wasm_i32x4_splat(0);
    for (int64_t i = 0; i < n / LM_QK4_C; i++) {
        const uint8_t *wi = w + i * (int64_t)sizeof(block_q4_c);
        const int16_t *ai = a + i * LM_QK4_C;
#if defined(__wasm_relaxed_simd__)
        v128_t a0[2], a1[2];
        for (int t = 0; t < NT; t++) {
            a0[t] = wasm_i8x16_narrow_i16x8(wasm_v128_load(ai + t * n), wasm_v128_load(ai + t * n + 8));
            a1[t] = wasm_i8x16_narrow_i16x8(wasm_v128_load(ai + t * n + 16), wasm_v128_load(ai + t * n + 24));
        }
        for (int r = 0; r < 4; r++) {
            v128_t q = wasm_v128_load(wi + r * wb), lo = wasm_v128_and(q, wasm_i8x16_splat(15)), hi = wasm_u8x16_shr(q, 4);
            for (int t = 0; t < NT; t++)
                acc[r][t] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(a1[t], hi, wasm_i32x4_relaxed_dot_i8x16_i7x16_add(a0[t], lo, acc[r][t]));
        }
#else
        for (int h = 0; h < 2; h++) {
            v128_t lo[2], hi[2];
            for (int t = 0; t < NT; t++) { lo[t] = wasm_v128_load(ai + t * n + 8 * h); hi[t] = wasm_v128_load(ai + t * n + 16 + 8 * h); }
            for (int r = 0; r < 4; r++) {
                v128_t q = wasm_u16x8_load8x8(wi + r * wb + 8 * h);
                v128_t wl = wasm_v128_and(q, wasm_i16x8_splat(15)), wh = wasm_u16x8_shr(q, 4);
                for (int t = 0; t < NT; t++)
                    acc[r][t] = wasm_i32x4_add(wasm_i32x4_add(acc[r][t], wasm_i32x4_dot_i16x8(wl, lo[t])), wasm_i32x4_dot_i16x8(wh, hi[t]));
            }
        }
#endif
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
void gemm_q4_c_simd128(int64_t n, const void *w, int64_t wb, int nr, const int16_t *a, int nt, int32_t *out) {
    if (ROWS_ONLY(nr, nt)) { lm_gemm_pc_loop(dot_q4_c_simd128, n, w, wb, nr, a, nt, out); return; }
    int t = 0;
    for (; t + 2 <= nt; t += 2) q4c_tile(n, w, wb, a + t * n, 2, out + 4 * t);
    if (t < nt) q4c_tile(n, w, wb, a + t * n, 1, out + 4 * t);
}
#undef ROWS_ONLY
#endif
