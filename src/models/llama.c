// llama.c — Llama-family decoder: RMSNorm, RoPE (adjacent pairs), GQA, SwiGLU, optional output.weight.
#include "arch.h"
#include <math.h>

static lm_status llama_hparams(lm_model *m) {
    lm_status s = ld_common_hparams(m);
    if (s) return s;
    uint32_t D, n_rot;
    float base, factor;
    if ((s = ld_u32(m, "%s.attention.key_length", &D, LM_OPTIONAL, (uint32_t)(m->n_embd / m->layers[0].n_head))) ||
        (s = ld_u32(m, "%s.rope.dimension_count", &n_rot, LM_OPTIONAL, D)) ||
        (s = ld_f32(m, "%s.rope.freq_base", &base, LM_OPTIONAL, 10000.0f)) ||
        (s = ld_f32(m, "%s.rope.scaling.factor", &factor, LM_OPTIONAL, 0.0f)))
        return s;
    if (D == 0 || D > 4096) return lm_fail(LM_CORRUPT, "llama: head size %u is out of range", D);
    m->rope_type = LM_ROPE_NORM;
    m->act = LM_ACT_SILU;
    m->embd_scale = 1.0f;
    for (int il = 0; il < m->n_layer; il++) {
        lm_layer *L = &m->layers[il];
        L->head_dim = (int32_t)D;  L->n_rot = (int32_t)n_rot;  L->kv_src = il;
        L->rope_base = base;  L->rope_scale = factor > 0.0f ? 1.0f / factor : 1.0f;
        L->q_scale = 1.0f;  L->kq_scale = 1.0f / sqrtf((float)D);
    }
    return ld_check_layers(m);
}

static lm_status llama_weights(lm_model *m) {
    lm_status s = ld_embeddings(m);
    if (s) return s;
    int64_t E = m->n_embd;
    for (int il = 0; il < m->n_layer; il++) {
        lm_layer *L = &m->layers[il];
        int64_t qd = (int64_t)L->n_head * L->head_dim, kvd = (int64_t)L->n_head_kv * L->head_dim;
        if ((s = ld_tensor(m, &L->attn_norm, "attn_norm.weight", il, 1, E, LM_REQUIRED)) ||
            (s = ld_tensor(m, &L->wq, "attn_q.weight", il, qd, E, LM_REQUIRED)) ||
            (s = ld_tensor(m, &L->wk, "attn_k.weight", il, kvd, E, LM_REQUIRED)) ||
            (s = ld_tensor(m, &L->wv, "attn_v.weight", il, kvd, E, LM_REQUIRED)) ||
            (s = ld_tensor(m, &L->wo, "attn_output.weight", il, E, qd, LM_REQUIRED)) ||
            (s = ld_tensor(m, &L->ffn_norm, "ffn_norm.weight", il, 1, E, LM_REQUIRED)) ||
            (s = ld_tensor(m, &L->ffn_gate, "ffn_gate.weight", il, L->n_ff, E, LM_REQUIRED)) ||
            (s = ld_tensor(m, &L->ffn_up, "ffn_up.weight", il, L->n_ff, E, LM_REQUIRED)) ||
            (s = ld_tensor(m, &L->ffn_down, "ffn_down.weight", il, E, L->n_ff, LM_REQUIRED)) ||
            (s = ld_tensor(m, &L->rope_freqs, "rope_freqs.weight", -1, 1, L->n_rot / 2, LM_OPTIONAL)))
            return s;
    }
    return LM_OK;
}

static void llama_forward(lm_ctx *c, const lm_token *tokens, int32_t n, int32_t pos0) {
    const lm_model *m = c->m;
    int64_t E = m->n_embd, nE = n * E;
    blk_embed(c, tokens, n, 1.0f);
    for (int il = 0; il < m->n_layer; il++) {
        const lm_layer *L = &m->layers[il];
        blk_norm(c, c->xn, c->x, &L->attn_norm, n, (int32_t)E);
        blk_attention(c, il, n, pos0);
        blk_add(c->x, c->tmp, nE);
        blk_norm(c, c->xn, c->x, &L->ffn_norm, n, (int32_t)E);
        blk_ffn(c, L, n);
        blk_add(c->x, c->tmp, nE);
    }
    blk_norm(c, c->xn, c->x, &m->output_norm, n, (int32_t)E);
}

const lm_arch lm_arch_llama = { "llama", llama_hparams, llama_weights, llama_forward };
