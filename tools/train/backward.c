// backward.c — gradients of the mean loss of the last tr_forward, layer by layer in reverse.
// Matmul input gradients use the weights the forward pass used (weff: fake-quantized under QAT);
// their gradients land on the latent weights unchanged (straight-through). KV-sharing layers run
// first and add their K/V gradients into the source layer's buffers before it consumes them.
#include "train.h"
#include <math.h>
#include <string.h>

#define W(ti) ((const float *)weff + m->t[ti].off)
#define G(ti) (grad + m->t[ti].off)

typedef struct {
    lm_pool *p;
    const tr_model *m;
    const float *weff;
    const tr_quant *q;
    tr_acts *a;
    float *grad;
} bctx;

// For y = x W^T (tensor ti, x [N][cols]): dx (+)= dy W and dW += dy^T x.
static void linear_back(const bctx *b, int ti, const float *dy, const float *x, float *dx, bool acc) {
    const tr_model *m = b->m;
    const float *weff = b->weff;
    float *grad = b->grad;
    int N = b->a->N, rows = m->t[ti].rows, cols = m->t[ti].cols;
    tr_gemm_nn(b->p, dx, dy, W(ti), N, rows, cols, acc);
    tr_gemm_tn(b->p, G(ti), dy, x, N, rows, cols);
}

// dh: gradient at the layer output on entry, at the layer input on return.
static void ffn_back(const bctx *b, int il) {
    const tr_model *m = b->m;
    const tr_config *c = &m->c;
    const float *weff = b->weff;
    float *grad = b->grad;
    tr_acts *a = b->a;
    const tr_layer_acts *L = &a->L[il];
    const int *t = m->layer[il];
    const float *s = b->q->act[il];
    int64_t N = a->N, E = c->n_embd, F = c->ff[il];
    float scale = *W(t[TL_OUT_SCALE]);
    double ds = 0.0;
    for (int64_t i = 0; i < N * E; i++) { ds += (double)a->dh[i] * L->h2[i]; a->dh[i] *= scale; }
    *G(t[TL_OUT_SCALE]) += (float)ds;
    tr_rmsnorm_back(b->p, a->dtmp, G(t[TL_FFN_POST]), a->dh, L->d, W(t[TL_FFN_POST]), N, (int)E, c->eps, false);
    tr_fq_act_back(b->p, s[TA_DOWN_OUT], a->dtmp, L->d, N * E);
    linear_back(b, t[TL_DOWN], a->dtmp, L->z, a->dz, false);
    tr_fq_act_back(b->p, s[TA_DOWN_IN], a->dz, L->z, N * F);
    tr_geglu_back(b->p, a->dg, a->du, a->dz, L->g, L->u, N * F);
    tr_fq_act_back(b->p, s[TA_GATE_OUT], a->dg, L->g, N * F);
    tr_fq_act_back(b->p, s[TA_UP_OUT], a->du, L->u, N * F);
    linear_back(b, t[TL_GATE], a->dg, L->f, a->dx, false);
    linear_back(b, t[TL_UP], a->du, L->f, a->dx, true);
    tr_fq_act_back(b->p, s[TA_FFN_IN], a->dx, L->f, N * E);
    tr_rmsnorm_back(b->p, a->dh, G(t[TL_FFN_NORM]), a->dx, L->h1, W(t[TL_FFN_NORM]), N, (int)E, c->eps, true);
}

// K/V of a layer that owns them: dk/dv hold the gradients at the cached (normed, rotated) values.
static void kv_back(const bctx *b, int il, const float *cs) {
    const tr_model *m = b->m;
    const tr_config *c = &m->c;
    const float *weff = b->weff;
    float *grad = b->grad;
    tr_acts *a = b->a;
    const tr_layer_acts *L = &a->L[il];
    const int *t = m->layer[il];
    const float *s = b->q->act[il];
    int64_t N = a->N;
    int D = tr_head_dim(c, il), Hkv = c->n_head_kv;
    tr_rmsnorm_back(b->p, a->dtmp, NULL, a->dv[il], L->v_raw, NULL, N * Hkv, D, c->eps, false);
    tr_fq_act_back(b->p, s[TA_V_OUT], a->dtmp, L->v_raw, N * Hkv * D);
    linear_back(b, t[TL_V], a->dtmp, L->a, a->dx, false);
    tr_rope(b->p, a->dk[il], N, Hkv, D, D, a->T, cs, true);
    tr_rmsnorm_back(b->p, a->dtmp, G(t[TL_K_NORM]), a->dk[il], L->k_raw, W(t[TL_K_NORM]), N * Hkv, D, c->eps, false);
    tr_fq_act_back(b->p, s[TA_K_OUT], a->dtmp, L->k_raw, N * Hkv * D);
    linear_back(b, t[TL_K], a->dtmp, L->a, a->dx, true);
}

static void attention_back(const bctx *b, int il) {
    const tr_model *m = b->m;
    const tr_config *c = &m->c;
    const float *weff = b->weff;
    float *grad = b->grad;
    tr_acts *a = b->a;
    const tr_layer_acts *L = &a->L[il];
    const int *t = m->layer[il];
    const float *s = b->q->act[il];
    int64_t N = a->N, E = c->n_embd;
    int D = tr_head_dim(c, il), H = c->n_head, src = tr_layer_src(c, il);
    const float *cs = c->swa[il] ? a->cs_swa : a->cs_full;
    tr_rmsnorm_back(b->p, a->dtmp, G(t[TL_ATTN_POST]), a->dh, L->o, W(t[TL_ATTN_POST]), N, (int)E, c->eps, false);
    tr_fq_act_back(b->p, s[TA_O_OUT], a->dtmp, L->o, N * E);
    linear_back(b, t[TL_O], a->dtmp, L->att, a->datt, false);
    tr_fq_act_back(b->p, s[TA_O_IN], a->datt, L->att, N * H * D);
    tr_attention_back(b->p, c, il, a->B, L->q, a->L[src].k, a->L[src].v, L->prob, a->datt, a->dq, a->dk[src], a->dv[src], a->attn_tmp);
    bool own = src == il;
    if (own) kv_back(b, il, cs);
    tr_rope(b->p, a->dq, N, H, D, D, a->T, cs, true);
    tr_rmsnorm_back(b->p, a->dtmp, G(t[TL_Q_NORM]), a->dq, L->q_raw, W(t[TL_Q_NORM]), N * H, D, c->eps, false);
    tr_fq_act_back(b->p, s[TA_Q_OUT], a->dtmp, L->q_raw, N * H * D);
    linear_back(b, t[TL_Q], a->dtmp, L->a, a->dx, own);
    tr_fq_act_back(b->p, s[TA_ATTN_IN], a->dx, L->a, N * E);
    tr_rmsnorm_back(b->p, a->dh, G(t[TL_ATTN_NORM]), a->dx, L->h_in, W(t[TL_ATTN_NORM]), N, (int)E, c->eps, true);
}

void tr_backward(lm_pool *p, const tr_model *m, const float *weff, const tr_quant *q, tr_acts *a,
                 const int32_t *tokens, float *grad) {
    const tr_config *c = &m->c;
    bctx b = { p, m, weff, q, a, grad };
    int64_t N = a->N, E = c->n_embd;
    memset(grad, 0, (size_t)m->n_params * sizeof *grad);
    for (int il = 0; il < c->n_layer_kv; il++) {
        memset(a->dk[il], 0, (size_t)N * c->n_head_kv * tr_head_dim(c, il) * sizeof(float));
        memset(a->dv[il], 0, (size_t)N * c->n_head_kv * tr_head_dim(c, il) * sizeof(float));
    }
    // logits = hf E^T, tied with the embedding
    linear_back(&b, m->tok_embd, a->logits, a->hf, a->dx, false);
    tr_fq_act_back(p, q->head_in, a->dx, a->hf, N * E);
    tr_rmsnorm_back(p, a->dh, G(m->out_norm), a->dx, a->h_out, W(m->out_norm), N, (int)E, c->eps, false);
    for (int il = c->n_layer - 1; il >= 0; il--) {
        ffn_back(&b, il);
        attention_back(&b, il);
    }
    float scale = sqrtf((float)E);
    float *ge = G(m->tok_embd);
    for (int64_t n = 0; n < N; n++)
        for (int64_t i = 0; i < E; i++) ge[(int64_t)tokens[n] * E + i] += a->dh[n * E + i] * scale;
}
