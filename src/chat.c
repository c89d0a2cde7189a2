// chat.c — chat prompts for known template families, chosen by enum (no Jinja engine).
//
// Each renderer writes what the family's Jinja template (as shipped in the GGUF, rendered by
// llama.cpp's engine) writes for plain system/user/assistant messages: the same text, trims
// (Jinja's trim strips ASCII whitespace in llama.cpp's engine) and role names. Tool calls,
// images and other template features are not rendered.
#include "chat.h"
#include "tokenizer.h"
#include <stdlib.h>
#include <string.h>

static const char *const NAMES[LM_CHAT_COUNT] = { "auto", "gemma4", "gemma3", "llama3", "llama31", "chatml" };

lm_chat_params lm_chat_default_params(void) {
    return (lm_chat_params){ .format = LM_CHAT_AUTO, .add_generation_prompt = true };
}

const char *lm_chat_format_name(lm_chat_format f) { return f >= 0 && f < LM_CHAT_COUNT ? NAMES[f] : NULL; }

lm_chat_format lm_chat_format_from_name(const char *name) {
    for (int f = 0; name && f < LM_CHAT_COUNT; f++) if (!strcmp(NAMES[f], name)) return (lm_chat_format)f;
    return LM_CHAT_COUNT;
}

// ---- template analysis ----

static const char *find(const char *s, size_t n, const char *z) {
    size_t k = strlen(z);
    for (size_t i = 0; i + k <= n; i++) if (!memcmp(s + i, z, k)) return s + i;
    return NULL;
}

// ChatML default system prompt: a string literal that continues after "<|im_start|>system\n"
// (newline written raw or as \n) up to "<|im_end|>".
static void default_system(const char *t, size_t n, lm_chat_template_info *o) {
    static const char KEY[] = "<|im_start|>system";
    for (const char *p = t; (p = find(p, n - (size_t)(p - t), KEY)); p += sizeof KEY - 1) {
        const char *q = p + sizeof KEY - 1, *end = t + n;
        if (q < end && *q == '\n') q++;
        else if (end - q >= 2 && q[0] == '\\' && q[1] == 'n') q += 2;
        else continue;
        const char *e = q;                        // the literal must go on, unclosed, to <|im_end|>
        while (e < end && *e != '\'' && *e != '"' && (size_t)(end - e) >= 10 && memcmp(e, "<|im_end|>", 10))
            e += *e == '\\' ? 2 : 1;
        if (e == q || e >= end || (size_t)(end - e) < 10 || memcmp(e, "<|im_end|>", 10)) continue;
        o->default_system = q;
        o->default_system_len = (size_t)(e - q);
        return;
    }
}

lm_status lm_chat_analyze(const char *t, size_t n, lm_chat_template_info *o) {
    *o = (lm_chat_template_info){ 0 };
    if (!t || !n) return lm_fail(LM_UNSUPPORTED, "the model has no chat template (tokenizer.chat_template); choose a format");
    o->no_bos = !find(t, n, "bos_token");
    if (find(t, n, "<|turn>")) {
        o->format = LM_CHAT_GEMMA4;
        o->think_newline = find(t, n, "'<|think|>\\n'") != NULL;
        o->merge_model_turns = find(t, n, "continue_same_model_turn") != NULL;
    }
    else if (find(t, n, "<start_of_turn>")) {
        o->format = LM_CHAT_GEMMA3;
        o->no_system = find(t, n, "System role not supported") != NULL;
    } else if (find(t, n, "<|start_header_id|>") && find(t, n, "<|end_header_id|>")) {
        o->format = find(t, n, "Cutting Knowledge Date") ? LM_CHAT_LLAMA31 : LM_CHAT_LLAMA3;
        o->always_gen_prompt = !find(t, n, "add_generation_prompt");
    } else if (find(t, n, "<|im_start|>") && !find(t, n, "<think>")) {
        o->format = LM_CHAT_CHATML;
        default_system(t, n, o);
    } else
        return lm_fail(LM_UNSUPPORTED, "chat template not recognised (known: Gemma 4, Gemma 3, Llama 3, ChatML); choose a format");
    return LM_OK;
}

lm_status lm_chat_detect(const lm_vocab *v, lm_chat_format *out) {
    lm_chat_template_info info;
    lm_status s = lm_chat_analyze(v ? v->chat_template.ptr : NULL, v ? (size_t)v->chat_template.len : 0, &info);
    *out = s ? LM_CHAT_AUTO : info.format;
    return s;
}

// ---- output ----

typedef struct { char *buf; int64_t cap, n; } out_t;

static void put(out_t *o, const char *s, size_t n) {
    if (o->n + (int64_t)n <= o->cap) memcpy(o->buf + o->n, s, n);
    o->n += (int64_t)n;
}
static void puts_(out_t *o, const char *z) { put(o, z, strlen(z)); }

static bool jspace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static void put_trim(out_t *o, const char *s, size_t n) {
    while (n && jspace(*s)) { s++; n--; }
    while (n && jspace(s[n - 1])) n--;
    put(o, s, n);
}

// Jinja string literal body -> text (\n \t \r \\ \' \").
static void put_unescaped(out_t *o, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\' && i + 1 < n) {
            c = s[++i];
            c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
        }
        put(o, &c, 1);
    }
}

// Gemma 4's strip_thinking macro: drop every "<|channel>...<channel|>" span (and an unclosed
// "<|channel>..." tail), then trim. False when out of memory.
static bool put_stripped(out_t *o, const char *s, size_t n) {
    char *tmp = malloc(n ? n : 1);
    if (!tmp) { lm_fail(LM_NOMEM, "chat message of %zu bytes", n); return false; }
    size_t k = 0;
    for (const char *p = s, *end = s + n; p <= end;) {
        const char *close = find(p, (size_t)(end - p), "<channel|>");
        const char *part_end = close ? close : end;
        const char *open = find(p, (size_t)(part_end - p), "<|channel>");
        const char *keep_end = open ? open : part_end;
        memcpy(tmp + k, p, (size_t)(keep_end - p));
        k += (size_t)(keep_end - p);
        if (!close) break;
        p = close + strlen("<channel|>");
    }
    put_trim(o, tmp, k);
    free(tmp);
    return true;
}

static const char *role_name(lm_chat_role r, bool gemma) {
    return r == LM_ROLE_SYSTEM ? "system" : r == LM_ROLE_USER ? "user" : gemma ? "model" : "assistant";
}

static const char *bos_text(const lm_vocab *v, const lm_chat_template_info *t, size_t *n) {
    if (!v || v->bos < 0 || t->no_bos) { *n = 0; return ""; }
    *n = v->text[v->bos].n;
    return v->text[v->bos].p;
}

// ---- renderers ----

typedef struct {
    const lm_vocab *v;
    const lm_chat_params *p;
    const lm_chat_template_info *t;
    const lm_chat_msg *m;
    int32_t n;
} job;

static bool render_gemma4(const job *j, out_t *o) {
    size_t bn;
    const char *bos = bos_text(j->v, j->t, &bn);
    put(o, bos, bn);
    int32_t first = 0;
    bool sys = j->n > 0 && j->m[0].role == LM_ROLE_SYSTEM;
    if (j->p->enable_thinking || sys) {
        puts_(o, "<|turn>system\n");
        if (j->p->enable_thinking) puts_(o, j->t->think_newline ? "<|think|>\n" : "<|think|>");
        if (sys) { put_trim(o, j->m[0].content, strlen(j->m[0].content)); first = 1; }
        puts_(o, "<turn|>\n");
    }
    for (int32_t i = first; i < j->n; i++) {
        const lm_chat_msg *m = &j->m[i];
        bool same_turn = j->t->merge_model_turns && i > first && m->role == LM_ROLE_ASSISTANT && j->m[i - 1].role == LM_ROLE_ASSISTANT;
        if (!same_turn) { puts_(o, "<|turn>"); puts_(o, role_name(m->role, true)); puts_(o, "\n"); }
        if (m->role != LM_ROLE_ASSISTANT) put_trim(o, m->content, strlen(m->content));
        else if (!put_stripped(o, m->content, strlen(m->content))) return false;
        puts_(o, "<turn|>\n");
    }
    if (j->p->add_generation_prompt) {
        puts_(o, "<|turn>model\n");
        if (!j->p->enable_thinking) puts_(o, "<|channel>thought\n<channel|>");
    }
    return true;
}

static bool render_gemma3(const job *j, out_t *o) {
    size_t bn;
    const char *bos = bos_text(j->v, j->t, &bn);
    put(o, bos, bn);
    int32_t first = 0;
    if (j->n > 0 && j->m[0].role == LM_ROLE_SYSTEM) {
        if (j->t->no_system) { lm_fail(LM_INVALID_ARG, "this chat template does not support a system message"); return false; }
        first = 1;
    }
    for (int32_t i = first; i < j->n; i++) {
        const lm_chat_msg *m = &j->m[i];
        if ((m->role == LM_ROLE_USER) != ((i - first) % 2 == 0)) {
            lm_fail(LM_INVALID_ARG, "Conversation roles must alternate user/assistant/user/assistant/...");
            return false;
        }
        puts_(o, "<start_of_turn>"); puts_(o, role_name(m->role, true)); puts_(o, "\n");
        if (i == first && first) { puts_(o, j->m[0].content); puts_(o, "\n\n"); }
        put_trim(o, m->content, strlen(m->content));
        puts_(o, "<end_of_turn>\n");
    }
    if (j->p->add_generation_prompt) puts_(o, "<start_of_turn>model\n");
    return true;
}

static void llama3_turn(out_t *o, const char *role, const char *content) {
    puts_(o, "<|start_header_id|>"); puts_(o, role); puts_(o, "<|end_header_id|>\n\n");
    put_trim(o, content, strlen(content));
    puts_(o, "<|eot_id|>");
}

static bool render_llama3(const job *j, out_t *o) {
    size_t bn;
    const char *bos = bos_text(j->v, j->t, &bn);
    int32_t first = 0;
    if (j->t->format == LM_CHAT_LLAMA31) {
        put(o, bos, bn);
        puts_(o, "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: ");
        puts_(o, j->p->date ? j->p->date : "26 Jul 2024");
        puts_(o, "\n\n");
        if (j->n > 0 && j->m[0].role == LM_ROLE_SYSTEM) { put_trim(o, j->m[0].content, strlen(j->m[0].content)); first = 1; }
        puts_(o, "<|eot_id|>");
    }
    for (int32_t i = first; i < j->n; i++) {
        if (i == 0 && j->t->format == LM_CHAT_LLAMA3) put(o, bos, bn);
        llama3_turn(o, role_name(j->m[i].role, false), j->m[i].content);
    }
    if (j->p->add_generation_prompt || j->t->always_gen_prompt) puts_(o, "<|start_header_id|>assistant<|end_header_id|>\n\n");
    return true;
}

static bool render_chatml(const job *j, out_t *o) {
    if (j->n > 0 && j->m[0].role != LM_ROLE_SYSTEM && j->t->default_system_len) {
        puts_(o, "<|im_start|>system\n");
        put_unescaped(o, j->t->default_system, j->t->default_system_len);
        puts_(o, "<|im_end|>\n");
    }
    for (int32_t i = 0; i < j->n; i++) {
        puts_(o, "<|im_start|>"); puts_(o, role_name(j->m[i].role, false)); puts_(o, "\n");
        puts_(o, j->m[i].content);
        puts_(o, "<|im_end|>\n");
    }
    if (j->p->add_generation_prompt) puts_(o, "<|im_start|>assistant\n");
    return true;
}

int32_t lm_chat_render(const lm_vocab *v, const lm_chat_params *p, const lm_chat_msg *msgs, int32_t n,
                       char *buf, int32_t cap) {
    if (!p || n < 0 || (!msgs && n) || cap < 0 || p->format < 0 || p->format >= LM_CHAT_COUNT)
        return lm_fail(LM_INVALID_ARG, "lm_chat_render: bad arguments"), INT32_MIN;
    for (int32_t i = 0; i < n; i++)
        if (!msgs[i].content || msgs[i].role < LM_ROLE_SYSTEM || msgs[i].role > LM_ROLE_ASSISTANT)
            return lm_fail(LM_INVALID_ARG, "message %d: bad role or NULL content", i), INT32_MIN;
    const char *tmpl = p->chat_template ? p->chat_template : v ? v->chat_template.ptr : NULL;
    size_t tlen = p->chat_template ? strlen(p->chat_template) : v ? (size_t)v->chat_template.len : 0;
    lm_chat_template_info t = { .format = p->format };
    if (p->format == LM_CHAT_AUTO) {
        if (lm_chat_analyze(tmpl, tlen, &t)) return INT32_MIN;
    } else if (tlen) {                             // an explicit family still takes the template's details
        lm_chat_template_info d;
        if (lm_chat_analyze(tmpl, tlen, &d) == LM_OK && d.format == p->format) t = d;
        lm_clear_error();
    }
    static bool (*const RENDER[LM_CHAT_COUNT])(const job *, out_t *) = {
        [LM_CHAT_GEMMA4] = render_gemma4, [LM_CHAT_GEMMA3] = render_gemma3, [LM_CHAT_LLAMA3] = render_llama3,
        [LM_CHAT_LLAMA31] = render_llama3, [LM_CHAT_CHATML] = render_chatml,
    };
    job j = { v, p, &t, msgs, n };
    out_t o = { buf, buf ? cap : 0, 0 };
    if (!RENDER[t.format](&j, &o)) return INT32_MIN;
    if (o.n > INT32_MAX) return lm_fail(LM_TOO_LARGE, "chat prompt over 2 GB"), INT32_MIN;
    return o.n <= o.cap ? (int32_t)o.n : -(int32_t)o.n;
}
