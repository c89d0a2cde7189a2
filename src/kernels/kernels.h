// kernels.h — kernel signatures and the two kernel tables (scalar reference and best available).
// Every SIMD kernel has a scalar _ref twin in the same file; tests compare them (tests/test_kernels.c).
#ifndef LM_KERNELS_H
#define LM_KERNELS_H
#include <stdint.h>
#include "../tensor.h"

// Dot of one weight row (n elements of the weight type) with one activation row already
// quantized to the weight type's vec_dot_type. n % block_size == 0.
typedef float (*lm_vec_dot_fn)(int64_t n, const void *w, const void *a);

typedef struct {
    lm_vec_dot_fn    vec_dot[LM_TYPE_COUNT];   // by weight type
    lm_from_float_fn quantize[LM_TYPE_COUNT];  // by activation type (f32 rows -> vec_dot_type rows)
    // y = x / sqrt(mean(x^2) + eps) * w (w may be NULL: no weight); sum of squares in double as ggml
    void (*rmsnorm)(float *y, const float *x, const float *w, int n, float eps);
    void (*softmax)(float *x, int n);                               // in place, max-subtracted
    void (*geglu)(float *y, const float *g, const float *u, int n); // gelu_tanh(g)*u via ggml's fp16 table
    void (*gelu)(float *y, const float *x, int n);                  // gelu_tanh via ggml's fp16 table
    void (*swiglu)(float *y, const float *g, const float *u, int n);// silu(g)*u
} lm_kernels;

extern const lm_kernels lm_kernels_ref;
extern const lm_kernels *const lm_kernels_best;   // SIMD128 table under __wasm_simd128__, else &lm_kernels_ref

// ---- per-format reference kernels (one file each) ----
void  dequant_f32_ref (const void *src, float *dst, int64_t n);
void  quantize_f32_ref(const float *src, void *dst, int64_t n);
float vec_dot_f32_ref (int64_t n, const void *w, const void *a);
void  dequant_f16_ref (const void *src, float *dst, int64_t n);
void  quantize_f16_ref(const float *src, void *dst, int64_t n);
float vec_dot_f16_ref (int64_t n, const void *w, const void *a);
void  dequant_bf16_ref (const void *src, float *dst, int64_t n);
void  quantize_bf16_ref(const float *src, void *dst, int64_t n);
float vec_dot_bf16_ref (int64_t n, const void *w, const void *a);
void  dequant_q8_0_ref (const void *src, float *dst, int64_t n);
void  quantize_q8_0_ref(const float *src, void *dst, int64_t n);
float vec_dot_q8_0_q8_0_ref(int64_t n, const void *w, const void *a);
void  dequant_q8_1_ref (const void *src, float *dst, int64_t n);
void  quantize_q8_1_ref(const float *src, void *dst, int64_t n);
void  dequant_q4_0_ref (const void *src, float *dst, int64_t n);
void  quantize_q4_0_ref(const float *src, void *dst, int64_t n);
float vec_dot_q4_0_q8_0_ref(int64_t n, const void *w, const void *a);
void  dequant_q4_1_ref (const void *src, float *dst, int64_t n);
void  quantize_q4_1_ref(const float *src, void *dst, int64_t n);
float vec_dot_q4_1_q8_1_ref(int64_t n, const void *w, const void *a);
void  dequant_q8_k_ref (const void *src, float *dst, int64_t n);
void  quantize_q8_k_ref(const float *src, void *dst, int64_t n);
void  dequant_q4_k_ref (const void *src, float *dst, int64_t n);
void  quantize_q4_k_ref(const float *src, void *dst, int64_t n);
float vec_dot_q4_k_q8_k_ref(int64_t n, const void *w, const void *a);
void  dequant_q5_k_ref (const void *src, float *dst, int64_t n);
void  quantize_q5_k_ref(const float *src, void *dst, int64_t n);
float vec_dot_q5_k_q8_k_ref(int64_t n, const void *w, const void *a);
void  dequant_q6_k_ref (const void *src, float *dst, int64_t n);
void  quantize_q6_k_ref(const float *src, void *dst, int64_t n);
float vec_dot_q6_k_q8_k_ref(int64_t n, const void *w, const void *a);

void  rmsnorm_ref(float *y, const float *x, const float *w, int n, float eps);
void  softmax_ref(float *x, int n);
void  geglu_ref(float *y, const float *g, const float *u, int n);
void  gelu_ref(float *y, const float *x, int n);
void  swiglu_ref(float *y, const float *g, const float *u, int n);

#if defined(__wasm_simd128__)
// ---- wasm SIMD128 twins (each below its _ref in the same file; parity in tests/test_kernels.c) ----
float vec_dot_f32_simd128 (int64_t n, const void *w, const void *a);
float vec_dot_f16_simd128 (int64_t n, const void *w, const void *a);
float vec_dot_bf16_simd128(int64_t n, const void *w, const void *a);
void  quantize_q8_0_simd128(const float *src, void *dst, int64_t n);   // bit-identical to _ref
void  quantize_q8_1_simd128(const float *src, void *dst, int64_t n);   // bit-identical to _ref
void  quantize_q8_k_simd128(const float *src, void *dst, int64_t n);   // bit-identical to _ref
float vec_dot_q8_0_q8_0_simd128(int64_t n, const void *w, const void *a);
float vec_dot_q4_0_q8_0_simd128(int64_t n, const void *w, const void *a);
float vec_dot_q4_1_q8_1_simd128(int64_t n, const void *w, const void *a);
float vec_dot_q4_k_q8_k_simd128(int64_t n, const void *w, const void *a);
float vec_dot_q5_k_q8_k_simd128(int64_t n, const void *w, const void *a);
float vec_dot_q6_k_q8_k_simd128(int64_t n, const void *w, const void *a);

void  rmsnorm_simd128(float *y, const float *x, const float *w, int n, float eps);
void  softmax_simd128(float *x, int n);
void  swiglu_simd128(float *y, const float *g, const float *u, int n);
#endif

// Rounds to nearest, ties to even (ggml's nearest_int and _mm_round_ps semantics).
static inline int lm_nearest_int(float f) {
    float v = f + 12582912.0f;   // 1.5 * 2^23: the mantissa then holds round-half-even(f)
    int32_t i; __builtin_memcpy(&i, &v, 4);
    return (i & 0x007fffff) - 0x00400000;
}

#endif
