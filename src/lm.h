// lm.h — pocketlm public C API. Everything here is stable; everything else is internal.
//
//   lm_model *m;  lm_ctx *c;
//   if (lm_model_load(buf, len, &m) != LM_OK) puts(lm_errmsg());   // buf must outlive m
//   lm_ctx_params p = lm_ctx_default_params();
//   if (lm_ctx_new(m, &p, &c) != LM_OK) puts(lm_errmsg());
//   const lm_vocab *v = lm_model_vocab(m);
//   lm_token toks[256];
//   int32_t n = lm_tokenize(v, "Hello", 5, toks, 256, true, false);   // BOS as the model wants
//   lm_decode(c, toks, n);                       // prefill; logits of the last token
//   const float *logits = lm_logits(c, 0);       // [n_vocab]
//   lm_ctx_free(c); lm_model_free(m);
//
// Tokenizer only (a vocab-only GGUF such as llama.cpp's ggml-vocab-*.gguf, or a whole model):
//   lm_vocab *v;  lm_vocab_load(buf, len, &v);  ...  lm_vocab_free(v);
// Chat prompts: lm_chat_render() renders messages the way the GGUF's chat template does.
#ifndef LM_H
#define LM_H
#include <stdbool.h>
#include <stdint.h>
#include "status.h"

typedef struct lm_model lm_model;   // opaque; immutable after load
typedef struct lm_ctx   lm_ctx;     // opaque; KV cache + scratch; one per conversation
typedef struct lm_vocab lm_vocab;   // opaque; tokenizer; immutable after load
typedef int32_t         lm_token;

// KV cache storage (lm_ctx_params.kv_type).
typedef enum {
    LM_KV_F16 = 0,        // f16, as llama.cpp's default: 4 bytes per K+V element pair
    LM_KV_Q8  = 1,        // int8 codes with one f32 scale per token and KV head (symmetric, -127..127,
                          // round half to even): about half the bytes of f16
    LM_KV_COUNT
} lm_kv_type;

typedef struct {
    int32_t n_ctx;        // context length in tokens; 0 = min(model's training context, 4096)
    int32_t n_batch;      // tokens per forward chunk in prefill (also sizes SWA rings); 0 = 32
    int32_t n_threads;    // threads for matmuls, counting the caller; 0 = 1. Results never depend on it
    bool    logits_all;   // keep logits for every token of a decode call (teacher forcing), not just the last
    bool    no_static_act;// GGUF-M: ignore the static activation scales (dynamic per-vector int8 inputs,
                          // no output requantization); for cross-checks against engines without them
    lm_kv_type kv_type;   // KV cache storage; LM_INVALID_ARG when not an lm_kv_type
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
const char   *lm_kv_type_name(lm_kv_type t);          // "f16", "q8"; NULL when out of range
lm_kv_type    lm_kv_type_from_name(const char *name); // LM_KV_COUNT when unknown

// Parses and validates a GGUF image and binds tensor views. buf must outlive the model.
lm_status lm_model_load(const uint8_t *buf, uint64_t len, lm_model **out);

// ---- models that are not one buffer: gguf-split shards, pieces, tables kept outside ----
// A loader may hand over a model as pieces, each its own buffer: the shards of a llama.cpp
// gguf-split model (each a GGUF file with its own header; "-00001-of-00003.gguf"), files cut
// into pieces of at most LM_PIECE_BYTES (wasm32's malloc cannot make one buffer of 2 GiB or
// more), and with one range left out: the table lm_file_layout reports as ext (gemma4's
// per_layer_token_embd, 1.2-1.9 GB for E2B), whose rows are supplied per decode through
// lm_ctx_ext_rows instead of living in memory.

#define LM_PIECE_BYTES (1ull << 30)   // lm_file_layout's cuts keep pieces at or below this
#define LM_MAX_CUTS    32

typedef struct {
    const uint8_t *data;  // bytes [file_off, file_off + len) of shard `file`; must outlive the model
    int32_t  file;        // shard index (split.no; 0 for a whole file)
    uint64_t file_off;
    uint64_t len;
} lm_piece;

// What a loader needs from a prefix of one file (or shard) before its tensor data arrives.
typedef struct {
    uint64_t file_size;      // bytes the file must have: header + data up to the end of the last tensor
    uint64_t tensor_bytes;   // tensor data in this file
    int32_t  split_no, split_count;   // gguf-split keys (0 and 1 for a whole file)
    uint64_t ext_off, ext_len;        // file range of a table that may stay outside; 0, 0 if none
    uint64_t ext_row_bytes;           // bytes of one row of that table (rows are indexed by token id)
    // where to start new pieces (file offsets, increasing; each between tensors): pieces then
    // hold at most LM_PIECE_BYTES unless one tensor is larger; ext_off and ext_off + ext_len are
    // among them
    uint64_t cut[LM_MAX_CUTS];
    int32_t  n_cut;
} lm_file_layout;

// Parses the header in prefix. LM_TRUNCATED with *need = prefix length required when it is too
// short; LM_TOO_LARGE when the file needs more than LM_MAX_CUTS cuts.
lm_status lm_file_layout_from_header(const uint8_t *prefix, uint64_t len, lm_file_layout *out, uint64_t *need);
// Loads a model from pieces[0..n). Every shard's header must begin a piece (file_off 0), and
// there must be split.count shards. A tensor that lies in no single piece is left outside:
// allowed only for the ext table (then lm_ctx_ext_rows is non-NULL), otherwise LM_TRUNCATED.
// LM_INVALID_ARG for a bad piece table or shards that do not match their split keys.
lm_status lm_model_load_pieces(const lm_piece *pieces, int32_t n, lm_model **out);
void      lm_model_free(lm_model *m);                       // NULL-safe
void      lm_model_get_info(const lm_model *m, lm_model_info *out);
// Memory a context with params p needs for a loaded model.
lm_status lm_model_plan(const lm_model *m, const lm_ctx_params *p, lm_mem_plan *out);
// The same plan from a prefix of the file, before the weights arrive: parses the header and the
// hyperparameters (of a gguf-split model: from the first shard; weights then counts its tensors). LM_TRUNCATED with *need = prefix length required when the prefix is too short;
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
// Keeps the first n_keep tokens and forgets the rest, so a conversation can reuse the cache of
// its shared prefix. LM_INVALID_ARG when n_keep > n_past, or when a sliding-window ring has
// already overwritten what position n_keep would need (the caller then resets and re-prefills).
lm_status lm_ctx_truncate(lm_ctx *c, int32_t n_keep);

// Appends n tokens at the next positions and computes logits (for the last token, or for all
// of them when params.logits_all). LM_CTX_FULL if they do not fit; LM_INVALID_ARG on bad ids.
lm_status lm_decode(lm_ctx *c, const lm_token *tokens, int32_t n);
// For a model whose ext table was left out of its image: the staging buffer [cap][*row_bytes] that
// must hold, before each lm_decode(c, tokens, n), the table's row tokens[i] (its bytes as stored in
// the file, at file offset ext_off + tokens[i] * row_bytes) at row i. lm_decode then takes at most
// *cap tokens per call. Returns NULL (outputs untouched) when the model holds the table itself.
uint8_t  *lm_ctx_ext_rows(lm_ctx *c, uint64_t *row_bytes, int32_t *cap);
// Logits row i of the last decode call ([n_vocab]); i = 0 is the last token unless logits_all.
const float *lm_logits(const lm_ctx *c, int32_t i);

// ---- tokenizer ----
// Behaviour matches llama.cpp's tokenizer for the same GGUF (tokenizer.ggml.model "llama"
// (SentencePiece), "gpt2" with the llama3/qwen2/gpt-2 pre-tokenizers, "gemma4").

typedef struct {
    const char *model;        // tokenizer.ggml.model: "llama", "gpt2" or "gemma4"
    const char *pre;          // tokenizer.ggml.pre as used ("gemma4" forced for gemma4; "" if none)
    int32_t  n_tokens;
    lm_token bos, eos, eot, unk, pad, nl;   // -1 when the vocabulary has none
    bool     add_bos, add_eos;              // what add_special adds
    bool     add_space_prefix;              // SentencePiece: a space is put before the text
    const char *chat_template;              // tokenizer.chat_template (not NUL-terminated; a view into
    int32_t  chat_template_len;             //   the GGUF buffer), chat_template_len 0 when absent
} lm_vocab_info;

// Parses a GGUF (a vocab-only file, a whole model, or just the header part of one) and builds its
// tokenizer. Token texts stay views into buf: buf must outlive the vocab. LM_UNSUPPORTED for
// other tokenizer families or pre-tokenizers; a model with those still loads (without a vocab).
lm_status lm_vocab_load(const uint8_t *buf, uint64_t len, lm_vocab **out);
void      lm_vocab_free(lm_vocab *v);                      // NULL-safe
// The model's tokenizer (owned by m), or NULL when the file has no tokenizer.ggml.* keys.
const lm_vocab *lm_model_vocab(const lm_model *m);
void      lm_vocab_get_info(const lm_vocab *v, lm_vocab_info *out);   // strings live as long as v
// True for tokens that end generation (EOS, end-of-turn, ...), as llama.cpp's llama_vocab_is_eog.
bool      lm_vocab_is_eog(const lm_vocab *v, lm_token t);

// Tokenizes text[0..len) (any bytes; NULs and invalid UTF-8 included) into out[0..cap).
// add_special: add BOS/EOS as the vocabulary asks (add_bos/add_eos). parse_special: text that
// spells a control token (e.g. "<bos>", "<|turn>") becomes that token; otherwise only
// user-defined tokens are matched, and control tokens are never produced from text.
// Returns the number of tokens, -(tokens needed) when cap is too small (nothing else changes;
// call again with a larger buffer), or INT32_MIN on bad arguments or out of memory (lm_errmsg).
int32_t   lm_tokenize(const lm_vocab *v, const char *text, int32_t len, lm_token *out, int32_t cap,
                      bool add_special, bool parse_special);
// Bytes of one token (raw: may be part of a UTF-8 character). special: control tokens render as
// their text instead of nothing. Returns the byte count, or -(bytes needed) if cap is too small.
// Ids outside the vocabulary give 0 bytes.
int32_t   lm_token_to_piece(const lm_vocab *v, lm_token t, char *buf, int32_t cap, bool special);
// Text of tokens[0..n), exactly as llama.cpp's llama_detokenize: remove_special drops a leading
// BOS / trailing EOS the vocabulary would add; unparse_special renders control tokens; a leading
// space added by SentencePiece is removed; some BPE vocabularies (gpt-2, llama3, gemma4) get
// llama.cpp's clean-up of spaces before punctuation (" ," -> ","), so the result is not always
// the original text (the text stream below is lossless). Returns the byte count (no NUL is
// written) or -(bytes needed).
int32_t   lm_detokenize(const lm_vocab *v, const lm_token *tokens, int32_t n, char *buf, int32_t cap,
                        bool remove_special, bool unparse_special);

// Streaming detokenizer: feed tokens one at a time, get text that never ends inside a UTF-8
// character. Bytes of a character split across tokens are held until it is complete; invalid
// UTF-8 becomes U+FFFD (one per maximal invalid sequence, as TextDecoder does). Concatenating
// every push and the final flush gives the pieces' bytes exactly when they form valid UTF-8.
// Fields are private; the struct is public so it can live on the stack.
typedef struct {
    const lm_vocab *v;
    bool    special;          // render control tokens as text
    uint8_t pend[4];          // bytes of an unfinished character
    uint8_t n_pend;
} lm_text_stream;

// Starts a stream over v's tokens (v must outlive it); special: render control tokens as text.
void    lm_text_stream_init(lm_text_stream *s, const lm_vocab *v, bool special);
// Appends the text token t completes to buf; returns its byte count (possibly 0), or
// -(bytes needed) if cap is too small, in which case the stream is unchanged.
int32_t lm_text_stream_push(lm_text_stream *s, lm_token t, char *buf, int32_t cap);
// Emits what is still held (an unfinished character becomes U+FFFD) and resets the stream.
int32_t lm_text_stream_flush(lm_text_stream *s, char *buf, int32_t cap);

// ---- chat templates ----
// Renders a message list into a prompt the way the model's Jinja chat template does (byte for
// byte, as llama.cpp renders it), for the template families below; no Jinja engine is involved.
// The family comes from tokenizer.chat_template, or is chosen explicitly.

typedef enum {
    LM_CHAT_AUTO = 0,    // detect from tokenizer.chat_template
    LM_CHAT_GEMMA4,      // <|turn>user\n..<turn|>\n, system turn, empty thought channel unless thinking
    LM_CHAT_GEMMA3,      // <start_of_turn>user\n..<end_of_turn>\n; system text opens the first user turn
    LM_CHAT_LLAMA3,      // <|start_header_id|>role<|end_header_id|>\n\n..<|eot_id|> (Llama 3.0)
    LM_CHAT_LLAMA31,     // Llama 3.1-3.3: system header with "Cutting Knowledge Date" and "Today Date"
    LM_CHAT_CHATML,      // <|im_start|>role\n..<|im_end|>\n, with the template's default system prompt
    LM_CHAT_COUNT
} lm_chat_format;

typedef enum { LM_ROLE_SYSTEM, LM_ROLE_USER, LM_ROLE_ASSISTANT } lm_chat_role;

typedef struct {
    lm_chat_role role;
    const char  *content;     // UTF-8, NUL-terminated
} lm_chat_msg;

typedef struct {
    lm_chat_format format;         // LM_CHAT_AUTO: from the vocabulary's template
    bool add_generation_prompt;    // end with the assistant turn's opening (default true)
    bool enable_thinking;          // Gemma 4: <|think|> in the system turn, no empty thought channel
    const char *date;              // Llama 3.1+: "Today Date" text; NULL = the template's "26 Jul 2024"
    const char *chat_template;     // Jinja template text to use instead of the vocabulary's; NULL = the vocabulary's
} lm_chat_params;

lm_chat_params lm_chat_default_params(void);                 // AUTO format, generation prompt on
// The family of v's tokenizer.chat_template. LM_UNSUPPORTED (message says why) when the file has
// no template or it is not one of the families above: pick params.format explicitly then.
lm_status   lm_chat_detect(const lm_vocab *v, lm_chat_format *out);
const char *lm_chat_format_name(lm_chat_format f);           // "gemma4", ...; "auto"; NULL if out of range
lm_chat_format lm_chat_format_from_name(const char *name);   // LM_CHAT_COUNT if unknown
// Renders msgs[0..n) into buf[0..cap) (no NUL). The text includes the template's BOS text
// (e.g. "<bos>"), so tokenize it with parse_special = true and add_special = false. Returns
// the byte count, -(bytes needed) if cap is too small, or INT32_MIN on error (unknown template,
// roles the template rejects, e.g. Gemma 3 without strict user/assistant alternation; lm_errmsg).
int32_t     lm_chat_render(const lm_vocab *v, const lm_chat_params *p, const lm_chat_msg *msgs, int32_t n,
                           char *buf, int32_t cap);

#endif
