// detok.c — token ids -> text: pieces, llama.cpp-exact detokenization, the UTF-8-safe stream,
// and vocabulary info.
#include "tokenizer.h"
#include "unicode.h"
#include <stdlib.h>
#include <string.h>

// Bounded writer: writes what fits, counts everything. Up to `skip` spaces are dropped while
// nothing has been written since `mark` (llama.cpp's lstrip of a piece).
typedef struct { char *buf; int64_t cap, n, mark; int32_t skip; } wbuf;

static void put(wbuf *w, const void *p, size_t n) {
    const char *s = p;
    while (w->skip > 0 && w->n == w->mark && n > 0 && *s == ' ') { w->skip--; s++; n--; }
    if (n) w->skip = 0;
    if (w->n + (int64_t)n <= w->cap) memcpy(w->buf + w->n, s, n);
    w->n += (int64_t)n;
}

// Token text with every U+2581 shown as ' '.
static void put_unescaped(wbuf *w, lm_span t) {
    uint32_t a = 0;
    for (uint32_t i = 0; i + 3 <= t.n; i++)
        if (!memcmp(t.p + i, "\xe2\x96\x81", 3)) { put(w, t.p + a, i - a); put(w, " ", 1); a = (i += 2) + 1; }
    put(w, t.p + a, t.n - a);
}

// GPT-2 byte-level text back to bytes; characters outside the byte map are spelled out the way
// llama.cpp does ("[UNK_BYTE_0x<hex>" + the whole token text + "]").
static void put_gpt2(wbuf *w, lm_span t) {
    for (uint32_t i = 0, adv; i < t.n; i += (uint32_t)adv) {
        size_t a;
        uint32_t c = lm_utf8_decode_lenient((const uint8_t *)t.p + i, t.n - i, &a);
        adv = (uint32_t)a;
        int b = lm_gpt2_cpt_to_byte(c);
        if (b >= 0) { char ch = (char)b; put(w, &ch, 1); continue; }
        uint8_t u[4];
        int k = lm_utf8_encode(c, u);
        put(w, "[UNK_BYTE_0x", 12);
        for (int j = 0; j < k; j++) { char hx[3] = { "0123456789abcdef"[u[j] >> 4], "0123456789abcdef"[u[j] & 15], 0 }; put(w, hx, 2); }
        put(w, t.p, t.n);
        put(w, "]", 1);
    }
}

static int hexval(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

// The byte of a BYTE token "<0xXX>": llama.cpp parses text[3..5) as hex (strtol: stops early).
static void put_byte(wbuf *w, lm_span t) {
    int v = 0;
    for (uint32_t i = 3; i < 5 && i < t.n && hexval(t.p[i]) >= 0; i++) v = v * 16 + hexval(t.p[i]);
    char ch = (char)v;
    put(w, &ch, 1);
}

static void piece(const lm_vocab *v, lm_token t, bool special, wbuf *w) {
    if (!v || t < 0 || t >= v->n_tokens) return;
    uint16_t a = v->attr[t];
    if (!special && (a & (LM_ATTR_UNKNOWN | LM_ATTR_CONTROL))) return;
    lm_span s = v->text[t];
    if (a & (LM_ATTR_UNKNOWN | LM_ATTR_CONTROL | LM_ATTR_USER_DEFINED)) put(w, s.p, s.n);
    else if (a & LM_ATTR_NORMAL) {
        if (v->kind == LM_VOCAB_SPM || v->escape_spaces) put_unescaped(w, s);
        else put_gpt2(w, s);
    } else if (a & LM_ATTR_BYTE) put_byte(w, s);
}

static int32_t finish(const wbuf *w) {
    if (w->n > INT32_MAX) return -INT32_MAX;
    return w->n <= w->cap ? (int32_t)w->n : -(int32_t)w->n;
}

int32_t lm_token_to_piece(const lm_vocab *v, lm_token t, char *buf, int32_t cap, bool special) {
    wbuf w = { buf, cap > 0 && buf ? cap : 0, 0, 0, 0 };
    piece(v, t, special, &w);
    return finish(&w);
}

// llama.cpp's clean_spaces passes over text[0..n): " ?" " !" " ." " ," lose the space; " ' "
// becomes "'"; " 's" " 'm" " 're" " 've" lose the space. Returns the new length.
static int64_t clean_spaces(char *text, int64_t n) {
    int64_t total = n ? 1 : 0;
    for (int64_t i = 1; i < n; i++) {
        char x = text[i];
        if (text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) total--;
        text[total++] = x;
    }
    int64_t n2 = total;
    total = n2 ? 1 : 0;
    for (int64_t i = 1; i < n2; i++) {
        char x = text[i];
        if (x == '\'' && i + 1 < n2 && text[i - 1] == ' ' && text[i + 1] == ' ') { total--; text[++i] = '\0'; }
        text[total++] = x;
    }
    int64_t n3 = total;
    total = n3 ? 1 : 0;
    for (int64_t i = 1; i < n3; i++) {
        char x = text[i];
        if (text[i - 1] == ' ' && x == '\'' && i + 1 < n3) {
            char x1 = text[i + 1];
            if (x1 == 's' || x1 == 'm') total--;
            else if (i + 2 < n3 && ((x1 == 'r' && text[i + 2] == 'e') || (x1 == 'v' && text[i + 2] == 'e'))) total--;
        }
        text[total++] = x;
    }
    return total;
}

int32_t lm_detokenize(const lm_vocab *v, const lm_token *tokens, int32_t n, char *buf, int32_t cap,
                      bool remove_special, bool unparse_special) {
    if (!v || n < 0 || (!tokens && n)) return lm_fail(LM_INVALID_ARG, "lm_detokenize: bad arguments"), INT32_MIN;
    wbuf w = { buf, cap > 0 && buf ? cap : 0, 0, 0, 0 };
    bool strip = v->add_space_prefix;
    if (remove_special && v->add_bos && n > 0 && tokens[0] == v->bos) { strip = false; tokens++; n--; }
    if (remove_special && v->add_eos && n > 0 && tokens[n - 1] == v->eos) n--;
    for (int32_t i = 0; i < n; i++) {
        w.mark = w.n;
        w.skip = strip && i == 0;
        piece(v, tokens[i], unparse_special, &w);
    }
    if (w.n > w.cap) return finish(&w);
    if (v->clean_spaces) w.n = clean_spaces(buf, w.n);
    return finish(&w);
}

// ---- streaming ----

void lm_text_stream_init(lm_text_stream *s, const lm_vocab *v, bool special) {
    *s = (lm_text_stream){ .v = v, .special = special };
}

// Valid UTF-8 prefix handling of p[0..n): writes complete characters (U+FFFD for invalid
// bytes) to w; returns how many trailing bytes form an unfinished character.
static size_t drain(const uint8_t *p, size_t n, wbuf *w) {
    size_t i = 0;
    while (i < n) {
        size_t adv;
        int32_t c = lm_utf8_decode_strict(p + i, n - i, &adv);
        if (c >= 0) { put(w, p + i, adv); i += adv; continue; }
        if (adv == 0) return n - i;                       // incomplete: hold
        put(w, "\xef\xbf\xbd", 3);
        i += adv;
    }
    return 0;
}

int32_t lm_text_stream_push(lm_text_stream *s, lm_token t, char *buf, int32_t cap) {
    char small[256];
    wbuf pw = { small, sizeof small, 0, 0, 0 };
    piece(s->v, t, s->special, &pw);
    char *pc = small;
    if (pw.n > (int64_t)sizeof small) {                   // long piece: render again into the heap
        if (pw.n > INT32_MAX - 8 || !(pc = malloc((size_t)pw.n))) return lm_fail(LM_NOMEM, "token piece"), INT32_MIN;
        pw = (wbuf){ pc, pw.n, 0, 0, 0 };
        piece(s->v, t, s->special, &pw);
    }
    size_t n = s->n_pend + (size_t)pw.n;
    uint8_t stack[sizeof small + 4], *all = n <= sizeof stack ? stack : malloc(n);
    if (!all) { if (pc != small) free(pc); return lm_fail(LM_NOMEM, "token piece"), INT32_MIN; }
    memcpy(all, s->pend, s->n_pend);
    memcpy(all + s->n_pend, pc, (size_t)pw.n);
    if (pc != small) free(pc);
    wbuf w = { buf, cap > 0 && buf ? cap : 0, 0, 0, 0 };
    size_t held = drain(all, n, &w);
    int32_t r = finish(&w);
    if (r >= 0) { memcpy(s->pend, all + n - held, held); s->n_pend = (uint8_t)held; }
    if (all != stack) free(all);
    return r;
}

int32_t lm_text_stream_flush(lm_text_stream *s, char *buf, int32_t cap) {
    wbuf w = { buf, cap > 0 && buf ? cap : 0, 0, 0, 0 };
    if (s->n_pend) put(&w, "\xef\xbf\xbd", 3);
    int32_t r = finish(&w);
    if (r >= 0) s->n_pend = 0;
    return r;
}

// ---- info ----

void lm_vocab_get_info(const lm_vocab *v, lm_vocab_info *o) {
    static const char *const PRE_NAME[] = { "", "gemma4", "gpt-2", "llama3", "qwen2" };
    if (!v) { *o = (lm_vocab_info){ .model = "", .pre = "", .bos = -1, .eos = -1, .eot = -1, .unk = -1, .pad = -1, .nl = -1 }; return; }
    *o = (lm_vocab_info){
        .model = v->model, .pre = v->kind == LM_VOCAB_SPM ? "" : v->pre == LM_PRE_NEWLINES ? PRE_NAME[1] : v->pre_name,
        .n_tokens = v->n_tokens, .bos = v->bos, .eos = v->eos, .eot = v->eot, .unk = v->unk, .pad = v->pad, .nl = v->nl,
        .add_bos = v->add_bos, .add_eos = v->add_eos, .add_space_prefix = v->add_space_prefix,
        .chat_template = v->chat_template.ptr,
        .chat_template_len = v->chat_template.len < INT32_MAX ? (int32_t)v->chat_template.len : 0,
    };
}

bool lm_vocab_is_eog(const lm_vocab *v, lm_token t) {
    for (int32_t i = 0; v && i < v->n_eog; i++) if (v->eog[i] == t) return true;
    return false;
}
