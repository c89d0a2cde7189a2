// test_model_load.c — model-level validation through lm_model_load: generated models are
// rewritten with one key or tensor dropped, replaced or added (one table row per broken case),
// every truncation of a gemma4 model is refused, and a valid model decodes with the context
// limits enforced. Asserts on status codes and on the key/tensor named in lm_errmsg().
#define _POSIX_C_SOURCE 200809L   // open_memstream
#include "t.h"
#include "../src/gguf.h"
#include "../src/lm.h"
#include "../src/tensor.h"
#include "../tools/gen.h"
#include "../tools/gguf_write.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct { uint8_t *p; uint64_t n; } blob;

// An exact-size copy: ASan reports any read past n.
static blob blob_copy(const uint8_t *src, uint64_t n) {
    blob b = { malloc(n ? n : 1), n };
    if (n) memcpy(b.p, src, n);
    return b;
}

static blob generate(const char *preset, int type, int n_layer) {
    char *p = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&p, &n);
    if (!f || gen_model(&(gen_opts){ preset, type, 7, n_layer }, f)) { fprintf(stderr, "gen %s failed\n", preset); exit(2); }
    fclose(f);
    blob b = blob_copy((const uint8_t *)p, n);
    free(p);
    return b;
}

// ---- mutations: rewrite a model through gguf_write with one key/tensor dropped or replaced ----

typedef enum { M_END, M_DROP_KEY, M_U32, M_I32, M_U64, M_F32, M_STR, M_ARR_I32, M_ARR_F32, M_DROP_TENSOR, M_TENSOR } mop;

typedef struct {
    mop op;
    const char *name;      // key or tensor
    double num;            // scalar value; for arrays every element
    int n;                 // array length
    const char *str;       // M_STR
    uint32_t type;         // M_TENSOR: ggml type, n_dims, ne (ggml order); data is zeros
    uint32_t n_dims;
    int64_t ne[4];
} mut;

#define MAX_MUT 2
static bool is_key_op(mop op) { return op >= M_DROP_KEY && op <= M_ARR_F32; }

static const mut *find_mut(const mut *mu, gguf_str name, bool key) {
    for (int i = 0; i < MAX_MUT && mu[i].op != M_END; i++)
        if (is_key_op(mu[i].op) == key && gguf_str_eq(name, mu[i].name)) return &mu[i];
    return NULL;
}

static void write_key(gguf_writer *w, const mut *m) {
    int32_t ai[64];
    float af[64];
    for (int i = 0; i < m->n && i < 64; i++) { ai[i] = (int32_t)m->num; af[i] = (float)m->num; }
    uint8_t raw[256];
    uint64_t klen = strlen(m->name), v = (uint64_t)m->num;
    uint32_t t = GGUF_U64;
    switch (m->op) {
        case M_U32:     gw_u32(w, m->name, (uint32_t)m->num); break;
        case M_I32:     gw_i32(w, m->name, (int32_t)m->num); break;
        case M_F32:     gw_f32(w, m->name, (float)m->num); break;
        case M_STR:     gw_str(w, m->name, m->str); break;
        case M_ARR_I32: gw_arr_i32(w, m->name, ai, (uint64_t)m->n); break;
        case M_ARR_F32: gw_arr_f32(w, m->name, af, (uint64_t)m->n); break;
        case M_U64:     // the writer has no u64 helper: {len, key, type, value}
            memcpy(raw, &klen, 8); memcpy(raw + 8, m->name, klen); memcpy(raw + 8 + klen, &t, 4);
            memcpy(raw + 12 + klen, &v, 8);
            gw_raw_kv(w, raw, 20 + klen);
            break;
        default: break;
    }
}

// Copies every key (raw bytes) and tensor of src except those a mutation names, then appends
// the replacements, so a replaced tensor's data is the last in the file. zeros[] receives the
// buffers behind added tensors (the writer reads them at gw_write time).
static blob rewrite(blob src, const mut *mu) {
    gguf_file g;
    if (gguf_parse(src.p, src.n, &g, NULL) || !g.n_tensors) { fprintf(stderr, "rewrite: bad source\n"); exit(2); }
    gguf_writer *w = gw_new((uint32_t)g.alignment);
    for (uint64_t i = 0; i < g.n_kv; i++) {
        if (find_mut(mu, g.kv[i].key, true)) continue;
        const char *start = g.kv[i].key.ptr - 8;
        const char *end = (i + 1 < g.n_kv ? g.kv[i + 1].key.ptr : g.tensors[0].name.ptr) - 8;
        gw_raw_kv(w, start, (uint64_t)(end - start));
    }
    for (int i = 0; i < MAX_MUT && mu[i].op != M_END; i++) write_key(w, &mu[i]);
    char name[300];
    for (uint64_t i = 0; i < g.n_tensors; i++) {
        const gguf_tensor_info *t = &g.tensors[i];
        if (find_mut(mu, t->name, false)) continue;
        snprintf(name, sizeof name, "%.*s", (int)t->name.len, t->name.ptr);
        gw_tensor_raw(w, name, t->type, (int)t->n_dims, t->ne, gguf_tensor_data(&g, t));
    }
    void *zeros[MAX_MUT] = { 0 };
    for (int i = 0; i < MAX_MUT && mu[i].op != M_END; i++) {
        if (mu[i].op != M_TENSOR) continue;
        int64_t row = gguf_type_bytes(mu[i].type, mu[i].ne[0]), rows = 1;
        for (uint32_t d = 1; d < mu[i].n_dims; d++) rows *= mu[i].ne[d];
        zeros[i] = calloc(row > 0 ? (size_t)(row * rows) : 1, 1);
        gw_tensor_raw(w, mu[i].name, mu[i].type, (int)mu[i].n_dims, mu[i].ne, zeros[i]);
    }
    uint8_t *p;
    uint64_t n;
    if (gw_write_mem(w, &p, &n)) { fprintf(stderr, "rewrite: write failed\n"); exit(2); }
    blob out = blob_copy(p, n);
    free(p);
    for (int i = 0; i < MAX_MUT; i++) free(zeros[i]);
    gw_free(w);
    gguf_free(&g);
    return out;
}

// ---- broken models: one row per case ----

enum { B_LLAMA, B_GEMMA4, B_GEMMA3, B_COUNT };
static blob base[B_COUNT];

#define DROP(k)          { M_DROP_KEY, k, 0, 0, NULL, 0, 0, { 0 } }
#define U32(k, v)        { M_U32, k, v, 0, NULL, 0, 0, { 0 } }
#define I32(k, v)        { M_I32, k, v, 0, NULL, 0, 0, { 0 } }
#define U64(k, v)        { M_U64, k, v, 0, NULL, 0, 0, { 0 } }
#define F32(k, v)        { M_F32, k, v, 0, NULL, 0, 0, { 0 } }
#define STR(k, s)        { M_STR, k, 0, 0, s, 0, 0, { 0 } }
#define ARR(k, v, n)     { M_ARR_I32, k, v, n, NULL, 0, 0, { 0 } }
#define ARR_F(k, v, n)   { M_ARR_F32, k, v, n, NULL, 0, 0, { 0 } }
#define NO_TENSOR(t)     { M_DROP_TENSOR, t, 0, 0, NULL, 0, 0, { 0 } }
#define TENSOR(t, ty, nd, ...) { M_TENSOR, t, 0, 0, NULL, ty, nd, { __VA_ARGS__ } }

typedef struct { const char *desc; int base; mut m[MAX_MUT]; lm_status want; const char *needle; } load_case;

// llama base: llama-tiny, 1 layer (E 256, 4 heads, 2 KV heads, head 64, ff 512, vocab 512, no output.weight)
static const load_case LLAMA_CASES[] = {
    { "unchanged",                     B_LLAMA, { DROP("general.name") }, LM_OK, NULL },
    { "no general.architecture",       B_LLAMA, { DROP("general.architecture") }, LM_MISSING_KEY, "general.architecture" },
    { "architecture gpt-j",            B_LLAMA, { STR("general.architecture", "gpt-j") }, LM_UNSUPPORTED_ARCH, "gpt-j" },
    { "architecture is a u32",         B_LLAMA, { U32("general.architecture", 1) }, LM_CORRUPT, "general.architecture" },
    { "no block_count",                B_LLAMA, { DROP("llama.block_count") }, LM_MISSING_KEY, "llama.block_count" },
    { "no embedding_length",           B_LLAMA, { DROP("llama.embedding_length") }, LM_MISSING_KEY, "llama.embedding_length" },
    { "no context_length",             B_LLAMA, { DROP("llama.context_length") }, LM_MISSING_KEY, "llama.context_length" },
    { "no head_count",                 B_LLAMA, { DROP("llama.attention.head_count") }, LM_MISSING_KEY, "llama.attention.head_count" },
    { "no feed_forward_length",        B_LLAMA, { DROP("llama.feed_forward_length") }, LM_MISSING_KEY, "llama.feed_forward_length" },
    { "no rms epsilon",                B_LLAMA, { DROP("llama.attention.layer_norm_rms_epsilon") }, LM_MISSING_KEY, "layer_norm_rms_epsilon" },
    { "epsilon NaN",                   B_LLAMA, { F32("llama.attention.layer_norm_rms_epsilon", NAN) }, LM_CORRUPT, "layer_norm_rms_epsilon" },
    { "epsilon +Inf",                  B_LLAMA, { F32("llama.attention.layer_norm_rms_epsilon", INFINITY) }, LM_CORRUPT, "layer_norm_rms_epsilon" },
    { "epsilon negative",              B_LLAMA, { F32("llama.attention.layer_norm_rms_epsilon", -1e-6) }, LM_CORRUPT, "layer_norm_rms_epsilon" },
    { "epsilon 0",                     B_LLAMA, { F32("llama.attention.layer_norm_rms_epsilon", 0) }, LM_CORRUPT, "layer_norm_rms_epsilon" },
    { "epsilon is a string",           B_LLAMA, { STR("llama.attention.layer_norm_rms_epsilon", "1e-6") }, LM_CORRUPT, "layer_norm_rms_epsilon" },
    { "embedding_length 0",            B_LLAMA, { U32("llama.embedding_length", 0) }, LM_CORRUPT, "embedding_length" },
    { "embedding_length 2^20",         B_LLAMA, { U32("llama.embedding_length", 1 << 20) }, LM_CORRUPT, "embedding_length" },
    { "embedding_length -1 (i32)",     B_LLAMA, { I32("llama.embedding_length", -1) }, LM_CORRUPT, "embedding_length" },
    { "embedding_length 128",          B_LLAMA, { U32("llama.embedding_length", 128) }, LM_BAD_SHAPE, "token_embd.weight" },
    { "block_count 0",                 B_LLAMA, { U32("llama.block_count", 0) }, LM_CORRUPT, "block_count" },
    { "block_count 513",               B_LLAMA, { U32("llama.block_count", 513) }, LM_CORRUPT, "block_count" },
    { "block_count 2 (1 stored)",      B_LLAMA, { U32("llama.block_count", 2) }, LM_MISSING_TENSOR, "blk.1.attn_norm.weight" },
    { "head_count 0",                  B_LLAMA, { U32("llama.attention.head_count", 0) }, LM_CORRUPT, "head_count" },
    { "head_count 2000",               B_LLAMA, { U32("llama.attention.head_count", 2000) }, LM_CORRUPT, NULL },
    { "head_count_kv 3 (of 4)",        B_LLAMA, { U32("llama.attention.head_count_kv", 3) }, LM_CORRUPT, NULL },
    { "head_count_kv 0",               B_LLAMA, { U32("llama.attention.head_count_kv", 0) }, LM_CORRUPT, NULL },
    { "head_count_kv 8 (of 4)",        B_LLAMA, { U32("llama.attention.head_count_kv", 8) }, LM_CORRUPT, NULL },
    { "context_length 0",              B_LLAMA, { U32("llama.context_length", 0) }, LM_CORRUPT, "context_length" },
    { "context_length 2^32-1",         B_LLAMA, { U32("llama.context_length", 4294967295.0) }, LM_CORRUPT, "context_length" },
    { "context_length 2^40 (u64)",     B_LLAMA, { U64("llama.context_length", 1099511627776.0) }, LM_CORRUPT, "context_length" },
    { "feed_forward_length 0",         B_LLAMA, { U32("llama.feed_forward_length", 0) }, LM_CORRUPT, NULL },
    { "feed_forward_length 2^21",      B_LLAMA, { U32("llama.feed_forward_length", 1 << 21) }, LM_CORRUPT, "feed_forward_length" },
    { "key_length 0",                  B_LLAMA, { U32("llama.attention.key_length", 0) }, LM_CORRUPT, NULL },
    { "key_length 4098",               B_LLAMA, { U32("llama.attention.key_length", 4098) }, LM_CORRUPT, NULL },
    { "head size 32 (tensors say 64)", B_LLAMA, { U32("llama.attention.key_length", 32), U32("llama.rope.dimension_count", 32) },
                                       LM_BAD_SHAPE, "blk.0.attn_q.weight" },
    { "rope dimension 3 (odd)",        B_LLAMA, { U32("llama.rope.dimension_count", 3) }, LM_CORRUPT, NULL },
    { "rope dimension 66 > head 64",   B_LLAMA, { U32("llama.rope.dimension_count", 66) }, LM_CORRUPT, NULL },
    { "rope freq_base NaN",            B_LLAMA, { F32("llama.rope.freq_base", NAN) }, LM_CORRUPT, "rope.freq_base" },
    { "rope freq_base -1",             B_LLAMA, { F32("llama.rope.freq_base", -1) }, LM_CORRUPT, NULL },
    { "no token_embd",                 B_LLAMA, { NO_TENSOR("token_embd.weight") }, LM_MISSING_TENSOR, "token_embd.weight" },
    { "no output_norm",                B_LLAMA, { NO_TENSOR("output_norm.weight") }, LM_MISSING_TENSOR, "output_norm.weight" },
    { "no blk.0.ffn_down",             B_LLAMA, { NO_TENSOR("blk.0.ffn_down.weight") }, LM_MISSING_TENSOR, "blk.0.ffn_down.weight" },
    { "no blk.0.attn_k",               B_LLAMA, { NO_TENSOR("blk.0.attn_k.weight") }, LM_MISSING_TENSOR, "blk.0.attn_k.weight" },
    { "attn_q [128][256]",             B_LLAMA, { TENSOR("blk.0.attn_q.weight", LM_TYPE_F32, 2, 256, 128) }, LM_BAD_SHAPE, "blk.0.attn_q.weight" },
    { "ffn_up transposed",             B_LLAMA, { TENSOR("blk.0.ffn_up.weight", LM_TYPE_F32, 2, 512, 256) }, LM_BAD_SHAPE, "blk.0.ffn_up.weight" },
    { "token_embd 1-D",                B_LLAMA, { TENSOR("token_embd.weight", LM_TYPE_F32, 1, 256 * 512) }, LM_BAD_SHAPE, "token_embd.weight" },
    { "token_embd 3-D",                B_LLAMA, { TENSOR("token_embd.weight", LM_TYPE_F32, 3, 256, 256, 2) }, LM_BAD_SHAPE, "token_embd.weight" },
    { "output.weight of 100 rows",     B_LLAMA, { TENSOR("output.weight", LM_TYPE_F32, 2, 256, 100) }, LM_BAD_SHAPE, "output.weight" },
    { "output.weight present",         B_LLAMA, { TENSOR("output.weight", LM_TYPE_F16, 2, 256, 512) }, LM_OK, NULL },
    { "rope_freqs of 7",               B_LLAMA, { TENSOR("rope_freqs.weight", LM_TYPE_F32, 1, 7) }, LM_BAD_SHAPE, "rope_freqs.weight" },
    { "attn_norm f16",                 B_LLAMA, { TENSOR("blk.0.attn_norm.weight", LM_TYPE_F16, 1, 256) }, LM_UNSUPPORTED_TYPE, "blk.0.attn_norm.weight" },
    { "attn_norm 2-D [1][256] f16",    B_LLAMA, { TENSOR("blk.0.attn_norm.weight", LM_TYPE_F16, 2, 256, 1) }, LM_UNSUPPORTED_TYPE, "blk.0.attn_norm.weight" },
    { "output_norm 2-D q8_0",          B_LLAMA, { TENSOR("output_norm.weight", LM_TYPE_Q8_0, 2, 256, 1) }, LM_UNSUPPORTED_TYPE, "output_norm.weight" },
    { "attn_q q2_k (type 10)",         B_LLAMA, { TENSOR("blk.0.attn_q.weight", 10, 2, 256, 256) }, LM_UNSUPPORTED_TYPE, "blk.0.attn_q.weight" },
    { "attn_q q5_0 (type 6)",          B_LLAMA, { TENSOR("blk.0.attn_q.weight", 6, 2, 256, 256) }, LM_UNSUPPORTED_TYPE, "blk.0.attn_q.weight" },
    { "attn_q q8_1 (activations only)", B_LLAMA, { TENSOR("blk.0.attn_q.weight", LM_TYPE_Q8_1, 2, 256, 256) }, LM_UNSUPPORTED_TYPE, "blk.0.attn_q.weight" },
    { "attn_q type 39",                B_LLAMA, { TENSOR("blk.0.attn_q.weight", 39, 2, 256, 256) }, LM_UNSUPPORTED_TYPE, "blk.0.attn_q.weight" },
    { "bos_token_id 512 (= vocab)",    B_LLAMA, { U32("tokenizer.ggml.bos_token_id", 512) }, LM_CORRUPT, "bos_token_id" },
    { "eos_token_id 2^31",             B_LLAMA, { U32("tokenizer.ggml.eos_token_id", 2147483648.0) }, LM_CORRUPT, "eos_token_id" },
    { "bos_token_id is a string",      B_LLAMA, { STR("tokenizer.ggml.bos_token_id", "2") }, LM_CORRUPT, "bos_token_id" },
    { "add_bos_token is a string",     B_LLAMA, { STR("tokenizer.ggml.add_bos_token", "yes") }, LM_CORRUPT, "add_bos_token" },
    { "no bos_token_id",               B_LLAMA, { DROP("tokenizer.ggml.bos_token_id") }, LM_OK, NULL },
    { "alignment 0",                   B_LLAMA, { U32("general.alignment", 0) }, LM_CORRUPT, "general.alignment" },
};

// gemma4 base (and three gemma3 rows at the end): gemma4-e2b-tiny (6 layers, full every 3rd, last 3 share KV, PLE 256, E 256, vocab 512)
static const load_case GEMMA4_CASES[] = {
    { "unchanged",                     B_GEMMA4, { DROP("general.name") }, LM_OK, NULL },
    { "expert_count 4",                B_GEMMA4, { U32("gemma4.expert_count", 4) }, LM_UNSUPPORTED, "mixture-of-experts" },
    { "expert_count 0",                B_GEMMA4, { U32("gemma4.expert_count", 0) }, LM_OK, NULL },
    { "router tensor",                 B_GEMMA4, { TENSOR("blk.0.ffn_gate_inp.weight", LM_TYPE_F32, 2, 256, 4) }, LM_UNSUPPORTED, "mixture-of-experts" },
    { "feed_forward_length of 5",      B_GEMMA4, { ARR("gemma4.feed_forward_length", 512, 5) }, LM_CORRUPT, "gemma4.feed_forward_length" },
    { "feed_forward_length of 7",      B_GEMMA4, { ARR("gemma4.feed_forward_length", 512, 7) }, LM_CORRUPT, "gemma4.feed_forward_length" },
    { "feed_forward_length floats",    B_GEMMA4, { ARR_F("gemma4.feed_forward_length", 512, 6) }, LM_CORRUPT, "gemma4.feed_forward_length" },
    { "feed_forward_length -1s",       B_GEMMA4, { ARR("gemma4.feed_forward_length", -1, 6) }, LM_CORRUPT, "gemma4.feed_forward_length" },
    { "sliding_window_pattern of 5",   B_GEMMA4, { ARR("gemma4.attention.sliding_window_pattern", 1, 5) }, LM_CORRUPT, "sliding_window_pattern" },
    { "no sliding_window_pattern",     B_GEMMA4, { DROP("gemma4.attention.sliding_window_pattern") }, LM_MISSING_KEY, "sliding_window_pattern" },
    { "head_count array of 7",         B_GEMMA4, { ARR("gemma4.attention.head_count", 4, 7) }, LM_CORRUPT, "head_count" },
    { "head_count array of 6",         B_GEMMA4, { ARR("gemma4.attention.head_count", 4, 6) }, LM_OK, NULL },
    { "head_count array of 0s",        B_GEMMA4, { ARR("gemma4.attention.head_count", 0, 6) }, LM_CORRUPT, NULL },
    { "shared_kv_layers 7 > 6",        B_GEMMA4, { U32("gemma4.attention.shared_kv_layers", 7) }, LM_CORRUPT, "shared_kv_layers" },
    { "shared_kv_layers 6",            B_GEMMA4, { U32("gemma4.attention.shared_kv_layers", 6) }, LM_CORRUPT, "shared_kv_layers" },
    { "shared_kv_layers 5",            B_GEMMA4, { U32("gemma4.attention.shared_kv_layers", 5) }, LM_CORRUPT, "shared_kv_layers" },
    { "shared_kv_layers 2",            B_GEMMA4, { U32("gemma4.attention.shared_kv_layers", 2) }, LM_CORRUPT, NULL },
    { "sliding_window 0",              B_GEMMA4, { U32("gemma4.attention.sliding_window", 0) }, LM_CORRUPT, NULL },
    { "sliding_window 2^31",           B_GEMMA4, { U32("gemma4.attention.sliding_window", 2147483648.0) }, LM_CORRUPT, NULL },
    { "no key_length_swa",             B_GEMMA4, { DROP("gemma4.attention.key_length_swa") }, LM_MISSING_KEY, "key_length_swa" },
    { "value_length 64 != key 128",    B_GEMMA4, { U32("gemma4.attention.value_length", 64) }, LM_UNSUPPORTED, NULL },
    { "key_length 0",                  B_GEMMA4, { U32("gemma4.attention.key_length", 0), U32("gemma4.attention.value_length", 0) }, LM_CORRUPT, NULL },
    { "per-layer input 5000",          B_GEMMA4, { U32("gemma4.embedding_length_per_layer_input", 5000) }, LM_CORRUPT, NULL },
    { "per-layer input 128",           B_GEMMA4, { U32("gemma4.embedding_length_per_layer_input", 128) }, LM_BAD_SHAPE, "per_layer_token_embd.weight" },
    { "no per_layer_token_embd",       B_GEMMA4, { NO_TENSOR("per_layer_token_embd.weight") }, LM_MISSING_TENSOR, "per_layer_token_embd.weight" },
    { "no blk.0.attn_k",               B_GEMMA4, { NO_TENSOR("blk.0.attn_k.weight") }, LM_MISSING_TENSOR, "blk.0.attn_k.weight" },
    { "no blk.2.attn_q_norm",          B_GEMMA4, { NO_TENSOR("blk.2.attn_q_norm.weight") }, LM_MISSING_TENSOR, "blk.2.attn_q_norm.weight" },
    { "no blk.5.proj",                 B_GEMMA4, { NO_TENSOR("blk.5.proj.weight") }, LM_MISSING_TENSOR, "blk.5.proj.weight" },
    { "no rope_freqs (optional)",      B_GEMMA4, { NO_TENSOR("rope_freqs.weight") }, LM_OK, NULL },
    { "rope_freqs of 7",               B_GEMMA4, { TENSOR("rope_freqs.weight", LM_TYPE_F32, 1, 7) }, LM_BAD_SHAPE, "rope_freqs.weight" },
    { "layer_output_scale f16",        B_GEMMA4, { TENSOR("blk.0.layer_output_scale.weight", LM_TYPE_F16, 1, 1) }, LM_UNSUPPORTED_TYPE, "blk.0.layer_output_scale.weight" },
    { "bos_token_id 512 (= vocab)",    B_GEMMA4, { U32("tokenizer.ggml.bos_token_id", 512) }, LM_CORRUPT, "bos_token_id" },
    { "softcap NaN",                   B_GEMMA4, { F32("gemma4.final_logit_softcapping", NAN) }, LM_CORRUPT, "final_logit_softcapping" },
    // gemma3 base: gemma3-tiny, 1 layer
    { "gemma3 unchanged",              B_GEMMA3, { DROP("general.name") }, LM_OK, NULL },
    { "gemma3 sliding_window 2^31",    B_GEMMA3, { U32("gemma3.attention.sliding_window", 2147483648.0) }, LM_CORRUPT, "sliding_window" },
    { "gemma3 no attn_k_norm",         B_GEMMA3, { NO_TENSOR("blk.0.attn_k_norm.weight") }, LM_MISSING_TENSOR, "blk.0.attn_k_norm.weight" },
};

static int run_cases(const load_case *cases, size_t n) {
    int ok = 0;
    for (size_t i = 0; i < n; i++) {
        const load_case *c = &cases[i];
        blob b = rewrite(base[c->base], c->m);
        lm_model *m = (lm_model *)1;
        lm_status s = lm_model_load(b.p, b.n, &m);
        bool good = s == c->want && (s == LM_OK) == (m != NULL);
        if (s != LM_OK) good = good && lm_errmsg()[0] && (!c->needle || strstr(lm_errmsg(), c->needle));
        if (!good) fprintf(stderr, "case '%s': got %s \"%s\", want %s naming '%s'\n", c->desc, lm_status_name(s),
                           lm_errmsg(), lm_status_name(c->want), c->needle ? c->needle : "");
        CHECK(good);
        ok += good;
        lm_model_free(m);
        free(b.p);
    }
    return ok;
}

// ---- truncations: every header length, then ~200 lengths through the tensor data ----

static int check_truncated(const blob *full, uint64_t L) {
    blob p = blob_copy(full->p, L);
    lm_model *m;
    lm_status s = lm_model_load(p.p, L, &m);
    int bad = s != LM_TRUNCATED || m != NULL || !lm_errmsg()[0];
    if (bad) fprintf(stderr, "truncated at %llu: %s \"%s\"\n", (unsigned long long)L, lm_status_name(s), lm_errmsg());
    lm_model_free(m);
    free(p.p);
    return bad;
}

static void test_truncations(const blob *full) {
    gguf_file g;
    CHECK_EQ(gguf_parse(full->p, full->n, &g, NULL), LM_OK);
    uint64_t data_off = g.data_offset;
    gguf_free(&g);
    int bad = 0, n = 0;
    for (uint64_t L = 0; L < data_off && bad < 5; L++, n++) bad += check_truncated(full, L);
    for (uint64_t i = 0; i < 200 && bad < 5; i++, n++) bad += check_truncated(full, data_off + (full->n - data_off) * i / 200);
    bad += check_truncated(full, full->n - 1);
    CHECK_EQ(bad, 0);
    printf("truncations: %d lengths (header %llu bytes, file %llu)\n", n + 1, (unsigned long long)data_off,
           (unsigned long long)full->n);
}

// ---- a valid model decodes; bad token ids and a full context are refused ----

static bool logits_finite(const lm_ctx *c, int32_t n_vocab) {
    const float *l = lm_logits(c, 0);
    for (int32_t i = 0; l && i < n_vocab; i++) if (!isfinite(l[i])) return false;
    return l != NULL;
}

static void test_decode_llama(const blob *b) {
    lm_model *m;
    CHECK_EQ(lm_model_load(b->p, b->n, &m), LM_OK);
    if (!m) return;
    lm_model_info info;
    lm_model_get_info(m, &info);
    CHECK(!strcmp(info.arch, "llama") && info.n_vocab == 512 && info.n_embd == 256 && info.n_layer == 1);
    CHECK(info.n_head == 4 && info.n_head_kv == 2 && info.bos == 2 && info.eos == 1 && info.add_bos);
    lm_ctx_params p = lm_ctx_default_params();
    lm_ctx *c;
    p.n_ctx = -1;
    CHECK_EQ(lm_ctx_new(m, &p, &c), LM_INVALID_ARG);
    p.n_ctx = 1 << 21;
    CHECK_EQ(lm_ctx_new(m, &p, &c), LM_INVALID_ARG);
    p.n_ctx = 4;
    CHECK_EQ(lm_ctx_new(m, &p, &c), LM_OK);
    if (!c) { lm_model_free(m); return; }
    CHECK_EQ(lm_decode(c, (const lm_token[]){ 2, 300 }, 2), LM_OK);
    CHECK(logits_finite(c, 512));
    CHECK(lm_logits(c, 1) == NULL && lm_logits(c, -1) == NULL);
    static const lm_token BAD[] = { 512, -1, INT32_MAX, INT32_MIN };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) CHECK_EQ(lm_decode(c, &BAD[i], 1), LM_INVALID_ARG);
    CHECK_EQ(lm_decode(c, (const lm_token[]){ 5, 512 }, 2), LM_INVALID_ARG);   // checked before anything runs
    CHECK_EQ(lm_decode(c, NULL, 1), LM_INVALID_ARG);
    CHECK_EQ(lm_decode(c, BAD, 0), LM_INVALID_ARG);
    CHECK_EQ(lm_ctx_n_past(c), 2);
    CHECK_EQ(lm_decode(c, (const lm_token[]){ 301, 302, 303 }, 3), LM_CTX_FULL);   // 2 + 3 > 4
    CHECK(lm_errmsg()[0] != 0);
    CHECK_EQ(lm_ctx_n_past(c), 2);
    CHECK_EQ(lm_decode(c, (const lm_token[]){ 301, 302 }, 2), LM_OK);              // exactly full
    CHECK_EQ(lm_decode(c, (const lm_token[]){ 303 }, 1), LM_CTX_FULL);
    CHECK_EQ(lm_ctx_n_past(c), 4);
    lm_ctx_reset(c);
    CHECK_EQ(lm_decode(c, (const lm_token[]){ 511 }, 1), LM_OK);
    CHECK(logits_finite(c, 512));
    lm_ctx_free(c);
    lm_ctx_free(NULL);
    lm_model_free(m);
    lm_model_free(NULL);
}

static void test_decode_gemma4(const blob *b) {
    lm_model *m;
    CHECK_EQ(lm_model_load(b->p, b->n, &m), LM_OK);
    if (!m) return;
    lm_model_info info;
    lm_model_get_info(m, &info);
    CHECK(!strcmp(info.arch, "gemma4") && info.n_layer == 6 && info.n_layer_kv == 3 && info.n_embd_per_layer == 256);
    lm_ctx_params p = lm_ctx_default_params();
    p.n_ctx = 8;
    lm_ctx *c;
    CHECK_EQ(lm_ctx_new(m, &p, &c), LM_OK);
    if (c) {
        CHECK_EQ(lm_decode(c, (const lm_token[]){ 2, 300, 301 }, 3), LM_OK);
        CHECK(logits_finite(c, info.n_vocab));
        CHECK_EQ(lm_decode(c, (const lm_token[]){ info.n_vocab }, 1), LM_INVALID_ARG);
        CHECK_EQ(lm_decode(c, (const lm_token[]){ 0, 1, 2, 3, 4, 5 }, 6), LM_CTX_FULL);
        CHECK_EQ(lm_ctx_n_past(c), 3);
    }
    lm_ctx_free(c);
    lm_model_free(m);
}

int main(void) {
    base[B_LLAMA] = generate("llama-tiny", LM_TYPE_Q8_0, 1);
    base[B_GEMMA4] = generate("gemma4-e2b-tiny", LM_TYPE_Q8_0, 0);
    base[B_GEMMA3] = generate("gemma3-tiny", LM_TYPE_Q8_0, 1);
    int n_ok = run_cases(LLAMA_CASES, sizeof LLAMA_CASES / sizeof LLAMA_CASES[0]);
    n_ok += run_cases(GEMMA4_CASES, sizeof GEMMA4_CASES / sizeof GEMMA4_CASES[0]);
    printf("broken models: %d of %zu cases as expected\n", n_ok,
           sizeof LLAMA_CASES / sizeof LLAMA_CASES[0] + sizeof GEMMA4_CASES / sizeof GEMMA4_CASES[0]);
    test_truncations(&base[B_GEMMA4]);
    test_decode_llama(&base[B_LLAMA]);
    test_decode_gemma4(&base[B_GEMMA4]);
    for (int i = 0; i < B_COUNT; i++) free(base[i].p);
    return T_DONE();
}
