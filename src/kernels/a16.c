// a16: the activation format of the per-channel weight types (q2_c, q4_c, i8). One scale per
// activation vector, int8 codes held in int16 lanes: widened once per matvec so the dots feed
// i32x4.dot_i16x8 without extending activations (quant-formats.md §3.3). Never stored in files.
// Quantization is the wNa8o8 rule: q = clamp(round_half_even(x / s), -128, 127).
#include "kernels.h"
#include <math.h>
#include <string.h>

// Division (not a reciprocal multiply), as the fake-quant reference computes x / s. The clamp
// runs before rounding so huge ratios cannot overflow lm_nearest_int; NaN passes the clamp and
// rounds to 0 (the SIMD pmax/pmin/trunc_sat chain does the same).
static inline int16_t a16_code(float x, float s) {
    float v = x / s;
    v = v < -128.0f ? -128.0f : v;
    v = 127.0f < v ? 127.0f : v;
    return (int16_t)lm_nearest_int(v);
}

float act16_quantize_ref(const float *x, int16_t *q, int64_t n, float s) {
    if (!(s > 0.0f) || !isfinite(s)) {
        float amax = 0.0f;
        for (int64_t i = 0; i < n; i++) amax = fmaxf(amax, fabsf(x[i]));
        s = amax / 127.0f;
    }
    if (s == 0.0f) { memset(q, 0, (size_t)n * sizeof *q); return 0.0f; }
    for (int64_t i = 0; i < n; i++) q[i] = a16_code(x[i], s);
    return s;
}

// Table entries for generic code (tests): dynamic scale; the codes are the "unit-scale" values.
void quantize_a16_ref(const float *src, void *dst, int64_t n) { act16_quantize_ref(src, dst, n, 0.0f); }

void dequant_a16_ref(const void *src, float *dst, int64_t n) {
    const int16_t *q = src;
    for (int64_t i = 0; i < n; i++) dst[i] = (float)q[i];
}

#if defined(__wasm_simd128__)
#include "simd128.h"

// max |x[i]|: 4 lanes of pmax (NaN never replaces the accumulator, as fmaxf), then the tail.
static float absmax(const float *x, int64_t n) {
    v128_t m = wasm_f32x4_splat(0.0f);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) m = wasm_f32x4_pmax(m, wasm_f32x4_abs(wasm_v128_load(x + i)));
    m = wasm_f32x4_pmax(m, wasm_i32x4_shuffle(m, m, 2, 3, 0, 1));
    m = wasm_f32x4_pmax(m, wasm_i32x4_shuffle(m, m, 1, 0, 3, 2));
    float amax = wasm_f32x4_extract_lane(m, 0);
    for (; i < n; i++) amax = fmaxf(amax, fabsf(x[i]));
    return amax;
}

// 4 codes: div, clamp (pmax/pmin keep NaN like the scalar compares), nearest (ties to even),
// trunc_sat (NaN -> 0).
static inline v128_t codes4(const float *x, v128_t s) {
    v128_t v = wasm_f32x4_div(wasm_v128_load(x), s);
    v = wasm_f32x4_pmin(wasm_f32x4_pmax(v, wasm_f32x4_splat(-128.0f)), wasm_f32x4_splat(127.0f));
    return wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(v));
}

// Bit-identical to act16_quantize_ref: same scale, IEEE division per lane, same clamp and rounding.
float act16_quantize_simd128(const float *x, int16_t *q, int64_t n, float s) {
    if (!(s > 0.0f) || !isfinite(s)) s = absmax(x, n) / 127.0f;
    if (s == 0.0f) { memset(q, 0, (size_t)n * sizeof *q); return 0.0f; }
    v128_t sv = wasm_f32x4_splat(s);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        wasm_v128_store(q + i, wasm_i16x8_narrow_i32x4(codes4(x + i, sv), codes4(x + i + 4, sv)));
    for (; i < n; i++) q[i] = a16_code(x[i], s);
    return s;
}

void quantize_a16_simd128(const float *src, void *dst, int64_t n) { act16_quantize_simd128(src, dst, n, 0.0f); }
#endif
