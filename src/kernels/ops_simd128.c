// ops_simd128.c — wasm SIMD128 versions of the element-wise ops in ops_ref.c (compiled only
// under __wasm_simd128__). gelu/geglu stay scalar: they are fp16-table lookups and wasm SIMD
// has no gather. Tolerances against the _ref ops are in tests/test_kernels.c.
#include "kernels.h"
#if defined(__wasm_simd128__)
#include "simd128.h"
#include <math.h>

// e^x for 4 lanes: the SIMD twin of lm_exp_poly (kernels.h), operation for operation: x = n*ln2 + r
// (Cody-Waite split), degree-6 polynomial for e^r, 2^n through the exponent field. Below -87.33 it
// returns 0, above 88.72 +inf; in (88.37, 88.72] e^88.37.
static inline v128_t exp_f32x4(v128_t x) {
    const v128_t lo = wasm_f32x4_splat(LM_EXP_LO), hi = wasm_f32x4_splat(LM_EXP_HI);
    v128_t xc = wasm_f32x4_pmin(wasm_f32x4_pmax(x, lo), hi);
    v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(xc, wasm_f32x4_splat(1.44269504088896341f)));
    v128_t r = wasm_f32x4_sub(xc, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
    r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
    v128_t p = wasm_f32x4_splat(lm_exp_coef[0]);
    for (int i = 1; i < 6; i++) p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(lm_exp_coef[i]));
    p = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(p, wasm_f32x4_mul(r, r)), r), wasm_f32x4_splat(1.0f));
    v128_t pow2n = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
    v128_t y = wasm_f32x4_mul(p, pow2n);
    y = wasm_v128_andnot(y, wasm_f32x4_lt(x, lo));                               // underflow -> 0
    return wasm_v128_bitselect(wasm_f32x4_splat(INFINITY), y, wasm_f32x4_gt(x, wasm_f32x4_splat(LM_EXP_INF_ABOVE)));
}

// Sum of squares in double as _ref (products exact in double); only the order of the double
// additions differs (two f64x2 lanes, then the tail), then the same float epilogue.
void rmsnorm_simd128(float *y, const float *x, const float *w, int n, float eps) {
    v128_t s0 = wasm_f64x2_splat(0.0), s1 = s0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        v128_t v = wasm_v128_load(x + i);
        v128_t lo = wasm_f64x2_promote_low_f32x4(v), hi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
        s0 = wasm_f64x2_add(s0, wasm_f64x2_mul(lo, lo));
        s1 = wasm_f64x2_add(s1, wasm_f64x2_mul(hi, hi));
    }
    v128_t s = wasm_f64x2_add(s0, s1);
    double ss = wasm_f64x2_extract_lane(s, 0) + wasm_f64x2_extract_lane(s, 1);
    for (int j = i; j < n; j++) ss += (double)x[j] * (double)x[j];
    float mean = (float)(ss / n), scale = 1.0f / sqrtf(mean + eps);
    v128_t vs = wasm_f32x4_splat(scale);
    for (int j = 0; j + 4 <= n; j += 4) {        // (x*scale)*w, as _ref; in place is fine
        v128_t v = wasm_f32x4_mul(wasm_v128_load(x + j), vs);
        wasm_v128_store(y + j, w ? wasm_f32x4_mul(v, wasm_v128_load(w + j)) : v);
    }
    for (int j = i; j < n; j++) y[j] = w ? x[j] * scale * w[j] : x[j] * scale;
}

// Max and normalization as _ref; exp by exp_f32x4; the sum of the exps in double (f64x2 lanes).
void softmax_simd128(float *x, int n) {
    v128_t vm = wasm_f32x4_splat(-INFINITY);
    int i = 0;
    for (; i + 4 <= n; i += 4) vm = wasm_f32x4_pmax(vm, wasm_v128_load(x + i));
    vm = wasm_f32x4_pmax(vm, wasm_i32x4_shuffle(vm, vm, 2, 3, 0, 1));
    vm = wasm_f32x4_pmax(vm, wasm_i32x4_shuffle(vm, vm, 1, 0, 3, 2));
    float max = wasm_f32x4_extract_lane(vm, 0);
    for (int j = i; j < n; j++) max = x[j] > max ? x[j] : max;
    vm = wasm_f32x4_splat(max);
    double sum = 0.0;
    for (int j = 0; j + 4 <= n; j += 4) {
        v128_t e = exp_f32x4(wasm_f32x4_sub(wasm_v128_load(x + j), vm));
        wasm_v128_store(x + j, e);
        sum += lm_hsum_f32x4_f64(e);
    }
    for (int j = i; j < n; j++) { x[j] = lm_exp_poly(x[j] - max); sum += x[j]; }
    v128_t inv = wasm_f32x4_splat((float)(1.0 / sum));
    for (int j = 0; j + 4 <= n; j += 4) wasm_v128_store(x + j, wasm_f32x4_mul(wasm_v128_load(x + j), inv));
    for (int j = i; j < n; j++) x[j] *= (float)(1.0 / sum);
}

// silu(g)*u = g / (1 + e^-g) * u, as _ref's expression with exp_f32x4.
void swiglu_simd128(float *y, const float *g, const float *u, int n) {
    const v128_t one = wasm_f32x4_splat(1.0f);
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        v128_t v = wasm_v128_load(g + i);
        v128_t s = wasm_f32x4_div(v, wasm_f32x4_add(one, exp_f32x4(wasm_f32x4_neg(v))));
        wasm_v128_store(y + i, wasm_f32x4_mul(s, wasm_v128_load(u + i)));
    }
    for (; i < n; i++) y[i] = g[i] / (1.0f + lm_exp_poly(-g[i])) * u[i];
}
#endif
