// kernels.c — builds the kernel tables; the only file that picks SIMD vs reference.
#include "kernels.h"

#define REF_FORMATS                                              \
    .vec_dot = {                                                 \
        [LM_TYPE_F32]  = vec_dot_f32_ref,                        \
        [LM_TYPE_F16]  = vec_dot_f16_ref,                        \
        [LM_TYPE_BF16] = vec_dot_bf16_ref,                       \
        [LM_TYPE_Q8_0] = vec_dot_q8_0_q8_0_ref,                  \
        [LM_TYPE_Q4_0] = vec_dot_q4_0_q8_0_ref,                  \
        [LM_TYPE_Q4_1] = vec_dot_q4_1_q8_1_ref,                  \
        [LM_TYPE_Q4_K] = vec_dot_q4_k_q8_k_ref,                  \
        [LM_TYPE_Q5_K] = vec_dot_q5_k_q8_k_ref,                  \
        [LM_TYPE_Q6_K] = vec_dot_q6_k_q8_k_ref,                  \
    },                                                           \
    .quantize = {                                                \
        [LM_TYPE_F32]  = quantize_f32_ref,                       \
        [LM_TYPE_F16]  = quantize_f16_ref,                       \
        [LM_TYPE_BF16] = quantize_bf16_ref,                      \
        [LM_TYPE_Q8_0] = quantize_q8_0_ref,                      \
        [LM_TYPE_Q8_1] = quantize_q8_1_ref,                      \
        [LM_TYPE_Q8_K] = quantize_q8_k_ref,                      \
    }

const lm_kernels lm_kernels_ref = {
    REF_FORMATS,
    .rmsnorm = rmsnorm_ref, .softmax = softmax_ref, .geglu = geglu_ref, .gelu = gelu_ref, .swiglu = swiglu_ref,
};

const lm_kernels *const lm_kernels_best = &lm_kernels_ref;   // native builds are ref-only
