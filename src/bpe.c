// bpe.c — BPE tokenization (tokenizer.ggml.model "gpt2" and "gemma4").
//
// A fragment is decoded to code points (invalid UTF-8 becomes U+FFFD, as in llama.cpp), split
// into words by the pre-tokenizer, and each word re-encoded: as UTF-8 (gemma4, after ' ' ->
// U+2581) or GPT-2's byte-to-code-point map. Within a word, symbols start as single characters
// and the adjacent pair with the lowest merge rank is merged (leftmost on ties) until no pair has
// a merge; each final symbol is its token, or byte tokens when it is none. Same order and result
// as llama.cpp's llm_tokenizer_bpe_session.
#include "tokenizer.h"
#include "unicode.h"
#include <stdlib.h>
#include <string.h>

enum { START, LEN, ID, PREV, NEXT, HEAP, SLOT, KEY };

static bool grow(void **p, uint64_t *cap, uint64_t n, size_t elem, lm_scratch *s) {
    if (n <= *cap) return true;
    void *q = n < SIZE_MAX / elem ? realloc(*p, (size_t)n * elem) : NULL;
    if (!q) { s->oom = true; return false; }
    *p = q; *cap = n;
    return true;
}

static bool ensure_cpts(lm_scratch *s, uint64_t n) {
    if (n <= s->cpt_cap) return true;
    uint32_t *c = realloc(s->cpts, (size_t)n * 4);
    if (c) s->cpts = c;
    uint32_t *e = c ? realloc(s->ends, (size_t)n * 4) : NULL;
    if (e) s->ends = e;
    uint16_t *f = e ? realloc(s->flags, (size_t)n * 2) : NULL;
    if (f) s->flags = f;
    if (!f) { s->oom = true; return false; }
    s->cpt_cap = n;
    return true;
}

// text -> s->cpts[0..n) (with ' ' -> U+2581 when the vocabulary escapes spaces); returns n.
static size_t decode(const lm_vocab *v, lm_scratch *s, const char *text, size_t len) {
    if (!ensure_cpts(s, len)) return 0;
    size_t n = 0;
    for (size_t i = 0, adv; i < len; i += adv) {
        uint32_t c = lm_utf8_decode_lenient((const uint8_t *)text + i, len - i, &adv);
        s->cpts[n++] = c == ' ' && v->escape_spaces ? 0x2581 : c;
    }
    if (v->pre != LM_PRE_NEWLINES)
        for (size_t i = 0; i < n; i++) s->flags[i] = lm_uc_flags(s->cpts[i]);
    return n;
}

// Re-encodes code points [a, b) into s->bytes at *pos (GPT-2 byte map when byte_encode).
static void encode(const lm_vocab *v, lm_scratch *s, size_t a, size_t b, size_t *pos) {
    uint8_t u[4], m[4];
    for (size_t i = a; i < b; i++) {
        int k = lm_utf8_encode(s->cpts[i], u);
        if (!v->byte_encode) { memcpy(s->bytes + *pos, u, (size_t)k); *pos += (size_t)k; continue; }
        for (int j = 0; j < k; j++) {
            int l = lm_utf8_encode(lm_gpt2_byte_to_cpt(u[j]), m);
            memcpy(s->bytes + *pos, m, (size_t)l);
            *pos += (size_t)l;
        }
    }
}

// Puts the pair (i, next of i) in the heap with its merge rank, or takes i out.
static void consider(const lm_vocab *v, uint32_t **a, lm_iheap *h, uint32_t i) {
    uint32_t j = i == UINT32_MAX ? UINT32_MAX : a[NEXT][i];
    const lm_merge *m = j == UINT32_MAX ? NULL : lm_vocab_merge(v, a[ID][i], a[ID][j]);
    if (m) lm_iheap_set(h, i, m->rank);
    else if (i != UINT32_MAX) lm_iheap_remove(h, i);
}

static void emit(const lm_vocab *v, const char *p, uint32_t n, uint32_t id, lm_toks *out) {
    if (id < (uint32_t)v->n_tokens) { lm_toks_push(out, (lm_token)id); return; }
    const lm_token *bytes = v->byte_encode ? v->byte_raw : v->byte_hex;
    for (uint32_t k = 0; k < n; k++)                       // byte fallback; bytes without a token vanish
        if (bytes[(uint8_t)p[k]] >= 0) lm_toks_push(out, bytes[(uint8_t)p[k]]);
}

static bool all_newlines(const char *w, size_t n) {
    for (size_t i = 0; i < n; i++) if (w[i] != '\n') return false;
    return true;
}

static void bpe_chunk(const lm_vocab *v, lm_scratch *s, const char *w, size_t n, lm_toks *out);

static void bpe_word(const lm_vocab *v, lm_scratch *s, const char *w, size_t n, lm_toks *out) {
    if (v->ignore_merges || (v->pre == LM_PRE_NEWLINES && all_newlines(w, n))) {
        lm_token t = lm_vocab_find(v, w, n);             // whole word is a token: take it
        if (t >= 0) { lm_toks_push(out, t); return; }
    }
    for (size_t start = 0, end; start < n && !s->oom; start = end) {
        end = lm_next_cut(v, w, start, n);
        bpe_chunk(v, s, w + start, end - start, out);
    }
}

// Merges the symbols of w[0..n) (a word, or a chunk of one) and emits their tokens.
static void bpe_chunk(const lm_vocab *v, lm_scratch *s, const char *w, size_t n, lm_toks *out) {
    if (!lm_scratch_symbols(s, n)) return;
    uint32_t **a = s->u32, k = 0;
    for (size_t off = 0; off < n; k++) {
        size_t l = lm_utf8_lead_len((uint8_t)w[off]);
        if (l > n - off) l = n - off;
        a[START][k] = (uint32_t)off; a[LEN][k] = (uint32_t)l;
        a[ID][k] = lm_vocab_string_id(v, w + off, l);
        a[PREV][k] = k ? k - 1 : UINT32_MAX;
        a[SLOT][k] = UINT32_MAX;
        off += l;
        a[NEXT][k] = off < n ? k + 1 : UINT32_MAX;
    }
    lm_iheap h = { a[HEAP], a[SLOT], a[KEY], 0 };
    for (uint32_t i = 0; i + 1 < k; i++) consider(v, a, &h, i);
    for (uint32_t i; (i = lm_iheap_pop(&h)) != UINT32_MAX;) {
        uint32_t j = a[NEXT][i];
        a[LEN][i] += a[LEN][j];
        a[ID][i] = lm_vocab_string_id(v, w + a[START][i], a[LEN][i]);   // the merged text's token or extra id
        a[NEXT][i] = a[NEXT][j];
        if (a[NEXT][j] != UINT32_MAX) a[PREV][a[NEXT][j]] = i;
        lm_iheap_remove(&h, j);
        consider(v, a, &h, a[PREV][i]);
        consider(v, a, &h, i);
    }
    for (uint32_t i = 0; i != UINT32_MAX; i = a[NEXT][i]) emit(v, w + a[START][i], a[LEN][i], a[ID][i], out);
}

void lm_bpe_fragment(const lm_vocab *v, lm_scratch *s, const char *text, size_t len, lm_toks *out) {
    if (len > UINT32_MAX / 16) { s->oom = true; return; }
    size_t n = decode(v, s, text, len);
    if (!n) return;
    size_t words = lm_pretok_split(v->pre, s->cpts, s->flags, n, s->ends);
    uint64_t cap = s->bytes_cap;
    if (!grow((void **)&s->bytes, &cap, (uint64_t)n * (v->byte_encode ? 8 : 4), 1, s)) return;
    s->bytes_cap = cap;
    size_t prev = 0;
    for (size_t w = 0; w < words; w++) {
        size_t end = s->ends[w], pos = 0;
        encode(v, s, prev, end, &pos);
        bpe_word(v, s, s->bytes, pos, out);
        prev = end;
    }
}
