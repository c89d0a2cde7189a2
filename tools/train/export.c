// export.c — trained weights to a gemma4 GGUF: F32, F16, Q4_0 (vectors stay F32), or GGUF-M
// (docs/FORMAT.md) with the mobile recipe, the row scales the QAT forward pass used, and its
// static activation scales. Metadata: tools/gen.c's gemma4 keys and the vocabulary's tokenizer.*.
#include "train.h"
#include "../gen.h"
#include "../mq.h"
#include "../../src/gguf.h"
#include "../../src/kernels/kernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const float *w;     // [rows][cols] latent weights
    int cols;
    lm_type type;       // per-channel type (GGUF-M), or the stored type
    float *scale;       // per-channel: [rows] (owned)
    float *unit;        // per-channel: [cols] scratch (owned)
} out_tensor;

static void fill_float(void *ctx, int64_t r, float *out) {
    const out_tensor *o = ctx;
    memcpy(out, o->w + r * o->cols, (size_t)o->cols * sizeof *out);
}

// Codes of row r: the row over its scale through the type's unit-scale quantizer (as tools/quantize.c).
static void fill_channel(void *ctx, int64_t r, uint8_t *out) {
    out_tensor *o = ctx;
    for (int i = 0; i < o->cols; i++) o->unit[i] = o->scale[r] != 0.0f ? o->w[r * o->cols + i] / o->scale[r] : 0.0f;
    lm_type_traits_of(o->type)->from_float(o->unit, out, o->cols);
}

static void rope_freqs(void *ctx, int64_t r, float *out) {
    (void)r;
    int n = *(const int *)ctx;
    for (int i = 0; i < n; i++) out[i] = i < n / 4 ? 1.0f : 1e30f;   // proportional RoPE: a quarter of the pairs
}

static lm_type block_type(tr_out type, int cols) {
    lm_type t = type == TR_OUT_F16 ? LM_TYPE_F16 : type == TR_OUT_Q4_0 ? LM_TYPE_Q4_0 : LM_TYPE_F32;
    return lm_row_bytes(t, cols) < 0 ? LM_TYPE_F16 : t;   // rows that are not whole blocks
}

static void keys(gguf_writer *gw, const tr_model *m, const gguf_file *vocab, const char *name, int32_t n_ctx) {
    const tr_config *c = &m->c;
    gen_g4_hparams h = { name, n_ctx > 0 ? n_ctx : c->n_ctx, c->n_embd, c->n_layer, c->n_head, c->n_head_kv, c->head_dim, c->head_dim_full,
                         0, c->n_swa, c->n_layer - c->n_layer_kv, c->ff, c->swa, c->rope_base, c->rope_base_swa };
    gen_g4_keys(gw, &h);
    for (uint64_t i = 0; i < vocab->n_kv; i++)
        if (vocab->kv[i].key.len > 10 && !memcmp(vocab->kv[i].key.ptr, "tokenizer.", 10)) gw_copy_kv(gw, &vocab->kv[i]);
}

// The static activation scales of per-channel tensor ti (0 = none), from the QAT sites.
static void act_scales(const tr_model *m, const tr_quant *q, int ti, float *in, float *out) {
    *in = *out = 0.0f;
    if (ti == m->tok_embd) { *in = q->head_in; return; }
    for (int il = 0; il < m->c.n_layer; il++) {
        const int *t = m->layer[il];
        const float *s = q->act[il];
        if (ti == t[TL_Q]) { *in = s[TA_ATTN_IN]; *out = s[TA_Q_OUT]; }
        if (ti == t[TL_K]) { *in = s[TA_ATTN_IN]; *out = s[TA_K_OUT]; }
        if (ti == t[TL_V]) { *in = s[TA_ATTN_IN]; *out = s[TA_V_OUT]; }
        if (ti == t[TL_O]) { *in = s[TA_O_IN]; *out = s[TA_O_OUT]; }
        if (ti == t[TL_GATE]) { *in = s[TA_FFN_IN]; *out = s[TA_GATE_OUT]; }
        if (ti == t[TL_UP]) { *in = s[TA_FFN_IN]; *out = s[TA_UP_OUT]; }
        if (ti == t[TL_DOWN]) { *in = s[TA_DOWN_IN]; *out = s[TA_DOWN_OUT]; }
    }
}

static void side_tensors(gguf_writer *gw, const tr_model *m, const tr_quant *q, out_tensor *o) {
    char n[96];
    int64_t one = 1;
    for (int ti = 0; ti < m->n_t; ti++) {
        if (!o[ti].scale) continue;
        const char *base = m->t[ti].name;
        int len = (int)(strlen(base) - strlen(".weight"));
        int64_t rows = m->t[ti].rows;
        float in, out;
        act_scales(m, q, ti, &in, &out);
        snprintf(n, sizeof n, "%.*s.scale", len, base);
        gw_tensor_raw(gw, n, LM_TYPE_F32, 1, &rows, o[ti].scale);
        snprintf(n, sizeof n, "%.*s.input_scale", len, base);
        if (in > 0.0f) gw_tensor_raw(gw, n, LM_TYPE_F32, 1, &one, &((float *)o[ti].unit)[o[ti].cols]);
        snprintf(n, sizeof n, "%.*s.output_scale", len, base);
        if (out > 0.0f) gw_tensor_raw(gw, n, LM_TYPE_F32, 1, &one, &((float *)o[ti].unit)[o[ti].cols + 1]);
    }
}

// Per-channel plan of tensor ti: its type, row scales and activation scales (kept after unit[cols]).
static bool plan_channel(const tr_model *m, const tr_quant *q, const float *w, int ti, out_tensor *o) {
    const tr_tensor *t = &m->t[ti];
    o->type = (lm_type)tr_mobile_type(m, ti);
    o->scale = malloc((size_t)t->rows * sizeof *o->scale);
    o->unit = malloc(((size_t)t->cols + 2) * sizeof *o->unit);
    if (!o->scale || !o->unit) return false;
    for (int r = 0; r < t->rows; r++) o->scale[r] = mq_best_scale(w + t->off + (int64_t)r * t->cols, t->cols, o->type);
    act_scales(m, q, ti, &o->unit[t->cols], &o->unit[t->cols + 1]);
    return true;
}

static void add_tensors(gguf_writer *gw, const tr_model *m, tr_out type, out_tensor *o, int *rope_n) {
    int64_t ne1[1] = { *rope_n };
    for (int pass = 0; pass < 2; pass++) {   // GGUF-M: vectors first, then matrices (FORMAT.md §4)
        if (pass == 0) gw_tensor_gen(gw, "rope_freqs.weight", LM_TYPE_F32, 1, ne1, rope_freqs, rope_n);
        for (int ti = 0; ti < m->n_t; ti++) {
            const tr_tensor *t = &m->t[ti];
            bool vec = t->kind == TK_VECTOR;
            if ((type == TR_OUT_MOBILE && vec != (pass == 0)) || (type != TR_OUT_MOBILE && pass == 1)) continue;
            int64_t ne[2] = { t->cols, t->rows };
            if (o[ti].scale) gw_tensor_bytes(gw, t->name, o[ti].type, 2, ne, fill_channel, &o[ti]);
            else if (vec) gw_tensor_raw(gw, t->name, LM_TYPE_F32, 1, ne, o[ti].w);
            else gw_tensor_gen(gw, t->name, block_type(type, t->cols), 2, ne, fill_float, &o[ti]);
        }
    }
}

static void mobile_keys(gguf_writer *gw, uint64_t resident_end) {
    gw_str(gw, "wq.scheme", "wNa8o8");
    gw_u32(gw, "wq.version", 1);
    gw_u32(gw, "wq.act_bits", 8);
    gw_i32(gw, "wq.act_qmin", -128);
    gw_i32(gw, "wq.act_qmax", 127);
    gw_str(gw, "wq.act_round", "half_even");
    gw_str(gw, "wq.source", "qat:pocketlm train");
    gw_str(gw, "wq.recipe", "e2b");
    gw_str(gw, "wq.calibration", "quantization-aware training; static scales: mean over batches of p99.99 of |x|");
    gw_u64(gw, "wq.resident_end", resident_end);
}

bool tr_export(const char *path, const tr_model *m, const float *w, const tr_quant *q, tr_out type,
               const uint8_t *vocab_gguf, uint64_t vocab_len, const char *name, int32_t n_ctx) {
    gguf_file vocab;
    if (gguf_parse(vocab_gguf, vocab_len, &vocab, NULL)) { fprintf(stderr, "export: vocabulary: %s\n", lm_errmsg()); return false; }
    out_tensor *o = calloc((size_t)m->n_t, sizeof *o);
    gguf_writer *gw = gw_new(32);
    int rope_n = m->c.head_dim_full / 2;
    bool ok = o && gw;
    for (int ti = 0; ok && ti < m->n_t; ti++) {
        o[ti] = (out_tensor){ w + m->t[ti].off, m->t[ti].cols, LM_TYPE_F32, NULL, NULL };
        if (type == TR_OUT_MOBILE && tr_mobile_type(m, ti)) ok = plan_channel(m, q, w, ti, &o[ti]);
    }
    if (ok) {
        keys(gw, m, &vocab, name, n_ctx);
        if (type == TR_OUT_MOBILE) side_tensors(gw, m, q, o);
        add_tensors(gw, m, type, o, &rope_n);
        if (type == TR_OUT_MOBILE) mobile_keys(gw, gw_data_size(gw));
        FILE *f = fopen(path, "wb");
        ok = f && !gw_write(gw, f);
        if (f && fclose(f)) ok = false;
        if (!ok) { fprintf(stderr, "export: cannot write %s\n", path); remove(path); }
    }
    for (int ti = 0; o && ti < m->n_t; ti++) { free(o[ti].scale); free(o[ti].unit); }
    free(o);
    gw_free(gw);
    gguf_free(&vocab);
    return ok;
}
