// ct_hparams.h — Gemma 4 hyperparameters from a Hugging Face config.json (text_config) and the
// GGUF metadata they become (llama.cpp's gemma4.* keys, specs/gemma4-arch.md §A/§1), plus the
// GGUF-M wq.* keys (docs/FORMAT.md §3). Used by convert_ct.c.
#ifndef LM_CT_HPARAMS_H
#define LM_CT_HPARAMS_H
#include <stdbool.h>
#include <stdint.h>
#include "json.h"
#include "gguf_write.h"
#include "../src/status.h"

typedef struct {
    int   n_layer, n_embd, n_head, n_head_kv, head_dim, head_dim_full, n_ff, n_ple, n_vocab, n_ctx, n_swa, shared_kv;
    bool  double_wide;
    bool  swa[512];                 // per layer: sliding_attention
    float eps, softcap, theta, theta_swa, partial_full, partial_swa;
    float *rope_freqs;              // owned [head_dim_full / 2]: 1 for rotated pairs, 1e30 for the rest
    int64_t bos, eos;               // -1 when absent
    char  name[256];                // _name_or_path, or empty
} ct_hparams;

lm_status ct_read_hparams(const js_doc *d, int text_config, ct_hparams *hp);
void      ct_free_hparams(ct_hparams *hp);
// rope_freqs.weight (f32, a small tensor: add it before the matrices).
void      ct_add_rope_freqs(gguf_writer *w, const ct_hparams *hp);
// general.*, gemma4.*, tokenizer (copied from vocab_gguf when given, else bos/eos ids) and wq.* keys.
lm_status ct_write_hparams(gguf_writer *w, const ct_hparams *hp, const char *source, const char *vocab_gguf,
                           uint64_t resident_end);

#endif
