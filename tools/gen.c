// gen.c — synthetic model generator: presets of real or tiny shapes, deterministic weights.
#define _POSIX_C_SOURCE 200809L   // strdup
// Weights are tame on purpose (TOOLCHAIN.md): small embeddings, unit-ish norms, q/k norms 0.5
// for gemma4, 1/sqrt(fan-in) matrices, byte-token embedding rows zeroed, a sharpening final norm.
#include "gen.h"
#include "gguf_write.h"
#include "../src/tensor.h"
#include "../src/kernels/kernels.h"
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LM_GEN_MAX_LAYERS 128
#define BRANCH_GAIN 0.3f   // residual-branch output projections
#define OUT_NORM    2.0f   // final norm weight: logits spread enough to avoid near-ties
#define QK_NORM_G4  0.35f  // gemma4 q/k norm weights: attention scale is 1.0, keep scores soft

typedef struct {
    const char *name, *arch;
    int E, L, H, Hkv, D, D_full, ff, ff_shared, V, ctx;
    int n_swa, period;        // sliding window; layer il is full when period && il % period == period-1
    int shared_kv, P;         // gemma4: KV-sharing layers, per-layer input size
    float base, base_swa;
} shape;

static const shape PRESETS[] = {
    // name              arch      E     L   H  Hkv  D    Dfull ff    ffsh   V       ctx    swa  per sh  P    base  base_swa
    { "llama-tiny",      "llama",  256,  2,  4, 2,   64,  64,   512,  512,   512,    512,   0,   0,  0,  0,   1e4f, 1e4f },
    { "gemma3-tiny",     "gemma3", 256,  6,  4, 1,   64,  64,   512,  512,   512,    512,   16,  6,  0,  0,   1e6f, 1e4f },
    { "gemma4-tiny",     "gemma4", 256,  4,  4, 1,   64,  128,  512,  512,   512,    512,   16,  2,  0,  0,   1e6f, 1e4f },
    { "gemma4-e2b-tiny", "gemma4", 256,  6,  4, 1,   64,  128,  512,  1024,  512,    512,   16,  3,  3,  256, 1e6f, 1e4f },
    { "gemma4-e2b",      "gemma4", 1536, 35, 8, 1,   256, 512,  6144, 12288, 262144, 4096,  512, 5,  20, 256, 1e6f, 1e4f },
    { "gemma4-e4b",      "gemma4", 2560, 42, 8, 2,   256, 512,  10240,10240, 262144, 4096,  512, 6,  18, 256, 1e6f, 1e4f },
    { "gemma3-1b",       "gemma3", 1152, 26, 4, 1,   256, 256,  6912, 6912,  262144, 4096,  512, 6,  0,  0,   1e6f, 1e4f },
};

void gen_list_presets(FILE *f) {
    for (size_t i = 0; i < sizeof PRESETS / sizeof PRESETS[0]; i++) fprintf(f, "  %s\n", PRESETS[i].name);
}

// ---- deterministic values: every (tensor, row) has its own xorshift stream ----

// gemma4 models carry the turn markers as control tokens (the last ids) and a chat template of
// our own in the Gemma 4 turn format, so chat code paths can run on generated models.
const char *const gen_g4_chat_tokens[GEN_G4_N_CHAT] = { "<|turn>", "<turn|>", "<|channel>", "<channel|>", "<|think|>" };
#define G4_CHAT_TOKENS gen_g4_chat_tokens
#define G4_N_CHAT GEN_G4_N_CHAT
const char gen_g4_chat_template[] =
    "{{ bos_token }}{% for m in messages %}{% set role = 'model' if m['role'] == 'assistant' else m['role'] %}"
    "<|turn>{{ role }}\n{{ m['content'] | trim }}<turn|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|turn>model\n<|channel>thought\n<channel|>{% endif %}";

typedef struct { uint64_t seed; int64_t cols, rows; float amp, bias; int kind; bool chat_tail; const shape *s; } fill_spec;
enum { K_PLAIN, K_EMBD, K_ROPE_FREQS };

static uint64_t mix64(uint64_t x) {
    x ^= x >> 33; x *= 0xff51afd7ed558ccdull; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ull; x ^= x >> 33;
    return x;
}

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull;
    while (*s) h = (h ^ (uint8_t)*s++) * 1099511628211ull;
    return h;
}

// Row values: bias + amp * uniform(-1, 1), from a stream seeded by (tensor, row).
static void fill_row(void *ctx, int64_t row, float *out) {
    const fill_spec *f = ctx;
    if (f->kind == K_ROPE_FREQS) {            // proportional RoPE: rotate the first quarter of the pairs
        for (int64_t i = 0; i < f->cols; i++) out[i] = i < f->cols / 4 ? 1.0f : 1e30f;
        return;
    }
    // special and byte-fallback tokens (ids < 260) and the gemma4 chat markers (the last ids):
    // zero rows, so a random model never predicts them and generations run their full length
    bool zero = f->kind == K_EMBD && (row < 260 || (f->chat_tail && row >= f->rows - G4_N_CHAT));
    uint64_t x = mix64(f->seed ^ mix64((uint64_t)row + 1)) | 1;
    for (int64_t i = 0; i < f->cols; i++) {
        x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
        float u = (float)((x * 0x2545f4914f6cdd1dull) >> 40) / 16777216.0f * 2.0f - 1.0f;
        out[i] = zero ? 0.0f : f->bias + f->amp * u;
    }
}

// ---- tensors ----

typedef struct { gguf_writer *w; const shape *s; int type, n_layer; uint64_t seed; fill_spec *specs; int n_specs; } gen;

// 1-D when rows == 0. Matrices whose rows are not whole blocks of the type fall back to q8_0
// (or f16), as llama.cpp's quantizer does for such shapes.
static void tensor(gen *g, const char *name, int type, int64_t cols, int64_t rows, int kind, float amp, float bias) {
    if (rows && lm_row_bytes(type, cols) < 0) type = lm_row_bytes(LM_TYPE_Q8_0, cols) >= 0 ? LM_TYPE_Q8_0 : LM_TYPE_F16;
    fill_spec *f = &g->specs[g->n_specs++];
    *f = (fill_spec){ g->seed ^ hash_str(name), cols, rows, amp, bias, kind, !strcmp(g->s->arch, "gemma4"), g->s };
    int64_t ne[2] = { cols, rows };
    gw_tensor_gen(g->w, name, rows ? (uint32_t)type : LM_TYPE_F32, rows ? 2 : 1, ne, fill_row, f);
}

// gain < 1 on the projections that write into the residual stream keeps each layer's update
// small, which keeps the random model from amplifying rounding noise (engines then agree).
static void matrix(gen *g, const char *name, int64_t in, int64_t out, float gain) {
    tensor(g, name, g->type, in, out, K_PLAIN, gain * sqrtf(3.0f / (float)in), 0.0f);
}

static void norm(gen *g, const char *name, int64_t n, float center) { tensor(g, name, 0, n, 0, K_PLAIN, 0.1f * center, center); }

static bool is_full(const shape *s, int il) { return !s->period || il % s->period == s->period - 1; }
static int layer_dim(const shape *s, int il) { return is_full(s, il) ? s->D_full : s->D; }
// Layers [0, kv_end) own KV. llama.cpp's sharing rule needs layer kv_end-1 full and kv_end-2
// sliding, so with fewer layers than the preset kv_end is rounded to a multiple of the period.
static int kv_end(const gen *g) {
    const shape *s = g->s;
    if (!s->shared_kv) return g->n_layer;
    int target = g->n_layer - s->shared_kv * g->n_layer / s->L, k = (target + s->period / 2) / s->period * s->period;
    return k < s->period ? s->period : k > g->n_layer ? g->n_layer : k;
}
static int layer_ff(const gen *g, int il) { return g->s->shared_kv && il >= kv_end(g) ? g->s->ff_shared : g->s->ff; }

static void layer_tensors(gen *g, int il) {
    const shape *s = g->s;
    bool gemma = strcmp(s->arch, "llama") != 0, g4 = strcmp(s->arch, "gemma4") == 0, own_kv = !g4 || il < kv_end(g);
    int64_t E = s->E, D = layer_dim(s, il), qd = s->H * D, kvd = s->Hkv * D, F = layer_ff(g, il);
    char n[96];
#define NAME(x) (snprintf(n, sizeof n, "blk.%d." x, il), n)
    norm(g, NAME("attn_norm.weight"), E, 1.0f);
    matrix(g, NAME("attn_q.weight"), E, qd, 1.0f);
    if (own_kv) { matrix(g, NAME("attn_k.weight"), E, kvd, 1.0f); matrix(g, NAME("attn_v.weight"), E, kvd, 1.0f); }
    matrix(g, NAME("attn_output.weight"), qd, E, BRANCH_GAIN);
    if (gemma) {
        norm(g, NAME("attn_q_norm.weight"), D, g4 ? QK_NORM_G4 : 1.0f);
        if (own_kv) norm(g, NAME("attn_k_norm.weight"), D, g4 ? QK_NORM_G4 : 1.0f);
        norm(g, NAME("post_attention_norm.weight"), E, 1.0f);
        norm(g, NAME("post_ffw_norm.weight"), E, 1.0f);
    }
    norm(g, NAME("ffn_norm.weight"), E, 1.0f);
    matrix(g, NAME("ffn_gate.weight"), E, F, 1.0f);
    matrix(g, NAME("ffn_up.weight"), E, F, 1.0f);
    matrix(g, NAME("ffn_down.weight"), F, E, BRANCH_GAIN);
    if (g4) tensor(g, NAME("layer_output_scale.weight"), 0, 1, 0, K_PLAIN, 0.2f, 0.7f);
    if (g4 && s->P) {
        matrix(g, NAME("inp_gate.weight"), E, s->P, 1.0f);
        matrix(g, NAME("proj.weight"), s->P, E, BRANCH_GAIN);
        norm(g, NAME("post_norm.weight"), E, 1.0f);
    }
#undef NAME
}

static void all_tensors(gen *g) {
    const shape *s = g->s;
    tensor(g, "token_embd.weight", g->type, s->E, s->V, K_EMBD, 0.05f * sqrtf(3.0f), 0.0f);
    norm(g, "output_norm.weight", s->E, OUT_NORM);
    if (!strcmp(s->arch, "gemma4")) {
        bool any_full = false;
        for (int il = 0; il < g->n_layer; il++) any_full |= is_full(s, il);
        if (any_full) tensor(g, "rope_freqs.weight", 0, s->D_full / 2, 0, K_ROPE_FREQS, 0, 0);
        if (s->P) {
            int64_t LP = (int64_t)g->n_layer * s->P;
            tensor(g, "per_layer_token_embd.weight", g->type, LP, s->V, K_PLAIN, 0.05f * sqrtf(3.0f), 0.0f);
            matrix(g, "per_layer_model_proj.weight", s->E, LP, 1.0f);
            norm(g, "per_layer_proj_norm.weight", s->P, 1.0f);
        }
    }
    for (int il = 0; il < g->n_layer; il++) layer_tensors(g, il);
}

// ---- metadata ----

void gen_special_keys(gguf_writer *w, bool chat_template) {
    gw_u32(w, "tokenizer.ggml.bos_token_id", 2);
    gw_u32(w, "tokenizer.ggml.eos_token_id", 1);
    gw_u32(w, "tokenizer.ggml.unknown_token_id", 3);
    gw_u32(w, "tokenizer.ggml.padding_token_id", 0);
    gw_bool(w, "tokenizer.ggml.add_bos_token", true);
    gw_bool(w, "tokenizer.ggml.add_eos_token", false);
    if (chat_template) gw_str(w, "tokenizer.chat_template", gen_g4_chat_template);
}

// Vocabulary: 4 specials, 256 byte tokens, single characters, "▁x" and "xy" pairs, then filler.
// Two-character pieces get a BPE merge so the gemma4 (BPE) loader sees a consistent table.
static void vocab(gen *g, bool bpe) {
    int V = g->s->V;
    char **tok = calloc((size_t)V, sizeof *tok), **merges = calloc((size_t)V, sizeof *merges);
    float *score = calloc((size_t)V, sizeof *score);
    int32_t *type = calloc((size_t)V, sizeof *type);
    static const char *SPECIAL[] = { "<pad>", "<eos>", "<bos>", "<unk>" };
    const char *alpha = "abcdefghijklmnopqrstuvwxyz";
    int n_merges = 0;
    for (int i = 0; i < V; i++) {
        char buf[32];
        type[i] = 1;
        score[i] = -(float)i;
        if (i < 4) { snprintf(buf, sizeof buf, "%s", SPECIAL[i]); type[i] = i == 3 ? 2 : 3; }
        else if (bpe && i >= V - G4_N_CHAT) { snprintf(buf, sizeof buf, "%s", G4_CHAT_TOKENS[i - (V - G4_N_CHAT)]); type[i] = 3; }
        else if (i < 260) { snprintf(buf, sizeof buf, "<0x%02X>", i - 4); type[i] = 6; }
        else if (i < 286) snprintf(buf, sizeof buf, "%c", alpha[i - 260]);
        else if (i == 286) snprintf(buf, sizeof buf, "\xe2\x96\x81");
        else if (i < 287 + 26) {
            snprintf(buf, sizeof buf, "\xe2\x96\x81%c", alpha[i - 287]);
            char m[32]; snprintf(m, sizeof m, "\xe2\x96\x81 %c", alpha[i - 287]); merges[n_merges++] = strdup(m);
        } else if (i < 287 + 26 + 676) {
            int k = i - 313;
            snprintf(buf, sizeof buf, "%c%c", alpha[k / 26], alpha[k % 26]);
            char m[32]; snprintf(m, sizeof m, "%c %c", alpha[k / 26], alpha[k % 26]); merges[n_merges++] = strdup(m);
        } else snprintf(buf, sizeof buf, "tok%d", i);
        tok[i] = strdup(buf);
    }
    gw_str(g->w, "tokenizer.ggml.model", bpe ? "gemma4" : "llama");
    gw_arr_str(g->w, "tokenizer.ggml.tokens", (const char *const *)tok, (uint64_t)V);
    gw_arr_f32(g->w, "tokenizer.ggml.scores", score, (uint64_t)V);
    gw_arr_i32(g->w, "tokenizer.ggml.token_type", type, (uint64_t)V);
    if (bpe) gw_arr_str(g->w, "tokenizer.ggml.merges", (const char *const *)merges, (uint64_t)n_merges);
    gen_special_keys(g->w, bpe);
    for (int i = 0; i < V; i++) free(tok[i]);
    for (int i = 0; i < n_merges; i++) free(merges[i]);
    free(tok); free(merges); free(score); free(type);
}

void gen_g4_keys(gguf_writer *w, const gen_g4_hparams *h) {
    int L = h->L;
    gw_str(w, "general.architecture", "gemma4");
    gw_str(w, "general.name", h->name);
    gw_u32(w, "gemma4.context_length", (uint32_t)h->ctx);
    gw_u32(w, "gemma4.embedding_length", (uint32_t)h->E);
    gw_u32(w, "gemma4.block_count", (uint32_t)L);
    gw_u32(w, "gemma4.attention.head_count", (uint32_t)h->H);
    gw_u32(w, "gemma4.attention.head_count_kv", (uint32_t)h->Hkv);
    gw_f32(w, "gemma4.attention.layer_norm_rms_epsilon", 1e-6f);
    gw_f32(w, "gemma4.rope.freq_base", h->base);
    gw_arr_i32(w, "gemma4.feed_forward_length", h->ff, (uint64_t)L);
    gw_arr_bool(w, "gemma4.attention.sliding_window_pattern", h->swa, (uint64_t)L);
    gw_u32(w, "gemma4.attention.sliding_window", (uint32_t)h->n_swa);
    gw_u32(w, "gemma4.attention.shared_kv_layers", (uint32_t)h->shared_kv);
    gw_u32(w, "gemma4.embedding_length_per_layer_input", (uint32_t)h->P);
    gw_u32(w, "gemma4.attention.key_length", (uint32_t)h->D_full);
    gw_u32(w, "gemma4.attention.value_length", (uint32_t)h->D_full);
    gw_u32(w, "gemma4.attention.key_length_swa", (uint32_t)h->D);
    gw_u32(w, "gemma4.attention.value_length_swa", (uint32_t)h->D);
    gw_u32(w, "gemma4.rope.dimension_count", (uint32_t)h->D_full);
    gw_u32(w, "gemma4.rope.dimension_count_swa", (uint32_t)h->D);
    gw_f32(w, "gemma4.rope.freq_base_swa", h->base_swa);
    gw_f32(w, "gemma4.final_logit_softcapping", 30.0f);
}

static void arch_keys(gen *g) {
    const shape *s = g->s;
    const char *a = s->arch;
    char k[128];
    int L = g->n_layer;
    if (!strcmp(a, "gemma4")) {
        int32_t ff[LM_GEN_MAX_LAYERS];
        bool swa[LM_GEN_MAX_LAYERS];
        for (int il = 0; il < L; il++) { ff[il] = layer_ff(g, il); swa[il] = !is_full(s, il); }
        gen_g4_hparams h = { s->name, s->ctx, s->E, L, s->H, s->Hkv, s->D, s->D_full, s->P, s->n_swa, L - kv_end(g),
                             ff, swa, s->base, s->base_swa };
        gen_g4_keys(g->w, &h);
        return;
    }
#define KEY(x) (snprintf(k, sizeof k, "%s." x, a), k)
    gw_str(g->w, "general.architecture", a);
    gw_str(g->w, "general.name", s->name);
    gw_u32(g->w, KEY("context_length"), (uint32_t)s->ctx);
    gw_u32(g->w, KEY("embedding_length"), (uint32_t)s->E);
    gw_u32(g->w, KEY("block_count"), (uint32_t)L);
    gw_u32(g->w, KEY("attention.head_count"), (uint32_t)s->H);
    gw_u32(g->w, KEY("attention.head_count_kv"), (uint32_t)s->Hkv);
    gw_f32(g->w, KEY("attention.layer_norm_rms_epsilon"), 1e-6f);
    gw_f32(g->w, KEY("rope.freq_base"), s->base);
    gw_u32(g->w, KEY("feed_forward_length"), (uint32_t)s->ff);
    gw_u32(g->w, KEY("attention.key_length"), (uint32_t)s->D);
    gw_u32(g->w, KEY("attention.value_length"), (uint32_t)s->D);
    gw_u32(g->w, KEY("rope.dimension_count"), (uint32_t)s->D);
    if (s->n_swa) { gw_u32(g->w, KEY("attention.sliding_window"), (uint32_t)s->n_swa); gw_f32(g->w, KEY("rope.freq_base_swa"), s->base_swa); }
#undef KEY
}

int gen_model(const gen_opts *o, FILE *f) {
    const shape *s = NULL;
    for (size_t i = 0; i < sizeof PRESETS / sizeof PRESETS[0]; i++)
        if (!strcmp(o->preset, PRESETS[i].name)) s = &PRESETS[i];
    if (!s) { fprintf(stderr, "gen: unknown preset '%s'; presets:\n", o->preset); gen_list_presets(stderr); return -1; }
    const lm_type_traits *tr = lm_type_traits_of(o->type);
    if (!tr || !tr->from_float || !lm_kernels_ref.vec_dot[o->type] || tr->per_channel) {   // block/float weight types only
        fprintf(stderr, "gen: cannot write weights of type %s%s\n", lm_type_name(o->type),
                tr && tr->per_channel ? " (per-channel: generate f32, then `pocketlm quantize --mobile`)" : "");
        return -1;
    }
    int L = o->n_layer > 0 ? o->n_layer : s->L;
    if (L > LM_GEN_MAX_LAYERS) { fprintf(stderr, "gen: at most %d layers\n", LM_GEN_MAX_LAYERS); return -1; }
    gen g = { gw_new(32), s, o->type, L, o->seed, calloc((size_t)L * 32 + 32, sizeof(fill_spec)), 0 };
    if (!g.w || !g.specs) { fprintf(stderr, "gen: out of memory\n"); return -1; }
    arch_keys(&g);
    vocab(&g, !strcmp(s->arch, "gemma4"));
    all_tensors(&g);
    int rc = gw_write(g.w, f);
    if (rc) fprintf(stderr, "gen: write failed\n");
    gw_free(g.w);
    free(g.specs);
    return rc;
}
