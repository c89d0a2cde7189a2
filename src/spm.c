// spm.c — SentencePiece-style tokenization (tokenizer.ggml.model "llama": Llama 2, Gemma 3).
//
// Spaces become U+2581 ("▁"); the text starts as one symbol per UTF-8 character; repeatedly the
// adjacent pair whose concatenation is the best-scoring token is merged (highest score first,
// leftmost on ties); what is left is looked up, and a symbol that is no token is spelled with
// byte tokens <0xXX>. Same order and result as llama.cpp's llm_tokenizer_spm.
#include "tokenizer.h"
#include "unicode.h"
#include <stdlib.h>
#include <string.h>

enum { START, LEN, PREV, NEXT, HEAP, SLOT, KEY };

// Heap key for a score: higher scores pop first (smaller key). -0 and +0 compare equal.
static uint32_t score_key(float f) {
    if (f == 0.0f) f = 0.0f;
    uint32_t u;
    memcpy(&u, &f, 4);
    u = (u & 0x80000000u) ? ~u : u | 0x80000000u;      // order-preserving map to unsigned
    return ~u;
}

// Escapes ' ' -> U+2581 (with one more in front when `prefix`) into s->bytes; returns its length.
static size_t escape(lm_scratch *s, const char *text, size_t len, bool prefix) {
    size_t spaces = prefix;
    for (size_t i = 0; i < len; i++) spaces += text[i] == ' ';
    size_t n = len + spaces * 2 + prefix;
    if (n > s->bytes_cap) {
        char *p = realloc(s->bytes, n);
        if (!p) { s->oom = true; return 0; }
        s->bytes = p; s->bytes_cap = n;
    }
    char *o = s->bytes;
    if (prefix) { memcpy(o, "\xe2\x96\x81", 3); o += 3; }
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ' ') { memcpy(o, "\xe2\x96\x81", 3); o += 3; }
        else *o++ = text[i];
    }
    return n;
}

// Scores the pair (i, next of i) into the heap, or takes i out when the pair is no token.
static void consider(const lm_vocab *v, const char *t, uint32_t **a, lm_iheap *h, uint32_t i) {
    uint32_t j = i == UINT32_MAX ? UINT32_MAX : a[NEXT][i];
    if (j == UINT32_MAX) { if (i != UINT32_MAX) lm_iheap_remove(h, i); return; }
    lm_token tok = lm_vocab_find(v, t + a[START][i], a[LEN][i] + a[LEN][j]);
    if (tok >= 0) lm_iheap_set(h, i, score_key(v->score[tok]));
    else lm_iheap_remove(h, i);
}

static void emit(const lm_vocab *v, const char *p, uint32_t n, lm_toks *out) {
    lm_token tok = lm_vocab_find(v, p, n);
    if (tok >= 0) { lm_toks_push(out, tok); return; }
    for (uint32_t k = 0; k < n; k++) {                    // byte fallback
        uint8_t b = (uint8_t)p[k];
        lm_token bt = v->byte_hex[b] >= 0 ? v->byte_hex[b] : v->byte_raw[b] >= 0 ? v->byte_raw[b] : v->unk;
        if (bt >= 0) lm_toks_push(out, bt);               // llama.cpp would abort without byte tokens
    }
}

// Merges the symbols of t[start..end) (one chunk) and emits their tokens.
static void spm_chunk(const lm_vocab *v, lm_scratch *s, const char *t, size_t start, size_t end, lm_toks *out) {
    if (!lm_scratch_symbols(s, end - start)) return;
    uint32_t **a = s->u32, k = 0;
    for (size_t off = start; off < end; k++) {                // one symbol per UTF-8 character
        size_t l = lm_utf8_lead_len((uint8_t)t[off]);
        if (l > end - off) l = end - off;
        a[START][k] = (uint32_t)off; a[LEN][k] = (uint32_t)l;
        a[PREV][k] = k ? k - 1 : UINT32_MAX;
        a[SLOT][k] = UINT32_MAX;
        off += l;
        a[NEXT][k] = off < end ? k + 1 : UINT32_MAX;
    }
    lm_iheap h = { a[HEAP], a[SLOT], a[KEY], 0 };
    for (uint32_t i = 0; i + 1 < k; i++) consider(v, t, a, &h, i);
    for (uint32_t i; (i = lm_iheap_pop(&h)) != UINT32_MAX;) {
        uint32_t j = a[NEXT][i];                              // merge j into i
        a[LEN][i] += a[LEN][j];
        a[NEXT][i] = a[NEXT][j];
        if (a[NEXT][j] != UINT32_MAX) a[PREV][a[NEXT][j]] = i;
        lm_iheap_remove(&h, j);
        consider(v, t, a, &h, a[PREV][i]);
        consider(v, t, a, &h, i);
    }
    for (uint32_t i = 0; i != UINT32_MAX; i = a[NEXT][i]) emit(v, t + a[START][i], a[LEN][i], out);
}

void lm_spm_fragment(const lm_vocab *v, lm_scratch *s, const char *text, size_t len, bool space_prefix, lm_toks *out) {
    size_t n = escape(s, text, len, space_prefix);
    if (n > UINT32_MAX / 2) { s->oom = true; return; }
    for (size_t start = 0, end; start < n && !s->oom; start = end) {
        end = lm_next_cut(v, s->bytes, start, n);
        spm_chunk(v, s, s->bytes, start, end, out);
    }
}
