// model.h — internal model and context structures shared by lm.c, kv.c, blocks.c and models/.
#ifndef LM_MODEL_H
#define LM_MODEL_H
#include "lm.h"
#include "gguf.h"
#include "tensor.h"
#include "kernels/kernels.h"

#define LM_MAX_LAYERS 512

typedef struct {
    // weights (data == NULL when absent)
    lm_tensor attn_norm, wq, wk, wv, wo, q_norm, k_norm, attn_post_norm;
    lm_tensor ffn_norm, ffn_gate, ffn_up, ffn_down, ffn_post_norm;
    lm_tensor inp_gate, proj, post_norm, out_scale;           // gemma4 per-layer input + layer scalar
    lm_tensor rope_freqs;                                     // [n_rot/2] f32 frequency divisors
    // hyperparameters of this layer
    int32_t n_head, n_head_kv, head_dim, n_ff, n_rot;
    bool    swa;              // sliding-window layer
    bool    v_norm;           // V is RMS-normalized without weight (gemma4)
    int32_t kv_src;           // layer whose KV cache this layer attends over (itself if it owns one)
    float   rope_base, rope_scale;
    float   q_scale;          // multiplies Q before attention (gemma3: 1/sqrt(head_dim))
    float   kq_scale;         // multiplies q.k inside softmax (llama: 1/sqrt(head_dim))
} lm_layer;

typedef enum { LM_ROPE_NORM, LM_ROPE_NEOX } lm_rope_type;
typedef enum { LM_ACT_SILU, LM_ACT_GELU } lm_act;

struct lm_arch;

struct lm_model {
    const struct lm_arch *arch;
    gguf_file g;
    int32_t n_vocab, n_embd, n_layer, n_ctx_train, n_swa, n_embd_ple;
    float   eps, final_softcap, embd_scale;
    lm_rope_type rope_type;
    lm_act  act;
    lm_tensor tok_embd, output, output_norm;
    lm_tensor ple_tok_embd, ple_proj, ple_proj_norm;          // gemma4 per-layer embeddings
    bool    ple_external;     // ple_tok_embd.data is NULL: its rows come from lm_ctx.ext_rows (image.c)
    lm_layer *layers;                                         // [n_layer]
    lm_token bos, eos;
    bool add_bos;
    uint64_t n_params;
    struct lm_vocab *vocab;   // owned; NULL when the file has no (supported) tokenizer
};

typedef struct {
    void    *k, *v;           // [n_cells][n_head_kv*head_dim]: f16 (LM_KV_F16) or int8 codes (LM_KV_Q8);
                              // NULL for layers without their own cache
    float   *ks, *vs;         // LM_KV_Q8: [n_cells][n_head_kv] scales (value = code * scale); else NULL
    int32_t  n_cells;         // n_ctx for full layers; a ring of min(n_ctx, n_swa + n_batch) for SWA layers
} lm_kv_layer;

struct lm_ctx {
    struct lm_pool *pool;     // matmul row threads (1 = the caller only)
    const lm_model   *m;
    const lm_kernels *k;
    int32_t n_ctx, n_batch, n_past, n_out;
    bool    logits_all;
    bool    static_act;       // apply GGUF-M input/output activation scales (blk_matmul)
    lm_kv_type kv_type;       // storage of every layer's cache (models/attention.c)
    // optional: called after every matmul with its weight, input rows and output rows (calibration
    // in tools/calib.c, the recorder of tests/test_wq_ref.c; NULL in normal use)
    void  (*observe)(void *ud, const lm_tensor *w, const float *x, const float *y, int32_t n_tok);
    void   *observe_ud;
    lm_kv_layer *kv;          // [n_layer]
    // scratch, sized for n_batch tokens: rows are tokens
    float *x, *xn, *tmp;      // [n_batch][n_embd]
    float *q, *kc, *vc, *att; // [n_batch][max q dim], [n_batch][max kv dim] x2, [n_batch][max q dim]
    float *ff_a, *ff_b;       // [n_batch][max n_ff]
    float *ple;               // [n_batch][n_layer*n_embd_ple]
    float *scores;            // [n_ctx]
    void  *qact;              // quantized activations: [n_batch][row bytes of the widest input]
    float *logits;            // [n_out rows][n_vocab]
    uint8_t *ext_rows;        // [n_batch][row bytes of ple_tok_embd] when m->ple_external (filled by the caller)
};

// image.c: merges the shards of a gguf-split model and points every tensor into its piece (lm.h
// lm_model_load_pieces); tensors in no single piece get data = NULL.
lm_status gguf_parse_image(const lm_piece *pieces, int32_t n, gguf_file *out);

#endif
