// lm.h — pocketlm public C API. Everything here is stable; everything else is internal.
//
//   lm_model *m;  lm_ctx *c;
//   if (lm_model_load(buf, len, &m) != LM_OK) puts(lm_errmsg());   // buf must outlive m
//   lm_ctx_params p = lm_ctx_default_params();
//   if (lm_ctx_new(m, &p, &c) != LM_OK) puts(lm_errmsg());
//   lm_token toks[] = { 2, 17, 33 };
//   lm_decode(c, toks, 3);                       // prefill; logits of the last token
//   const float *logits = lm_logits(c, 0);       // [n_vocab]
//   lm_ctx_free(c); lm_model_free(m);
#ifndef LM_H
#define LM_H
#include <stdbool.h>
#include <stdint.h>
#include "status.h"

typedef struct lm_model lm_model;   // opaque; immutable after load
typedef struct lm_ctx   lm_ctx;     // opaque; KV cache + scratch; one per conversation
typedef int32_t         lm_token;

typedef struct {
    int32_t n_ctx;        // context length in tokens; 0 = min(model's training context, 4096)
    int32_t n_batch;      // tokens per forward chunk in prefill (also sizes SWA rings); 0 = 32
    bool    logits_all;   // keep logits for every token of a decode call (teacher forcing), not just the last
} lm_ctx_params;

typedef struct {
    uint64_t weights;     // bytes of tensor data the model reads (resident)
    uint64_t kv;          // KV cache bytes
    uint64_t scratch;     // activations, logits and quantization buffers
} lm_mem_plan;

typedef struct {
    const char *arch;                 // "gemma4", "gemma3", "llama"
    int32_t n_vocab, n_embd, n_layer, n_head, n_head_kv, n_ctx_train, n_swa, n_embd_per_layer;
    int32_t n_layer_kv;               // layers that own a KV cache
    uint64_t n_params;                // elements over all tensors
    lm_token bos, eos;                // -1 when absent
    bool add_bos;
} lm_model_info;

lm_ctx_params lm_ctx_default_params(void);

// Parses and validates a GGUF image and binds tensor views. buf must outlive the model.
lm_status lm_model_load(const uint8_t *buf, uint64_t len, lm_model **out);
void      lm_model_free(lm_model *m);                       // NULL-safe
void      lm_model_get_info(const lm_model *m, lm_model_info *out);
// Memory a context with params p needs for a loaded model.
lm_status lm_model_plan(const lm_model *m, const lm_ctx_params *p, lm_mem_plan *out);
// The same plan from a prefix of the file, before the weights arrive: parses the header and the
// hyperparameters. LM_TRUNCATED with *need = prefix length required when the prefix is too short;
// *file_size (optional) = bytes the whole file must have.
lm_status lm_plan_from_header(const uint8_t *prefix, uint64_t len, const lm_ctx_params *p, lm_mem_plan *out,
                              uint64_t *need, uint64_t *file_size);
// Name/type/shape of tensor i (for `pocketlm info`); returns false when i is out of range.
bool      lm_model_tensor(const lm_model *m, int64_t i, const char **name, int *name_len,
                          const char **type, int64_t shape[4], int *n_dims);

lm_status lm_ctx_new(const lm_model *m, const lm_ctx_params *p, lm_ctx **out);
void      lm_ctx_free(lm_ctx *c);                           // NULL-safe
void      lm_ctx_reset(lm_ctx *c);                          // forget all tokens (positions restart at 0)
int32_t   lm_ctx_n_past(const lm_ctx *c);                   // tokens in the KV cache

// Appends n tokens at the next positions and computes logits (for the last token, or for all
// of them when params.logits_all). LM_CTX_FULL if they do not fit; LM_INVALID_ARG on bad ids.
lm_status lm_decode(lm_ctx *c, const lm_token *tokens, int32_t n);
// Logits row i of the last decode call ([n_vocab]); i = 0 is the last token unless logits_all.
const float *lm_logits(const lm_ctx *c, int32_t i);

#endif
