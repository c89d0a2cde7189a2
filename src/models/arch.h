// arch.h — the architecture vtable (llama.cpp's three hooks) and the loader/compute helpers
// every architecture file shares (load.c, blocks.c).
#ifndef LM_ARCH_H
#define LM_ARCH_H
#include <stddef.h>
#include "../model.h"

typedef struct lm_arch {
    const char *name;                                     // GGUF general.architecture
    lm_status (*load_hparams)(lm_model *m);               // reads "<arch>.*" keys into m and m->layers
    lm_status (*load_weights)(lm_model *m);               // binds tensor views by name, checks shapes
    // Runs n tokens at positions pos0.. through the layers; leaves the final-normed hidden
    // states in c->xn (rows = tokens). The KV cache is updated.
    void      (*forward)(lm_ctx *c, const lm_token *tokens, int32_t n, int32_t pos0);
} lm_arch;

const lm_arch *lm_arch_find(gguf_str name);               // registry.c; NULL when unknown

// ---- load.c: metadata and tensor binding with checks; messages name the key or tensor ----
typedef enum { LM_REQUIRED, LM_OPTIONAL } lm_presence;
// "%s" in key is replaced by the architecture name.
lm_status ld_u32(const lm_model *m, const char *key, uint32_t *out, lm_presence p, uint32_t def);
lm_status ld_f32(const lm_model *m, const char *key, float *out, lm_presence p, float def);
// A scalar or an array of n_layer integers: fills out[n_layer] (dst stride: lm_layer).
lm_status ld_per_layer(lm_model *m, const char *key, size_t field, lm_presence p, int32_t def);
// Same for bool arrays (sliding_window_pattern); returns LM_MISSING_KEY when absent and optional.
lm_status ld_per_layer_bool(lm_model *m, const char *key, size_t field, lm_presence p);
// Binds tensor `name` (il >= 0 formats "blk.%d.") with C-order shape [rows][cols] (rows = 1 for 1-D).
// Per-channel types (q2_c, q4_c, i8) also bind "<base>.scale" ([rows] f32) and the optional
// "<base>.input_scale"/"<base>.output_scale" (tensor.h lm_tensor).
lm_status ld_tensor(lm_model *m, lm_tensor *t, const char *name, int il, int64_t rows, int64_t cols, lm_presence p);
// A gather-only table (never a matmul weight): per-channel scales may be [rows][groups]. Its
// bytes may be left out of a model loaded from pieces: t->data is then NULL, rows come per decode.
lm_status ld_table(lm_model *m, lm_tensor *t, const char *name, int64_t rows, int64_t cols, lm_presence p);
lm_status ld_common_hparams(lm_model *m);                 // n_embd, n_layer, n_ctx_train, heads, ff, eps
lm_status ld_check_layers(const lm_model *m);             // head/ff/dim sanity after load_hparams
lm_status ld_embeddings(lm_model *m);                     // token_embd, output_norm, output (tied if absent)

// ---- blocks.c: transformer blocks over n token rows ----
void blk_embed(lm_ctx *c, const lm_token *tokens, int32_t n, float scale);          // -> c->x
void blk_norm(lm_ctx *c, float *y, const float *x, const lm_tensor *w, int32_t rows, int32_t n);
void blk_matmul(lm_ctx *c, const lm_tensor *w, const float *x, int32_t n_tok, float *y);
void blk_ffn(lm_ctx *c, const lm_layer *L, int32_t n);                               // c->xn -> c->tmp
void blk_add(float *y, const float *x, int64_t n);                                   // y += x

// ---- attention.c: self-attention over the KV cache ----
void blk_attention(lm_ctx *c, int il, int32_t n, int32_t pos0);                      // c->xn -> c->tmp
// The int8 cache's quantizer for one (token, KV head) row x[D]: codes q[D] in -127..127 (round
// half to even of x / s), returns the scale s = max|x| / 127 (0 for an all-zero row, q = 0).
float blk_kv_q8_head(const float *x, int8_t *q, int D);

#endif
