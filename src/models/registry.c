// registry.c — architecture table: GGUF general.architecture -> implementation.
#include "arch.h"

extern const lm_arch lm_arch_llama, lm_arch_gemma3, lm_arch_gemma4;

static const lm_arch *const ARCHS[] = { &lm_arch_llama, &lm_arch_gemma3, &lm_arch_gemma4 };

const lm_arch *lm_arch_find(gguf_str name) {
    for (size_t i = 0; i < sizeof ARCHS / sizeof ARCHS[0]; i++)
        if (gguf_str_eq(name, ARCHS[i]->name)) return ARCHS[i];
    return NULL;
}
