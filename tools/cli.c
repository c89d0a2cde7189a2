// cli.c — native developer CLI (build/pocketlm): info, logits, run, gen, tokenize, detokenize,
// chat. Never part of the wasm build.
#include "fileio.h"
#include "../src/lm.h"
#include "../src/sampler.h"
#include "../src/tensor.h"
#include "gen.h"
#include "mobile.h"
#include "split.h"
#include "bpe_train.h"
#include "train/cmds.h"
#include "jstr.h"
#include "json.h"
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void) {
    fprintf(stderr,
        "usage: pocketlm <command> [options]\n"
        "  info   -m M.gguf [--ctx N]                 architecture, hyperparameters, tensors, memory plan\n"
        "  logits -m M.gguf --tokens 2,17,33 --out F  teacher-forced logits, f32 LE [n_tokens][n_vocab]\n"
        "         (logits and run take -t N: matmul threads; results do not depend on N)\n"
        "  run    -m M.gguf (--tokens IDS | -p TEXT [--chat [--format F]]) -n N [--temp T --top-k K --top-p P --min-p P --seed S]\n"
        "                                             continues the prompt: ids in -> ids out; -p TEXT (with\n"
        "                                             BOS as the model wants; --chat: as one user message in\n"
        "                                             the model's chat template) -> text out\n"
        "  tokenize   -m VOCAB.gguf --json [--special] < strings.json   JSON array of strings -> array of id arrays\n"
        "                                             (--special: add BOS/EOS and parse special-token text)\n"
        "  detokenize -m VOCAB.gguf --json [--special] [--stream] < ids.json   array of id arrays -> array of\n"
        "                                             strings (llama_detokenize; --stream: lossless text stream)\n"
        "  vocab  -m VOCAB.gguf                       tokenizer facts as JSON (special ids, flags, EOG ids)\n"
        "  chat   -m VOCAB.gguf [--format F] [--template FILE] [--no-gen] [--thinking] [--date D] < messages.json\n"
        "                                             renders [{\"role\",\"content\"}...] with the chat template;\n"
        "                                             --json: [{\"messages\":[...],\"add_generation_prompt\":b,...}] -> [prompt|null]\n"
        "  gen    --model PRESET --type T -o OUT.gguf [--seed S --layers N]   synthetic model\n"
        "  quantize --mobile IN.gguf OUT.gguf [--recipe R --tensor GLOB=TYPE --calib-tokens F]   GGUF-M (PTQ)\n"
        "  quantize --fallback IN-m.gguf OUT.gguf     GGUF-M -> Q4_0/Q2_0/Q8_0 for llama.cpp\n"
        "  convert-ct CHECKPOINT_DIR OUT.gguf [--vocab V.gguf]   compressed-tensors QAT checkpoint -> GGUF-M\n"
        "  split  IN.gguf OUT_PREFIX N [--no-tensor-first-split]   llama.cpp gguf-split shards OUT_PREFIX-0000k-of-0000N.gguf\n"
        "  bpe-train --text T.txt -o V.gguf [--vocab-size N]   Gemma-4-style BPE vocabulary (docs/QAT.md)\n"
        "  train --vocab V.gguf --train T.txt --val V.txt --out S.ckpt [...]   train a gemma4 model (QAT: --qat)\n"
        "  train-export --ckpt S.ckpt --vocab V.gguf --type f32|f16|q4_0|mobile -o OUT.gguf\n"
        "  ppl    -m M.gguf --text T.txt [--seqs N --ctx N -t N]   perplexity through the engine\n"
        "  (logits/run --no-static-act: ignore GGUF-M static activation scales; docs/FORMAT.md)\n"
        "  (info/logits/run --kv f16|q8: KV cache storage, f16 (default) or int8 with a scale per token and head)\n");
    gen_list_presets(stderr);
    return 2;
}

typedef struct {
    const char *model, *tokens, *out, *preset, *type, *prompt, *format, *date, *tmpl, *kv;
    int n_predict, n_ctx, n_threads, top_k, layers;
    float temp, top_p, min_p;
    uint64_t seed;
    bool json, special, chat, no_gen, thinking, stream, no_static_act;   // flags without a value
} opts;

static int parse_args(int argc, char **argv, opts *o) {
    lm_sampler_params sp = lm_sampler_default_params();
    *o = (opts){ .n_predict = 32, .temp = 0.0f, .top_k = sp.top_k, .top_p = sp.top_p, .min_p = sp.min_p, .type = "f32" };
    static const struct { const char *name; size_t off; } FLAGS[] = {
        { "--json", offsetof(opts, json) }, { "--special", offsetof(opts, special) }, { "--chat", offsetof(opts, chat) },
        { "--no-gen", offsetof(opts, no_gen) }, { "--thinking", offsetof(opts, thinking) }, { "--stream", offsetof(opts, stream) },
        { "--no-static-act", offsetof(opts, no_static_act) },
    };
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool flag = false;
        for (size_t f = 0; f < sizeof FLAGS / sizeof FLAGS[0]; f++)
            if (!strcmp(a, FLAGS[f].name)) { *(bool *)((char *)o + FLAGS[f].off) = flag = true; }
        if (flag) continue;
        if (!v) { fprintf(stderr, "option %s needs a value\n", a); return -1; }
        i++;
        if (!strcmp(a, "-m")) o->model = v;
        else if (!strcmp(a, "--tokens")) o->tokens = v;
        else if (!strcmp(a, "-p")) o->prompt = v;
        else if (!strcmp(a, "--format")) o->format = v;
        else if (!strcmp(a, "--date")) o->date = v;
        else if (!strcmp(a, "--template")) o->tmpl = v;
        else if (!strcmp(a, "--out") || !strcmp(a, "-o")) o->out = v;
        else if (!strcmp(a, "--model")) o->preset = v;
        else if (!strcmp(a, "--type")) o->type = v;
        else if (!strcmp(a, "--kv")) o->kv = v;
        else if (!strcmp(a, "-n")) o->n_predict = atoi(v);
        else if (!strcmp(a, "--ctx")) o->n_ctx = atoi(v);
        else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) o->n_threads = atoi(v);
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


static lm_model *load(const opts *o, uint8_t **buf) {
    uint64_t len;
    if (!o->model) { fprintf(stderr, "-m MODEL.gguf is required\n"); return NULL; }
    if (!(*buf = tool_read_file(o->model, &len))) return NULL;
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

// Context parameters common to info, logits and run; false (message printed) for a bad --kv.
static bool ctx_params(const opts *o, lm_ctx_params *cp) {
    *cp = lm_ctx_default_params();
    cp->n_ctx = o->n_ctx;
    cp->n_threads = o->n_threads;
    cp->no_static_act = o->no_static_act;
    cp->kv_type = o->kv ? lm_kv_type_from_name(o->kv) : LM_KV_F16;
    if (cp->kv_type == LM_KV_COUNT) fprintf(stderr, "--kv %s: the KV cache types are f16 and q8\n", o->kv);
    return cp->kv_type != LM_KV_COUNT;
}

static int cmd_info(const opts *o) {
    uint8_t *buf;
    lm_model *m = load(o, &buf);
    if (!m) return 1;
    lm_model_info in;
    lm_model_get_info(m, &in);
    lm_ctx_params cp;
    if (!ctx_params(o, &cp)) { lm_model_free(m); free(buf); return 2; }
    lm_mem_plan plan;
    lm_status s = lm_model_plan(m, &cp, &plan);
    printf("architecture   %s\nparameters     %llu\nn_vocab        %d\nn_embd         %d\nn_layer        %d (%d with KV)\n"
           "n_head         %d\nn_head_kv      %d\nn_ctx_train    %d\nsliding_window %d\nper-layer embd %d\nbos/eos        %d/%d (add_bos %d)\n",
           in.arch, (unsigned long long)in.n_params, in.n_vocab, in.n_embd, in.n_layer, in.n_layer_kv, in.n_head,
           in.n_head_kv, in.n_ctx_train, in.n_swa, in.n_embd_per_layer, in.bos, in.eos, in.add_bos);
    if (s == LM_OK)
        printf("memory         weights %llu, kv %llu (%s), scratch %llu bytes (n_ctx %d)\n", (unsigned long long)plan.weights,
               (unsigned long long)plan.kv, lm_kv_type_name(cp.kv_type), (unsigned long long)plan.scratch, o->n_ctx);
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
    lm_ctx_params cp;
    if (n <= 0 || !o->out) fprintf(stderr, "logits needs --tokens and --out\n");
    if (n <= 0 || !o->out || !ctx_params(o, &cp)) { free(toks); return 2; }
    uint8_t *buf;
    lm_model *m = load(o, &buf);
    if (!m) { free(toks); return 1; }
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

// The prompt as tokens: --tokens ids, or -p text tokenized as llama.cpp does (BOS per the model,
// special-token text parsed); with --chat the text is one user message in the chat template.
static int prompt_tokens(const opts *o, const lm_model *m, lm_token **toks) {
    if (o->tokens) return parse_tokens(o->tokens, toks);
    const lm_vocab *v = lm_model_vocab(m);
    if (!o->prompt || !v) { fprintf(stderr, o->prompt ? "the model has no supported tokenizer; use --tokens\n" : "run needs --tokens or -p\n"); return -1; }
    char *text = (char *)o->prompt, *chat = NULL;
    bool add_special = true;
    if (o->chat) {
        lm_chat_params cp = lm_chat_default_params();
        if (o->format) cp.format = lm_chat_format_from_name(o->format);
        lm_chat_msg msg = { LM_ROLE_USER, o->prompt };
        int32_t n = lm_chat_render(v, &cp, &msg, 1, NULL, 0);
        if (n == INT32_MIN || !(chat = malloc((size_t)-n + 1))) { fprintf(stderr, "chat template: %s\n", lm_errmsg()); return -1; }
        lm_chat_render(v, &cp, &msg, 1, chat, -n);
        chat[-n] = 0;
        lm_vocab_info vi;
        lm_vocab_get_info(v, &vi);
        char bos[64];
        int32_t bn = vi.bos >= 0 ? lm_token_to_piece(v, vi.bos, bos, sizeof bos, true) : 0;
        add_special = !(bn > 0 && -n >= bn && !memcmp(chat, bos, (size_t)bn));   // the template wrote BOS itself
        text = chat;
    }
    int32_t len = (int32_t)strlen(text), n = lm_tokenize(v, text, len, NULL, 0, add_special, true);
    if (n < 0 && n != INT32_MIN) *toks = malloc((size_t)-n * sizeof **toks);
    if (n != INT32_MIN && (n == 0 || *toks)) n = lm_tokenize(v, text, len, *toks, n < 0 ? -n : 0, add_special, true);
    free(chat);
    if (n <= 0) { fprintf(stderr, n == 0 ? "the prompt has no tokens\n" : "tokenize: %s\n", lm_errmsg()); return -1; }
    return n;
}

// Prints a generated token: its id (--tokens prompts) or its text (-p prompts).
static void show(const opts *o, lm_text_stream *ts, lm_token t, int i) {
    if (o->tokens) { printf("%s%d", i ? "," : "", t); fflush(stdout); return; }
    char buf[512];
    int32_t n = lm_text_stream_push(ts, t, buf, sizeof buf);
    if (n > 0) { fwrite(buf, 1, (size_t)n, stdout); fflush(stdout); }
}

static int cmd_run(const opts *o) {
    lm_ctx_params cp;
    if (!ctx_params(o, &cp)) return 2;
    uint8_t *buf;
    lm_model *m = load(o, &buf);
    if (!m) return 1;
    lm_token *toks = NULL;
    int n = prompt_tokens(o, m, &toks);
    if (n <= 0) { lm_model_free(m); free(buf); free(toks); return 2; }
    cp.n_ctx = o->n_ctx > 0 ? o->n_ctx : n + o->n_predict;
    lm_sampler_params sp = lm_sampler_default_params();
    sp.temperature = o->temp; sp.top_k = o->top_k; sp.top_p = o->top_p; sp.min_p = o->min_p; sp.seed = o->seed;
    lm_model_info in;
    lm_model_get_info(m, &in);
    const lm_vocab *v = lm_model_vocab(m);
    lm_text_stream ts;
    lm_text_stream_init(&ts, v, false);
    lm_ctx *c = NULL;
    lm_sampler *smp = NULL;
    lm_status s = lm_ctx_new(m, &cp, &c);
    if (!s) s = lm_sampler_new(&sp, in.n_vocab, &smp);
    for (int i = 0; !s && i < n; i++) lm_sampler_accept(smp, toks[i]);
    if (!s) s = lm_decode(c, toks, n);
    for (int i = 0; !s && i < o->n_predict; i++) {
        lm_token t = lm_sampler_sample(smp, lm_logits(c, 0));
        lm_sampler_accept(smp, t);
        bool stop = o->prompt && v ? lm_vocab_is_eog(v, t) : t == in.eos;      // --tokens: only EOS (as before)
        if (!(stop && o->prompt)) show(o, &ts, t, i);
        if (stop) break;
        s = lm_decode(c, &t, 1);
    }
    char tail[8];
    int32_t k = o->prompt ? lm_text_stream_flush(&ts, tail, sizeof tail) : 0;
    if (k > 0) fwrite(tail, 1, (size_t)k, stdout);
    printf("\n");
    if (s) fprintf(stderr, "%s: %s\n", lm_status_name(s), lm_errmsg());
    lm_sampler_free(smp);
    lm_ctx_free(c);
    lm_model_free(m);
    free(buf);
    free(toks);
    return s ? 1 : 0;
}

// ---- tokenizer commands: JSON on stdin and stdout ----

static char *read_stdin(size_t *len) {
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, stdin)) > 0;) {
        n += got;
        if (n == cap) { char *nb = realloc(buf, cap *= 2); if (!nb) { free(buf); buf = NULL; } else buf = nb; }
    }
    if (!buf) fprintf(stderr, "stdin: out of memory\n");
    *len = n;
    return buf;
}

static lm_vocab *load_vocab(const opts *o, uint8_t **buf) {
    uint64_t len;
    if (!o->model) { fprintf(stderr, "-m VOCAB.gguf is required\n"); return NULL; }
    if (!(*buf = tool_read_file(o->model, &len))) return NULL;
    lm_vocab *v;
    lm_status s = lm_vocab_load(*buf, len, &v);
    if (s) { fprintf(stderr, "%s: %s: %s\n", o->model, lm_status_name(s), lm_errmsg()); free(*buf); return NULL; }
    return v;
}

// Reads stdin as JSON whose root must be an array; returns the root node or -1.
static int read_json_array(js_doc *d, char **text) {
    size_t len;
    if (!(*text = read_stdin(&len))) return -1;
    if (js_parse(*text, len, d)) { fprintf(stderr, "stdin: bad JSON: %s\n", d->err); return -1; }
    if (!js_is(d, 0, JS_ARR)) { fprintf(stderr, "stdin: expected a JSON array\n"); return -1; }
    return 0;
}

static bool tokenize_one(const lm_vocab *v, const js_node *nd, bool special) {
    char *s;
    size_t n;
    if (!jstr_decode(nd->s, nd->len, &s, &n) || n > INT32_MAX) { fprintf(stderr, "bad JSON string\n"); return false; }
    int32_t cnt = lm_tokenize(v, s, (int32_t)n, NULL, 0, special, special);
    lm_token *t = cnt < 0 && cnt != INT32_MIN ? malloc((size_t)-cnt * sizeof *t) : NULL;
    if (t) cnt = lm_tokenize(v, s, (int32_t)n, t, -cnt, special, special);
    free(s);
    if (cnt < 0) { fprintf(stderr, "tokenize: %s\n", cnt == INT32_MIN ? lm_errmsg() : "out of memory"); free(t); return false; }
    putchar('[');
    for (int32_t i = 0; i < cnt; i++) printf(i ? ",%d" : "%d", t[i]);
    putchar(']');
    free(t);
    return true;
}

static int cmd_tokenize(const opts *o) {
    if (!o->json) { fprintf(stderr, "tokenize reads a JSON array of strings: pass --json\n"); return 2; }
    uint8_t *buf;
    lm_vocab *v = load_vocab(o, &buf);
    if (!v) return 1;
    js_doc d = { 0 };
    char *text = NULL;
    bool ok = read_json_array(&d, &text) == 0;
    if (ok) putchar('[');
    for (int k = ok ? js_first(&d, 0) : -1, i = 0; ok && k >= 0; k = js_next(&d, k), i++) {
        if (!js_is(&d, k, JS_STR)) { fprintf(stderr, "element %d is not a string\n", i); ok = false; break; }
        if (i) putchar(',');
        ok = tokenize_one(v, &d.nodes[k], o->special);
    }
    if (ok) puts("]");
    js_free(&d); free(text); lm_vocab_free(v); free(buf);
    return ok ? 0 : 1;
}

static bool detokenize_one(const lm_vocab *v, const js_doc *d, int arr, bool special) {
    lm_token *t = malloc(((size_t)d->nodes[arr].n + 1) * sizeof *t);
    int32_t n = 0;
    int64_t x;
    for (int k = js_first(d, arr); t && k >= 0; k = js_next(d, k))
        if (js_int(d, k, &x) && x >= INT32_MIN && x <= INT32_MAX) t[n++] = (lm_token)x;
        else { fprintf(stderr, "token ids must be integers\n"); free(t); return false; }
    int32_t len = t ? lm_detokenize(v, t, n, NULL, 0, false, special) : INT32_MIN;
    char *s = len != INT32_MIN ? malloc(len < 0 ? (size_t)-len : 1) : NULL;
    if (s && len < 0) len = lm_detokenize(v, t, n, s, -len, false, special);
    if (s) jstr_write(stdout, s, (size_t)(len > 0 ? len : 0));
    free(t); free(s);
    return s != NULL;
}

// The same through lm_text_stream, one token at a time (what a generation loop prints).
static bool stream_one(const lm_vocab *v, const js_doc *d, int arr, bool special) {
    size_t cap = 256, n = 0;
    char *s = malloc(cap);
    lm_text_stream ts;
    lm_text_stream_init(&ts, v, special);
    int64_t x;
    for (int k = js_first(d, arr); s; k = js_next(d, k)) {
        if (k >= 0 && !js_int(d, k, &x)) { free(s); return false; }
        int32_t r;
        while (s && (r = k >= 0 ? lm_text_stream_push(&ts, (lm_token)x, s + n, (int32_t)(cap - n))
                                : lm_text_stream_flush(&ts, s + n, (int32_t)(cap - n))) < 0) {
            char *ns = r == INT32_MIN ? NULL : realloc(s, cap = cap * 2 + (size_t)-r);
            if (!ns) { free(s); return false; }
            s = ns;
        }
        n += (size_t)r;
        if (k < 0) break;
    }
    if (s) jstr_write(stdout, s, n);
    free(s);
    return s != NULL;
}

static int cmd_detokenize(const opts *o) {
    if (!o->json) { fprintf(stderr, "detokenize reads a JSON array of id arrays: pass --json\n"); return 2; }
    uint8_t *buf;
    lm_vocab *v = load_vocab(o, &buf);
    if (!v) return 1;
    js_doc d = { 0 };
    char *text = NULL;
    bool ok = read_json_array(&d, &text) == 0;
    if (ok) putchar('[');
    for (int k = ok ? js_first(&d, 0) : -1, i = 0; ok && k >= 0; k = js_next(&d, k), i++) {
        if (i) putchar(',');
        ok = js_is(&d, k, JS_ARR) && (o->stream ? stream_one : detokenize_one)(v, &d, k, o->special);
    }
    if (ok) puts("]");
    else fprintf(stderr, "detokenize failed\n");
    js_free(&d); free(text); lm_vocab_free(v); free(buf);
    return ok ? 0 : 1;
}

// One message object -> lm_chat_msg (content malloc'd). False with a message when malformed.
static bool chat_message(const js_doc *d, int obj, lm_chat_msg *m) {
    static const char *const ROLES[] = { "system", "user", "assistant" };
    int r = js_get(d, obj, "role"), c = js_get(d, obj, "content");
    char role[16];
    size_t n;
    char *content;
    if (!js_str(d, r, role, sizeof role) || !js_is(d, c, JS_STR)) { fprintf(stderr, "messages need string role and content\n"); return false; }
    int k = 0;
    while (k < 3 && strcmp(ROLES[k], role)) k++;
    if (k == 3) { fprintf(stderr, "role '%s' is not system, user or assistant\n", role); return false; }
    if (!jstr_decode(d->nodes[c].s, d->nodes[c].len, &content, &n)) { fprintf(stderr, "bad content string\n"); return false; }
    *m = (lm_chat_msg){ (lm_chat_role)k, content };
    return true;
}

static void json_ids(const char *key, const lm_token *t, int n) {
    printf("\"%s\":[", key);
    for (int i = 0; i < n; i++) printf(i ? ",%d" : "%d", t[i]);
    printf("]");
}

static int cmd_vocab(const opts *o) {
    uint8_t *buf;
    lm_vocab *v = load_vocab(o, &buf);
    if (!v) return 1;
    lm_vocab_info in;
    lm_vocab_get_info(v, &in);
    printf("{\"model\":\"%s\",\"pre\":\"%s\",\"n_tokens\":%d,\"bos\":%d,\"eos\":%d,\"eot\":%d,\"unk\":%d,\"pad\":%d,\"nl\":%d,"
           "\"add_bos\":%s,\"add_eos\":%s,\"add_space_prefix\":%s,\"chat_format\":\"",
           in.model, in.pre, in.n_tokens, in.bos, in.eos, in.eot, in.unk, in.pad, in.nl,
           in.add_bos ? "true" : "false", in.add_eos ? "true" : "false", in.add_space_prefix ? "true" : "false");
    lm_chat_format f;
    printf("%s\",", lm_chat_detect(v, &f) == LM_OK ? lm_chat_format_name(f) : "");
    lm_token *eog = malloc((size_t)in.n_tokens * sizeof *eog);
    int n = 0;
    for (lm_token t = 0; eog && t < in.n_tokens; t++) if (lm_vocab_is_eog(v, t)) eog[n++] = t;
    json_ids("eog", eog, n);
    printf(",\"chat_template\":");
    jstr_write(stdout, in.chat_template, (size_t)in.chat_template_len);
    printf("}\n");
    free(eog); lm_vocab_free(v); free(buf);
    return 0;
}

// Renders the message array node `arr`; prints the prompt raw, or (json) as a JSON string / null.
static bool chat_render(const lm_vocab *v, const lm_chat_params *cp, const js_doc *d, int arr, bool json) {
    if (!js_is(d, arr, JS_ARR)) { fprintf(stderr, "messages must be an array\n"); return false; }
    lm_chat_msg *msgs = calloc((size_t)d->nodes[arr].n + 1, sizeof *msgs);
    int32_t n = 0, len = INT32_MIN;
    bool ok = msgs != NULL;
    for (int k = js_first(d, arr); ok && k >= 0; k = js_next(d, k)) ok = chat_message(d, k, &msgs[n++]) || (n--, false);
    char *out = NULL;
    if (ok && (len = lm_chat_render(v, cp, msgs, n, NULL, 0)) != INT32_MIN && (out = malloc(len < 0 ? (size_t)-len : 1)))
        len = lm_chat_render(v, cp, msgs, n, out, len < 0 ? -len : 0);
    if (ok && len == INT32_MIN) fprintf(stderr, "chat: %s\n", lm_errmsg());
    if (json && ok) { if (out && len >= 0) jstr_write(stdout, out, (size_t)len); else fputs("null", stdout); }
    else if (out && len >= 0) fwrite(out, 1, (size_t)len, stdout);
    for (int32_t i = 0; i < n; i++) free((char *)msgs[i].content);
    free(msgs);
    free(out);
    return ok && (json || len >= 0);
}

// --json: stdin is [{"messages": [...], "add_generation_prompt": b, "enable_thinking": b, "date": s}, ...]
// and stdout a JSON array of prompts (null where the template rejects the messages).
static bool chat_cases(const lm_vocab *v, const lm_chat_params *base, const js_doc *d) {
    bool ok = true;
    char date[64];
    putchar('[');
    for (int k = js_first(d, 0), i = 0; ok && k >= 0; k = js_next(d, k), i++) {
        lm_chat_params cp = *base;
        int g = js_get(d, k, "add_generation_prompt"), t = js_get(d, k, "enable_thinking"), dt = js_get(d, k, "date");
        if (g >= 0) cp.add_generation_prompt = js_is(d, g, JS_TRUE);
        if (t >= 0) cp.enable_thinking = js_is(d, t, JS_TRUE);
        if (dt >= 0 && js_str(d, dt, date, sizeof date)) cp.date = date;
        if (i) putchar(',');
        ok = chat_render(v, &cp, d, js_get(d, k, "messages"), true);
    }
    puts("]");
    return ok;
}

static int cmd_chat(const opts *o) {
    lm_chat_params cp = lm_chat_default_params();
    cp.add_generation_prompt = !o->no_gen; cp.enable_thinking = o->thinking; cp.date = o->date;
    if (o->format && (cp.format = lm_chat_format_from_name(o->format)) == LM_CHAT_COUNT) { fprintf(stderr, "unknown format '%s'\n", o->format); return 2; }
    uint64_t tlen;
    uint8_t *tmpl = o->tmpl ? tool_read_file(o->tmpl, &tlen) : NULL;
    if (o->tmpl && !tmpl) return 1;
    if (tmpl) { tmpl[tlen] = 0; cp.chat_template = (const char *)tmpl; }
    uint8_t *buf;
    lm_vocab *v = load_vocab(o, &buf);
    if (!v) { free(tmpl); return 1; }
    js_doc d = { 0 };
    char *text = NULL;
    bool ok = read_json_array(&d, &text) == 0 && (o->json ? chat_cases(v, &cp, &d) : chat_render(v, &cp, &d, 0, false));
    js_free(&d); free(text); lm_vocab_free(v); free(buf); free(tmpl);
    return ok ? 0 : 1;
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
    // fn takes the common options; raw commands (the GGUF-M tools, mobile.h) parse their own argv
    static const struct { const char *name; int (*fn)(const opts *); int (*raw)(int, char **); } CMDS[] = {
        { "info", cmd_info, NULL }, { "logits", cmd_logits, NULL }, { "run", cmd_run, NULL }, { "gen", cmd_gen, NULL },
        { "tokenize", cmd_tokenize, NULL }, { "detokenize", cmd_detokenize, NULL }, { "chat", cmd_chat, NULL },
        { "vocab", cmd_vocab, NULL },
        { "quantize", NULL, cmd_quantize }, { "convert-ct", NULL, cmd_convert_ct }, { "split", NULL, cmd_split },
        { "bpe-train", NULL, cmd_bpe_train }, { "train", NULL, cmd_train }, { "train-export", NULL, cmd_train_export },
        { "ppl", NULL, cmd_ppl },
    };
    for (size_t i = 0; argc >= 2 && i < sizeof CMDS / sizeof CMDS[0]; i++)
        if (CMDS[i].raw && !strcmp(argv[1], CMDS[i].name)) return CMDS[i].raw(argc - 2, argv + 2);
    opts o;
    if (argc < 2 || parse_args(argc, argv, &o)) return usage();
    for (size_t i = 0; i < sizeof CMDS / sizeof CMDS[0]; i++)
        if (CMDS[i].fn && !strcmp(argv[1], CMDS[i].name)) return CMDS[i].fn(&o);
    return usage();
}
#endif
