// kernels.h — kernel signatures and the two kernel tables (scalar reference and best available).
// Every SIMD kernel has a scalar _ref twin in the same file; tests compare them (tests/test_kernels.c).
#ifndef LM_KERNELS_H
#define LM_KERNELS_H
#include <stdint.h>
#include "../tensor.h"

// Dot of one weight row (n elements of the weight type) with one activation row already
// quantized to the weight type's vec_dot_type. n % block_size == 0.
typedef float (*lm_vec_dot_fn)(int64_t n, const void *w, const void *a);

// Per-channel activations (a16.c): q[i] = clamp(round_half_even(x[i] / s), -128, 127) as int16.
// s > 0 and finite: a static scale (input_scale); otherwise the dynamic s = max|x| / 127. Returns
// the scale used (0 for an all-zero row with a dynamic scale, then q = 0).
typedef float (*lm_act16_fn)(const float *x, int16_t *q, int64_t n, float s);
// Per-channel integer dot (q2_c, q4_c, i8 with a16 activations): sum_k u_k * a_k over the row's
// stored codes u (q2_c 0..3, q4_c 0..15, i8 -128..127), exact in int32 (n <= 65536). The weights
// are u - code_offset (traits), so the row's integer dot is dot - code_offset * sum_k a_k: the
// offset leaves the inner loop and is paid once per activation vector (blk_matmul).
typedef int32_t (*lm_dot_pc_fn)(int64_t n, const void *w, const int16_t *a);
// Per-channel tile: out[t * nr + r] = dot_pc(n, row r, token t) for r < nr <= 4, t < nt <= 4;
// weight rows wb bytes apart, token rows of n activations. The SIMD twins decode each weight
// once per tile and load each activation once for all rows; exact integers, identical to _ref.
#define LM_PC_TILE 4
typedef void (*lm_gemm_pc_fn)(int64_t n, const void *w, int64_t wb, int nr, const int16_t *a, int nt, int32_t *out);

// Matrix product over prepared activations: y[t * ys + r] = W[r] . A[t] for r < nr, t < nt.
// Weight rows are wb bytes apart; activation rows, as act_prep wrote them, ab bytes apart.
// Every (r, t) gets exactly the bits of vec_dot on that row and token: each _ref is that loop.
typedef void (*lm_gemm_fn)(int64_t n, const void *w, int64_t wb, int64_t nr, const void *a, int64_t ab,
                           int32_t nt, float *y, int64_t ys);
// One activation row (n floats) prepared for a weight type's gemm: at most LM_ACT_PREP_BYTES(n)
// bytes. _ref: the vec_dot_type row; SIMD twins keep the same codes and scales in their own layout.
#define LM_ACT_PREP_BYTES(n) (4 * (n))

typedef struct {
    lm_vec_dot_fn    vec_dot[LM_TYPE_COUNT];   // by weight type
    lm_gemm_fn       gemm[LM_TYPE_COUNT];      // by weight type; NULL: one vec_dot per row and token
    lm_from_float_fn act_prep[LM_TYPE_COUNT];  // by weight type, for its gemm
    lm_from_float_fn quantize[LM_TYPE_COUNT];  // by activation type (f32 rows -> vec_dot_type rows)
    lm_act16_fn      act16;                    // a16 with a static or dynamic scale (quantize[A16] = dynamic)
    lm_dot_pc_fn     dot_pc[LM_TYPE_COUNT];    // by per-channel weight type (these have no vec_dot)
    lm_gemm_pc_fn    gemm_pc[LM_TYPE_COUNT];   // tiles of the same dots (blk_matmul's per-channel path)
    // y = x / sqrt(mean(x^2) + eps) * w (w may be NULL: no weight); sum of squares in double as ggml
    void (*rmsnorm)(float *y, const float *x, const float *w, int n, float eps);
    void (*softmax)(float *x, int n);                               // in place, max-subtracted
    void (*geglu)(float *y, const float *g, const float *u, int n); // gelu_tanh(g)*u via ggml's fp16 table
    void (*gelu)(float *y, const float *x, int n);                  // gelu_tanh via ggml's fp16 table
    void (*swiglu)(float *y, const float *g, const float *u, int n);// silu(g)*u
    void (*axpy_f16)(float *y, float a, const uint16_t *x, int n); // y[i] += a * x[i], x f16 (attention's V rows)
    void (*axpy_i8)(float *y, float a, const int8_t *x, int n);    // y[i] += a * x[i], x int8 codes (int8 KV cache)
    float (*dot_f32_i8)(int64_t n, const int8_t *c, const float *q); // vec_dot_f32 of (float)c and q (int8 KV's K rows)
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

// per-channel formats (GGUF-M): unit-scale dequant/quantize (codes minus offset), exact int32 dots
void  dequant_q2_c_ref (const void *src, float *dst, int64_t n);
void  quantize_q2_c_ref(const float *src, void *dst, int64_t n);
int32_t dot_q2_c_ref(int64_t n, const void *w, const int16_t *a);
void  dequant_q4_c_ref (const void *src, float *dst, int64_t n);
void  quantize_q4_c_ref(const float *src, void *dst, int64_t n);
int32_t dot_q4_c_ref(int64_t n, const void *w, const int16_t *a);
void  dequant_i8_ref (const void *src, float *dst, int64_t n);
void  quantize_i8_ref(const float *src, void *dst, int64_t n);
int32_t dot_i8_ref(int64_t n, const void *w, const int16_t *a);
void  gemm_q2_c_ref(int64_t n, const void *w, int64_t wb, int nr, const int16_t *a, int nt, int32_t *out);
void  gemm_q4_c_ref(int64_t n, const void *w, int64_t wb, int nr, const int16_t *a, int nt, int32_t *out);
void  gemm_i8_ref  (int64_t n, const void *w, int64_t wb, int nr, const int16_t *a, int nt, int32_t *out);
void  dequant_a16_ref (const void *src, float *dst, int64_t n);
void  quantize_a16_ref(const float *src, void *dst, int64_t n);          // dynamic scale, not kept
float act16_quantize_ref(const float *x, int16_t *q, int64_t n, float s);

// gemm _refs: one vec_dot_ref per row and token; their act_prep is quantize_<vec_dot_type>_ref
void  gemm_f16_ref (int64_t n, const void *w, int64_t wb, int64_t nr, const void *a, int64_t ab, int32_t nt, float *y, int64_t ys);
void  gemm_q8_0_ref(int64_t n, const void *w, int64_t wb, int64_t nr, const void *a, int64_t ab, int32_t nt, float *y, int64_t ys);
void  gemm_q4_0_ref(int64_t n, const void *w, int64_t wb, int64_t nr, const void *a, int64_t ab, int32_t nt, float *y, int64_t ys);

void  rmsnorm_ref(float *y, const float *x, const float *w, int n, float eps);
void  softmax_ref(float *x, int n);
void  geglu_ref(float *y, const float *g, const float *u, int n);
void  gelu_ref(float *y, const float *x, int n);
void  swiglu_ref(float *y, const float *g, const float *u, int n);
void  axpy_f16_ref(float *y, float a, const uint16_t *x, int n);
void  axpy_i8_ref(float *y, float a, const int8_t *x, int n);
float dot_f32_i8_ref(int64_t n, const int8_t *c, const float *q);

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
int32_t dot_q2_c_simd128(int64_t n, const void *w, const int16_t *a);   // exact: identical to _ref
int32_t dot_q4_c_simd128(int64_t n, const void *w, const int16_t *a);   // exact: identical to _ref
int32_t dot_i8_simd128(int64_t n, const void *w, const int16_t *a);     // exact: identical to _ref
void  gemm_q2_c_simd128(int64_t n, const void *w, int64_t wb, int nr, const int16_t *a, int nt, int32_t *out);   // exact
void  gemm_q4_c_simd128(int64_t n, const void *w, int64_t wb, int nr, const int16_t *a, int nt, int32_t *out);   // exact
void  gemm_i8_simd128  (int64_t n, const void *w, int64_t wb, int nr, const int16_t *a, int nt, int32_t *out);   // exact
void  quantize_a16_simd128(const float *src, void *dst, int64_t n);        // bit-identical to _ref
float act16_quantize_simd128(const float *x, int16_t *q, int64_t n, float s);   // bit-identical to _ref

// gemm twins (bit-identical per row and token to the _refs) and their activation layouts
void  gemm_f16_simd128 (int64_t n, const void *w, int64_t wb, int64_t nr, const void *a, int64_t ab, int32_t nt, float *y, int64_t ys);
void  gemm_q8_0_simd128(int64_t n, const void *w, int64_t wb, int64_t nr, const void *a, int64_t ab, int32_t nt, float *y, int64_t ys);
void  gemm_q4_0_simd128(int64_t n, const void *w, int64_t wb, int64_t nr, const void *a, int64_t ab, int32_t nt, float *y, int64_t ys);
void  act_prep_f16_simd128(const float *src, void *dst, int64_t n);   // f16-rounded values as f32, even/odd per 8
void  act_prep_q8_i16_simd128(const float *src, void *dst, int64_t n); // q8_0 codes as int16 (simd128.h lm_q8p)
void  act_prep_q4_0_simd128(const float *src, void *dst, int64_t n);   // the q8 layout its gemm reads

void  rmsnorm_simd128(float *y, const float *x, const float *w, int n, float eps);
void  softmax_simd128(float *x, int n);
void  swiglu_simd128(float *y, const float *g, const float *u, int n);
void  axpy_f16_simd128(float *y, float a, const uint16_t *x, int n);   // bit-identical to _ref
void  axpy_i8_simd128(float *y, float a, const int8_t *x, int n);      // bit-identical to _ref
float dot_f32_i8_simd128(int64_t n, const int8_t *c, const float *q);  // bit-identical to _ref
#endif

// ---- canonical evaluation orders ----
// Native builds run the _ref kernels and wasm builds the _simd128 twins; both must give the same
// bits so that the two builds produce the same tokens. Float sums therefore follow one lane
// structure, written here once for the scalar side and mirrored by the SIMD code.

// Float dots (f32, f16, bf16) over a chunk of len (% 8 == 0, <= 256) elements already in float:
// element e goes to float accumulator e % 8; lanes pair up as v[j] = acc[2j] + acc[2j+1], and the
// chunk's value is ((double)v0 + v2) + ((double)v1 + v3). Callers add chunks into a double and
// the n % 8 tail as exact double products.
static inline double lm_fdot_chunk(const float *x, const float *y, int len) {
    float acc[8] = {0};
    for (int e = 0; e < len; e++) acc[e % 8] += x[e] * y[e];
    float v0 = acc[0] + acc[1], v1 = acc[2] + acc[3], v2 = acc[4] + acc[5], v3 = acc[6] + acc[7];
    return ((double)v0 + (double)v2) + ((double)v1 + (double)v3);
}

// The gemm _refs' loop: y[t * ys + r] = dot(row r, token t).
static inline void lm_gemm_loop(lm_vec_dot_fn dot, int64_t n, const void *w, int64_t wb, int64_t nr,
                                const void *a, int64_t ab, int32_t nt, float *y, int64_t ys) {
    for (int64_t r = 0; r < nr; r++)
        for (int32_t t = 0; t < nt; t++)
            y[t * ys + r] = dot(n, (const uint8_t *)w + r * wb, (const uint8_t *)a + t * ab);
}

// The per-channel tile's _ref loop (kernels.h lm_gemm_pc_fn): one dot per row and token.
static inline void lm_gemm_pc_loop(lm_dot_pc_fn dot, int64_t n, const void *w, int64_t wb, int nr, const int16_t *a,
                                   int nt, int32_t *out) {
    for (int r = 0; r < nr; r++)
        for (int t = 0; t < nt; t++) out[t * nr + r] = dot(n, (const uint8_t *)w + r * wb, a + t * n);
}

// The canonical float dot over 16-bit elements converted by conv (f16, bf16 refs).
static inline float lm_fdot_u16(int64_t n, const uint16_t *x, const uint16_t *y, float (*conv)(uint16_t)) {
    float xf[256], yf[256];
    double sum = 0.0;
    int64_t i = 0, n8 = n - n % 8;
    while (i < n8) {
        int len = (int)(n8 - i < 256 ? n8 - i : 256);
        for (int e = 0; e < len; e++) { xf[e] = conv(x[i + e]); yf[e] = conv(y[i + e]); }
        sum += lm_fdot_chunk(xf, yf, len);
        i += len;
    }
    for (; i < n; i++) sum += (double)conv(x[i]) * (double)conv(y[i]);
    return (float)sum;
}

// Block dots (q8_0, q4_0, q4_1): the float term of block i goes to lane i % 4 for whole groups
// of 4 blocks, the remaining blocks into one float in order; result (l0 + l2) + (l1 + l3) + tail.
typedef struct { float lane[4], tail; int64_t groups; } lm_qsum;
static inline void lm_qsum_add(lm_qsum *q, int64_t i, float term) {
    if (i < q->groups * 4) q->lane[i % 4] += term; else q->tail += term;
}
static inline float lm_qsum_result(const lm_qsum *q) {
    return ((q->lane[0] + q->lane[2]) + (q->lane[1] + q->lane[3])) + q->tail;
}
static inline lm_qsum lm_qsum_init(int64_t n_blocks) { return (lm_qsum){ {0, 0, 0, 0}, 0, n_blocks / 4 }; }

// e^x by a fixed polynomial (Cody-Waite split of ln 2, degree-6 Cephes expf coefficients), within
// ~2 ulp of expf on [-87.3, 88.4]; 0 below, +inf above 88.72. The scalar twin of ops_simd128.c's
// exp_f32x4, operation for operation, so that libm differences (glibc vs musl) cannot leak in.
#define LM_EXP_LO (-87.33654f)
#define LM_EXP_HI 88.37626f
#define LM_EXP_INF_ABOVE 88.72283f
static const float lm_exp_coef[6] = { 1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                                      4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f };
static inline float lm_exp_poly(float x) {
    float xc = x < LM_EXP_LO ? LM_EXP_LO : x;               // pmax then pmin, NaN passes through
    xc = LM_EXP_HI < xc ? LM_EXP_HI : xc;
    float n = __builtin_rintf(xc * 1.44269504088896341f);   // round half to even (default mode)
    float r = xc - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = lm_exp_coef[0];
    for (int i = 1; i < 6; i++) p = p * r + lm_exp_coef[i];
    p = (p * (r * r) + r) + 1.0f;
    int32_t ni = n == n ? (int32_t)n : 0, bits = (ni + 127) << 23;   // trunc_sat semantics
    float pow2n;
    __builtin_memcpy(&pow2n, &bits, 4);
    float y = p * pow2n;
    if (x < LM_EXP_LO) y = 0.0f;
    return x > LM_EXP_INF_ABOVE ? __builtin_inff() : y;
}

// Rounds to nearest, ties to even (ggml's nearest_int and _mm_round_ps semantics).
static inline int lm_nearest_int(float f) {
    float v = f + 12582912.0f;   // 1.5 * 2^23: the mantissa then holds round-half-even(f)
    int32_t i; __builtin_memcpy(&i, &v, 4);
    return (i & 0x007fffff) - 0x00400000;
}

#endif
