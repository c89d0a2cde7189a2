// i8: ggml's plain int8 type (id 24), used by GGUF-M as per-channel 8-bit weights: w = s[row] * q
// (docs/FORMAT.md). Block size 1; the kernels take any n. Dotted with a16 activations as one
// exact int32 sum over the whole row.
#include "kernels.h"

void dequant_i8_ref(const void *src, float *dst, int64_t n) {
    const int8_t *q = src;
    for (int64_t i = 0; i < n; i++) dst[i] = (float)q[i];
}

// Unit-scale values -> int8: round half to even, clamp to -128..127.
void quantize_i8_ref(const float *src, void *dst, int64_t n) {
    int8_t *q = dst;
    for (int64_t i = 0; i < n; i++) {
        float v = src[i] < -128.0f ? -128.0f : src[i];
        v = 127.0f < v ? 127.0f : v;
        q[i] = (int8_t)lm_nearest_int(v);
    }
}

// |sum| <= n * 128 * 128: exact in int32 for n < 131072 (loaders cap cols at 65536). Offset 0.
int32_t dot_i8_ref(int64_t n, const void *w, const int16_t *a) {
    const int8_t *x = w;
    int32_t acc = 0;
    for (int64_t i = 0; i < n; i++) acc += x[i] * a[i];
    return acc;
}

void gemm_i8_ref(int64_t n, const void *w, int64_t wb, int nr, const int16_t *a, int nt, int32_t *out) {
    lm_gemm_pc_loop(dot_i8_ref, n, w, wb, nr, a, nt, out);
}

// y += a * x over int8 codes (the int8 KV cache's V rows): elementwise, so SIMD gives the same bits.
void axpy_i8_ref(float *y, float a, const int8_t *x, int n) {
    for (int i = 0; i < n; i++) y[i] += a * (float)x[i];
}

// The canonical float dot (kernels.h, as vec_dot_f32_ref) of the codes as floats with q.
float dot_f32_i8_ref(int64_t n, const int8_t *c, const float *q) {
    float cf[256];
    double sum = 0.0;
    int64_t i = 0, n8 = n - n % 8;
    while (i < n8) {
        int len = (int)(n8 - i < 256 ? n8 - i : 256);
        for (int e = 0; e < len; e++) cf[e] = (float)c[i + e];
        sum += lm_fdot_chunk(cf, q + i, len);
        i += len;
    }
    for (; i < n; i++) sum += (double)c[i] * (double)q[i];
    return (float)sum;
}

#if defined(__wasm_simd128__)
#include "simd128.h"

// load8x8_s sign-extends 8 weights to i16; one dot_i16x8 per 8; scalar tail. Exact: identical to _ref.
int32_t dot_i8_simd128(int64_t n, const void *w, const int16_t *a) {
    const int8_t *x = w;
    v128_t acc0 = wasm_i32x4_splat(0), acc1 = acc0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = wasm_i32x4_add(acc0, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(x + i), wasm_v128_load(a + i)));
        acc1 = wasm_i32x4_add(acc1, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(x + i + 8), wasm_v128_load(a + i + 8)));
    }
    int32_t acc = lm_hsum_i32x4(wasm_i32x4_add(acc0, acc1));
    for (; i < n; i++) acc += x[i] * a[i];
    return acc;
}

// 4 rows x NT tokens (NT = 1 or 2): out[t * 4 + r]. Each activation vector is loaded once for the
// 4 rows and each weight vector once for the NT tokens; scalar tail. Exact: identical to _ref.
static inline __attribute__((always_inline)) void i8_tile(int64_t n, const int8_t *w, int64_t wb, const int16_t *a,
                                                          const int NT, int32_t *out) {
    v128_t acc[4][2];
    for (int r = 0; r < 4; r++) acc[r][0] = acc[r][1] = wasm_i32x4_splat(0);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        v128_t av[2];
        for (int t = 0; t < NT; t++) av[t] = wasm_v128_load(a + t * n + i);
        for (int r = 0; r < 4; r++) {
            v128_t wv = wasm_i16x8_load8x8(w + r * wb + i);
            for (int t = 0; t < NT; t++) acc[r][t] = wasm_i32x4_add(acc[r][t], wasm_i32x4_dot_i16x8(wv, av[t]));
        }
    }
    for (int t = 0; t < NT; t++) {
        wasm_v128_store(out + 4 * t, lm_hsum4_i32x4(acc[0][t], acc[1][t], acc[2][t], acc[3][t]));
        for (int r = 0; r < 4; r++)
            for (int64_t k = i; k < n; k++) out[4 * t + r] += w[r * wb + k] * a[t * n + k];
    }
}

// Tiles of 2 (then 1) tokens. One token (decode) and partial tiles run the one-row dot per row:
// on the 262144 x 1536 LM head it measured faster than a 4 x 1 tile.
void gemm_i8_simd128(int64_t n, const void *w, int64_t wb, int nr, const int16_t *a, int nt, int32_t *out) {
    if (nr != 4 || nt == 1) { lm_gemm_pc_loop(dot_i8_simd128, n, w, wb, nr, a, nt, out); return; }
    int t = 0;
    for (; t + 2 <= nt; t += 2) i8_tile(n, w, wb, a + t * n, 2, out + 4 * t);
    if (t < nt) i8_tile(n, w, wb, a + t * n, 1, out + 4 * t);
}
void axpy_i8_simd128(float *y, float a, const int8_t *x, int n) {
    v128_t va = wasm_f32x4_splat(a);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        v128_t w = wasm_i16x8_load8x8(x + i);
        v128_t lo = wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(w)), hi = wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(w));
        wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_f32x4_mul(va, lo)));
        wasm_v128_store(y + i + 4, wasm_f32x4_add(wasm_v128_load(y + i + 4), wasm_f32x4_mul(va, hi)));
    }
    for (; i < n; i++) y[i] += a * (float)x[i];
}
// vec_dot_f32_simd128's lane structure with the 8 codes widened in registers.
float dot_f32_i8_simd128(int64_t n, const int8_t *c, const float *q) {
    double sum = 0.0;
    int64_t i = 0, n8 = n - n % 8;
    while (i < n8) {
        int64_t end = i + 256 < n8 ? i + 256 : n8;
        v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0;
        for (; i < end; i += 8) {
            v128_t w = wasm_i16x8_load8x8(c + i);
            v128_t xa = wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(w)), xb = wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(w));
            v128_t ya = wasm_v128_load(q + i), yb = wasm_v128_load(q + i + 4);
            s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_i32x4_shuffle(xa, xb, 0, 2, 4, 6), wasm_i32x4_shuffle(ya, yb, 0, 2, 4, 6)));
            s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_i32x4_shuffle(xa, xb, 1, 3, 5, 7), wasm_i32x4_shuffle(ya, yb, 1, 3, 5, 7)));
        }
        sum += lm_hsum_f32x4_f64(wasm_f32x4_add(s0, s1));
    }
    for (; i < n; i++) sum += (double)c[i] * (double)q[i];
    return (float)sum;
}
#endif
