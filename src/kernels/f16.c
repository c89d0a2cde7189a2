// f16: IEEE half weights; activations are rounded to f16 before the dot, as ggml's CPU backend does.
#include "kernels.h"
#include "../f16.h"

void dequant_f16_ref(const void *src, float *dst, int64_t n) {
    const uint16_t *h = src;
    for (int64_t i = 0; i < n; i++) dst[i] = lm_f16_to_f32(h[i]);
}

void quantize_f16_ref(const float *src, void *dst, int64_t n) {
    uint16_t *h = dst;
    for (int64_t i = 0; i < n; i++) h[i] = lm_f32_to_f16(src[i]);
}

// Canonical float-dot order (kernels.h) over the converted values; products are exact in f32.
float vec_dot_f16_ref(int64_t n, const void *w, const void *a) { return lm_fdot_u16(n, w, a, lm_f16_to_f32); }

// Elementwise, so any vector width gives the same bits (a product, then a sum: no fused multiply-add).
void axpy_f16_ref(float *y, float a, const uint16_t *x, int n) {
    for (int i = 0; i < n; i++) y[i] += a * lm_f16_to_f32(x[i]);
}

void gemm_f16_ref(int64_t n, const void *w, int64_t wb, int64_t nr, const void *a, int64_t ab, int32_t nt, float *y, int64_t ys) {
    lm_gemm_loop(vec_dot_f16_ref, n, w, wb, nr, a, ab, nt, y, ys);
}

#if defined(__wasm_simd128__)
#include "simd128.h"

// Finite half in the high 16 bits of each lane (low bits ignored) -> f32x4, exact: the
// arithmetic shift puts exp|man in f32 position and copies the sign down, the mask keeps the
// sign bit and exp|man, and 2^112 rebiases the exponent (subnormals included).
static inline v128_t f16hi_finite_to_f32x4(v128_t h) {
    v128_t v = wasm_v128_and(wasm_i32x4_shr(h, 3), wasm_i32x4_splat((int32_t)0x8fffe000u));
    return wasm_f32x4_mul(v, wasm_f32x4_splat(0x1p112f));
}

// sum of x[i]*y[i] over len (% 8 == 0) elements in f32 lanes: even elements come from the
// low u16 of each u32 lane (shifted up), odd ones from the high u16. exact = 0 takes the
// finite-only conversion and keeps the largest |bits| in *seen so the caller can tell.
static inline v128_t f16_chunk(const uint16_t *x, const uint16_t *y, int64_t len, int exact, v128_t *seen) {
    v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0;
    for (int64_t i = 0; i < len; i += 8) {
        v128_t vx = wasm_v128_load(x + i), vy = wasm_v128_load(y + i), xe, xo, ye, yo;
        if (exact) {
            xe = lm_f16hi_to_f32x4(wasm_i32x4_shl(vx, 16));  xo = lm_f16hi_to_f32x4(vx);
            ye = lm_f16hi_to_f32x4(wasm_i32x4_shl(vy, 16));  yo = lm_f16hi_to_f32x4(vy);
        } else {
            *seen = wasm_u16x8_max(*seen, wasm_u16x8_max(wasm_v128_and(vx, wasm_i16x8_splat(0x7fff)),
                                                         wasm_v128_and(vy, wasm_i16x8_splat(0x7fff))));
            xe = f16hi_finite_to_f32x4(wasm_i32x4_shl(vx, 16));  xo = f16hi_finite_to_f32x4(vx);
            ye = f16hi_finite_to_f32x4(wasm_i32x4_shl(vy, 16));  yo = f16hi_finite_to_f32x4(vy);
        }
        s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(xe, ye));
        s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(xo, yo));
    }
    return wasm_f32x4_add(s0, s1);
}

// f16 products are exact in f32 (11-bit significands), so only the summation differs from
// _ref: f32 lanes per chunk of at most 256 elements, each chunk flushed into a double. A
// chunk holding an inf/NaN (|bits| >= 0x7c00) is redone with the general conversion.
// Bit-identical to _ref (the canonical order of kernels.h).
float vec_dot_f16_simd128(int64_t n, const void *w, const void *a) {
    const uint16_t *x = w, *y = a;
    double sum = 0.0;
    int64_t i = 0, n8 = n - n % 8;
    for (; i < n8; i += 256) {
        int64_t len = n8 - i < 256 ? n8 - i : 256;
        v128_t seen = wasm_i16x8_splat(0);
        v128_t s = f16_chunk(x + i, y + i, len, 0, &seen);
        if (wasm_v128_any_true(wasm_u16x8_ge(seen, wasm_i16x8_splat(0x7c00)))) s = f16_chunk(x + i, y + i, len, 1, &seen);
        sum += lm_hsum_f32x4_f64(s);
    }
    for (i = n8; i < n; i++) sum += (double)lm_f16_to_f32(x[i]) * (double)lm_f16_to_f32(y[i]);
    return (float)sum;
}

// ---- gemm: activations as floats (converted once); tiles of 4 rows x 1 token or 1 row x 4 tokens ----

// The f16-rounded activations as f32 (exact), each 8 reordered as elements 0,2,4,6,1,3,5,7 to
// match the even/odd halves of a weight load; the n % 8 tail stays in order. Scalar: once per row.
void act_prep_f16_simd128(const float *src, void *dst, int64_t n) {
    float *d = dst;
    int64_t n8 = n - n % 8;
    for (int64_t i = 0; i < n8; i++) d[i - i % 8 + (i % 2) * 4 + (i % 8) / 2] = lm_round_f16(src[i]);
    for (int64_t i = n8; i < n; i++) d[i] = lm_round_f16(src[i]);
}

// One chunk (len % 8 == 0) of NR weight rows against NT token rows (NR * NT <= 4): pair
// p = r * NT + t keeps f16_chunk's lanes (even elements' products in s[p][0], odd in s[p][1]).
// exact as in f16_chunk.
static inline __attribute__((always_inline)) void f16_chunk_tile(const uint16_t *const x[4], const float *const a[4], int64_t len,
                                                                 int exact, v128_t *seen, int NR, int NT, v128_t s[4][2]) {
    for (int p = 0; p < NR * NT; p++) s[p][0] = s[p][1] = wasm_f32x4_splat(0.0f);
    for (int64_t i = 0; i < len; i += 8) {
        v128_t xe[4], xo[4];
        for (int r = 0; r < NR; r++) {
            v128_t vx = wasm_v128_load(x[r] + i);
            if (exact) {
                xe[r] = lm_f16hi_to_f32x4(wasm_i32x4_shl(vx, 16));  xo[r] = lm_f16hi_to_f32x4(vx);
            } else {
                *seen = wasm_u16x8_max(*seen, wasm_v128_and(vx, wasm_i16x8_splat(0x7fff)));
                xe[r] = f16hi_finite_to_f32x4(wasm_i32x4_shl(vx, 16));  xo[r] = f16hi_finite_to_f32x4(vx);
            }
        }
        for (int t = 0; t < NT; t++) {
            v128_t ae = wasm_v128_load(a[t] + i), ao = wasm_v128_load(a[t] + i + 4);
            for (int r = 0; r < NR; r++) {
                s[r * NT + t][0] = wasm_f32x4_add(s[r * NT + t][0], wasm_f32x4_mul(xe[r], ae));
                s[r * NT + t][1] = wasm_f32x4_add(s[r * NT + t][1], wasm_f32x4_mul(xo[r], ao));
            }
        }
    }
}

// out[r * NT + t] = row r . token t, each in the canonical order of vec_dot_f16_ref: chunks of
// 256 flushed into a double (a chunk whose weights hold an inf/NaN is redone exactly), then the
// tail as double products.
static inline __attribute__((always_inline)) void f16_tile(int64_t n, const uint16_t *const x[4], const float *const a[4],
                                                           int NR, int NT, float out[4]) {
    double sum[4] = { 0.0, 0.0, 0.0, 0.0 };
    int64_t i = 0, n8 = n - n % 8;
    for (; i < n8; i += 256) {
        int64_t len = n8 - i < 256 ? n8 - i : 256;
        const uint16_t *xi[4] = { x[0] + i, x[1] + i, x[2] + i, x[3] + i };
        const float *ai[4] = { a[0] + i, a[1] + i, a[2] + i, a[3] + i };
        v128_t seen = wasm_i16x8_splat(0), s[4][2];
        f16_chunk_tile(xi, ai, len, 0, &seen, NR, NT, s);
        if (wasm_v128_any_true(wasm_u16x8_ge(seen, wasm_i16x8_splat(0x7c00)))) f16_chunk_tile(xi, ai, len, 1, &seen, NR, NT, s);
        for (int p = 0; p < NR * NT; p++) sum[p] += lm_hsum_f32x4_f64(wasm_f32x4_add(s[p][0], s[p][1]));
    }
    for (int r = 0; r < NR; r++)
        for (int t = 0; t < NT; t++) {
            for (i = n8; i < n; i++) sum[r * NT + t] += (double)lm_f16_to_f32(x[r][i]) * (double)a[t][i];
            out[r * NT + t] = (float)sum[r * NT + t];
        }
}

// Fewer than 4 tokens: 4 rows per pass, sharing each activation load (decode: the activations
// may not fit L1). Else one row against 4 tokens, its conversion shared. Lanes past the last row
// or token repeat it and are dropped. Bit-identical to _ref per row and token.
void gemm_f16_simd128(int64_t n, const void *w, int64_t wb, int64_t nr, const void *a, int64_t ab, int32_t nt, float *y, int64_t ys) {
    const uint8_t *W = w, *A = a;
    const uint16_t *x[4];
    const float *at[4];
    float out[4];
    if (nt < 4) {
        for (int64_t r = 0; r < nr; r += 4) {
            for (int k = 0; k < 4; k++) x[k] = (const void *)(W + (r + k < nr ? r + k : nr - 1) * wb);
            for (int32_t t = 0; t < nt; t++) {
                at[0] = at[1] = at[2] = at[3] = (const void *)(A + t * ab);
                f16_tile(n, x, at, 4, 1, out);
                for (int k = 0; k < 4 && r + k < nr; k++) y[t * ys + r + k] = out[k];
            }
        }
        return;
    }
    for (int64_t r = 0; r < nr; r++) {
        x[0] = x[1] = x[2] = x[3] = (const void *)(W + r * wb);
        for (int32_t t = 0; t < nt; t += 4) {
            for (int k = 0; k < 4; k++) at[k] = (const void *)(A + (t + k < nt ? t + k : nt - 1) * ab);
            f16_tile(n, x, at, 1, 4, out);
            for (int k = 0; k < 4 && t + k < nt; k++) y[(t + k) * ys + r] = out[k];
        }
    }
}
void axpy_f16_simd128(float *y, float a, const uint16_t *x, int n) {
    v128_t va = wasm_f32x4_splat(a);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        v128_t h = wasm_v128_load(x + i);
        v128_t lo = lm_f16lo_to_f32x4(wasm_u32x4_extend_low_u16x8(h)), hi = lm_f16lo_to_f32x4(wasm_u32x4_extend_high_u16x8(h));
        wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_f32x4_mul(va, lo)));
        wasm_v128_store(y + i + 4, wasm_f32x4_add(wasm_v128_load(y + i + 4), wasm_f32x4_mul(va, hi)));
    }
    for (; i < n; i++) y[i] += a * lm_f16_to_f32(x[i]);
}
#endif
