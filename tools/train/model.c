// model.c — trainer configurations (presets), the parameter table in GGUF names, initialization.
#include "train.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

// Layer pattern of both presets: sliding / full alternating, the last two layers reading the K/V
// of layers n_layer_kv-2 (sliding) and n_layer_kv-1 (full), as Gemma 4 E2B's last layers do.
static void alternate(tr_config *c) {
    for (int il = 0; il < c->n_layer; il++) c->swa[il] = il % 2 == 0;
}

bool tr_preset(const char *name, tr_config *c) {
    memset(c, 0, sizeof *c);
    c->rope_base = 1e6f;  c->rope_base_swa = 1e4f;  c->eps = 1e-6f;  c->softcap = 30.0f;
    if (!strcmp(name, "kjv")) {           // the default model (docs/QAT.md)
        c->n_vocab = 4096; c->n_embd = 256; c->n_layer = 6; c->n_head = 4; c->n_head_kv = 1;
        c->head_dim = 64; c->head_dim_full = 128; c->n_ctx = 256; c->n_swa = 64; c->n_layer_kv = 4;
        for (int il = 0; il < c->n_layer; il++) c->ff[il] = 768;
    } else if (!strcmp(name, "tiny")) {   // gradient checks and export round trips (tests/test_train.c)
        c->n_vocab = 96; c->n_embd = 64; c->n_layer = 4; c->n_head = 2; c->n_head_kv = 1;
        c->head_dim = 16; c->head_dim_full = 32; c->n_ctx = 12; c->n_swa = 4; c->n_layer_kv = 2;
        for (int il = 0; il < c->n_layer; il++) c->ff[il] = il < 2 ? 64 : 128;
    } else return false;
    alternate(c);
    return true;
}

int tr_head_dim(const tr_config *c, int il) { return c->swa[il] ? c->head_dim : c->head_dim_full; }

int tr_layer_src(const tr_config *c, int il) {
    return il < c->n_layer_kv ? il : c->n_layer_kv - (c->swa[il] ? 2 : 1);
}

static bool check(const tr_config *c) {
    const char *why = NULL;
    if (c->n_layer < 1 || c->n_layer > TR_MAX_LAYERS) why = "1..16 layers";
    else if (c->n_head < 1 || c->n_head_kv < 1 || c->n_head % c->n_head_kv) why = "n_head must be a multiple of n_head_kv";
    else if (c->head_dim < 8 || c->head_dim % 8 || c->head_dim_full < 8 || c->head_dim_full % 8) why = "head sizes must be multiples of 8";
    else if (c->n_vocab < 8 || c->n_embd < 8 || c->n_ctx < 2 || c->n_swa < 1) why = "vocabulary, width, context or window too small";
    else if (c->n_layer_kv < 1 || c->n_layer_kv > c->n_layer) why = "n_layer_kv out of range";
    else if (c->n_layer_kv < c->n_layer && (c->n_layer_kv < 2 || c->swa[c->n_layer_kv - 1] || !c->swa[c->n_layer_kv - 2]))
        why = "KV sharing needs layer n_layer_kv-1 full and n_layer_kv-2 sliding (llama.cpp's rule)";
    for (int il = 0; !why && il < c->n_layer; il++) if (c->ff[il] < 1) why = "feed-forward sizes";
    if (why) fprintf(stderr, "train: unsupported configuration: %s\n", why);
    return !why;
}

static int add(tr_model *m, const char *name, int rows, int cols, tr_kind kind, float init) {
    tr_tensor *t = &m->t[m->n_t];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->off = m->n_params;  t->rows = rows;  t->cols = cols;  t->kind = kind;  t->init = init;
    m->n_params += (int64_t)rows * cols;
    return m->n_t++;
}

static void add_layer(tr_model *m, int il) {
    const tr_config *c = &m->c;
    int E = c->n_embd, D = tr_head_dim(c, il), qd = c->n_head * D, kvd = c->n_head_kv * D, F = c->ff[il];
    bool kv = il < c->n_layer_kv;
    float qk = powf((float)D, -0.25f);   // q.k of unit-RMS heads then has unit variance (attention scale 1.0)
    static const char *const NAMES[TL_COUNT] = {
        "attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "attn_q_norm", "attn_k_norm", "post_attention_norm",
        "ffn_norm", "ffn_gate", "ffn_up", "ffn_down", "post_ffw_norm", "layer_output_scale" };
    const struct { int rows, cols; tr_kind kind; float init; bool present; } S[TL_COUNT] = {
        [TL_ATTN_NORM] = { 1, E, TK_VECTOR, 1.0f, true },
        [TL_Q] = { qd, E, TK_MATRIX, 1.0f / sqrtf((float)E), true },
        [TL_K] = { kvd, E, TK_MATRIX, 1.0f / sqrtf((float)E), kv },
        [TL_V] = { kvd, E, TK_MATRIX, 1.0f / sqrtf((float)E), kv },
        [TL_O] = { E, qd, TK_MATRIX, 1.0f / sqrtf((float)qd), true },
        [TL_Q_NORM] = { 1, D, TK_VECTOR, qk, true },
        [TL_K_NORM] = { 1, D, TK_VECTOR, qk, kv },
        [TL_ATTN_POST] = { 1, E, TK_VECTOR, 1.0f, true },
        [TL_FFN_NORM] = { 1, E, TK_VECTOR, 1.0f, true },
        [TL_GATE] = { F, E, TK_MATRIX, 1.0f / sqrtf((float)E), true },
        [TL_UP] = { F, E, TK_MATRIX, 1.0f / sqrtf((float)E), true },
        [TL_DOWN] = { E, F, TK_MATRIX, 1.0f / sqrtf((float)F), true },
        [TL_FFN_POST] = { 1, E, TK_VECTOR, 1.0f, true },
        [TL_OUT_SCALE] = { 1, 1, TK_VECTOR, 1.0f, true },
    };
    for (int k = 0; k < TL_COUNT; k++) {
        char name[48];
        snprintf(name, sizeof name, "blk.%d.%s.weight", il, NAMES[k]);
        m->layer[il][k] = S[k].present ? add(m, name, S[k].rows, S[k].cols, S[k].kind, S[k].init) : -1;
    }
}

bool tr_model_init(tr_model *m, const tr_config *c) {
    memset(m, 0, sizeof *m);
    if (!check(c)) return false;
    m->c = *c;
    m->tok_embd = add(m, "token_embd.weight", c->n_vocab, c->n_embd, TK_MATRIX, 1.0f / sqrtf((float)c->n_embd));
    m->out_norm = add(m, "output_norm.weight", 1, c->n_embd, TK_VECTOR, 1.0f);
    for (int il = 0; il < c->n_layer; il++) add_layer(m, il);
    return true;
}

// splitmix64 stream per tensor, Box-Muller normals: the init does not depend on tensor order.
static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void tr_params_init(const tr_model *m, float *w, uint64_t seed) {
    for (int i = 0; i < m->n_t; i++) {
        const tr_tensor *t = &m->t[i];
        int64_t n = (int64_t)t->rows * t->cols;
        uint64_t s = seed * 0x2545f4914f6cdd1dull + (uint64_t)i * 0x9e3779b97f4a7c15ull;
        for (int64_t k = 0; k < n; k++) {
            if (t->kind == TK_VECTOR) { w[t->off + k] = t->init; continue; }
            double u1 = ((double)(splitmix(&s) >> 11) + 0.5) / 9007199254740992.0;
            double u2 = (double)(splitmix(&s) >> 11) / 9007199254740992.0;
            w[t->off + k] = (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2)) * t->init;
        }
    }
}
