// forward.c — activation buffers and the forward pass of a batch, keeping what the backward pass
// needs (train.h, tr_layer_acts). Matmul inputs and outputs go through the mobile scheme's
// activation fake-quant when QAT is on (quant.c); otherwise those calls do nothing.
#include "train.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static float *take(tr_acts *a, int64_t n) {
    if (n <= 0 || a->n_bufs == (int)(sizeof a->bufs / sizeof a->bufs[0])) return NULL;
    float *p = calloc((size_t)n, sizeof(float));
    if (p) a->bufs[a->n_bufs++] = p;
    return p;
}

void tr_acts_free(tr_acts *a) {
    for (int i = 0; i < a->n_bufs; i++) free(a->bufs[i]);
    memset(a, 0, sizeof *a);
}

static bool layer_bufs(tr_acts *a, const tr_config *c, int il) {
    tr_layer_acts *L = &a->L[il];
    int64_t N = a->N, E = c->n_embd, D = tr_head_dim(c, il), qd = c->n_head * D, kvd = c->n_head_kv * D, F = c->ff[il];
    bool ok = (L->h_in = take(a, N * E)) && (L->a = take(a, N * E)) && (L->q_raw = take(a, N * qd)) &&
              (L->q = take(a, N * qd)) && (L->prob = take(a, (int64_t)a->B * c->n_head * a->T * a->T)) &&
              (L->att = take(a, N * qd)) && (L->o = take(a, N * E)) && (L->h1 = take(a, N * E)) &&
              (L->f = take(a, N * E)) && (L->g = take(a, N * F)) && (L->u = take(a, N * F)) && (L->z = take(a, N * F)) &&
              (L->d = take(a, N * E)) && (L->h2 = take(a, N * E));
    if (ok && il < c->n_layer_kv)
        ok = (L->k_raw = take(a, N * kvd)) && (L->k = take(a, N * kvd)) && (L->v_raw = take(a, N * kvd)) &&
             (L->v = take(a, N * kvd)) && (a->dk[il] = take(a, N * kvd)) && (a->dv[il] = take(a, N * kvd));
    return ok;
}

bool tr_acts_new(tr_acts *a, const tr_model *m, int B, int n_threads) {
    const tr_config *c = &m->c;
    memset(a, 0, sizeof *a);
    a->B = B;  a->T = c->n_ctx;  a->N = B * c->n_ctx;  a->n_threads = n_threads;
    int64_t N = a->N, E = c->n_embd, qd = (int64_t)c->n_head * c->head_dim_full, Fmax = 0, big = 0;
    if (c->head_dim > c->head_dim_full) qd = (int64_t)c->n_head * c->head_dim;
    for (int il = 0; il < c->n_layer; il++) Fmax = c->ff[il] > Fmax ? c->ff[il] : Fmax;
    for (int i = 0; i < m->n_t; i++) big = (int64_t)m->t[i].rows * m->t[i].cols > big ? (int64_t)m->t[i].rows * m->t[i].cols : big;
    bool ok = true;
    for (int il = 0; ok && il < c->n_layer; il++) ok = layer_bufs(a, c, il);
    ok = ok && (a->h_out = take(a, N * E)) && (a->hf = take(a, N * E)) && (a->logits = take(a, N * c->n_vocab)) &&
         (a->cs_swa = take(a, (int64_t)a->T * c->head_dim)) && (a->cs_full = take(a, (int64_t)a->T * c->head_dim_full)) &&
         (a->dh = take(a, N * E)) && (a->dx = take(a, N * E)) && (a->dq = take(a, N * qd)) && (a->datt = take(a, N * qd)) &&
         (a->dtmp = take(a, N * (E > qd ? E : qd))) && (a->dg = take(a, N * Fmax)) && (a->du = take(a, N * Fmax)) &&
         (a->dz = take(a, N * Fmax)) && (a->scratch = take(a, big)) && (a->attn_tmp = take(a, (int64_t)n_threads * a->T));
    if (!ok) { tr_acts_free(a); return false; }
    tr_rope_angles(a->cs_swa, a->T, c->head_dim, c->rope_base_swa, false);
    tr_rope_angles(a->cs_full, a->T, c->head_dim_full, c->rope_base, true);
    return true;
}

#define W(ti) ((const float *)weff + m->t[ti].off)

// y = x W^T for the layer tensor ti: [N][rows] from [N][cols].
static void linear(lm_pool *p, const tr_model *m, const float *weff, tr_acts *a, int ti, const float *x, float *y) {
    tr_matmul_xwt(p, y, x, W(ti), a->scratch, a->N, m->t[ti].cols, m->t[ti].rows);
}

static void attention_block(lm_pool *p, const tr_model *m, const float *weff, tr_quant *q, tr_acts *a, int il) {
    const tr_config *c = &m->c;
    tr_layer_acts *L = &a->L[il];
    const int *t = m->layer[il];
    int64_t N = a->N;
    int D = tr_head_dim(c, il), H = c->n_head, Hkv = c->n_head_kv;
    const float *cs = c->swa[il] ? a->cs_swa : a->cs_full;
    float *s = q->act[il];
    tr_rmsnorm(p, L->a, L->h_in, W(t[TL_ATTN_NORM]), N, c->n_embd, c->eps);
    tr_fq_act(p, q, &s[TA_ATTN_IN], L->a, N * c->n_embd);
    linear(p, m, weff, a, t[TL_Q], L->a, L->q_raw);
    tr_fq_act(p, q, &s[TA_Q_OUT], L->q_raw, N * H * D);
    tr_rmsnorm(p, L->q, L->q_raw, W(t[TL_Q_NORM]), N * H, D, c->eps);
    tr_rope(p, L->q, N, H, D, D, a->T, cs, false);
    if (il < c->n_layer_kv) {
        linear(p, m, weff, a, t[TL_K], L->a, L->k_raw);
        tr_fq_act(p, q, &s[TA_K_OUT], L->k_raw, N * Hkv * D);
        tr_rmsnorm(p, L->k, L->k_raw, W(t[TL_K_NORM]), N * Hkv, D, c->eps);
        tr_rope(p, L->k, N, Hkv, D, D, a->T, cs, false);
        linear(p, m, weff, a, t[TL_V], L->a, L->v_raw);
        tr_fq_act(p, q, &s[TA_V_OUT], L->v_raw, N * Hkv * D);
        tr_rmsnorm(p, L->v, L->v_raw, NULL, N * Hkv, D, c->eps);
    }
    const tr_layer_acts *S = &a->L[tr_layer_src(c, il)];
    tr_attention(p, c, il, a->B, L->q, S->k, S->v, L->prob, L->att);
    tr_fq_act(p, q, &s[TA_O_IN], L->att, N * H * D);
    linear(p, m, weff, a, t[TL_O], L->att, L->o);
    tr_fq_act(p, q, &s[TA_O_OUT], L->o, N * c->n_embd);
    tr_rmsnorm(p, L->h1, L->o, W(t[TL_ATTN_POST]), N, c->n_embd, c->eps);
    for (int64_t i = 0; i < N * c->n_embd; i++) L->h1[i] += L->h_in[i];
}

// Writes the layer's output (the next layer's input) to out.
static void ffn_block(lm_pool *p, const tr_model *m, const float *weff, tr_quant *q, tr_acts *a, int il, float *out) {
    const tr_config *c = &m->c;
    tr_layer_acts *L = &a->L[il];
    const int *t = m->layer[il];
    int64_t N = a->N, E = c->n_embd, F = c->ff[il];
    float *s = q->act[il];
    tr_rmsnorm(p, L->f, L->h1, W(t[TL_FFN_NORM]), N, (int)E, c->eps);
    tr_fq_act(p, q, &s[TA_FFN_IN], L->f, N * E);
    linear(p, m, weff, a, t[TL_GATE], L->f, L->g);
    tr_fq_act(p, q, &s[TA_GATE_OUT], L->g, N * F);
    linear(p, m, weff, a, t[TL_UP], L->f, L->u);
    tr_fq_act(p, q, &s[TA_UP_OUT], L->u, N * F);
    tr_geglu(p, L->z, L->g, L->u, N * F);
    tr_fq_act(p, q, &s[TA_DOWN_IN], L->z, N * F);
    linear(p, m, weff, a, t[TL_DOWN], L->z, L->d);
    tr_fq_act(p, q, &s[TA_DOWN_OUT], L->d, N * E);
    tr_rmsnorm(p, L->h2, L->d, W(t[TL_FFN_POST]), N, (int)E, c->eps);
    float scale = *W(t[TL_OUT_SCALE]);
    for (int64_t i = 0; i < N * E; i++) {
        L->h2[i] += L->h1[i];
        out[i] = L->h2[i] * scale;
    }
}

double tr_forward(lm_pool *p, const tr_model *m, const float *weff, tr_quant *q, tr_acts *a,
                  const int32_t *tokens, const int32_t *targets, bool need_grad) {
    const tr_config *c = &m->c;
    int64_t E = c->n_embd;
    float scale = sqrtf((float)E);
    for (int64_t n = 0; n < a->N; n++)
        for (int64_t i = 0; i < E; i++) a->L[0].h_in[n * E + i] = W(m->tok_embd)[(int64_t)tokens[n] * E + i] * scale;
    for (int il = 0; il < c->n_layer; il++) {
        attention_block(p, m, weff, q, a, il);
        ffn_block(p, m, weff, q, a, il, il + 1 < c->n_layer ? a->L[il + 1].h_in : a->h_out);
    }
    tr_rmsnorm(p, a->hf, a->h_out, W(m->out_norm), a->N, (int)E, c->eps);
    tr_fq_act(p, q, &q->head_in, a->hf, a->N * E);
    linear(p, m, weff, a, m->tok_embd, a->hf, a->logits);
    return tr_softcap_xent(p, a->logits, targets, a->N, c->n_vocab, c->softcap, need_grad);
}
