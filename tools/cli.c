// cli.c — native developer CLI (build/pocketlm): info, logits, run, gen. Never part of the wasm build.
#include "../src/lm.h"
#include "../src/sampler.h"
#include "../src/tensor.h"
#include "gen.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void) {
    fprintf(stderr,
        "usage: pocketlm <command> [options]\n"
        "  info   -m M.gguf [--ctx N]                 architecture, hyperparameters, tensors, memory plan\n"
        "  logits -m M.gguf --tokens 2,17,33 --out F  teacher-forced logits, f32 LE [n_tokens][n_vocab]\n"
        "  run    -m M.gguf --tokens IDS -n N [--temp T --top-k K --top-p P --min-p P --seed S]\n"
        "                                             continues the tokens; prints the generated ids\n"
        "  gen    --model PRESET --type T -o OUT.gguf [--seed S --layers N]   synthetic model\n");
    gen_list_presets(stderr);
    return 2;
}

typedef struct {
    const char *model, *tokens, *out, *preset, *type;
    int n_predict, n_ctx, top_k, layers;
    float temp, top_p, min_p;
    uint64_t seed;
} opts;

static int parse_args(int argc, char **argv, opts *o) {
    lm_sampler_params sp = lm_sampler_default_params();
    *o = (opts){ .n_predict = 32, .temp = 0.0f, .top_k = sp.top_k, .top_p = sp.top_p, .min_p = sp.min_p, .type = "f32" };
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) { fprintf(stderr, "option %s needs a value\n", a); return -1; }
        i++;
        if (!strcmp(a, "-m")) o->model = v;
        else if (!strcmp(a, "--tokens")) o->tokens = v;
        else if (!strcmp(a, "--out") || !strcmp(a, "-o")) o->out = v;
        else if (!strcmp(a, "--model")) o->preset = v;
        else if (!strcmp(a, "--type")) o->type = v;
        else if (!strcmp(a, "-n")) o->n_predict = atoi(v);
        else if (!strcmp(a, "--ctx")) o->n_ctx = atoi(v);
        else if (!strcmp(a, "--layers")) o->layers = atoi(v);
        else if (!strcmp(a, "--temp")) o->temp = strtof(v, NULL);
        else if (!strcmp(a, "--top-k")) o->top_k = atoi(v);
        else if (!strcmp(a, "--top-p")) o->top_p = strtof(v, NULL);
        else if (!strcmp(a, "--min-p")) o->min_p = strtof(v, NULL);
        else if (!strcmp(a, "--seed")) o->seed = strtoull(v, NULL, 10);
        else { fprintf(stderr, "unknown option %s\n", a); return -1; }
    }
    return 0;
}

static uint8_t *read_file(const char *path, uint64_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "%s: %s\n", path, strerror(errno)); return NULL; }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) { fprintf(stderr, "%s: read failed\n", path); free(buf); buf = NULL; }
    fclose(f);
    *len = (uint64_t)n;
    return buf;
}

static lm_model *load(const opts *o, uint8_t **buf) {
    uint64_t len;
    if (!o->model) { fprintf(stderr, "-m MODEL.gguf is required\n"); return NULL; }
    if (!(*buf = read_file(o->model, &len))) return NULL;
    lm_model *m;
    lm_status s = lm_model_load(*buf, len, &m);
    if (s) { fprintf(stderr, "%s: %s: %s\n", o->model, lm_status_name(s), lm_errmsg()); free(*buf); return NULL; }
    return m;
}

// "2,17,33" -> ids; returns the count or -1.
static int parse_tokens(const char *s, lm_token **out) {
    int n = 1;
    for (const char *p = s; *p; p++) n += *p == ',';
    *out = malloc((size_t)n * sizeof **out);
    for (int i = 0; i < n; i++) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || (*end && *end != ',') || v < 0 || v > 0x7fffffff) { fprintf(stderr, "bad token list\n"); return -1; }
        (*out)[i] = (lm_token)v;
        s = *end ? end + 1 : end;
    }
    return n;
}

static int cmd_info(const opts *o) {
    uint8_t *buf;
    lm_model *m = load(o, &buf);
    if (!m) return 1;
    lm_model_info in;
    lm_model_get_info(m, &in);
    lm_ctx_params cp = lm_ctx_default_params();
    cp.n_ctx = o->n_ctx;
    lm_mem_plan plan;
    lm_status s = lm_model_plan(m, &cp, &plan);
    printf("architecture   %s\nparameters     %llu\nn_vocab        %d\nn_embd         %d\nn_layer        %d (%d with KV)\n"
           "n_head         %d\nn_head_kv      %d\nn_ctx_train    %d\nsliding_window %d\nper-layer embd %d\nbos/eos        %d/%d (add_bos %d)\n",
           in.arch, (unsigned long long)in.n_params, in.n_vocab, in.n_embd, in.n_layer, in.n_layer_kv, in.n_head,
           in.n_head_kv, in.n_ctx_train, in.n_swa, in.n_embd_per_layer, in.bos, in.eos, in.add_bos);
    if (s == LM_OK)
        printf("memory         weights %llu, kv %llu, scratch %llu bytes (n_ctx %d)\n", (unsigned long long)plan.weights,
               (unsigned long long)plan.kv, (unsigned long long)plan.scratch, o->n_ctx);
    printf("tensors:\n");
    const char *name, *type;
    int name_len, nd;
    int64_t shape[4];
    for (int64_t i = 0; lm_model_tensor(m, i, &name, &name_len, &type, shape, &nd); i++) {
        printf("  %-40.*s %-5s [", name_len, name, type);
        for (int d = 0; d < nd; d++) printf("%s%lld", d ? ", " : "", (long long)shape[d]);
        printf("]\n");
    }
    lm_model_free(m);
    free(buf);
    return 0;
}

static int cmd_logits(const opts *o) {
    lm_token *toks = NULL;
    int n = o->tokens ? parse_tokens(o->tokens, &toks) : -1;
    if (n <= 0 || !o->out) { fprintf(stderr, "logits needs --tokens and --out\n"); free(toks); return 2; }
    uint8_t *buf;
    lm_model *m = load(o, &buf);
    if (!m) { free(toks); return 1; }
    lm_ctx_params cp = lm_ctx_default_params();
    cp.n_ctx = o->n_ctx > 0 ? o->n_ctx : n;
    cp.logits_all = true;
    lm_ctx *c;
    lm_status s = lm_ctx_new(m, &cp, &c);
    FILE *f = s ? NULL : fopen(o->out, "wb");
    lm_model_info in;
    lm_model_get_info(m, &in);
    for (int done = 0; s == LM_OK && f && done < n;) {
        int chunk = n - done < cp.n_batch ? n - done : cp.n_batch;
        if ((s = lm_decode(c, toks + done, chunk))) break;
        for (int i = 0; i < chunk; i++) fwrite(lm_logits(c, i), sizeof(float), (size_t)in.n_vocab, f);
        done += chunk;
    }
    if (s) fprintf(stderr, "%s: %s\n", lm_status_name(s), lm_errmsg());
    if (f) fclose(f);
    lm_ctx_free(c);
    lm_model_free(m);
    free(buf);
    free(toks);
    return s ? 1 : 0;
}

static int cmd_run(const opts *o) {
    lm_token *toks = NULL;
    int n = o->tokens ? parse_tokens(o->tokens, &toks) : -1;
    if (n <= 0) { fprintf(stderr, "run needs --tokens (text prompts arrive with the tokenizer)\n"); free(toks); return 2; }
    uint8_t *buf;
    lm_model *m = load(o, &buf);
    if (!m) { free(toks); return 1; }
    lm_ctx_params cp = lm_ctx_default_params();
    cp.n_ctx = o->n_ctx > 0 ? o->n_ctx : n + o->n_predict;
    lm_sampler_params sp = lm_sampler_default_params();
    sp.temperature = o->temp; sp.top_k = o->top_k; sp.top_p = o->top_p; sp.min_p = o->min_p; sp.seed = o->seed;
    lm_model_info in;
    lm_model_get_info(m, &in);
    lm_ctx *c = NULL;
    lm_sampler *smp = NULL;
    lm_status s = lm_ctx_new(m, &cp, &c);
    if (!s) s = lm_sampler_new(&sp, in.n_vocab, &smp);
    for (int i = 0; !s && i < n; i++) lm_sampler_accept(smp, toks[i]);
    if (!s) s = lm_decode(c, toks, n);
    for (int i = 0; !s && i < o->n_predict; i++) {
        lm_token t = lm_sampler_sample(smp, lm_logits(c, 0));
        lm_sampler_accept(smp, t);
        printf("%s%d", i ? "," : "", t);
        fflush(stdout);
        if (t == in.eos) break;
        s = lm_decode(c, &t, 1);
    }
    printf("\n");
    if (s) fprintf(stderr, "%s: %s\n", lm_status_name(s), lm_errmsg());
    lm_sampler_free(smp);
    lm_ctx_free(c);
    lm_model_free(m);
    free(buf);
    free(toks);
    return s ? 1 : 0;
}

static int cmd_gen(const opts *o) {
    if (!o->preset || !o->out) { fprintf(stderr, "gen needs --model PRESET and -o OUT.gguf\n"); return 2; }
    int type = -1;
    for (int t = 0; t < LM_TYPE_COUNT; t++)
        if (lm_type_traits_of(t) && !strcmp(lm_type_name(t), o->type)) type = t;
    if (type < 0) { fprintf(stderr, "unknown type '%s'\n", o->type); return 2; }
    FILE *f = fopen(o->out, "wb");
    if (!f) { fprintf(stderr, "%s: %s\n", o->out, strerror(errno)); return 1; }
    gen_opts g = { o->preset, type, o->seed, o->layers };
    int rc = gen_model(&g, f);
    fclose(f);
    if (rc) remove(o->out);
    return rc ? 1 : 0;
}

#ifndef LM_NO_CLI_MAIN
int main(int argc, char **argv) {
    static const struct { const char *name; int (*fn)(const opts *); } CMDS[] = {
        { "info", cmd_info }, { "logits", cmd_logits }, { "run", cmd_run }, { "gen", cmd_gen },
    };
    opts o;
    if (argc < 2 || parse_args(argc, argv, &o)) return usage();
    for (size_t i = 0; i < sizeof CMDS / sizeof CMDS[0]; i++)
        if (!strcmp(argv[1], CMDS[i].name)) return CMDS[i].fn(&o);
    return usage();
}
#endif
