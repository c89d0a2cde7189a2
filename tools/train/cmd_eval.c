// cmd_eval.c — `pocketlm train-export` (checkpoint -> GGUF) and `pocketlm ppl` (perplexity of any
// model the engine loads, over the same validation sequences the trainer scores).
#include "../fileio.h"
#include "cmds.h"
#include "train.h"
#include "../gguf_write.h"
#include "../../src/gguf.h"
#include "../../src/lm.h"
#include "../../src/tensor.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


// ---- any GGUF with block-quantized or float weights -> the same model with f16/f32 matrices ----

typedef struct { const uint8_t *data; int64_t row_bytes; lm_to_float_fn to_float; int64_t cols; } deq_row;

static void fill_deq(void *ctx, int64_t r, float *out) {
    const deq_row *d = ctx;
    d->to_float(d->data + r * d->row_bytes, out, d->cols);
}

// Every key is kept; vectors are copied as they are; each 2-D tensor is dequantized to `type`.
static bool float_copy(const char *in, const char *out, lm_type type) {
    uint64_t len;
    uint8_t *buf = tool_read_file(in, &len);
    gguf_file g;
    if (!buf || gguf_parse(buf, len, &g, NULL)) { fprintf(stderr, "%s: not a GGUF file\n", in); free(buf); return false; }
    gguf_writer *w = gw_new((uint32_t)g.alignment);
    deq_row *rows = calloc(g.n_tensors + 1, sizeof *rows);
    bool ok = w && rows;
    for (uint64_t i = 0; ok && i < g.n_kv; i++) ok = gw_copy_kv(w, &g.kv[i]) == 0;
    for (uint64_t i = 0; ok && i < g.n_tensors; i++) {
        const gguf_tensor_info *t = &g.tensors[i];
        const lm_type_traits *tr = lm_type_traits_of((int)t->type);
        const uint8_t *data = gguf_tensor_data(&g, t);
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)t->name.len, t->name.ptr);
        if (!tr || tr->per_channel || !data || t->name.len >= sizeof name) { fprintf(stderr, "%s: cannot convert tensor '%s'\n", in, name); ok = false; break; }
        if (t->n_dims < 2) { gw_tensor_raw(w, name, t->type, (int)t->n_dims, t->ne, data); continue; }
        rows[i] = (deq_row){ data, lm_row_bytes((int)t->type, t->ne[0]), tr->to_float, t->ne[0] };
        gw_tensor_gen(w, name, type, (int)t->n_dims, t->ne, fill_deq, &rows[i]);
    }
    FILE *f = ok ? fopen(out, "wb") : NULL;
    if (ok && (!f || gw_write(w, f))) { fprintf(stderr, "%s: cannot write\n", out); ok = false; }
    if (f) fclose(f);
    gw_free(w); free(rows); gguf_free(&g); free(buf);
    return ok;
}

int cmd_train_export(int argc, char **argv) {
    const char *ckpt = NULL, *vocab = NULL, *type = NULL, *out = NULL, *name = "pocketlm", *gguf = NULL;
    int n_ctx = 0;
    for (int i = 0; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--gguf")) gguf = argv[i + 1];
        else if (!strcmp(argv[i], "--ckpt")) ckpt = argv[i + 1];
        else if (!strcmp(argv[i], "--vocab")) vocab = argv[i + 1];
        else if (!strcmp(argv[i], "--type")) type = argv[i + 1];
        else if (!strcmp(argv[i], "-o")) out = argv[i + 1];
        else if (!strcmp(argv[i], "--name")) name = argv[i + 1];
        else if (!strcmp(argv[i], "--ctx")) n_ctx = atoi(argv[i + 1]);
        else { out = NULL; break; }
    }
    static const struct { const char *name; tr_out type; } TYPES[] = {
        { "f32", TR_OUT_F32 }, { "f16", TR_OUT_F16 }, { "q4_0", TR_OUT_Q4_0 }, { "mobile", TR_OUT_MOBILE } };
    int t = -1;
    for (int i = 0; type && i < 4; i++) if (!strcmp(type, TYPES[i].name)) t = i;
    if (gguf && out && t >= 0 && t < 2 && !ckpt && !vocab && argc % 2 == 0)
        return float_copy(gguf, out, TYPES[t].type == TR_OUT_F16 ? LM_TYPE_F16 : LM_TYPE_F32) ? 0 : 1;
    if (!ckpt || !vocab || !out || t < 0 || argc % 2 || gguf) {
        fprintf(stderr, "usage: pocketlm train-export --ckpt STATE.ckpt --vocab V.gguf --type f32|f16|q4_0|mobile -o OUT.gguf\n"
                        "                             [--name NAME] [--ctx CONTEXT_LENGTH (default: the training context)]\n"
                        "       pocketlm train-export --gguf IN.gguf --type f32|f16 -o OUT.gguf\n"
                        "  mobile: GGUF-M with the E2B recipe; static activation scales when the checkpoint is mobile QAT\n"
                        "  --gguf: the same model with every matrix dequantized (e.g. the F16 form of a Q4_0 file)\n");
        return 2;
    }
    tr_model m;
    tr_state s;
    uint64_t vlen;
    uint8_t *vb = tool_read_file(vocab, &vlen);
    bool ok = vb && tr_ckpt_load(ckpt, &m, &s) && tr_export(out, &m, s.w, &s.q, TYPES[t].type, vb, vlen, name, n_ctx);
    free(vb); free(s.w); free(s.m); free(s.v);
    return ok ? 0 : 1;
}

typedef struct { const char *model, *text; int seqs, ctx, threads; bool no_static_act; } ppl_args;

// Mean negative log-likelihood of targets[0..n) under the logits rows, in double.
static double nll(lm_ctx *c, const int32_t *targets, int n, int V) {
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        const float *l = lm_logits(c, i);
        float max = l[0];
        for (int k = 1; k < V; k++) max = l[k] > max ? l[k] : max;
        double z = 0.0;
        for (int k = 0; k < V; k++) z += exp((double)(l[k] - max));
        sum += log(z) + max - l[targets[i]];
    }
    return sum;
}

static int ppl_run(const ppl_args *a, const uint8_t *buf, uint64_t len) {
    lm_model *m;
    if (lm_model_load(buf, len, &m)) { fprintf(stderr, "%s: %s\n", a->model, lm_errmsg()); return 1; }
    lm_model_info in;
    lm_model_get_info(m, &in);
    lm_ctx_params cp = lm_ctx_default_params();
    cp.n_ctx = cp.n_batch = a->ctx;
    cp.logits_all = true;
    cp.n_threads = a->threads;
    cp.no_static_act = a->no_static_act;
    tr_text t;
    lm_ctx *c = NULL;
    int32_t *tok = malloc((size_t)a->ctx * sizeof *tok), *tgt = malloc((size_t)a->ctx * sizeof *tgt);
    int rc = 1;
    if (tok && tgt && tr_text_load(&t, a->text, buf, len)) {
        lm_status s = lm_ctx_new(m, &cp, &c);
        double sum = 0.0;
        for (int k = 0; !s && k < a->seqs; k++) {
            tr_sequence(&t, a->ctx, in.bos, tr_even_start(&t, a->ctx, k, a->seqs), tok, tgt);
            lm_ctx_reset(c);
            if (!(s = lm_decode(c, tok, a->ctx))) sum += nll(c, tgt, a->ctx, in.n_vocab);
        }
        if (s) fprintf(stderr, "ppl: %s: %s\n", lm_status_name(s), lm_errmsg());
        else {
            double mean = sum / ((double)a->seqs * a->ctx);
            printf("%s: perplexity %.3f (mean NLL %.4f nats over %d sequences of %d tokens)\n", a->model, exp(mean), mean, a->seqs, a->ctx);
            rc = 0;
        }
        tr_text_free(&t);
    }
    lm_ctx_free(c); lm_model_free(m); free(tok); free(tgt);
    return rc;
}

int cmd_ppl(int argc, char **argv) {
    ppl_args a = { .seqs = 64, .ctx = 256, .threads = 1 };
    bool bad = false;
    for (int i = 0; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(k, "--no-static-act")) { a.no_static_act = true; continue; }
        if (!v) { bad = true; break; }
        i++;
        if (!strcmp(k, "-m")) a.model = v;
        else if (!strcmp(k, "--text")) a.text = v;
        else if (!strcmp(k, "--seqs")) a.seqs = atoi(v);
        else if (!strcmp(k, "--ctx")) a.ctx = atoi(v);
        else if (!strcmp(k, "-t")) a.threads = atoi(v);
        else { bad = true; break; }
    }
    if (bad || !a.model || !a.text || a.seqs < 1 || a.ctx < 2 || a.threads < 1) {
        fprintf(stderr, "usage: pocketlm ppl -m MODEL.gguf --text VALIDATION.txt [--seqs 64] [--ctx 256] [-t THREADS] [--no-static-act]\n"
                        "  scores seqs sequences [BOS, line start ...] of ctx tokens spread evenly over the text\n");
        return 2;
    }
    uint64_t len;
    uint8_t *buf = tool_read_file(a.model, &len);
    int rc = buf ? ppl_run(&a, buf, len) : 1;
    free(buf);
    return rc;
}
