// gen.h — deterministic synthetic GGUF models (random but numerically tame weights, exact
// llama.cpp metadata and tensor names) for tests, conformance and benchmarks.
#ifndef LM_GEN_H
#define LM_GEN_H
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include "gguf_write.h"

typedef struct {
    const char *preset;    // "llama-tiny", "gemma3-tiny", "gemma4-tiny", "gemma4-e2b-tiny", "gemma4-e2b", ...
    int         type;      // lm_type of the 2-D weight matrices (norms and vectors stay f32)
    uint64_t    seed;
    int         n_layer;   // 0 = the preset's count
} gen_opts;

// Writes the model to f. Returns 0, or -1 with a message on stderr (unknown preset/type, i/o).
int gen_model(const gen_opts *o, FILE *f);
void gen_list_presets(FILE *f);

// ---- gemma4 metadata, shared with the trainer (tools/train/) ----

// Hyperparameters as llama.cpp reads them (specs/gemma4-arch.md §1). Full layers rotate the first
// quarter of their RoPE pairs (the model's rope_freqs tensor holds 1 then 1e30).
typedef struct {
    const char *name;
    int ctx, E, L, H, Hkv;
    int D, D_full;             // head size of sliding-window / full-attention layers
    int P, n_swa, shared_kv;   // per-layer input size, sliding window (tokens), KV-sharing layers
    const int32_t *ff;         // [L] feed-forward sizes
    const bool *swa;           // [L] true for sliding-window layers
    float base, base_swa;      // RoPE bases of full / sliding-window layers
} gen_g4_hparams;
// general.architecture/name and every gemma4.* key (final logit softcap 30).
void gen_g4_keys(gguf_writer *w, const gen_g4_hparams *h);

// Turn markers that generated gemma4 vocabularies end with (control tokens), and the small
// Gemma-4-format chat template they carry.
enum { GEN_G4_N_CHAT = 5 };
extern const char *const gen_g4_chat_tokens[GEN_G4_N_CHAT];
extern const char gen_g4_chat_template[];
// Special ids (pad 0, eos 1, bos 2, unk 3), add_bos on, add_eos off, and the chat template.
void gen_special_keys(gguf_writer *w, bool chat_template);

#endif
