// exports.c — the only C that knows Emscripten: a flat ABI over lm.h for web/abi.js.
// Every function returns an int32 status (>= 0 ok or a count, < 0 an lm_status) or a pointer.
// Pointers are wasm32 addresses (JS reads them as unsigned). 64-bit sizes travel as doubles.
#include <emscripten.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../src/lm.h"
#include "../src/sampler.h"
#include "../src/chat.h"

EMSCRIPTEN_KEEPALIVE void *lm_wasm_malloc(uint32_t n) { return malloc(n ? n : 1); }
EMSCRIPTEN_KEEPALIVE void  lm_wasm_free(void *p) { free(p); }
EMSCRIPTEN_KEEPALIVE const char *lm_wasm_errmsg(void) { return lm_errmsg(); }
EMSCRIPTEN_KEEPALIVE const char *lm_wasm_status_name(int32_t s) { return lm_status_name(s); }
EMSCRIPTEN_KEEPALIVE int32_t lm_wasm_last_status(void) { return lm_last_status(); }

// kv_type: lm_kv_type (lm_ctx_new / lm_plan_from_header reject other values with INVALID_ARG).
static lm_ctx_params ctx_params(int32_t n_ctx, int32_t n_batch, int32_t kv_type) {
    lm_ctx_params p = lm_ctx_default_params();
    p.n_ctx = n_ctx;   // n_threads is set by lm_wasm_ctx_new
    if (n_batch > 0) p.n_batch = n_batch;
    p.kv_type = (lm_kv_type)kv_type;
    return p;
}

// out[0..4] = weights, kv, scratch, need (prefix bytes, when TRUNCATED), file size.
EMSCRIPTEN_KEEPALIVE int32_t lm_wasm_plan_from_header(const uint8_t *prefix, uint32_t len, int32_t n_ctx,
                                                      int32_t n_batch, int32_t kv_type, double *out) {
    lm_ctx_params p = ctx_params(n_ctx, n_batch, kv_type);
    lm_mem_plan plan = {0};
    uint64_t need = 0, size = 0;
    lm_status s = lm_plan_from_header(prefix, len, &p, &plan, &need, &size);
    out[0] = (double)plan.weights; out[1] = (double)plan.kv; out[2] = (double)plan.scratch;
    out[3] = (double)need; out[4] = (double)size;
    return s;
}

// out[0..7] = file size, tensor bytes, split.no, split.count, ext offset, ext length, ext row
// bytes, need (prefix bytes, when TRUNCATED); out[8] = cut count, out[9..] = cuts.
EMSCRIPTEN_KEEPALIVE int32_t lm_wasm_file_layout(const uint8_t *prefix, uint32_t len, double *out) {
    lm_file_layout l;
    uint64_t need = 0;
    lm_status s = lm_file_layout_from_header(prefix, len, &l, &need);
    double v[9] = { (double)l.file_size, (double)l.tensor_bytes, l.split_no, l.split_count, (double)l.ext_off,
                    (double)l.ext_len, (double)l.ext_row_bytes, (double)need, l.n_cut };
    for (int k = 0; k < 9; k++) out[k] = v[k];
    for (int k = 0; k < l.n_cut; k++) out[9 + k] = (double)l.cut[k];
    return s;
}

// n == 0: buf[0..len) is one whole file. Else pieces: n quadruples (pointer, shard, file offset,
// length) as doubles (exact below 2^53); buf and len are unused.
EMSCRIPTEN_KEEPALIVE int32_t lm_wasm_model_load(const uint8_t *buf, uint32_t len, const double *pieces, int32_t n,
                                                lm_model **out) {
    if (n == 0) return lm_model_load(buf, len, out);
    if (n < 0 || n > 4096) return lm_fail(LM_INVALID_ARG, "%d pieces", n);
    lm_piece *pc = malloc((size_t)n * sizeof *pc);
    if (!pc) return lm_fail(LM_NOMEM, "piece table");
    for (int32_t i = 0; i < n; i++)
        pc[i] = (lm_piece){ (const uint8_t *)(uintptr_t)pieces[4 * i], (int32_t)pieces[4 * i + 1],
                            (uint64_t)pieces[4 * i + 2], (uint64_t)pieces[4 * i + 3] };
    lm_status s = lm_model_load_pieces(pc, n, out);
    free(pc);
    return s;
}
EMSCRIPTEN_KEEPALIVE void lm_wasm_model_free(lm_model *m) { lm_model_free(m); }

// out (int32[14]): n_vocab n_embd n_layer n_head n_head_kv n_ctx_train n_swa n_embd_per_layer
// n_layer_kv bos eos add_bos n_params(low32) n_params(high32); returns the arch name.
EMSCRIPTEN_KEEPALIVE const char *lm_wasm_model_info(const lm_model *m, int32_t *out) {
    lm_model_info i;
    lm_model_get_info(m, &i);
    int32_t v[14] = { i.n_vocab, i.n_embd, i.n_layer, i.n_head, i.n_head_kv, i.n_ctx_train, i.n_swa,
                      i.n_embd_per_layer, i.n_layer_kv, i.bos, i.eos, i.add_bos,
                      (int32_t)(uint32_t)i.n_params, (int32_t)(uint32_t)(i.n_params >> 32) };
    for (int k = 0; k < 14; k++) out[k] = v[k];
    return i.arch;
}

EMSCRIPTEN_KEEPALIVE int32_t lm_wasm_ctx_new(const lm_model *m, int32_t n_ctx, int32_t n_batch, int32_t n_threads,
                                             int32_t kv_type, lm_ctx **out) {
    lm_ctx_params p = ctx_params(n_ctx, n_batch, kv_type);
    p.n_threads = n_threads;
    return lm_ctx_new(m, &p, out);
}
EMSCRIPTEN_KEEPALIVE void    lm_wasm_ctx_free(lm_ctx *c) { lm_ctx_free(c); }
EMSCRIPTEN_KEEPALIVE void    lm_wasm_ctx_reset(lm_ctx *c) { lm_ctx_reset(c); }
EMSCRIPTEN_KEEPALIVE int32_t lm_wasm_ctx_n_past(const lm_ctx *c) { return lm_ctx_n_past(c); }
EMSCRIPTEN_KEEPALIVE int32_t lm_wasm_ctx_truncate(lm_ctx *c, int32_t n_keep) { return lm_ctx_truncate(c, n_keep); }
EMSCRIPTEN_KEEPALIVE int32_t lm_wasm_decode(lm_ctx *c, const lm_token *t, int32_t n) { return lm_decode(c, t, n); }
EMSCRIPTEN_KEEPALIVE const float *lm_wasm_logits(const lm_ctx *c) { return lm_logits(c, 0); }
// The staging rows of an external table (out[0] = row bytes, out[1] = rows), or NULL.
EMSCRIPTEN_KEEPALIVE uint8_t *lm_wasm_ctx_ext_rows(lm_ctx *c, double *out) {
    uint64_t rb = 0;
    int32_t cap = 0;
    uint8_t *p = lm_ctx_ext_rows(c, &rb, &cap);
    out[0] = (double)rb; out[1] = cap;
    return p;
}

// f: temperature top_p min_p repeat presence frequency; i: top_k penalty_last_n seed_lo seed_hi
EMSCRIPTEN_KEEPALIVE int32_t lm_wasm_sampler_new(const float *f, const int32_t *i, int32_t n_vocab, lm_sampler **out) {
    lm_sampler_params p = {
        .temperature = f[0], .top_p = f[1], .min_p = f[2], .repeat_penalty = f[3], .presence_penalty = f[4],
        .frequency_penalty = f[5], .top_k = i[0], .penalty_last_n = i[1],
        .seed = (uint64_t)(uint32_t)i[2] | (uint64_t)(uint32_t)i[3] << 32,
    };
    return lm_sampler_new(&p, n_vocab, out);
}
EMSCRIPTEN_KEEPALIVE void    lm_wasm_sampler_free(lm_sampler *s) { lm_sampler_free(s); }
EMSCRIPTEN_KEEPALIVE int32_t lm_wasm_sampler_sample(lm_sampler *s, const float *logits) { return lm_sampler_sample(s, logits); }
EMSCRIPTEN_KEEPALIVE int32_t lm_wasm_sampler_accept(lm_sampler *s, lm_token t) { return lm_sampler_accept(s, t); }

// ---- tokenizer and chat (the model's vocabulary; LM_UNSUPPORTED when it has none) ----

static const lm_vocab *vocab_of(const lm_model *m) {
    const lm_vocab *v = lm_model_vocab(m);
    if (!v) lm_fail(LM_UNSUPPORTED, "this model file has no tokenizer (tokenizer.ggml.* keys)");
    return v;
}

// Returns the token count, -(needed) if cap is too small, or an lm_status (< -cap never happens
// for statuses: JS checks the message when the value is INT32_MIN).
EMSCRIPTEN_KEEPALIVE int32_t lm_wasm_tokenize(const lm_model *m, const char *text, int32_t len, lm_token *out,
                                              int32_t cap, int32_t add_special, int32_t parse_special) {
    const lm_vocab *v = vocab_of(m);
    return v ? lm_tokenize(v, text, len, out, cap, add_special, parse_special) : INT32_MIN;
}
EMSCRIPTEN_KEEPALIVE int32_t lm_wasm_token_piece(const lm_model *m, lm_token t, char *buf, int32_t cap, int32_t special) {
    const lm_vocab *v = vocab_of(m);
    return v ? lm_token_to_piece(v, t, buf, cap, special) : INT32_MIN;
}
EMSCRIPTEN_KEEPALIVE int32_t lm_wasm_detokenize(const lm_model *m, const lm_token *t, int32_t n, char *buf, int32_t cap,
                                                int32_t remove_special, int32_t unparse_special) {
    const lm_vocab *v = vocab_of(m);
    return v ? lm_detokenize(v, t, n, buf, cap, remove_special, unparse_special) : INT32_MIN;
}
EMSCRIPTEN_KEEPALIVE int32_t lm_wasm_is_eog(const lm_model *m, lm_token t) {
    const lm_vocab *v = lm_model_vocab(m);
    return v ? lm_vocab_is_eog(v, t) : 0;
}
// roles[i]: lm_chat_role; contents[i]: NUL-terminated UTF-8. flags: 1 = add generation prompt,
// 2 = enable thinking. Returns bytes, -(needed), or INT32_MIN with lm_errmsg().
EMSCRIPTEN_KEEPALIVE int32_t lm_wasm_chat_render(const lm_model *m, const int32_t *roles, const char *const *contents,
                                                 int32_t n, int32_t format, int32_t flags, char *buf, int32_t cap) {
    const lm_vocab *v = vocab_of(m);
    if (!v) return INT32_MIN;
    lm_chat_msg msgs[256];
    if (n < 0 || n > 256) { lm_fail(LM_INVALID_ARG, "%d messages (at most 256)", n); return INT32_MIN; }
    for (int32_t i = 0; i < n; i++) msgs[i] = (lm_chat_msg){ (lm_chat_role)roles[i], contents[i] };
    lm_chat_params p = lm_chat_default_params();
    p.format = (lm_chat_format)format;
    p.add_generation_prompt = flags & 1;
    p.enable_thinking = (flags & 2) != 0;
    return lm_chat_render(v, &p, msgs, n, buf, cap);
}

// Tensor types of the model as text lines "type count" (e.g. "q4_0 120\nf32 50\n") into buf;
// returns the byte count or -(bytes needed).
EMSCRIPTEN_KEEPALIVE int32_t lm_wasm_tensor_types(const lm_model *m, char *buf, int32_t cap) {
    const char *names[64];
    int32_t counts[64], n_types = 0, len = 0;
    const char *name, *type;
    int name_len, nd;
    int64_t shape[4];
    for (int64_t i = 0; lm_model_tensor(m, i, &name, &name_len, &type, shape, &nd); i++) {
        int k = 0;
        while (k < n_types && strcmp(names[k], type)) k++;
        if (k == n_types && n_types < 64) { names[n_types] = type; counts[n_types++] = 0; }
        if (k < n_types) counts[k]++;
    }
    for (int k = 0; k < n_types; k++) {
        char line[48];
        int n = snprintf(line, sizeof line, "%s %d\n", names[k], counts[k]);
        if (len + n <= cap) memcpy(buf + len, line, (size_t)n);
        len += n;
    }
    return len <= cap ? len : -len;
}
