// kernels.c — builds the kernel tables; the only file that picks SIMD vs reference.
// Both tables always exist so tests can compare them in any build.
#include "kernels.h"

#define REF_VEC_DOT                                              \
        [LM_TYPE_F32]  = vec_dot_f32_ref,                        \
        [LM_TYPE_F16]  = vec_dot_f16_ref,                        \
        [LM_TYPE_BF16] = vec_dot_bf16_ref,                       \
        [LM_TYPE_Q8_0] = vec_dot_q8_0_q8_0_ref,                  \
        [LM_TYPE_Q4_0] = vec_dot_q4_0_q8_0_ref,                  \
        [LM_TYPE_Q4_1] = vec_dot_q4_1_q8_1_ref,                  \
        [LM_TYPE_Q4_K] = vec_dot_q4_k_q8_k_ref,                  \
        [LM_TYPE_Q5_K] = vec_dot_q5_k_q8_k_ref,                  \
        [LM_TYPE_Q6_K] = vec_dot_q6_k_q8_k_ref,

#define REF_QUANTIZE                                             \
        [LM_TYPE_F32]  = quantize_f32_ref,                       \
        [LM_TYPE_F16]  = quantize_f16_ref,                       \
        [LM_TYPE_BF16] = quantize_bf16_ref,                      \
        [LM_TYPE_Q8_0] = quantize_q8_0_ref,                      \
        [LM_TYPE_Q8_1] = quantize_q8_1_ref,                      \
        [LM_TYPE_Q8_K] = quantize_q8_k_ref,                      \
        [LM_TYPE_A16]  = quantize_a16_ref,

const lm_kernels lm_kernels_ref = {
    .vec_dot  = { REF_VEC_DOT },
    .gemm     = { [LM_TYPE_F16] = gemm_f16_ref, [LM_TYPE_Q8_0] = gemm_q8_0_ref, [LM_TYPE_Q4_0] = gemm_q4_0_ref },
    .act_prep = { [LM_TYPE_F16] = quantize_f16_ref, [LM_TYPE_Q8_0] = quantize_q8_0_ref, [LM_TYPE_Q4_0] = quantize_q8_0_ref },
    .quantize = { REF_QUANTIZE },
    .act16 = act16_quantize_ref,
    .dot_pc = { [LM_TYPE_Q2_C] = dot_q2_c_ref, [LM_TYPE_Q4_C] = dot_q4_c_ref, [LM_TYPE_I8] = dot_i8_ref },
    .gemm_pc = { [LM_TYPE_Q2_C] = gemm_q2_c_ref, [LM_TYPE_Q4_C] = gemm_q4_c_ref, [LM_TYPE_I8] = gemm_i8_ref },
    .rmsnorm = rmsnorm_ref, .softmax = softmax_ref, .geglu = geglu_ref, .gelu = gelu_ref, .swiglu = swiglu_ref,
    .axpy_f16 = axpy_f16_ref, .axpy_i8 = axpy_i8_ref, .dot_f32_i8 = dot_f32_i8_ref,
};

#if defined(__wasm_simd128__)
// Every vec_dot and activation quantizer has a SIMD128 twin. f32/f16/bf16 activation
// "quantizers" stay ref (plain copies/roundings, not on the hot path). gelu/geglu stay ref:
// they look up ggml's fp16 table, and wasm SIMD has no gather.
static const lm_kernels simd128 = {
    .vec_dot = {
        [LM_TYPE_F32]  = vec_dot_f32_simd128,
        [LM_TYPE_F16]  = vec_dot_f16_simd128,
        [LM_TYPE_BF16] = vec_dot_bf16_simd128,
        [LM_TYPE_Q8_0] = vec_dot_q8_0_q8_0_simd128,
        [LM_TYPE_Q4_0] = vec_dot_q4_0_q8_0_simd128,
        [LM_TYPE_Q4_1] = vec_dot_q4_1_q8_1_simd128,
        [LM_TYPE_Q4_K] = vec_dot_q4_k_q8_k_simd128,
        [LM_TYPE_Q5_K] = vec_dot_q5_k_q8_k_simd128,
        [LM_TYPE_Q6_K] = vec_dot_q6_k_q8_k_simd128,
    },
    .gemm     = { [LM_TYPE_F16] = gemm_f16_simd128, [LM_TYPE_Q8_0] = gemm_q8_0_simd128, [LM_TYPE_Q4_0] = gemm_q4_0_simd128 },
    .act_prep = { [LM_TYPE_F16] = act_prep_f16_simd128, [LM_TYPE_Q8_0] = act_prep_q8_i16_simd128,
                  [LM_TYPE_Q4_0] = act_prep_q4_0_simd128 },
    .quantize = {
        [LM_TYPE_F32]  = quantize_f32_ref,
        [LM_TYPE_F16]  = quantize_f16_ref,
        [LM_TYPE_BF16] = quantize_bf16_ref,
        [LM_TYPE_Q8_0] = quantize_q8_0_simd128,
        [LM_TYPE_Q8_1] = quantize_q8_1_simd128,
        [LM_TYPE_Q8_K] = quantize_q8_k_simd128,
        [LM_TYPE_A16]  = quantize_a16_simd128,
    },
    .act16 = act16_quantize_simd128,
    .dot_pc = { [LM_TYPE_Q2_C] = dot_q2_c_simd128, [LM_TYPE_Q4_C] = dot_q4_c_simd128, [LM_TYPE_I8] = dot_i8_simd128 },
    .gemm_pc = { [LM_TYPE_Q2_C] = gemm_q2_c_simd128, [LM_TYPE_Q4_C] = gemm_q4_c_simd128, [LM_TYPE_I8] = gemm_i8_simd128 },
    .rmsnorm = rmsnorm_simd128, .softmax = softmax_simd128, .swiglu = swiglu_simd128, .axpy_f16 = axpy_f16_simd128,
    .axpy_i8 = axpy_i8_simd128, .dot_f32_i8 = dot_f32_i8_simd128,
    .geglu = geglu_ref /* no SIMD: table lookup */, .gelu = gelu_ref /* no SIMD: table lookup */,
};
const lm_kernels *const lm_kernels_best = &simd128;
#else
const lm_kernels *const lm_kernels_best = &lm_kernels_ref;   // native builds are ref-only
#endif
