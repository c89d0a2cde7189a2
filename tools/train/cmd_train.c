// cmd_train.c — `pocketlm train`: the training loop (fresh, resumed, or QAT fine-tuning from a
// checkpoint), loss log, validation loss and checkpoints.
#define _POSIX_C_SOURCE 200809L   // clock_gettime
#include "../fileio.h"
#include "cmds.h"
#include "train.h"
#include "../../src/lm.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>

typedef struct {
    const char *vocab, *train, *val, *out, *init, *log, *preset;
    int steps, batch, warmup, threads, eval_every, ckpt_every, val_seqs, calib_batches, log_every, stop_after, chat_every;
    float lr, lr_min, wd, clip;
    uint64_t seed;
    tr_qat qat;
    bool resume;
} train_args;

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int usage(void) {
    fprintf(stderr,
        "usage: pocketlm train --vocab V.gguf --train TRAIN.txt --val VAL.txt --out STATE.ckpt\n"
        "         [--preset kjv] [--steps 1000] [--batch 16] [--lr 2e-3] [--lr-min 2e-4] [--warmup 100] [--wd 0.1]\n"
        "         [--clip 1] [--seed 1] [-t THREADS] [--resume] [--init FROM.ckpt] [--qat q4_0|mobile]\n"
        "         [--calib-batches 8] [--eval-every 200] [--val-seqs 64] [--ckpt-every 100] [--log LOSS.tsv]\n"
        "         [--log-every 10] [--stop-after STEP] [--chat-every K]\n"
        "  --resume: continue STATE.ckpt when it exists (same options: the run is then bitwise the one\n"
        "            that was not interrupted). --init: start from FROM.ckpt's weights with fresh AdamW\n"
        "            moments at step 0 (QAT fine-tuning). --stop-after: end (with a checkpoint) at STEP.\n");
    return 2;
}

static bool parse(int argc, char **argv, train_args *a) {
    tr_optim od = tr_optim_default();
    *a = (train_args){ .preset = "kjv", .steps = od.steps, .batch = 16, .warmup = od.warmup, .threads = 1, .eval_every = 200,
                       .ckpt_every = 100, .val_seqs = 64, .calib_batches = 8, .log_every = 10, .lr = od.lr, .lr_min = od.lr_min,
                       .wd = od.weight_decay, .clip = od.clip, .seed = 1 };
    for (int i = 0; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(k, "--resume")) { a->resume = true; continue; }
        if (!v) return false;
        i++;
        if (!strcmp(k, "--vocab")) a->vocab = v;
        else if (!strcmp(k, "--train")) a->train = v;
        else if (!strcmp(k, "--val")) a->val = v;
        else if (!strcmp(k, "--out")) a->out = v;
        else if (!strcmp(k, "--init")) a->init = v;
        else if (!strcmp(k, "--log")) a->log = v;
        else if (!strcmp(k, "--preset")) a->preset = v;
        else if (!strcmp(k, "--steps")) a->steps = atoi(v);
        else if (!strcmp(k, "--batch")) a->batch = atoi(v);
        else if (!strcmp(k, "--warmup")) a->warmup = atoi(v);
        else if (!strcmp(k, "-t")) a->threads = atoi(v);
        else if (!strcmp(k, "--eval-every")) a->eval_every = atoi(v);
        else if (!strcmp(k, "--ckpt-every")) a->ckpt_every = atoi(v);
        else if (!strcmp(k, "--val-seqs")) a->val_seqs = atoi(v);
        else if (!strcmp(k, "--calib-batches")) a->calib_batches = atoi(v);
        else if (!strcmp(k, "--log-every")) a->log_every = atoi(v);
        else if (!strcmp(k, "--stop-after")) a->stop_after = atoi(v);
        else if (!strcmp(k, "--chat-every")) a->chat_every = atoi(v);
        else if (!strcmp(k, "--lr")) a->lr = strtof(v, NULL);
        else if (!strcmp(k, "--lr-min")) a->lr_min = strtof(v, NULL);
        else if (!strcmp(k, "--wd")) a->wd = strtof(v, NULL);
        else if (!strcmp(k, "--clip")) a->clip = strtof(v, NULL);
        else if (!strcmp(k, "--seed")) a->seed = strtoull(v, NULL, 10);
        else if (!strcmp(k, "--qat")) {
            if (!strcmp(v, "q4_0")) a->qat = TR_QAT_Q4_0;
            else if (!strcmp(v, "mobile")) a->qat = TR_QAT_MOBILE;
            else return false;
        } else return false;
    }
    return a->vocab && a->train && a->val && a->out && a->steps > 0 && a->batch > 0 && a->threads > 0 &&
           a->val_seqs > 0 && a->log_every > 0 && a->calib_batches >= 0 && a->chat_every >= 0;
}


// The starting state: resumed, initialized from another checkpoint, or fresh from the preset.
static bool initial_state(const train_args *a, int32_t n_vocab, tr_model *m, tr_state *s) {
    FILE *f = a->resume ? fopen(a->out, "rb") : NULL;
    if (f) {
        fclose(f);
        if (!tr_ckpt_load(a->out, m, s)) return false;
        printf("train: resuming %s at step %d\n", a->out, s->step);
        return s->q.mode == a->qat && s->seed == a->seed ? true : (fprintf(stderr, "train: %s was made with other --qat/--seed\n", a->out), false);
    }
    if (a->init) {
        if (!tr_ckpt_load(a->init, m, s)) return false;
        memset(s->m, 0, (size_t)m->n_params * sizeof(float));
        memset(s->v, 0, (size_t)m->n_params * sizeof(float));
        s->step = 0;
        printf("train: starting from the weights of %s\n", a->init);
    } else {
        tr_config c;
        if (!tr_preset(a->preset, &c)) { fprintf(stderr, "train: unknown preset '%s'\n", a->preset); return false; }
        c.n_vocab = n_vocab;
        if (!tr_model_init(m, &c)) return false;
        memset(s, 0, sizeof *s);
        s->c = c;
        s->w = malloc((size_t)m->n_params * sizeof(float));
        s->m = calloc((size_t)m->n_params, sizeof(float));
        s->v = calloc((size_t)m->n_params, sizeof(float));
        if (!s->w || !s->m || !s->v) { fprintf(stderr, "train: out of memory\n"); return false; }
        tr_params_init(m, s->w, a->seed);
    }
    if (m->c.n_vocab != n_vocab) { fprintf(stderr, "train: the checkpoint has %d tokens, the vocabulary %d\n", m->c.n_vocab, n_vocab); return false; }
    memset(&s->q, 0, sizeof s->q);
    s->q.mode = a->qat;
    s->q.pct = 99.99f;
    s->seed = a->seed;
    return true;
}

typedef struct {
    const train_args *a;
    lm_pool *p;
    tr_model m;
    tr_state s;
    tr_acts acts;
    tr_text train, val;
    float *weff, *grad;
    int32_t *tok, *tgt, bos;
} run;

// Forward pass weights: the latent ones, or their fake-quantized copy under QAT.
static const float *weights(run *r) {
    if (r->s.q.mode == TR_QAT_NONE) return r->s.w;
    tr_fake_quant_weights(r->p, &r->m, &r->s.q, r->s.w, r->weff);
    return r->weff;
}

static void fill_batch(run *r, const tr_text *t, int64_t step, bool even, int64_t k0, int64_t K) {
    int T = r->m.c.n_ctx;
    for (int b = 0; b < r->acts.B; b++) {
        int64_t pos = even ? tr_even_start(t, T, k0 + b, K) : tr_random_start(t, T, r->s.seed, step, b);
        bool chat = !even && r->a->chat_every > 0 && step >= 0 && (step * r->acts.B + b) % r->a->chat_every == 0;
        (chat ? tr_chat_sequence : tr_sequence)(t, T, r->bos, pos, r->tok + (int64_t)b * T, r->tgt + (int64_t)b * T);
    }
}

static double val_loss(run *r) {
    const float *w = weights(r);
    int B = r->acts.B, n = (r->a->val_seqs + B - 1) / B;
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        fill_batch(r, &r->val, 0, true, (int64_t)i * B, (int64_t)n * B);
        sum += tr_forward(r->p, &r->m, w, &r->s.q, &r->acts, r->tok, r->tgt, false);
    }
    return sum / n;
}

// Mobile QAT: static activation scales from batches of training text (fake-quantized weights, float activations).
static void calibrate(run *r) {
    tr_quant *q = &r->s.q;
    if (q->mode != TR_QAT_MOBILE || q->n_calib > 0) return;
    q->calibrating = true;
    for (int k = 0; k < r->a->calib_batches; k++, q->n_calib++) {
        fill_batch(r, &r->train, -1 - k, false, 0, 0);
        tr_forward(r->p, &r->m, weights(r), q, &r->acts, r->tok, r->tgt, false);
    }
    q->calibrating = false;
    printf("train: calibrated static activation scales over %d batches\n", q->n_calib);
}

static int loop(run *r, FILE *log) {
    const train_args *a = r->a;
    tr_optim o = { a->steps, a->warmup, a->lr, a->lr_min, 0.9f, 0.95f, 1e-8f, a->wd, a->clip };
    double t0 = now_s(), loss_sum = 0.0;
    int n_loss = 0, end = a->stop_after > 0 && a->stop_after < a->steps ? a->stop_after : a->steps;
    for (; r->s.step < end; r->s.step++) {
        int step = r->s.step;
        fill_batch(r, &r->train, step, false, 0, 0);
        const float *w = weights(r);
        loss_sum += tr_forward(r->p, &r->m, w, &r->s.q, &r->acts, r->tok, r->tgt, true);
        n_loss++;
        tr_backward(r->p, &r->m, w, &r->s.q, &r->acts, r->tok, r->grad);
        double gn = tr_adamw(r->p, &r->m, &o, step, r->s.w, r->grad, r->s.m, r->s.v);
        bool last = step + 1 == end, eval = (a->eval_every > 0 && (step + 1) % a->eval_every == 0) || last;
        double vl = eval ? val_loss(r) : 0.0;
        if ((step + 1) % a->log_every == 0 || eval) {
            double dt = now_s() - t0;
            printf("step %5d  lr %.2e  loss %.4f  |g| %.3f  %.0f tok/s%s", step + 1, (double)tr_lr_at(&o, step), loss_sum / n_loss,
                   gn, (double)n_loss * r->acts.N / dt, eval ? "" : "\n");
            if (eval) printf("  val %.4f (ppl %.2f)\n", vl, exp(vl));
            if (log) fprintf(log, "%d\t%.6g\t%.6f\t%.4f\t%.6f\n", step + 1, (double)tr_lr_at(&o, step), loss_sum / n_loss, gn, eval ? vl : -1.0);
            if (log) fflush(log);
            fflush(stdout);
            loss_sum = 0.0; n_loss = 0; t0 = now_s();
        }
        if ((a->ckpt_every > 0 && (step + 1) % a->ckpt_every == 0) || last) {
            r->s.step++;
            bool ok = tr_ckpt_save(a->out, &r->m, &r->s);
            r->s.step--;
            if (!ok) return 1;
        }
    }
    return 0;
}

int cmd_train(int argc, char **argv) {
    train_args a;
    if (!parse(argc, argv, &a)) return usage();
    run r = { .a = &a };
    uint64_t vlen;
    uint8_t *vocab = tool_read_file(a.vocab, &vlen);
    lm_vocab *v = NULL;
    int rc = 1;
    if (!vocab || lm_vocab_load(vocab, vlen, &v)) { fprintf(stderr, "train: %s: not a vocabulary\n", a.vocab); free(vocab); return 1; }
    lm_vocab_info vi;
    lm_vocab_get_info(v, &vi);
    r.bos = vi.bos;
    if (initial_state(&a, vi.n_tokens, &r.m, &r.s) && !lm_pool_new(a.threads, &r.p) &&
        tr_acts_new(&r.acts, &r.m, a.batch, a.threads) && tr_text_load(&r.train, a.train, vocab, vlen) &&
        tr_text_load(&r.val, a.val, vocab, vlen) && (r.weff = malloc((size_t)r.m.n_params * sizeof(float))) &&
        (r.grad = malloc((size_t)r.m.n_params * sizeof(float))) &&
        (r.tok = malloc((size_t)r.acts.N * sizeof(int32_t))) && (r.tgt = malloc((size_t)r.acts.N * sizeof(int32_t)))) {
        printf("train: %lld parameters, %d layers, n_embd %d, vocab %d, context %d; %lld training / %lld validation tokens; "
               "batch %d x %d; %d threads\n", (long long)r.m.n_params, r.m.c.n_layer, r.m.c.n_embd, r.m.c.n_vocab, r.m.c.n_ctx,
               (long long)r.train.n, (long long)r.val.n, a.batch, r.m.c.n_ctx, lm_pool_size(r.p));
        FILE *log = a.log ? fopen(a.log, r.s.step > 0 ? "a" : "w") : NULL;
        if (log && r.s.step == 0) fprintf(log, "step\tlr\tloss\tgrad_norm\tval_loss\n");
        calibrate(&r);
        rc = loop(&r, log);
        if (log) fclose(log);
    }
    lm_vocab_free(v); free(vocab);
    tr_text_free(&r.train); tr_text_free(&r.val); tr_acts_free(&r.acts); lm_pool_free(r.p);
    free(r.weff); free(r.grad); free(r.tok); free(r.tgt); free(r.s.w); free(r.s.m); free(r.s.v);
    return rc;
}
