// gemma4.c — Gemma 4 dense (E2B/E4B): per-layer embeddings (PLE), shared-KV layers, SWA vs full
// head sizes, proportional RoPE via rope_freqs, V-norm without weight, attention scale 1.0,
// layer_output_scale, V = K when attn_v is absent, final softcap (default 30). MoE is refused.
// Reference: specs/gemma4-arch.md §3 and §9.
#include "arch.h"
#include <math.h>
#include <stdio.h>

static lm_status gemma4_head_dims(lm_model *m, uint32_t *d_full, uint32_t *d_swa) {
    uint32_t v_full, v_swa;
    lm_status s;
    if ((s = ld_u32(m, "%s.attention.key_length", d_full, LM_OPTIONAL, (uint32_t)(m->n_embd / m->layers[0].n_head))) ||
        (s = ld_u32(m, "%s.attention.value_length", &v_full, LM_OPTIONAL, *d_full)) ||
        (s = ld_u32(m, "%s.attention.key_length_swa", d_swa, LM_REQUIRED, 0)) ||
        (s = ld_u32(m, "%s.attention.value_length_swa", &v_swa, LM_OPTIONAL, *d_swa)))
        return s;
    if (v_full != *d_full || v_swa != *d_swa)
        return lm_fail(LM_UNSUPPORTED, "gemma4: value head size differs from key head size (%u/%u, %u/%u)", v_full, *d_full, v_swa, *d_swa);
    if (*d_full == 0 || *d_full > 4096 || *d_swa == 0 || *d_swa > 4096)
        return lm_fail(LM_CORRUPT, "gemma4: head sizes %u/%u are out of range", *d_full, *d_swa);
    return LM_OK;
}

// Layers [0, kv_end) own a KV cache; later ones read layer kv_end-2 (SWA) or kv_end-1 (full).
static lm_status gemma4_kv_sharing(lm_model *m) {
    uint32_t shared;
    lm_status s = ld_u32(m, "%s.attention.shared_kv_layers", &shared, LM_OPTIONAL, 0);
    if (s) return s;
    int32_t kv_end = m->n_layer - (int32_t)shared;
    if (shared > (uint32_t)m->n_layer || (shared && kv_end < 2))
        return lm_fail(LM_CORRUPT, "gemma4.attention.shared_kv_layers = %u with %d layers", shared, m->n_layer);
    for (int il = 0; il < m->n_layer; il++) {
        lm_layer *L = &m->layers[il];
        L->kv_src = il < kv_end ? il : kv_end - (L->swa ? 2 : 1);
        if (m->layers[L->kv_src].swa != L->swa || m->layers[L->kv_src].head_dim != L->head_dim ||
            m->layers[L->kv_src].n_head_kv != L->n_head_kv)
            return lm_fail(LM_CORRUPT, "gemma4: shared-KV layer %d cannot read layer %d (different attention type)", il, L->kv_src);
    }
    return LM_OK;
}

static lm_status gemma4_hparams(lm_model *m) {
    lm_status s = ld_common_hparams(m);
    uint32_t n_swa, P, d_full, d_swa, rot_full, rot_swa, n_expert;
    float base, base_swa;
    if (s || (s = ld_per_layer_bool(m, "%s.attention.sliding_window_pattern", offsetof(lm_layer, swa), LM_REQUIRED)) ||
        (s = ld_u32(m, "%s.expert_count", &n_expert, LM_OPTIONAL, 0)) ||
        (s = ld_u32(m, "%s.attention.sliding_window", &n_swa, LM_REQUIRED, 0)) ||
        (s = ld_u32(m, "%s.embedding_length_per_layer_input", &P, LM_REQUIRED, 0)) ||
        (s = gemma4_head_dims(m, &d_full, &d_swa)) ||
        (s = ld_u32(m, "%s.rope.dimension_count", &rot_full, LM_OPTIONAL, d_full)) ||
        (s = ld_u32(m, "%s.rope.dimension_count_swa", &rot_swa, LM_OPTIONAL, rot_full)) ||
        (s = ld_f32(m, "%s.rope.freq_base", &base, LM_OPTIONAL, 10000.0f)) ||
        (s = ld_f32(m, "%s.rope.freq_base_swa", &base_swa, LM_OPTIONAL, 10000.0f)) ||
        (s = ld_f32(m, "%s.final_logit_softcapping", &m->final_softcap, LM_OPTIONAL, 30.0f)))
        return s;
    if (n_expert > 0) return lm_fail(LM_UNSUPPORTED, "gemma4: mixture-of-experts layers (%u experts) are not supported", n_expert);
    // n_swa is used as int32 (p - n_swa + 1, ring sizes); 2^24 is the context_length bound
    if (n_swa == 0 || n_swa > (1u << 24) || P > 4096)
        return lm_fail(LM_CORRUPT, "gemma4: sliding window %u / per-layer input size %u", n_swa, P);
    m->n_swa = (int32_t)n_swa;  m->n_embd_ple = (int32_t)P;
    m->rope_type = LM_ROPE_NEOX;  m->act = LM_ACT_GELU;  m->embd_scale = sqrtf((float)m->n_embd);
    for (int il = 0; il < m->n_layer; il++) {
        lm_layer *L = &m->layers[il];
        L->head_dim = (int32_t)(L->swa ? d_swa : d_full);
        L->n_rot = (int32_t)(L->swa ? rot_swa : rot_full);
        L->rope_base = L->swa ? base_swa : base;
        L->rope_scale = 1.0f;  L->q_scale = 1.0f;  L->kq_scale = 1.0f;  L->v_norm = true;
    }
    if ((s = ld_check_layers(m))) return s;
    return gemma4_kv_sharing(m);
}

static lm_status gemma4_layer_weights(lm_model *m, int il) {
    lm_layer *L = &m->layers[il];
    int64_t E = m->n_embd, D = L->head_dim, qd = L->n_head * D, kvd = L->n_head_kv * D, P = m->n_embd_ple;
    lm_presence kv = L->kv_src == il ? LM_REQUIRED : LM_OPTIONAL, ple = P ? LM_REQUIRED : LM_OPTIONAL;
    char router[64];
    snprintf(router, sizeof router, "blk.%d.ffn_gate_inp.weight", il);
    if (gguf_find_tensor(&m->g, router))
        return lm_fail(LM_UNSUPPORTED, "gemma4: layer %d has a mixture-of-experts router; MoE is not supported", il);
    lm_status s;
    if ((s = ld_tensor(m, &L->attn_norm, "attn_norm.weight", il, 1, E, LM_REQUIRED)) ||
        (s = ld_tensor(m, &L->wq, "attn_q.weight", il, qd, E, LM_REQUIRED)) ||
        (s = ld_tensor(m, &L->wk, "attn_k.weight", il, kvd, E, kv)) ||
        (s = ld_tensor(m, &L->wv, "attn_v.weight", il, kvd, E, LM_OPTIONAL)) ||
        (s = ld_tensor(m, &L->wo, "attn_output.weight", il, E, qd, LM_REQUIRED)) ||
        (s = ld_tensor(m, &L->q_norm, "attn_q_norm.weight", il, 1, D, LM_REQUIRED)) ||
        (s = ld_tensor(m, &L->k_norm, "attn_k_norm.weight", il, 1, D, kv)) ||
        (s = ld_tensor(m, &L->attn_post_norm, "post_attention_norm.weight", il, 1, E, LM_REQUIRED)) ||
        (s = ld_tensor(m, &L->out_scale, "layer_output_scale.weight", il, 1, 1, LM_OPTIONAL)) ||
        (s = ld_tensor(m, &L->ffn_norm, "ffn_norm.weight", il, 1, E, LM_REQUIRED)) ||
        (s = ld_tensor(m, &L->ffn_gate, "ffn_gate.weight", il, L->n_ff, E, LM_REQUIRED)) ||
        (s = ld_tensor(m, &L->ffn_up, "ffn_up.weight", il, L->n_ff, E, LM_REQUIRED)) ||
        (s = ld_tensor(m, &L->ffn_down, "ffn_down.weight", il, E, L->n_ff, LM_REQUIRED)) ||
        (s = ld_tensor(m, &L->ffn_post_norm, "post_ffw_norm.weight", il, 1, E, LM_REQUIRED)) ||
        (s = ld_tensor(m, &L->inp_gate, "inp_gate.weight", il, P, E, ple)) ||
        (s = ld_tensor(m, &L->proj, "proj.weight", il, E, P, ple)) ||
        (s = ld_tensor(m, &L->post_norm, "post_norm.weight", il, 1, E, ple)))
        return s;
    if (L->kv_src == il && !L->wk.data) return lm_fail(LM_MISSING_TENSOR, "tensor 'blk.%d.attn_k.weight' is missing", il);
    if (L->swa) return LM_OK;
    // full layers: proportional RoPE factors (one tensor, shared by all full layers)
    if ((s = ld_tensor(m, &L->rope_freqs, "rope_freqs.weight", -1, 1, L->n_rot / 2, LM_OPTIONAL))) return s;
    return LM_OK;
}

static lm_status gemma4_weights(lm_model *m) {
    lm_status s = ld_embeddings(m);
    if (s) return s;
    int64_t E = m->n_embd, LP = (int64_t)m->n_layer * m->n_embd_ple;
    if (m->n_embd_ple &&
        ((s = ld_table(m, &m->ple_tok_embd, "per_layer_token_embd.weight", m->n_vocab, LP, LM_REQUIRED)) ||
         (s = ld_tensor(m, &m->ple_proj, "per_layer_model_proj.weight", -1, LP, E, LM_REQUIRED)) ||
         (s = ld_tensor(m, &m->ple_proj_norm, "per_layer_proj_norm.weight", -1, 1, m->n_embd_ple, LM_REQUIRED))))
        return s;
    m->ple_external = m->n_embd_ple && !m->ple_tok_embd.data;   // left out of the pieces (lm_model_load_pieces)
    if (m->ple_tok_embd.scale_groups > 1 && m->ple_tok_embd.scale_groups != m->n_layer)   // GGUF-M: one per (token, layer)
        return lm_fail(LM_BAD_SHAPE, "tensor 'per_layer_token_embd.scale': %d scales per row, expected 1 or %d (one per layer)",
                       m->ple_tok_embd.scale_groups, m->n_layer);
    for (int il = 0; il < m->n_layer; il++)
        if ((s = gemma4_layer_weights(m, il))) return s;
    return LM_OK;
}

// Row `tok` of the per-layer token embeddings as floats [n_layer*P]. An external table's row t of
// this decode call was copied to c->ext_rows by the caller (lm_ctx_ext_rows); its per-channel
// scales, if any, stay in the model.
static void ple_token_row(const lm_ctx *c, int32_t t, lm_token tok, float *dst) {
    const lm_tensor *tab = &c->m->ple_tok_embd;
    if (!c->m->ple_external) { lm_tensor_row(tab, tok, dst); return; }
    lm_tensor row = *tab;
    row.data = c->ext_rows + (int64_t)t * tab->row_bytes;
    row.rows = 1;
    if (tab->scale) row.scale = tab->scale + (int64_t)tok * (tab->scale_groups > 0 ? tab->scale_groups : 1);
    lm_tensor_row(&row, 0, dst);
}

// c->ple[t][il*P + j] = (rmsnorm(proj(x0)/sqrt(E))[il] * proj_norm + tok_ple[il]*sqrt(P)) / sqrt(2)
static void gemma4_ple_inputs(lm_ctx *c, const lm_token *tokens, int32_t n) {
    const lm_model *m = c->m;
    int32_t P = m->n_embd_ple, LP = m->n_layer * P;
    blk_matmul(c, &m->ple_proj, c->x, n, c->ple);
    float proj_scale = 1.0f / sqrtf((float)m->n_embd), tok_scale = sqrtf((float)P), mix = 1.0f / sqrtf(2.0f);
    for (int32_t t = 0; t < n; t++) {
        float *row = c->ple + (int64_t)t * LP, *tok = c->ff_b;
        for (int32_t i = 0; i < LP; i++) row[i] *= proj_scale;
        blk_norm(c, row, row, &m->ple_proj_norm, m->n_layer, P);
        ple_token_row(c, t, tokens[t], tok);   // GGUF-M: one scale per (token, layer)
        for (int32_t i = 0; i < LP; i++) row[i] = (row[i] + tok[i] * tok_scale) * mix;
    }
}

// h += rmsnorm(proj(gelu(inp_gate(h)) * ple[il])) * post_norm
static void gemma4_ple_block(lm_ctx *c, const lm_layer *L, int il, int32_t n) {
    const lm_model *m = c->m;
    int32_t P = m->n_embd_ple, LP = m->n_layer * P;
    blk_matmul(c, &L->inp_gate, c->x, n, c->ff_a);
    c->k->gelu(c->ff_a, c->ff_a, n * P);
    for (int32_t t = 0; t < n; t++)
        for (int32_t j = 0; j < P; j++) c->ff_a[t * P + j] *= c->ple[(int64_t)t * LP + il * P + j];
    blk_matmul(c, &L->proj, c->ff_a, n, c->tmp);
    blk_norm(c, c->tmp, c->tmp, &L->post_norm, n, m->n_embd);
    blk_add(c->x, c->tmp, (int64_t)n * m->n_embd);
}

static void gemma4_forward(lm_ctx *c, const lm_token *tokens, int32_t n, int32_t pos0) {
    const lm_model *m = c->m;
    int32_t E = m->n_embd;
    int64_t nE = (int64_t)n * E;
    blk_embed(c, tokens, n, m->embd_scale);
    if (m->n_embd_ple) gemma4_ple_inputs(c, tokens, n);
    for (int il = 0; il < m->n_layer; il++) {
        const lm_layer *L = &m->layers[il];
        blk_norm(c, c->xn, c->x, &L->attn_norm, n, E);
        blk_attention(c, il, n, pos0);
        blk_norm(c, c->tmp, c->tmp, &L->attn_post_norm, n, E);
        blk_add(c->x, c->tmp, nE);
        blk_norm(c, c->xn, c->x, &L->ffn_norm, n, E);
        blk_ffn(c, L, n);
        blk_norm(c, c->tmp, c->tmp, &L->ffn_post_norm, n, E);
        blk_add(c->x, c->tmp, nE);
        if (m->n_embd_ple) gemma4_ple_block(c, L, il, n);
        if (L->out_scale.data) {
            float s = *(const float *)L->out_scale.data;
            for (int64_t i = 0; i < nE; i++) c->x[i] *= s;
        }
    }
    blk_norm(c, c->xn, c->x, &m->output_norm, n, E);
}

const lm_arch lm_arch_gemma4 = { "gemma4", gemma4_hparams, gemma4_weights, gemma4_forward };
