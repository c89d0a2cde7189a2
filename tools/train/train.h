// train.h — pocketlm's trainer for small gemma4-architecture models (docs/QAT.md).
//
// Forward and backward passes written by hand for the Gemma 4 decoder as llama.cpp runs it
// (specs/gemma4-arch.md §3): embedding x sqrt(E), per layer attn_norm -> q/k/v projections, q/k
// RMS norms with weights and v norm without, NEOX RoPE (full layers: proportional, a quarter of the
// pairs rotated), causal attention with scale 1.0 (sliding window on SWA layers, K/V shared by the
// last layers), post-attention norm, GEGLU (tanh) FFN with pre/post norms, layer_output_scale;
// final norm, tied LM head, softcap 30. No per-layer embeddings (PLE). Everything is f32.
//
// Shapes in comments are C-order [rows][cols]. N = tokens in a batch (B sequences of T), E = n_embd,
// qd = H * D and kvd = Hkv * D with the layer's head size D, F = the layer's n_ff, V = n_vocab.
// Results are bitwise reproducible for a seed and never depend on the thread count.
#ifndef LM_TRAIN_H
#define LM_TRAIN_H
#include <stdbool.h>
#include <stdint.h>
#include "../../src/threads.h"

#define TR_MAX_LAYERS 16

// ---- model.c: configuration, parameter table, initialization ----

typedef struct {
    int32_t n_vocab, n_embd, n_layer, n_head, n_head_kv;
    int32_t head_dim, head_dim_full;   // sliding-window / full-attention layers
    int32_t n_ctx;                     // training sequence length in tokens (BOS included)
    int32_t n_swa;                     // sliding window in tokens
    int32_t n_layer_kv;                // layers [0, n_layer_kv) own K/V; later ones read n_layer_kv-2 (SWA) / -1 (full)
    int32_t ff[TR_MAX_LAYERS];         // feed-forward size per layer
    bool    swa[TR_MAX_LAYERS];
    float   rope_base, rope_base_swa, eps, softcap;
} tr_config;

// Per-layer tensors, in GGUF order.
enum { TL_ATTN_NORM, TL_Q, TL_K, TL_V, TL_O, TL_Q_NORM, TL_K_NORM, TL_ATTN_POST, TL_FFN_NORM,
       TL_GATE, TL_UP, TL_DOWN, TL_FFN_POST, TL_OUT_SCALE, TL_COUNT };
typedef enum { TK_MATRIX, TK_VECTOR } tr_kind;

typedef struct {
    char    name[48];     // GGUF tensor name
    int64_t off;          // offset into a parameter-shaped array (floats)
    int32_t rows, cols;   // [rows][cols]; vectors have rows = 1
    tr_kind kind;
    float   init;         // vectors: initial value; matrices: std of the normal init
} tr_tensor;

typedef struct {
    tr_config c;
    tr_tensor t[8 + TR_MAX_LAYERS * TL_COUNT];
    int     n_t;
    int     tok_embd, out_norm;              // tensor indices
    int     layer[TR_MAX_LAYERS][TL_COUNT];  // tensor index; -1 when absent (no K/V in shared layers)
    int64_t n_params;
} tr_model;

// Fills c from a preset ("kjv", "tiny"); false for an unknown name.
bool     tr_preset(const char *name, tr_config *c);
// Checks c and lays out the tensors; false (message on stderr) when the shape is not supported.
bool     tr_model_init(tr_model *m, const tr_config *c);
void     tr_params_init(const tr_model *m, float *w, uint64_t seed);   // w [n_params]
int      tr_layer_src(const tr_config *c, int il);     // the layer whose K/V layer il reads
int      tr_head_dim(const tr_config *c, int il);
static inline float *tr_at(const tr_model *m, float *base, int ti) { return base + m->t[ti].off; }

// ---- ops.c: row-wise pieces of the forward and backward passes ----

typedef void (*tr_range_fn)(void *ctx, int64_t lo, int64_t hi);
// Runs fn over [0, n) split into one contiguous range per thread.
void  tr_par(lm_pool *p, int64_t n, tr_range_fn fn, void *ctx);

// y = x / rms(x) * w over rows of n (w may be NULL); sums in double.
void  tr_rmsnorm(lm_pool *p, float *y, const float *x, const float *w, int64_t rows, int n, float eps);
// dx (+)= d(rmsnorm)/dx . dy for rows of n; dw (optional) += sum over rows of dy * x / rms(x).
void  tr_rmsnorm_back(lm_pool *p, float *dx, float *dw, const float *dy, const float *x, const float *w,
                      int64_t rows, int n, float eps, bool acc);
// NEOX rotation of rows (heads) of D values at positions t % T, angles cs [T][n_rot/2][2]; inverse = back pass.
void  tr_rope(lm_pool *p, float *x, int64_t rows, int heads, int D, int n_rot, int T, const float *cs, bool inverse);
// cs [T][n_rot/2][2] as the engine computes them (src/models/blocks.c); ff_quarter: rotate only the
// first quarter of the pairs (proportional RoPE of full layers).
void  tr_rope_angles(float *cs, int T, int n_rot, float base, bool ff_quarter);
void  tr_geglu(lm_pool *p, float *z, const float *g, const float *u, int64_t n);          // gelu_tanh(g) * u
void  tr_geglu_back(lm_pool *p, float *dg, float *du, const float *dz, const float *g, const float *u, int64_t n);
// Softcapped logits and cross-entropy: logits [N][V] become cap * tanh(logits / cap); returns the
// mean loss over the N targets; with dlogits, writes d(mean loss)/d(raw logits) into logits.
double tr_softcap_xent(lm_pool *p, float *logits, const int32_t *targets, int N, int V, float cap, bool grad);

// ---- attention.c: causal attention with scale 1.0, GQA, sliding window on SWA layers ----
// q [B*T][H*D]; k, v [B*T][Hkv*D] (normed, rotated); prob [B][H][T][T]; att [B*T][H*D].
void  tr_attention(lm_pool *p, const tr_config *c, int il, int B, const float *q, const float *k, const float *v,
                   float *prob, float *att);
// dq = d/dq (overwritten); dk, dv += d/dk, d/dv. tmp: [n_threads][T].
void  tr_attention_back(lm_pool *p, const tr_config *c, int il, int B, const float *q, const float *k, const float *v,
                        const float *prob, const float *datt, float *dq, float *dk, float *dv, float *tmp);

// ---- linalg.c: row-major f32 products ----
// C[N][J] (+)= A[N][K] B[K][J]
void tr_gemm_nn(lm_pool *p, float *C, const float *A, const float *B, int N, int K, int J, bool acc);
// C[O][I] += A[N][O]^T B[N][I]  (weight gradients: A = dY, B = X)
void tr_gemm_tn(lm_pool *p, float *C, const float *A, const float *B, int N, int O, int I);
void tr_transpose(lm_pool *p, float *dst, const float *src, int rows, int cols);   // dst [cols][rows]
// Y[N][O] = X[N][I] W[O][I]^T, with scratch [I][O]
void tr_matmul_xwt(lm_pool *p, float *Y, const float *X, const float *W, float *scratch, int N, int I, int O);

// ---- quant.c: quantization-aware training ----

typedef enum { TR_QAT_NONE, TR_QAT_Q4_0, TR_QAT_MOBILE } tr_qat;

// Activation sites of the mobile scheme (static int8 input/output scales, docs/FORMAT.md §2).
enum { TA_ATTN_IN, TA_Q_OUT, TA_K_OUT, TA_V_OUT, TA_O_IN, TA_O_OUT, TA_FFN_IN, TA_GATE_OUT, TA_UP_OUT,
       TA_DOWN_IN, TA_DOWN_OUT, TA_LAYER_COUNT };
typedef struct {
    tr_qat  mode;
    float   act[TR_MAX_LAYERS][TA_LAYER_COUNT];  // static scales (0 = not calibrated yet)
    float   head_in;                             // LM head input scale
    bool    calibrating;                         // forward records percentiles into act/head_in
    float   pct;                                 // percentile of |x| (99.99)
    int     n_calib;                             // batches averaged so far
} tr_quant;

// The weight type a tensor gets in the mobile recipe (tools/quantize.c "e2b"): q2_c for the tied
// embedding and the MLPs of KV-sharing layers, q4_c otherwise; 0 for tensors that stay f32.
int   tr_mobile_type(const tr_model *m, int ti);
// weff = what the forward pass multiplies by: w with every matrix fake-quantized (Q4_0 blocks or
// per-channel codes with the PTQ scale search); vectors copied.
void  tr_fake_quant_weights(lm_pool *p, const tr_model *m, const tr_quant *q, const float *w, float *weff);
// In place: x = clamp(round_half_even(x / s), -128, 127) * s (no-op for s <= 0), or with
// calibration on, first folds the percentile of |x| into *s.
void  tr_fq_act(lm_pool *p, tr_quant *q, float *s, float *x, int64_t n);
// Straight-through gradient of tr_fq_act: dx = 0 where x (already fake-quantized) sits on the clip
// boundary, else unchanged.
void  tr_fq_act_back(lm_pool *p, float s, float *dx, const float *xq, int64_t n);

// ---- forward.c / backward.c ----

typedef struct {
    float *h_in, *a;                       // [N][E] layer input; attn_norm(h_in) (fake-quantized)
    float *q_raw, *q;                      // [N][qd] projection; after q_norm and RoPE
    float *k_raw, *k, *v_raw, *v;          // [N][kvd] (layers with their own K/V)
    float *prob;                           // [B][H][T][T] attention weights
    float *att, *o;                        // [N][qd] attention output; [N][E] its projection
    float *h1, *f;                         // [N][E] after attention; ffn_norm(h1)
    float *g, *u, *z;                      // [N][F] gate, up, gelu(gate) * up
    float *d, *h2;                         // [N][E] down projection; residual before the layer scale
} tr_layer_acts;

typedef struct {
    int B, T, N;
    tr_layer_acts L[TR_MAX_LAYERS];
    float *h_out, *hf;                     // [N][E] final residual; output_norm(h_out)
    float *logits;                         // [N][V] softcapped (backward: their gradient)
    float *cs_swa, *cs_full;               // RoPE angles [T][n_rot/2][2]
    // backward scratch
    float *dh, *dx, *dq, *datt, *dtmp;     // [N][E], [N][E], [N][qd max], [N][qd max], [N][max(E, qd)]
    float *dk[TR_MAX_LAYERS], *dv[TR_MAX_LAYERS];   // [N][kvd] per K/V-owning layer
    float *dg, *du, *dz;                   // [N][F max]
    float *scratch;                        // transposes: [max rows * cols of a matrix]
    float *attn_tmp;                       // per thread [T] (attention backward)
    int    n_threads;
    void  *bufs[64 + 32 * TR_MAX_LAYERS];  // every allocation above (owned)
    int    n_bufs;
} tr_acts;

bool   tr_acts_new(tr_acts *a, const tr_model *m, int B, int n_threads);
void   tr_acts_free(tr_acts *a);
// Runs the batch tokens [B][T] (targets [B][T]); returns the mean loss. weff: the weights to use.
double tr_forward(lm_pool *p, const tr_model *m, const float *weff, tr_quant *q, tr_acts *a,
                  const int32_t *tokens, const int32_t *targets, bool need_grad);
// Gradients of the last tr_forward (need_grad) into grad [n_params] (overwritten).
void   tr_backward(lm_pool *p, const tr_model *m, const float *weff, const tr_quant *q, tr_acts *a,
                   const int32_t *tokens, float *grad);

// ---- optim.c ----

typedef struct {
    int    steps, warmup;
    float  lr, lr_min, beta1, beta2, adam_eps, weight_decay, clip;
} tr_optim;

tr_optim tr_optim_default(void);
float    tr_lr_at(const tr_optim *o, int step);                  // warmup then cosine to lr_min
// Clips grad to o->clip (global L2 norm) and applies one AdamW step (decay on matrices only).
// Returns the norm before clipping. step counts from 0.
double   tr_adamw(lm_pool *p, const tr_model *m, const tr_optim *o, int step, float *w, float *grad, float *mom, float *vel);

// ---- data.c ----

typedef struct {
    int32_t *tok;  int64_t n;              // the text as token ids
    int64_t *start; int64_t n_start;       // positions that begin a line (sequence starts)
    int32_t chat[3][16]; int n_chat[3];    // "<|turn>user\n", "<turn|>\n<|turn>model\n<|channel>thought\n<channel|>",
                                           // "<turn|>\n" as tokens (the chat template of tools/gen.c)
} tr_text;

// Tokenizes a text file with the vocabulary GGUF (the engine's tokenizer). false on error.
bool    tr_text_load(tr_text *t, const char *path, const uint8_t *vocab_gguf, uint64_t vocab_len);
void    tr_text_free(tr_text *t);
// A line start from which T tokens fit, chosen by (seed, step, b) alone: a resumed run sees the
// same batches.
int64_t tr_random_start(const tr_text *t, int T, uint64_t seed, int64_t step, int b);
// The k-th of K line starts spread evenly over the text (validation).
int64_t tr_even_start(const tr_text *t, int T, int64_t k, int64_t K);
// One sequence from text position pos: tokens [BOS, tok[pos] .. tok[pos+T-2]], targets tok[pos .. pos+T-1].
void    tr_sequence(const tr_text *t, int T, int32_t bos, int64_t pos, int32_t *tokens, int32_t *targets);
// A chat-formatted sequence from the line starting at pos: BOS, then turns in the Gemma 4 format
// with one line as the user's message and the next as the model's reply, until T + 1 tokens.
void    tr_chat_sequence(const tr_text *t, int T, int32_t bos, int64_t pos, int32_t *tokens, int32_t *targets);

// ---- checkpoint.c ----

typedef struct {
    tr_config c;
    tr_quant  q;
    int32_t   step;                        // steps done
    uint64_t  seed;
    float    *w, *m, *v;                   // [n_params] weights and AdamW moments
} tr_state;

bool tr_ckpt_save(const char *path, const tr_model *m, const tr_state *s);
// Reads a checkpoint written by tr_ckpt_save; allocates s->w/m/v and lays out m.
bool tr_ckpt_load(const char *path, tr_model *m, tr_state *s);

// ---- export.c ----

typedef enum { TR_OUT_F32, TR_OUT_F16, TR_OUT_Q4_0, TR_OUT_MOBILE } tr_out;
// Writes a gemma4 GGUF llama.cpp and pocketlm load: the vocabulary's tokenizer.* keys, gemma4.*
// keys (tools/gen.c) with context_length n_ctx (0: the training context), the weights in the
// given form (GGUF-M: the mobile recipe with q's static activation scales). false with a message
// on stderr.
bool tr_export(const char *path, const tr_model *m, const float *w, const tr_quant *q, tr_out type,
               const uint8_t *vocab_gguf, uint64_t vocab_len, const char *name, int32_t n_ctx);

#endif
