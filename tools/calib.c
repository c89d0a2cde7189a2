// calib.c — static activation scales for GGUF-M by running the input model (mq.h): every matmul's
// input and output magnitudes go into log-spaced histograms; scale = percentile(|x|) / 127.
// Also the job plumbing shared by quantize.c and fallback.c (open, write, lookups).
#include "mq.h"
#include "safetensors.h"
#include "../src/model.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---- job plumbing ----

const void *mq_data(const mq_job *j, const mq_tensor *t) { return gguf_tensor_data(&j->g, t->ti); }

mq_tensor *mq_find(mq_job *j, const char *name) {
    for (int64_t i = 0; i < j->n; i++) if (!strcmp(j->t[i].name, name)) return &j->t[i];
    return NULL;
}

lm_status mq_open(mq_job *j, const char *path) {
    memset(j, 0, sizeof *j);
    if (!(j->map = st_map_file(path, &j->len))) return LM_IO;
    lm_status s = gguf_parse(j->map, j->len, &j->g, NULL);
    if (!s) s = lm_model_load(j->map, j->len, &j->model);
    if (s) return s;
    if (!(j->t = calloc((size_t)j->g.n_tensors + 1, sizeof *j->t))) return lm_fail(LM_NOMEM, "tensor plan");
    j->n = (int64_t)j->g.n_tensors;
    for (int64_t i = 0; i < j->n; i++) {
        mq_tensor *t = &j->t[i];
        t->ti = &j->g.tensors[i];
        snprintf(t->name, sizeof t->name, "%.*s", (int)t->ti->name.len, t->ti->name.ptr);
        size_t bl = strlen(t->name) > 7 && !strcmp(t->name + strlen(t->name) - 7, ".weight") ? strlen(t->name) - 7 : strlen(t->name);
        snprintf(t->base, sizeof t->base, "%.*s", (int)bl, t->name);
        t->src = (lm_tensor){ .data = mq_data(j, t), .type = (lm_type)t->ti->type, .cols = t->ti->ne[0],
                              .rows = t->ti->ne[1] * t->ti->ne[2] * t->ti->ne[3] };
        t->src.row_bytes = lm_row_bytes((int)t->ti->type, t->src.cols);
        t->type = t->src.type;
        t->copy = true;
        if (t->ti->n_dims >= 2 && (t->src.row_bytes < 0 || !lm_type_traits_of(t->src.type)))
            return lm_fail(LM_UNSUPPORTED_TYPE, "'%s': type %s cannot be read", t->name, lm_type_name(t->src.type));
    }
    for (int64_t i = 0; i < j->n; i++) {      // a GGUF-M input: attach row scales (the model load checked them)
        mq_tensor *t = &j->t[i], *sc;
        char n[160];
        snprintf(n, sizeof n, "%s.scale", t->base);
        if (t->ti->n_dims < 2 || !lm_type_traits_of(t->src.type)->per_channel || !(sc = mq_find(j, n))) continue;
        t->src.scale = sc->src.data;
        t->src.scale_groups = sc->ti->n_dims == 1 ? 1 : (int32_t)sc->ti->ne[0];
    }
    return LM_OK;
}

void mq_close(mq_job *j) {
    for (int64_t i = 0; j->t && i < j->n; i++) { free(j->t[i].scale); free(j->t[i].row); free(j->t[i].unit); }
    free(j->t);
    gw_free(j->w);
    lm_model_free(j->model);
    gguf_free(&j->g);
    st_unmap_file(j->map, j->len);
    memset(j, 0, sizeof *j);
}

lm_status mq_write(mq_job *j, const char *path) {
    FILE *f = fopen(path, "wb");
    if (!f) return lm_fail(LM_IO, "%s: cannot create", path);
    int rc = gw_write(j->w, f);
    if (fclose(f) || rc) { remove(path); return lm_fail(LM_IO, "%s: write failed", path); }
    return LM_OK;
}

// ---- histograms: bin = 16 * (binary exponent + 64) + 16 linear steps of the mantissa ----

#define HBINS 2048
typedef struct { uint32_t n[HBINS]; uint64_t total; float max; } hist;
typedef struct { mq_job *j; hist *in, *out; } calib;

static int bin_of(float a) {
    if (!(a > 0.0f)) return 0;
    int e;
    float m = frexpf(a, &e);                          // a = m * 2^e, m in [0.5, 1)
    int b = (e + 64) * 16 + (int)((m - 0.5f) * 32.0f);
    return b < 0 ? 0 : b >= HBINS ? HBINS - 1 : b;
}
static float bin_top(int b) { return ldexpf(0.5f + (float)(b % 16 + 1) / 32.0f, b / 16 - 64); }

static void hist_add(hist *h, const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        float a = fabsf(x[i]);
        if (!isfinite(a)) continue;
        h->n[bin_of(a)]++;
        h->total++;
        h->max = fmaxf(h->max, a);
    }
}

// The pct-th percentile of |x| (upper edge of its bin, at most the maximum), as an int8 scale.
static float hist_scale(const hist *h, float pct) {
    if (!h->total) return 0.0f;
    uint64_t want = (uint64_t)ceil((double)pct / 100.0 * (double)h->total), seen = 0;
    for (int b = 0; b < HBINS; b++)
        if ((seen += h->n[b]) >= want) return fminf(bin_top(b), h->max) / 127.0f;
    return h->max / 127.0f;
}

static void observe(void *ud, const lm_tensor *w, const float *x, const float *y, int32_t n_tok) {
    calib *c = ud;
    for (int64_t i = 0; i < c->j->n; i++) {
        if (mq_data(c->j, &c->j->t[i]) != w->data) continue;
        hist_add(&c->in[i], x, (int64_t)n_tok * w->cols);
        hist_add(&c->out[i], y, (int64_t)n_tok * w->rows);
        return;
    }
}

static lm_status read_tokens(const char *path, int32_t n_vocab, lm_token **out, int64_t *n) {
    uint64_t len;
    char *text = st_read_text(path, &len), *p = text, *end;
    if (!text) return LM_IO;
    *out = malloc((len / 2 + 1) * sizeof **out);
    *n = 0;
    lm_status s = *out ? LM_OK : lm_fail(LM_NOMEM, "calibration tokens");
    while (!s && *p) {
        if (strchr(" \t\r\n,", *p)) { p++; continue; }
        long v = strtol(p, &end, 10);
        if (end == p || v < 0 || v >= n_vocab) s = lm_fail(LM_INVALID_ARG, "%s: '%.12s' is not a token id (vocabulary %d)", path, p, n_vocab);
        else { (*out)[(*n)++] = (lm_token)v; p = end; }
    }
    free(text);
    return s;
}

// The calibration text through the model's own tokenizer (BOS as the model wants).
static lm_status text_tokens(const lm_model *m, const char *path, lm_token **out, int64_t *n) {
    uint64_t len;
    char *text = st_read_text(path, &len);
    const lm_vocab *v = lm_model_vocab(m);
    if (!text) return LM_IO;
    lm_status s = LM_OK;
    int32_t k = len < (1u << 30) && v ? lm_tokenize(v, text, (int32_t)len, NULL, 0, true, false) : INT32_MIN;
    if (k == INT32_MIN) s = lm_fail(LM_INVALID_ARG, "%s: cannot tokenize (%s)", path, v ? lm_errmsg() : "the model has no vocabulary");
    else if (k < 0 && !(*out = malloc((size_t)-k * sizeof **out))) s = lm_fail(LM_NOMEM, "calibration tokens");
    else if (k < 0) k = lm_tokenize(v, text, (int32_t)len, *out, -k, true, false);
    *n = k > 0 ? k : 0;
    free(text);
    return s;
}

lm_status mq_calibrate(mq_job *j, const mq_opts *o) {
    lm_model_info in;
    lm_model_get_info(j->model, &in);
    lm_token *toks = NULL;
    int64_t n = 0;
    lm_status s = o->calib_text ? text_tokens(j->model, o->calib_text, &toks, &n)
                                : read_tokens(o->calib_tokens, in.n_vocab, &toks, &n);
    calib c = { j, calloc((size_t)j->n, sizeof(hist)), calloc((size_t)j->n, sizeof(hist)) };
    lm_ctx *ctx = NULL;
    lm_ctx_params p = lm_ctx_default_params();
    p.n_ctx = 256;
    p.logits_all = true;                     // the LM head sees every token, not only the last
    if (!s && (!c.in || !c.out)) s = lm_fail(LM_NOMEM, "calibration histograms");
    if (!s && n == 0) s = lm_fail(LM_INVALID_ARG, "%s: no tokens", o->calib_text ? o->calib_text : o->calib_tokens);
    if (!s) s = lm_ctx_new(j->model, &p, &ctx);
    if (!s) { ctx->observe = observe; ctx->observe_ud = &c; ctx->static_act = false; }
    for (int64_t done = 0; !s && done < n;) {
        if (lm_ctx_n_past(ctx) >= p.n_ctx) lm_ctx_reset(ctx);
        int64_t k = n - done, room = p.n_ctx - lm_ctx_n_past(ctx), b = ctx->n_batch;
        k = k < room ? k : room;
        k = k < b ? k : b;
        s = lm_decode(ctx, toks + done, (int32_t)k);
        done += k;
    }
    for (int64_t i = 0; !s && i < j->n; i++) {
        mq_tensor *t = &j->t[i];
        if (!lm_type_traits_of(t->type)->per_channel || t->table) continue;
        bool head = !strcmp(t->name, "token_embd.weight") || !strcmp(t->name, "output.weight");
        t->in_scale = hist_scale(&c.in[i], o->calib_pct);
        t->out_scale = head || o->no_output_scales ? 0.0f : hist_scale(&c.out[i], o->calib_pct);   // never requantize logits
    }
    j->n_calib = s ? 0 : n;
    j->pct = o->calib_pct;
    lm_ctx_free(ctx);
    free(c.in); free(c.out); free(toks);
    return s;
}
