// tensor.c — the type-traits table; adding a format means adding a row here.
#include "tensor.h"
#include "kernels/kernels.h"
#include <stdio.h>

static const lm_type_traits TRAITS[LM_TYPE_COUNT] = {
    [LM_TYPE_F32]  = { "f32",  1,       4,                  LM_TYPE_F32,  dequant_f32_ref,  quantize_f32_ref, false, 0 },
    [LM_TYPE_F16]  = { "f16",  1,       2,                  LM_TYPE_F16,  dequant_f16_ref,  quantize_f16_ref, false, 0 },
    [LM_TYPE_BF16] = { "bf16", 1,       2,                  LM_TYPE_BF16, dequant_bf16_ref, quantize_bf16_ref, false, 0 },
    [LM_TYPE_Q4_0] = { "q4_0", LM_QK,   sizeof(block_q4_0), LM_TYPE_Q8_0, dequant_q4_0_ref, quantize_q4_0_ref, false, 0 },
    [LM_TYPE_Q4_1] = { "q4_1", LM_QK,   sizeof(block_q4_1), LM_TYPE_Q8_1, dequant_q4_1_ref, quantize_q4_1_ref, false, 0 },
    [LM_TYPE_Q8_0] = { "q8_0", LM_QK,   sizeof(block_q8_0), LM_TYPE_Q8_0, dequant_q8_0_ref, quantize_q8_0_ref, false, 0 },
    [LM_TYPE_Q8_1] = { "q8_1", LM_QK,   sizeof(block_q8_1), LM_TYPE_Q8_1, dequant_q8_1_ref, quantize_q8_1_ref, false, 0 },
    [LM_TYPE_Q4_K] = { "q4_k", LM_QK_K, sizeof(block_q4_k), LM_TYPE_Q8_K, dequant_q4_k_ref, quantize_q4_k_ref, false, 0 },
    [LM_TYPE_Q5_K] = { "q5_k", LM_QK_K, sizeof(block_q5_k), LM_TYPE_Q8_K, dequant_q5_k_ref, quantize_q5_k_ref, false, 0 },
    [LM_TYPE_Q6_K] = { "q6_k", LM_QK_K, sizeof(block_q6_k), LM_TYPE_Q8_K, dequant_q6_k_ref, quantize_q6_k_ref, false, 0 },
    [LM_TYPE_Q8_K] = { "q8_k", LM_QK_K, sizeof(block_q8_k), LM_TYPE_Q8_K, dequant_q8_k_ref, quantize_q8_k_ref, false, 0 },
    // GGUF-M per-channel types: unit-scale to_float/from_float, scales in <base>.scale
    [LM_TYPE_Q2_C] = { "q2_c", LM_QK2_C, sizeof(block_q2_c), LM_TYPE_A16,  dequant_q2_c_ref, quantize_q2_c_ref, true, 2 },
    [LM_TYPE_Q4_C] = { "q4_c", LM_QK4_C, sizeof(block_q4_c), LM_TYPE_A16,  dequant_q4_c_ref, quantize_q4_c_ref, true, 8 },
    [LM_TYPE_I8]   = { "i8",   1,        1,                  LM_TYPE_A16,  dequant_i8_ref,   quantize_i8_ref,   true, 0 },
    [LM_TYPE_A16]  = { "a16",  1,        2,                  LM_TYPE_A16,  dequant_a16_ref,  quantize_a16_ref, false, 0 },
};

const lm_type_traits *lm_type_traits_of(int type) {
    if (type < 0 || type >= LM_TYPE_COUNT || !TRAITS[type].name) return NULL;
    return &TRAITS[type];
}

const char *lm_type_name(int type) {
    static _Thread_local char buf[16];
    const lm_type_traits *t = lm_type_traits_of(type);
    if (t) return t->name;
    snprintf(buf, sizeof buf, "type#%d", type);
    return buf;
}

void lm_tensor_row(const lm_tensor *t, int64_t r, float *dst) {
    lm_type_traits_of(t->type)->to_float((const uint8_t *)t->data + r * t->row_bytes, dst, t->cols);
    if (!t->scale) return;
    int64_t g = t->scale_groups > 0 ? t->scale_groups : 1, len = t->cols / g;
    const float *s = t->scale + r * g;
    for (int64_t i = 0; i < t->cols; i++) dst[i] *= s[i / len];
}

int64_t lm_row_bytes(int type, int64_t n) {
    const lm_type_traits *t = lm_type_traits_of(type);
    if (!t || n < 0 || n % t->block_size) return -1;
    return n / t->block_size * t->type_size;
}
