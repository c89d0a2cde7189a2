// tokenizer.c — text -> token ids: lookups, the merge heap, special-token partitioning and
// lm_tokenize. The merge algorithms are in spm.c and bpe.c, the splitters in pretok.c.
#include "tokenizer.h"
#include "unicode.h"
#include <stdlib.h>
#include <string.h>

// ---- lookups ----

uint32_t lm_hash_bytes(const void *p, size_t n) {        // FNV-1a
    const uint8_t *s = p;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 16777619u;
    return h;
}

static uint32_t slot_of(uint32_t h, uint32_t size) { return (uint32_t)(((uint64_t)h * size) >> 32); }

lm_token lm_vocab_find(const lm_vocab *v, const char *p, size_t n) { return lm_vocab_find_h(v, p, n, lm_hash_bytes(p, n)); }

uint32_t lm_index_slot(const lm_vocab *v, uint32_t h) { return slot_of(h, v->index_size); }

lm_token lm_vocab_find_h(const lm_vocab *v, const char *p, size_t n, uint32_t h) {
    if (!v->index_size) return -1;
    lm_islot want = lm_islot_of(p, n, h);
    for (uint32_t i = slot_of(h, v->index_size);; i = i + 1 == v->index_size ? 0 : i + 1) {
        const lm_islot *e = &v->index[i];
        if (!e->id1) return -1;
        if (e->key8 != want.key8 || e->len != want.len || e->tag != want.tag) continue;
        if (n <= 8) return (lm_token)(e->id1 - 1);
        lm_span t = v->text[e->id1 - 1];
        if (t.n == n && !memcmp(t.p + 8, p + 8, n - 8)) return (lm_token)(e->id1 - 1);
    }
}

uint32_t lm_vocab_string_id(const lm_vocab *v, const char *p, size_t n) {
    lm_token t = lm_vocab_find(v, p, n);
    if (t >= 0) return (uint32_t)t;
    if (!v->extra_size) return LM_NO_ID;
    for (uint32_t i = slot_of(lm_hash_bytes(p, n), v->extra_size);; i = i + 1 == v->extra_size ? 0 : i + 1) {
        uint32_t e = v->extra_index[i];
        if (!e) return LM_NO_ID;
        if (v->extra[e - 1].n == n && !memcmp(v->extra[e - 1].p, p, n)) return (uint32_t)v->n_tokens + e - 1;
    }
}

const lm_merge *lm_vocab_merge(const lm_vocab *v, uint32_t a, uint32_t b) {
    if (!v->merge_size || a == LM_NO_ID || b == LM_NO_ID) return NULL;
    uint32_t h = (uint32_t)((((uint64_t)a << 32 | b) * 0x9E3779B97F4A7C15ull) >> 32);
    for (uint32_t i = slot_of(h, v->merge_size);; i = i + 1 == v->merge_size ? 0 : i + 1) {
        const lm_merge *m = &v->merges[i];
        if (m->rank == UINT32_MAX) return NULL;
        if (m->a == a && m->b == b) return m;
    }
}

// ---- chunking at spaces (see lm_vocab.space_split) ----

static bool is_glue(const lm_vocab *v, uint32_t c) {
    uint32_t lo = 0, hi = v->n_glue;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (v->glue[mid] == c) return true;
        if (v->glue[mid] < c) lo = mid + 1; else hi = mid;
    }
    return false;
}

size_t lm_next_cut(const lm_vocab *v, const char *t, size_t start, size_t end) {
    if (!v->space_split) return end;
    size_t prev = start, p = start;
    for (;;) {
        size_t l = lm_utf8_lead_len((uint8_t)t[p]);          // symbols as the merge loops split them
        if (l > end - p) l = end - p;
        prev = p;
        p += l;
        if (p + 3 > end) return end;
        if (memcmp(t + p, "\xe2\x96\x81", 3)) continue;
        size_t adv;
        int32_t c = lm_utf8_decode_strict((const uint8_t *)t + prev, p - prev, &adv);
        if (c >= 0 && adv == p - prev && !is_glue(v, (uint32_t)c)) return p;
    }
}

void lm_toks_push(lm_toks *t, lm_token x) {
    if (t->n == t->cap) {
        int64_t cap = t->cap ? t->cap * 2 : 64;
        lm_token *nv = cap < INT32_MAX ? realloc(t->v, (size_t)cap * sizeof *nv) : NULL;
        if (!nv) { t->oom = true; return; }
        t->v = nv; t->cap = cap;
    }
    t->v[t->n++] = x;
}

// ---- scratch ----

bool lm_scratch_symbols(lm_scratch *s, uint64_t n) {
    if (n <= s->u32_cap) return !s->oom;
    uint64_t cap = n < 256 ? 256 : n + n / 2;
    for (int i = 0; i < 8; i++) {
        uint32_t *p = cap < SIZE_MAX / 4 ? realloc(s->u32[i], (size_t)cap * 4) : NULL;
        if (!p) { s->oom = true; return false; }
        s->u32[i] = p;
    }
    s->u32_cap = cap;
    return true;
}

void lm_scratch_free(lm_scratch *s) {
    for (int i = 0; i < 8; i++) free(s->u32[i]);
    free(s->bytes); free(s->cpts); free(s->ends); free(s->flags);
}

// ---- indexed min-heap over positions: key (primary, position) ----

static bool before(const lm_iheap *h, uint32_t a, uint32_t b) {
    return h->key[a] < h->key[b] || (h->key[a] == h->key[b] && a < b);
}

static void place(lm_iheap *h, uint32_t i, uint32_t pos) { h->heap[i] = pos; h->slot[pos] = i; }

static void sift_up(lm_iheap *h, uint32_t i) {
    uint32_t pos = h->heap[i];
    while (i > 0 && before(h, pos, h->heap[(i - 1) / 2])) { place(h, i, h->heap[(i - 1) / 2]); i = (i - 1) / 2; }
    place(h, i, pos);
}

static void sift_down(lm_iheap *h, uint32_t i) {
    uint32_t pos = h->heap[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && before(h, h->heap[c + 1], h->heap[c])) c++;
        if (!before(h, h->heap[c], pos)) break;
        place(h, i, h->heap[c]);
        i = c;
    }
    place(h, i, pos);
}

void lm_iheap_set(lm_iheap *h, uint32_t pos, uint32_t key) {
    uint32_t i = h->slot[pos];
    if (i == UINT32_MAX) { h->key[pos] = key; place(h, h->n, pos); sift_up(h, h->n++); return; }
    uint32_t old = h->key[pos];
    h->key[pos] = key;
    if (key < old) sift_up(h, i); else sift_down(h, i);
}

void lm_iheap_remove(lm_iheap *h, uint32_t pos) {
    uint32_t i = h->slot[pos];
    if (i == UINT32_MAX) return;
    h->slot[pos] = UINT32_MAX;
    if (i == --h->n) return;
    uint32_t moved = h->heap[h->n];
    place(h, i, moved);
    sift_down(h, i);
    sift_up(h, h->slot[moved]);
}

uint32_t lm_iheap_pop(lm_iheap *h) {
    if (!h->n) return UINT32_MAX;
    uint32_t top = h->heap[0];
    lm_iheap_remove(h, top);
    return top;
}

// ---- special tokens: cut the text into raw pieces and special tokens ----
// llama.cpp's order: for each special token, longest text first, split every raw piece at its
// non-overlapping occurrences (left to right). We find all occurrences in one trie pass, then
// apply them in that order. LSTRIP/RSTRIP tokens drop the whitespace beside them.

typedef struct { uint32_t start, len; int32_t token; } segment;     // token -1: raw text
typedef struct { uint32_t rank, start; } occurrence;

static bool c_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static int cmp_occ(const void *a, const void *b) {
    const occurrence *x = a, *y = b;
    if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
    return (x->start > y->start) - (x->start < y->start);
}

static bool allowed(const lm_vocab *v, int32_t rank, bool parse_special) {
    return parse_special || !(v->attr[v->special[rank]] & (LM_ATTR_CONTROL | LM_ATTR_UNKNOWN));
}

// All occurrences of usable special tokens in text[0..n); NULL with *count 0 when none.
static occurrence *find_specials(const lm_vocab *v, const char *text, uint32_t n, bool parse_special, uint32_t *count, bool *oom) {
    bool first[256] = { false };
    for (uint32_t c = v->trie ? v->trie[0].child : 0; c; c = v->trie[c].sibling) first[v->trie[c].byte] = true;
    occurrence *occ = NULL;
    uint32_t cap = 0;
    *count = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!first[(uint8_t)text[i]]) continue;
        uint32_t node = 0;
        for (uint32_t j = i; j < n; j++) {
            uint32_t c = v->trie[node].child;
            while (c && v->trie[c].byte != (uint8_t)text[j]) c = v->trie[c].sibling;
            if (!c) break;
            node = c;
            int32_t r = v->trie[node].token;
            if (r < 0 || !allowed(v, r, parse_special)) continue;
            if (*count == cap) {
                occurrence *o = cap < UINT32_MAX / 4 ? realloc(occ, (size_t)(cap = cap ? cap * 2 : 16) * sizeof *o) : NULL;
                if (!o) { *oom = true; free(occ); *count = 0; return NULL; }
                occ = o;
            }
            occ[(*count)++] = (occurrence){ (uint32_t)r, i };
        }
    }
    return occ;
}

typedef struct { segment *v; uint32_t n, cap; bool oom; } segs;

static void seg_push(segs *s, uint32_t start, uint32_t len, int32_t token) {
    if (token < 0 && len == 0) return;
    if (s->n == s->cap) {
        segment *nv = s->cap < UINT32_MAX / 4 ? realloc(s->v, (size_t)(s->cap = s->cap ? s->cap * 2 : 16) * sizeof *nv) : NULL;
        if (!nv) { s->oom = true; return; }
        s->v = nv;
    }
    s->v[s->n++] = (segment){ start, len, token };
}

// Splits the raw segments of `in` at occurrences o[0..m) of one special token (sorted by start).
static void split_at(const lm_vocab *v, const char *text, const segs *in, segs *out, const occurrence *o, uint32_t m) {
    lm_token tok = v->special[o[0].rank];
    uint32_t L = v->text[tok].n, j = 0;
    uint16_t attr = v->attr[tok];
    out->n = 0;
    for (uint32_t k = 0; k < in->n; k++) {
        segment sg = in->v[k];
        if (sg.token >= 0) { seg_push(out, sg.start, sg.len, sg.token); continue; }
        uint32_t cur = sg.start, end = sg.start + sg.len;
        for (;;) {
            while (j < m && o[j].start < cur) j++;
            if (j == m || o[j].start + L > end) break;
            uint32_t left = o[j].start - cur;
            if (attr & LM_ATTR_LSTRIP) while (left > 0 && c_space(text[cur + left - 1])) left--;
            seg_push(out, cur, left, -1);
            seg_push(out, o[j].start, L, tok);
            cur = o[j].start + L;
            if (attr & LM_ATTR_RSTRIP) while (cur < end && c_space(text[cur])) cur++;
        }
        seg_push(out, cur, end - cur, -1);
    }
}

static bool partition(const lm_vocab *v, const char *text, uint32_t n, bool parse_special, segs *out) {
    bool oom = false;
    uint32_t m;
    occurrence *occ = find_specials(v, text, n, parse_special, &m, &oom);
    seg_push(out, 0, n, -1);
    if (!m) return !oom && !out->oom;
    qsort(occ, m, sizeof *occ, cmp_occ);
    segs tmp = { 0 };
    for (uint32_t a = 0, b; a < m; a = b) {
        for (b = a; b < m && occ[b].rank == occ[a].rank; b++) {}
        split_at(v, text, out, &tmp, occ + a, b - a);
        segs sw = *out; *out = tmp; tmp = sw;
    }
    free(tmp.v);
    free(occ);
    return !out->oom && !tmp.oom;
}

// ---- lm_tokenize ----

static bool tokenize_all(const lm_vocab *v, const char *text, uint32_t len, bool add_special, bool parse_special, lm_toks *out) {
    segs sg = { 0 };
    lm_scratch s = { 0 };
    bool ok = !len || partition(v, text, len, parse_special, &sg);
    if (add_special && v->add_bos && v->bos >= 0) lm_toks_push(out, v->bos);
    bool prev_special = true;                               // SentencePiece: space before the text
    for (uint32_t k = 0; ok && k < sg.n; k++) {
        segment g = sg.v[k];
        if (g.token >= 0) { lm_toks_push(out, g.token); prev_special = true; continue; }
        if (v->kind == LM_VOCAB_SPM) lm_spm_fragment(v, &s, text + g.start, g.len, v->add_space_prefix && prev_special, out);
        else lm_bpe_fragment(v, &s, text + g.start, g.len, out);
        prev_special = false;
    }
    if (add_special && v->add_eos && v->eos >= 0) lm_toks_push(out, v->eos);
    ok = ok && !s.oom && !out->oom;
    free(sg.v);
    lm_scratch_free(&s);
    return ok;
}

int32_t lm_tokenize(const lm_vocab *v, const char *text, int32_t len, lm_token *out, int32_t cap,
                    bool add_special, bool parse_special) {
    if (!v || len < 0 || cap < 0 || (!text && len) || (!out && cap))
        return lm_fail(LM_INVALID_ARG, "lm_tokenize: bad arguments (len %d, cap %d)", len, cap), INT32_MIN;
    lm_toks t = { 0 };
    if (!tokenize_all(v, text, (uint32_t)len, add_special, parse_special, &t) || t.n >= INT32_MAX) {
        free(t.v);
        return lm_fail(LM_NOMEM, "lm_tokenize: out of memory (%d bytes of text)", len), INT32_MIN;
    }
    int32_t n = (int32_t)t.n;
    if (n <= cap && n) memcpy(out, t.v, (size_t)n * sizeof *out);
    free(t.v);
    return n <= cap ? n : -n;
}
