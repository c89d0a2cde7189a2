// pretok.c — pre-tokenizers: split a text (code points) into the words BPE merges within.
//
// Each splitter is a hand-written scanner equivalent to llama.cpp's for the same pattern
// (llama.cpp runs custom scanners for these patterns too, so its behaviour, not a regex
// engine's, is the specification). Patterns, for reference:
//   gpt2:    's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   llama3:  (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//   qwen2:   as llama3 with \p{N} (one digit per word) instead of \p{N}{1,3}
//   gemma4:  [^\n]+|[\n]+
#include "tokenizer.h"
#include "unicode.h"

#define OOR 0xFFFFFFFFu   // "no code point": a position outside the text

typedef struct {
    const uint32_t *c;    // [n] code points
    const uint16_t *f;    // [n] LM_UC_* flags
    size_t n;
    uint32_t *ends;       // out: end offset of each word
    size_t n_words, prev;
} scan;

static uint32_t cp(const scan *s, size_t p) { return p < s->n ? s->c[p] : OOR; }
static uint16_t fl(const scan *s, size_t p) { return p < s->n ? s->f[p] : 0; }

// Ends the current word at `end` (empty words are dropped); returns its length.
static size_t word(scan *s, size_t end) {
    size_t len = end - s->prev;
    if (len) s->ends[s->n_words++] = (uint32_t)end;
    s->prev = end;
    return len;
}

static uint32_t ascii_lower(uint32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

// 's 't 'm 'd 're 've 'll at p: returns the length (2 or 3) or 0. fold: case-insensitive.
static size_t contraction(const scan *s, size_t p, bool fold) {
    if (cp(s, p) != '\'' || p + 1 >= s->n) return 0;
    uint32_t a = fold ? ascii_lower(cp(s, p + 1)) : cp(s, p + 1);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (p + 2 >= s->n) return 0;
    uint32_t b = fold ? ascii_lower(cp(s, p + 2)) : cp(s, p + 2);
    return (a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l') ? 3 : 0;
}

static bool is_other(uint16_t f) { return !(f & (LM_UC_WHITESPACE | LM_UC_LETTER | LM_UC_NUMBER)) && f; }

// Whitespace tail shared by all three: \s+(?!\S) leaves the last space for the next word, \s+.
static void spaces(scan *s, size_t *pos, size_t nws) {
    if (nws > 1 && cp(s, *pos + nws) != OOR) *pos += nws - 1;
    else if (nws > 0) *pos += nws;
    else *pos += 1;                               // no rule matched: one code point alone
    word(s, *pos);
}

static void split_gpt2(scan *s) {
    for (size_t pos = 0; pos < s->n;) {
        size_t k = contraction(s, pos, false);
        if (k) { pos += word(s, pos + k); continue; }
        uint32_t c = cp(s, pos);
        uint16_t f2 = c == ' ' ? fl(s, pos + 1) : fl(s, pos);
        uint16_t cls = f2 & LM_UC_LETTER ? LM_UC_LETTER : f2 & LM_UC_NUMBER ? LM_UC_NUMBER : 0;
        if (cls) {                                // ' ?\p{L}+' or ' ?\p{N}+'
            pos += c == ' ';
            while (fl(s, pos) & cls) pos++;
            word(s, pos);
            continue;
        }
        if (is_other(f2)) {                       // ' ?[^\s\p{L}\p{N}]+'
            pos += c == ' ';
            while (is_other(fl(s, pos))) pos++;
            word(s, pos);
            continue;
        }
        size_t nws = 0;
        while (fl(s, pos + nws) & LM_UC_WHITESPACE) nws++;
        spaces(s, &pos, nws);
    }
}

// llama3 (digits_max 3) and qwen2 (digits_max 1).
static void split_llama3(scan *s, size_t digits_max) {
    for (size_t pos = 0; pos < s->n;) {
        size_t k = contraction(s, pos, true);
        if (k) { pos += word(s, pos + k); continue; }
        uint32_t c = cp(s, pos);
        uint16_t f = fl(s, pos);
        if (!(c == '\r' || c == '\n' || (f & LM_UC_NUMBER)) && ((f | fl(s, pos + 1)) & LM_UC_LETTER)) {
            pos++;                                // '[^\r\n\p{L}\p{N}]?\p{L}+'
            while (fl(s, pos) & LM_UC_LETTER) pos++;
            word(s, pos);
            continue;
        }
        if (f & LM_UC_NUMBER) {                   // '\p{N}{1,digits_max}'
            size_t ini = pos;
            while (fl(s, pos) & LM_UC_NUMBER)
                if (++pos - ini >= digits_max) { word(s, pos); ini = pos; }
            word(s, pos);
            continue;
        }
        uint16_t f2 = c == ' ' ? fl(s, pos + 1) : f;
        if (!(f2 & (LM_UC_WHITESPACE | LM_UC_LETTER | LM_UC_NUMBER)) && f) {   // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
            pos += c == ' ';
            while (is_other(fl(s, pos))) pos++;
            while (cp(s, pos) == '\r' || cp(s, pos) == '\n') pos++;
            word(s, pos);
            continue;
        }
        size_t nws = 0, last_rn = 0;
        for (; fl(s, pos + nws) & LM_UC_WHITESPACE; nws++)
            if (cp(s, pos + nws) == '\r' || cp(s, pos + nws) == '\n') last_rn = pos + nws + 1;
        if (last_rn) { pos = last_rn; word(s, pos); continue; }   // '\s*[\r\n]+'
        spaces(s, &pos, nws);
    }
}

static void split_newlines(scan *s) {
    for (size_t pos = 0; pos < s->n;) {
        bool nl = s->c[pos] == '\n';
        while (pos < s->n && (s->c[pos] == '\n') == nl) pos++;
        word(s, pos);
    }
}

size_t lm_pretok_split(lm_pre_kind kind, const uint32_t *cpts, const uint16_t *flags, size_t n, uint32_t *ends) {
    scan s = { cpts, flags, n, ends, 0, 0 };
    switch (kind) {
        case LM_PRE_GPT2:     split_gpt2(&s); break;
        case LM_PRE_LLAMA3:   split_llama3(&s, 3); break;
        case LM_PRE_QWEN2:    split_llama3(&s, 1); break;
        case LM_PRE_NEWLINES: split_newlines(&s); break;
        default:              if (n) word(&s, n); break;
    }
    return s.n_words;
}
