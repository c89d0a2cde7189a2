// gemma3.c — Gemma 3: sliding-window pattern (5 local : 1 global), local/global RoPE bases,
// Q scaled by 1/sqrt(head_dim), q/k norms, post-attention/post-FFN norms, GEGLU, optional softcap.
#include "arch.h"
#include <math.h>

static lm_status gemma3_swa(lm_model *m) {
    uint32_t n_swa, pattern;
    lm_status s = ld_u32(m, "%s.attention.sliding_window", &n_swa, LM_OPTIONAL, 0);
    if (s || n_swa == 0) return s;
    // used as int32 (p - n_swa + 1, ring sizes); 2^24 is the context_length bound
    if (n_swa > (1u << 24)) return lm_fail(LM_CORRUPT, "gemma3.attention.sliding_window = %u is out of range", n_swa);
    m->n_swa = (int32_t)n_swa;
    s = ld_per_layer_bool(m, "%s.attention.sliding_window_pattern", offsetof(lm_layer, swa), LM_OPTIONAL);
    if (s != LM_MISSING_KEY) return s;
    if ((s = ld_u32(m, "%s.attention.sliding_window_pattern", &pattern, LM_OPTIONAL, 6))) return s;
    for (int il = 0; il < m->n_layer; il++) m->layers[il].swa = pattern == 0 || il % (int)pattern < (int)pattern - 1;
    return LM_OK;
}

static lm_status gemma3_hparams(lm_model *m) {
    lm_status s = ld_common_hparams(m);
    if (s || (s = gemma3_swa(m))) return s;
    uint32_t D, n_rot;
    float base, base_swa, factor;
    if ((s = ld_u32(m, "%s.attention.key_length", &D, LM_OPTIONAL, (uint32_t)(m->n_embd / m->layers[0].n_head))) ||
        (s = ld_u32(m, "%s.rope.dimension_count", &n_rot, LM_OPTIONAL, D)) ||
        (s = ld_f32(m, "%s.rope.freq_base", &base, LM_OPTIONAL, 10000.0f)) ||
        (s = ld_f32(m, "%s.rope.freq_base_swa", &base_swa, LM_OPTIONAL, 10000.0f)) ||
        (s = ld_f32(m, "%s.rope.scaling.factor", &factor, LM_OPTIONAL, 0.0f)) ||
        (s = ld_f32(m, "%s.final_logit_softcapping", &m->final_softcap, LM_OPTIONAL, 0.0f)))
        return s;
    if (D == 0 || D > 4096) return lm_fail(LM_CORRUPT, "gemma3: head size %u is out of range", D);
    m->rope_type = LM_ROPE_NEOX;
    m->act = LM_ACT_GELU;
    m->embd_scale = sqrtf((float)m->n_embd);
    // gemma 3 27B (62 layers) scales queries by 1/sqrt(n_embd/n_head), the others by 1/sqrt(head_dim)
    float q_scale = m->n_layer == 62 ? 1.0f / sqrtf((float)(m->n_embd / m->layers[0].n_head)) : 1.0f / sqrtf((float)D);
    for (int il = 0; il < m->n_layer; il++) {
        lm_layer *L = &m->layers[il];
        L->head_dim = (int32_t)D;  L->n_rot = (int32_t)n_rot;  L->kv_src = il;
        L->rope_base = L->swa ? base_swa : base;
        L->rope_scale = !L->swa && factor > 0.0f ? 1.0f / factor : 1.0f;
        L->q_scale = q_scale;  L->kq_scale = 1.0f;
    }
    return ld_check_layers(m);
}

static lm_status gemma3_weights(lm_model *m) {
    lm_status s = ld_embeddings(m);
    if (s) return s;
    int64_t E = m->n_embd;
    for (int il = 0; il < m->n_layer; il++) {
        lm_layer *L = &m->layers[il];
        int64_t D = L->head_dim, qd = L->n_head * D, kvd = L->n_head_kv * D;
        if ((s = ld_tensor(m, &L->attn_norm, "attn_norm.weight", il, 1, E, LM_REQUIRED)) ||
            (s = ld_tensor(m, &L->wq, "attn_q.weight", il, qd, E, LM_REQUIRED)) ||
            (s = ld_tensor(m, &L->wk, "attn_k.weight", il, kvd, E, LM_REQUIRED)) ||
            (s = ld_tensor(m, &L->wv, "attn_v.weight", il, kvd, E, LM_REQUIRED)) ||
            (s = ld_tensor(m, &L->wo, "attn_output.weight", il, E, qd, LM_REQUIRED)) ||
            (s = ld_tensor(m, &L->q_norm, "attn_q_norm.weight", il, 1, D, LM_REQUIRED)) ||
            (s = ld_tensor(m, &L->k_norm, "attn_k_norm.weight", il, 1, D, LM_REQUIRED)) ||
            (s = ld_tensor(m, &L->attn_post_norm, "post_attention_norm.weight", il, 1, E, LM_REQUIRED)) ||
            (s = ld_tensor(m, &L->ffn_norm, "ffn_norm.weight", il, 1, E, LM_REQUIRED)) ||
            (s = ld_tensor(m, &L->ffn_gate, "ffn_gate.weight", il, L->n_ff, E, LM_REQUIRED)) ||
            (s = ld_tensor(m, &L->ffn_up, "ffn_up.weight", il, L->n_ff, E, LM_REQUIRED)) ||
            (s = ld_tensor(m, &L->ffn_down, "ffn_down.weight", il, E, L->n_ff, LM_REQUIRED)) ||
            (s = ld_tensor(m, &L->ffn_post_norm, "post_ffw_norm.weight", il, 1, E, LM_REQUIRED)))
            return s;
    }
    return LM_OK;
}

static void gemma3_forward(lm_ctx *c, const lm_token *tokens, int32_t n, int32_t pos0) {
    const lm_model *m = c->m;
    int32_t E = m->n_embd;
    blk_embed(c, tokens, n, m->embd_scale);
    for (int il = 0; il < m->n_layer; il++) {
        const lm_layer *L = &m->layers[il];
        blk_norm(c, c->xn, c->x, &L->attn_norm, n, E);
        blk_attention(c, il, n, pos0);
        blk_norm(c, c->tmp, c->tmp, &L->attn_post_norm, n, E);
        blk_add(c->x, c->tmp, (int64_t)n * E);
        blk_norm(c, c->xn, c->x, &L->ffn_norm, n, E);
        blk_ffn(c, L, n);
        blk_norm(c, c->tmp, c->tmp, &L->ffn_post_norm, n, E);
        blk_add(c->x, c->tmp, (int64_t)n * E);
    }
    blk_norm(c, c->xn, c->x, &m->output_norm, n, E);
}

const lm_arch lm_arch_gemma3 = { "gemma3", gemma3_hparams, gemma3_weights, gemma3_forward };
