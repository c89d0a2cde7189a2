// gen.h — deterministic synthetic GGUF models (random but numerically tame weights, exact
// llama.cpp metadata and tensor names) for tests, conformance and benchmarks.
#ifndef LM_GEN_H
#define LM_GEN_H
#include <stdint.h>
#include <stdio.h>

typedef struct {
    const char *preset;    // "llama-tiny", "gemma3-tiny", "gemma4-tiny", "gemma4-e2b-tiny", "gemma4-e2b", ...
    int         type;      // lm_type of the 2-D weight matrices (norms and vectors stay f32)
    uint64_t    seed;
    int         n_layer;   // 0 = the preset's count
} gen_opts;

// Writes the model to f. Returns 0, or -1 with a message on stderr (unknown preset/type, i/o).
int gen_model(const gen_opts *o, FILE *f);
void gen_list_presets(FILE *f);

#endif
