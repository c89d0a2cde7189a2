// lm.c — model and context lifecycle, the memory plan, and the decode step.
#include "lm.h"
#include "model.h"
#include "models/arch.h"
#include "threads.h"
#include "tokenizer.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

lm_ctx_params lm_ctx_default_params(void) {
    return (lm_ctx_params){ .n_ctx = 0, .n_batch = 32, .n_threads = 1, .kv_type = LM_KV_F16 };
}

// KV cache storage per type: bytes per element, and per (token, KV head) of scale.
static const struct { const char *name; uint32_t elem, head; } KV_TYPES[LM_KV_COUNT] = {
    [LM_KV_F16] = { "f16", 2, 0 },
    [LM_KV_Q8]  = { "q8",  1, sizeof(float) },
};

const char *lm_kv_type_name(lm_kv_type t) { return (unsigned)t < LM_KV_COUNT ? KV_TYPES[t].name : NULL; }

lm_kv_type lm_kv_type_from_name(const char *name) {
    int t = 0;
    while (t < LM_KV_COUNT && (!name || strcmp(name, KV_TYPES[t].name))) t++;
    return (lm_kv_type)t;
}

static lm_status read_special_ids(lm_model *m) {
    static const struct { const char *key; size_t off; } IDS[] = {
        { "tokenizer.ggml.bos_token_id", offsetof(lm_model, bos) },
        { "tokenizer.ggml.eos_token_id", offsetof(lm_model, eos) },
    };
    for (size_t i = 0; i < sizeof IDS / sizeof IDS[0]; i++) {
        uint32_t v;
        lm_token *dst = (lm_token *)((char *)m + IDS[i].off);
        lm_status s = gguf_get_u32(&m->g, IDS[i].key, &v);
        if (s == LM_MISSING_KEY) { *dst = -1; continue; }
        if (s) return s;
        if (v >= (uint32_t)m->n_vocab) return lm_fail(LM_CORRUPT, "key '%s' = %u is not a token id (vocabulary %d)", IDS[i].key, v, m->n_vocab);
        *dst = (lm_token)v;
    }
    bool add_bos = m->bos >= 0;
    lm_status s = gguf_get_bool(&m->g, "tokenizer.ggml.add_bos_token", &add_bos);
    if (s && s != LM_MISSING_KEY) return s;
    m->add_bos = add_bos && m->bos >= 0;
    if (!strcmp(m->arch->name, "gemma4")) m->add_bos = m->bos >= 0;   // llama.cpp forces BOS for gemma4
    return LM_OK;
}

// Header part of a load: architecture, hyperparameters and the vocabulary size (from the
// token_embd tensor info), without touching tensor data.
static lm_status model_header(lm_model *m) {
    gguf_str arch;
    lm_status s = gguf_get_str(&m->g, "general.architecture", &arch);
    if (s) return s;
    m->arch = lm_arch_find(arch);
    if (!m->arch) return lm_fail(LM_UNSUPPORTED_ARCH, "architecture '%.*s' is not supported (gemma4, gemma3, llama are)",
                                 (int)(arch.len > 64 ? 64 : arch.len), arch.ptr);
    if ((s = m->arch->load_hparams(m))) return s;
    const gguf_tensor_info *te = gguf_find_tensor(&m->g, "token_embd.weight");
    const gguf_kv *toks = gguf_find(&m->g, "tokenizer.ggml.tokens");
    if (!te && gguf_find(&m->g, "split.count") && toks && toks->type == GGUF_ARRAY && toks->n >= 1 && toks->n <= (1 << 24)) {
        m->n_vocab = (int32_t)toks->n;   // the first shard of a gguf-split model may hold no tensors (plan only)
        return LM_OK;
    }
    if (!te) return lm_fail(LM_MISSING_TENSOR, "tensor 'token_embd.weight' is missing");
    if (te->n_dims != 2 || te->ne[1] < 1 || te->ne[1] > (1 << 24))
        return lm_fail(LM_BAD_SHAPE, "tensor 'token_embd.weight': %lld rows is not a vocabulary size", (long long)te->ne[1]);
    m->n_vocab = (int32_t)te->ne[1];
    return LM_OK;
}

// The tokenizer, when the file has one. A tokenizer family we do not implement leaves the
// model usable with token ids (lm_model_vocab() returns NULL); a malformed one fails the load.
static lm_status load_vocab(lm_model *m) {
    if (!gguf_find(&m->g, "tokenizer.ggml.model")) return LM_OK;
    if (!(m->vocab = calloc(1, sizeof *m->vocab))) return lm_fail(LM_NOMEM, "vocabulary struct");
    lm_status s = lm_vocab_init(m->vocab, &m->g);
    if (s == LM_OK) return LM_OK;
    lm_vocab_free(m->vocab);
    m->vocab = NULL;
    return s == LM_UNSUPPORTED ? LM_OK : s;
}

const lm_vocab *lm_model_vocab(const lm_model *m) { return m ? m->vocab : NULL; }

// Everything after the header parse: architecture, weights, special ids, vocabulary.
static lm_status model_bind(lm_model *m) {
    lm_status s;
    if ((s = model_header(m)) || (s = m->arch->load_weights(m)) || (s = read_special_ids(m)) || (s = load_vocab(m))) return s;
    for (uint64_t i = 0; i < m->g.n_tensors; i++) {
        const gguf_tensor_info *t = &m->g.tensors[i];
        m->n_params += (uint64_t)(t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3]);
    }
    return LM_OK;
}

// pieces == NULL: buf is one whole file.
static lm_status model_init(lm_model *m, const uint8_t *buf, uint64_t len, const lm_piece *pieces, int32_t n) {
    lm_status s = pieces ? gguf_parse_image(pieces, n, &m->g) : gguf_parse(buf, len, &m->g, NULL);
    if (s) return s;
    if (!pieces && m->g.file_size > len)
        return lm_fail(LM_TRUNCATED, "file has %llu bytes; its tensors need %llu",
                       (unsigned long long)len, (unsigned long long)m->g.file_size);
    return model_bind(m);
}

static lm_status model_new(const uint8_t *buf, uint64_t len, const lm_piece *pieces, int32_t n, lm_model **out) {
    *out = NULL;
    lm_model *m = calloc(1, sizeof *m);
    if (!m) return lm_fail(LM_NOMEM, "model struct");
    lm_status s = model_init(m, buf, len, pieces, n);
    if (s) { lm_model_free(m); return s; }
    lm_clear_error();
    *out = m;
    return LM_OK;
}

lm_status lm_model_load(const uint8_t *buf, uint64_t len, lm_model **out) { return model_new(buf, len, NULL, 0, out); }

lm_status lm_model_load_pieces(const lm_piece *pieces, int32_t n, lm_model **out) {
    if (!pieces) { *out = NULL; return lm_fail(LM_INVALID_ARG, "NULL piece table"); }
    return model_new(NULL, 0, pieces, n, out);
}

void lm_model_free(lm_model *m) {
    if (!m) return;
    gguf_free(&m->g);
    free(m->layers);
    lm_vocab_free(m->vocab);
    free(m);
}

void lm_model_get_info(const lm_model *m, lm_model_info *o) {
    int32_t kv_layers = 0;
    for (int il = 0; il < m->n_layer; il++) kv_layers += m->layers[il].kv_src == il;
    *o = (lm_model_info){
        .arch = m->arch->name, .n_vocab = m->n_vocab, .n_embd = m->n_embd, .n_layer = m->n_layer,
        .n_head = m->layers[0].n_head, .n_head_kv = m->layers[0].n_head_kv, .n_ctx_train = m->n_ctx_train,
        .n_swa = m->n_swa, .n_embd_per_layer = m->n_embd_ple, .n_layer_kv = kv_layers, .n_params = m->n_params,
        .bos = m->bos, .eos = m->eos, .add_bos = m->add_bos,
    };
}

bool lm_model_tensor(const lm_model *m, int64_t i, const char **name, int *name_len, const char **type,
                     int64_t shape[4], int *n_dims) {
    if (i < 0 || (uint64_t)i >= m->g.n_tensors) return false;
    const gguf_tensor_info *t = &m->g.tensors[i];
    *name = t->name.ptr;  *name_len = (int)t->name.len;  *type = lm_type_name((int)t->type);
    for (int d = 0; d < 4; d++) shape[d] = t->ne[d];
    *n_dims = (int)t->n_dims;
    return true;
}

// ---- memory plan: one layout function serves the plan and the allocation ----

enum { S_X, S_XN, S_TMP, S_Q, S_KC, S_VC, S_ATT, S_FFA, S_FFB, S_PLE, S_SCORES, S_QACT, S_LOGITS, S_COUNT };

typedef struct { int32_t n_ctx, n_batch, n_out; } ctx_dims;

static lm_status resolve_dims(const lm_model *m, const lm_ctx_params *p, ctx_dims *d) {
    d->n_ctx = p->n_ctx > 0 ? p->n_ctx : (m->n_ctx_train < 4096 ? m->n_ctx_train : 4096);
    d->n_batch = p->n_batch > 0 ? p->n_batch : 32;
    if (p->n_ctx < 0 || d->n_ctx > (1 << 20)) return lm_fail(LM_INVALID_ARG, "n_ctx %d is out of range (1..1048576)", p->n_ctx);
    if (p->n_batch < 0 || d->n_batch > 4096) return lm_fail(LM_INVALID_ARG, "n_batch %d is out of range (1..4096)", p->n_batch);
    if (p->n_threads < 0 || p->n_threads > 256) return lm_fail(LM_INVALID_ARG, "n_threads %d is out of range (1..256)", p->n_threads);
    if ((unsigned)p->kv_type >= LM_KV_COUNT) return lm_fail(LM_INVALID_ARG, "kv_type %d is not a KV cache type (0 = f16, 1 = q8)", (int)p->kv_type);
    if (d->n_batch > d->n_ctx) d->n_batch = d->n_ctx;
    d->n_out = p->logits_all ? d->n_batch : 1;
    return LM_OK;
}

static int32_t kv_cells(const lm_model *m, const ctx_dims *d, int il) {
    int64_t ring = (int64_t)m->n_swa + d->n_batch;
    return m->layers[il].swa && ring < d->n_ctx ? (int32_t)ring : d->n_ctx;
}

// Bytes of one layer's K or V cache (codes, then scales) for a context of dims d.
static void kv_bytes(const lm_model *m, const ctx_dims *d, lm_kv_type t, int il, uint64_t *codes, uint64_t *scales) {
    const lm_layer *L = &m->layers[il];
    uint64_t cells = (uint64_t)kv_cells(m, d, il);
    *codes = cells * (uint64_t)L->n_head_kv * L->head_dim * KV_TYPES[t].elem;
    *scales = cells * (uint64_t)L->n_head_kv * KV_TYPES[t].head;
}

static void scratch_sizes(const lm_model *m, const ctx_dims *d, uint64_t bytes[S_COUNT]) {
    int64_t qd = 0, kvd = 0, ff = 0, B = d->n_batch, LP = (int64_t)m->n_layer * m->n_embd_ple;
    for (int il = 0; il < m->n_layer; il++) {
        const lm_layer *L = &m->layers[il];
        int64_t q = (int64_t)L->n_head * L->head_dim, kv = (int64_t)L->n_head_kv * L->head_dim;
        qd = q > qd ? q : qd;  kvd = kv > kvd ? kv : kvd;  ff = L->n_ff > ff ? L->n_ff : ff;
    }
    ff = LP > ff ? LP : ff;
    int64_t widest = m->n_embd > qd ? m->n_embd : qd;
    widest = ff > widest ? ff : widest;
    uint64_t f = sizeof(float);
    bytes[S_X] = bytes[S_XN] = bytes[S_TMP] = f * B * m->n_embd;
    bytes[S_Q] = bytes[S_ATT] = f * B * qd;
    bytes[S_KC] = bytes[S_VC] = f * B * kvd;
    bytes[S_FFA] = bytes[S_FFB] = f * B * ff;
    bytes[S_PLE] = f * B * LP;
    bytes[S_SCORES] = f * d->n_ctx;
    bytes[S_QACT] = f * B * widest + 64;
    bytes[S_LOGITS] = f * (uint64_t)d->n_out * m->n_vocab;
}

lm_status lm_plan_from_header(const uint8_t *prefix, uint64_t len, const lm_ctx_params *p, lm_mem_plan *out,
                              uint64_t *need, uint64_t *file_size) {
    lm_model m = {0};
    lm_status s = gguf_parse(prefix, len, &m.g, need);
    if (s == LM_OK) {
        if (file_size) *file_size = m.g.file_size;
        if (!(s = model_header(&m))) s = lm_model_plan(&m, p, out);
    }
    gguf_free(&m.g);
    free(m.layers);
    return s;
}

lm_status lm_model_plan(const lm_model *m, const lm_ctx_params *p, lm_mem_plan *out) {
    ctx_dims d;
    lm_status s = resolve_dims(m, p, &d);
    if (s) return s;
    uint64_t bytes[S_COUNT];
    scratch_sizes(m, &d, bytes);
    *out = (lm_mem_plan){0};
    for (int i = 0; i < S_COUNT; i++) out->scratch += bytes[i];
    for (uint64_t i = 0; i < m->g.n_tensors; i++) out->weights += m->g.tensors[i].size;
    for (int il = 0; il < m->n_layer; il++) {
        uint64_t codes, scales;
        kv_bytes(m, &d, p->kv_type, il, &codes, &scales);
        if (m->layers[il].kv_src == il) out->kv += 2 * (codes + scales);
    }
    return LM_OK;
}

// ---- context ----

lm_status lm_ctx_new(const lm_model *m, const lm_ctx_params *p, lm_ctx **out) {
    *out = NULL;
    ctx_dims d;
    lm_status s = resolve_dims(m, p, &d);
    if (s) return s;
    lm_ctx *c = calloc(1, sizeof *c);
    if (!c) return lm_fail(LM_NOMEM, "context struct");
    *c = (lm_ctx){ .m = m, .k = lm_kernels_best, .n_ctx = d.n_ctx, .n_batch = d.n_batch, .n_out = d.n_out,
                   .logits_all = p->logits_all, .static_act = !p->no_static_act, .kv_type = p->kv_type };
    uint64_t bytes[S_COUNT];
    scratch_sizes(m, &d, bytes);
    void **slots[S_COUNT] = { (void **)&c->x, (void **)&c->xn, (void **)&c->tmp, (void **)&c->q, (void **)&c->kc,
                              (void **)&c->vc, (void **)&c->att, (void **)&c->ff_a, (void **)&c->ff_b, (void **)&c->ple,
                              (void **)&c->scores, &c->qact, (void **)&c->logits };
    bool ok = (c->kv = calloc((size_t)m->n_layer, sizeof *c->kv)) != NULL;
    for (int i = 0; ok && i < S_COUNT; i++) ok = (*slots[i] = malloc(bytes[i] ? bytes[i] : 1)) != NULL;
    for (int il = 0; ok && il < m->n_layer; il++) {
        if (m->layers[il].kv_src != il) continue;
        lm_kv_layer *kv = &c->kv[il];
        uint64_t codes, scales;
        kv_bytes(m, &d, p->kv_type, il, &codes, &scales);
        kv->n_cells = kv_cells(m, &d, il);
        ok = (kv->k = malloc(codes)) && (kv->v = malloc(codes));
        if (ok && scales) ok = (kv->ks = malloc(scales)) && (kv->vs = malloc(scales));
    }
    if (ok && m->ple_external) ok = (c->ext_rows = malloc((size_t)d.n_batch * (size_t)m->ple_tok_embd.row_bytes)) != NULL;
    if (!ok) { lm_ctx_free(c); return lm_fail(LM_NOMEM, "context buffers (n_ctx %d, n_batch %d)", d.n_ctx, d.n_batch); }
    if ((s = lm_pool_new(p->n_threads > 0 ? p->n_threads : 1, &c->pool))) { lm_ctx_free(c); return s; }
    *out = c;
    return LM_OK;
}

void lm_ctx_free(lm_ctx *c) {
    if (!c) return;
    lm_pool_free(c->pool);
    for (int il = 0; c->kv && il < c->m->n_layer; il++) {
        lm_kv_layer *kv = &c->kv[il];
        free(kv->k); free(kv->v); free(kv->ks); free(kv->vs);
    }
    free(c->kv);
    void *bufs[] = { c->x, c->xn, c->tmp, c->q, c->kc, c->vc, c->att, c->ff_a, c->ff_b, c->ple, c->scores, c->qact, c->logits,
                     c->ext_rows };
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    free(c);
}

void lm_ctx_reset(lm_ctx *c) { c->n_past = 0; }
int32_t lm_ctx_n_past(const lm_ctx *c) { return c->n_past; }

lm_status lm_ctx_truncate(lm_ctx *c, int32_t n_keep) {
    if (n_keep < 0 || n_keep > c->n_past) return lm_fail(LM_INVALID_ARG, "cannot keep %d of %d tokens", n_keep, c->n_past);
    for (int il = 0; il < c->m->n_layer; il++) {
        const lm_kv_layer *kv = &c->kv[il];
        // a ring holds positions [n_past - n_cells, n_past); the next token needs the n_swa - 1 before n_keep
        if (kv->k && kv->n_cells < c->n_ctx && c->n_past - n_keep > kv->n_cells - c->m->n_swa)
            return lm_fail(LM_INVALID_ARG, "the sliding-window cache no longer holds the tokens before position %d", n_keep);
    }
    c->n_past = n_keep;
    return LM_OK;
}

// Logits for rows [first, first+rows) of c->xn -> c->logits, with the final softcap.
static void compute_logits(lm_ctx *c, int32_t first, int32_t rows) {
    const lm_model *m = c->m;
    blk_matmul(c, &m->output, c->xn + (int64_t)first * m->n_embd, rows, c->logits);
    float cap = m->final_softcap;
    if (cap <= 0.0f) return;
    for (int64_t i = 0; i < (int64_t)rows * m->n_vocab; i++) c->logits[i] = cap * (float)tanh((double)(c->logits[i] / cap));   // double tanh: same bits native and wasm
}

lm_status lm_decode(lm_ctx *c, const lm_token *tokens, int32_t n) {
    const lm_model *m = c->m;
    if (n <= 0 || !tokens) return lm_fail(LM_INVALID_ARG, "decode needs at least one token");
    for (int32_t i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= m->n_vocab)
            return lm_fail(LM_INVALID_ARG, "token %d at index %d is not in the vocabulary (0..%d)", tokens[i], i, m->n_vocab - 1);
    if (n > c->n_ctx - c->n_past)
        return lm_fail(LM_CTX_FULL, "%d tokens do not fit: %d of %d positions used", n, c->n_past, c->n_ctx);
    if (c->ext_rows && n > c->n_batch)
        return lm_fail(LM_INVALID_ARG, "the per-layer embedding table is external: decode at most n_batch (%d) tokens per call", c->n_batch);
    if (c->logits_all && n > c->n_batch)
        return lm_fail(LM_INVALID_ARG, "with logits for every token, decode at most n_batch (%d) tokens per call", c->n_batch);
    int32_t done = 0, chunk = 0;
    while (done < n) {
        chunk = n - done < c->n_batch ? n - done : c->n_batch;
        m->arch->forward(c, tokens + done, chunk, c->n_past);
        c->n_past += chunk;
        done += chunk;
    }
    if (c->logits_all) compute_logits(c, 0, chunk);
    else compute_logits(c, chunk - 1, 1);
    return LM_OK;
}

uint8_t *lm_ctx_ext_rows(lm_ctx *c, uint64_t *row_bytes, int32_t *cap) {
    if (!c->ext_rows) return NULL;
    *row_bytes = (uint64_t)c->m->ple_tok_embd.row_bytes;
    *cap = c->n_batch;
    return c->ext_rows;
}

const float *lm_logits(const lm_ctx *c, int32_t i) {
    if (i < 0 || i >= c->n_out) return NULL;
    return c->logits + (int64_t)i * c->m->n_vocab;
}
