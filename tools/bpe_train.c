// bpe_train.c — Gemma-4-style BPE vocabulary training (bpe_train.h).
//
// The text is cut the way llama.cpp's gemma4 tokenizer cuts it (maximal runs of '\n' and of
// everything else, spaces escaped to "▁"), and each non-newline run further into pieces: a run of
// "▁", then one run of letters (apostrophes and non-ASCII count as letters) or of digits, or one
// other character. Merges are learned inside pieces only, so no merge can ever span two pieces
// and llama.cpp's whole-run BPE (lowest rank first, leftmost on ties) gives exactly the pieces'
// segmentation learned here. Newline runs of up to NL_MAX are single tokens (the tokenizers
// emit an all-newline run that is a vocabulary entry directly); characters outside the alphabet
// fall back to byte tokens.
#define _POSIX_C_SOURCE 200809L   // strdup
#include "fileio.h"
#include "bpe_train.h"
#include "gen.h"
#include "../src/lm.h"
#include "../src/unicode.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NL_MAX 16                 // newline-run tokens "\n" .. "\n" x NL_MAX
#define SPACE "\xe2\x96\x81"      // U+2581, what gemma4 writes for ' '
enum { N_SPECIAL = 4, N_BYTES = 256 };

typedef struct { int32_t *sym; int32_t n; int64_t count; } piece;

typedef struct {
    char   **str;                 // symbol texts (owned)
    int32_t  n, cap;
    piece   *pc;                  // unique pieces
    int32_t  n_pc, cap_pc;
    uint64_t *key; int32_t *val;  // open-addressing maps: piece text hash -> piece, symbol text -> id
    uint64_t mask;
} bpe_state;

// ---- UTF-8 characters and their classes ----

static int utf8_len(const unsigned char *p, size_t left) {
    int n = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 1;
    if ((size_t)n > left) return 1;
    for (int i = 1; i < n; i++) if ((p[i] & 0xc0) != 0x80) return 1;
    return n;
}

enum { C_SPACE, C_LETTER, C_DIGIT, C_OTHER };
static int char_class(const unsigned char *p, int n) {
    if (*p == ' ') return C_SPACE;
    if (n > 1 || *p == '\'' || (unsigned)((*p | 32) - 'a') < 26u) return C_LETTER;
    return (unsigned)(*p - '0') < 10u ? C_DIGIT : C_OTHER;
}

// ---- hash map from byte strings to ids (pieces and symbols share one table, told apart by tag) ----

// FNV-1a over the tag byte and the string, then a 64-bit finalizer.
static uint64_t hash_bytes(const char *s, size_t n, uint64_t tag) {
    uint64_t h = (1469598103934665603ull ^ tag) * 1099511628211ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    h ^= h >> 33; h *= 0xff51afd7ed558ccdull; h ^= h >> 33; h *= 0xc4ceb9fe1a85ec53ull; h ^= h >> 33;
    return h | 1;   // 0 marks an empty slot
}

static bool map_grow(bpe_state *st) {
    uint64_t old = st->mask ? st->mask + 1 : 0, cap = old ? old * 2 : 1 << 16;
    uint64_t *key = calloc(cap, sizeof *key);
    int32_t *val = malloc(cap * sizeof *val);
    if (!key || !val) { free(key); free(val); return false; }
    for (uint64_t i = 0; i < old; i++) {
        if (!st->key[i]) continue;
        uint64_t j = st->key[i] & (cap - 1);
        while (key[j]) j = (j + 1) & (cap - 1);
        key[j] = st->key[i]; val[j] = st->val[i];
    }
    free(st->key); free(st->val);
    st->key = key; st->val = val; st->mask = cap - 1;
    return true;
}

// Slot of hash h: its value, or -1 and the empty slot where it would go. Full 64-bit hashes are
// compared; a collision between two different strings is not detected (FNV-1a, ~1e5 strings).
static int32_t map_find(const bpe_state *st, uint64_t h, uint64_t *slot) {
    *slot = 0;
    if (!st->key) return -1;
    uint64_t j = h & st->mask;
    while (st->key[j] && st->key[j] != h) j = (j + 1) & st->mask;
    *slot = j;
    return st->key[j] ? st->val[j] : -1;
}

static bool map_put(bpe_state *st, uint64_t h, int32_t v) {
    uint64_t slot;
    if ((uint64_t)(st->n + st->n_pc) * 2 >= st->mask && !map_grow(st)) return false;
    map_find(st, h, &slot);
    st->key[slot] = h; st->val[slot] = v;
    return true;
}

static int32_t symbol_id(const bpe_state *st, const char *s, size_t n) {
    uint64_t slot;
    return map_find(st, hash_bytes(s, n, 1), &slot);
}

static int32_t symbol_add(bpe_state *st, const char *s, size_t n) {
    int32_t id = symbol_id(st, s, n);
    if (id >= 0) return id;
    if (st->n == st->cap) {
        char **ns = realloc(st->str, (size_t)(st->cap = st->cap * 2 + 256) * sizeof *ns);
        if (!ns) return -1;
        st->str = ns;
    }
    if (!(st->str[st->n] = malloc(n + 1))) return -1;
    memcpy(st->str[st->n], s, n);
    st->str[st->n][n] = 0;
    return map_put(st, hash_bytes(s, n, 1), st->n) ? st->n++ : -1;
}

// ---- pieces ----

// Counts one piece (raw text, ' ' not yet escaped); symbols are filled in later.
static bool piece_count(bpe_state *st, const char *s, size_t n) {
    uint64_t h = hash_bytes(s, n, 2), slot;
    int32_t i = map_find(st, h, &slot);
    if (i >= 0) { st->pc[i].count++; return true; }
    if (st->n_pc == st->cap_pc) {
        piece *np = realloc(st->pc, (size_t)(st->cap_pc = st->cap_pc * 2 + 1024) * sizeof *np);
        if (!np) return false;
        st->pc = np;
    }
    char *copy = malloc(n + 1);
    if (!copy) return false;
    memcpy(copy, s, n);
    copy[n] = 0;
    st->pc[st->n_pc] = (piece){ (int32_t *)copy, (int32_t)n, 1 };   // text for now (see pieces_to_symbols)
    return map_put(st, h, st->n_pc) ? (st->n_pc++, true) : false;
}

// Splits one non-newline run into pieces (see the file comment).
static bool split_run(bpe_state *st, const char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        while (i < n && s[i] == ' ') i++;
        if (i < n) {
            int len = utf8_len((const unsigned char *)s + i, n - i), cls = char_class((const unsigned char *)s + i, len);
            i += (size_t)len;
            while (cls != C_OTHER && i < n) {
                len = utf8_len((const unsigned char *)s + i, n - i);
                if (char_class((const unsigned char *)s + i, len) != cls) break;
                i += (size_t)len;
            }
        }
        if (!piece_count(st, s + start, i - start)) return false;
    }
    return true;
}

// Characters of the alphabet: "▁", printable ASCII, and other valid characters the text has
// min_count times (a lone invalid byte is never a character: the tokenizers fall back to bytes).
static bool build_alphabet(bpe_state *st, const bpe_opts *o) {
    if (symbol_add(st, SPACE, 3) < 0) return false;
    for (int c = 0x21; c < 0x7f; c++) { char b = (char)c; if (symbol_add(st, &b, 1) < 0) return false; }
    bpe_state other = { 0 };   // characters outside printable ASCII -> ids, counted in cnt
    int64_t *cnt = NULL;
    int32_t cap = 0;
    bool ok = true;
    for (int32_t p = 0; ok && p < st->n_pc; p++) {
        const unsigned char *t = (const unsigned char *)st->pc[p].sym;
        for (int32_t i = 0; ok && i < st->pc[p].n;) {
            int len = utf8_len(t + i, (size_t)(st->pc[p].n - i));
            bool ascii = len == 1 && t[i] < 0x80;
            if ((len > 1 || ascii) && !(ascii && t[i] >= 0x20 && t[i] < 0x7f)) {
                int32_t id = symbol_add(&other, (const char *)t + i, (size_t)len);
                if (id >= cap) {
                    int64_t *nc = id >= 0 ? realloc(cnt, (size_t)(cap + 256) * sizeof *nc) : NULL;
                    if (!nc) { ok = false; break; }
                    memset(nc + cap, 0, 256 * sizeof *nc);
                    cnt = nc;
                    cap += 256;
                }
                cnt[id] += st->pc[p].count;
            }
            i += len;
        }
    }
    for (int32_t c = 0; ok && c < other.n; c++)
        if (cnt[c] >= o->min_count && symbol_add(st, other.str[c], strlen(other.str[c])) < 0) ok = false;
    for (int32_t c = 0; c < other.n; c++) free(other.str[c]);
    free(other.str); free(other.key); free(other.val); free(cnt);
    return ok;
}

// Replaces each piece's text by its symbol ids ("▁" for ' '); a character left to byte fallback
// becomes -(its byte length), which no pair includes.
static bool pieces_to_symbols(bpe_state *st) {
    for (int32_t p = 0; p < st->n_pc; p++) {
        char *t = (char *)st->pc[p].sym;
        int32_t n = st->pc[p].n, k = 0, *sym = malloc((size_t)n * sizeof *sym);
        if (!sym) return false;
        for (int32_t i = 0; i < n;) {
            int len = utf8_len((const unsigned char *)t + i, (size_t)(n - i));
            int32_t id = t[i] == ' ' ? symbol_id(st, SPACE, 3) : symbol_id(st, t + i, (size_t)len);
            sym[k++] = id >= 0 ? id : -len;
            i += len;
        }
        free(t);
        st->pc[p].sym = sym;
        st->pc[p].n = k;
    }
    return true;
}

// ---- pair counts: map (a, b) -> count, and a max-heap of (count, a, b) with lazy deletion ----

typedef struct { int64_t count; int32_t a, b; } pair_entry;
typedef struct {
    uint64_t *key; int64_t *cnt; uint64_t mask, used;
    pair_entry *heap; int64_t n_heap, cap_heap;
} pairs;

static inline uint64_t pair_key(int32_t a, int32_t b) { return ((uint64_t)(uint32_t)a << 32 | (uint32_t)b) + 1; }

static int64_t *pair_slot(pairs *pp, int32_t a, int32_t b) {
    uint64_t k = pair_key(a, b), j = (k * 0x9e3779b97f4a7c15ull >> 20) & pp->mask;
    while (pp->key[j] && pp->key[j] != k) j = (j + 1) & pp->mask;
    if (!pp->key[j]) { pp->key[j] = k; pp->cnt[j] = 0; pp->used++; }
    return &pp->cnt[j];
}

static bool pairs_grow(pairs *pp) {
    uint64_t old = pp->mask + 1, cap = old * 2;
    pairs np = { calloc(cap, sizeof(uint64_t)), malloc(cap * sizeof(int64_t)), cap - 1, 0, pp->heap, pp->n_heap, pp->cap_heap };
    if (!np.key || !np.cnt) { free(np.key); free(np.cnt); return false; }
    for (uint64_t i = 0; i < old; i++)
        if (pp->key[i]) {
            uint64_t k = pp->key[i] - 1;
            *pair_slot(&np, (int32_t)(k >> 32), (int32_t)(uint32_t)k) = pp->cnt[i];
        }
    free(pp->key); free(pp->cnt);
    *pp = np;
    return true;
}

// Heap order: larger count first, then smaller a, then smaller b (deterministic ties).
static bool heap_before(const pair_entry *x, const pair_entry *y) {
    if (x->count != y->count) return x->count > y->count;
    return x->a != y->a ? x->a < y->a : x->b < y->b;
}

static bool heap_push(pairs *pp, pair_entry e) {
    if (pp->n_heap == pp->cap_heap) {
        pair_entry *nh = realloc(pp->heap, (size_t)(pp->cap_heap = pp->cap_heap * 2 + 4096) * sizeof *nh);
        if (!nh) return false;
        pp->heap = nh;
    }
    int64_t i = pp->n_heap++;
    while (i > 0 && heap_before(&e, &pp->heap[(i - 1) / 2])) { pp->heap[i] = pp->heap[(i - 1) / 2]; i = (i - 1) / 2; }
    pp->heap[i] = e;
    return true;
}

static pair_entry heap_pop(pairs *pp) {
    pair_entry top = pp->heap[0], last = pp->heap[--pp->n_heap];
    int64_t i = 0;
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= pp->n_heap) break;
        if (c + 1 < pp->n_heap && heap_before(&pp->heap[c + 1], &pp->heap[c])) c++;
        if (!heap_before(&pp->heap[c], &last)) break;
        pp->heap[i] = pp->heap[c];
        i = c;
    }
    if (pp->n_heap) pp->heap[i] = last;
    return top;
}

// Adds d * (the piece's count) to every mergeable adjacent pair of piece p; pushes new counts.
static bool piece_pairs(const bpe_state *st, pairs *pp, const piece *p, int64_t d, const bpe_opts *o, bool push) {
    for (int32_t k = 0; k + 1 < p->n; k++) {
        int32_t a = p->sym[k], b = p->sym[k + 1];
        if (a < 0 || b < 0 || (int)(strlen(st->str[a]) + strlen(st->str[b])) > o->max_len) continue;
        if (pp->used * 2 >= pp->mask && !pairs_grow(pp)) return false;
        int64_t *c = pair_slot(pp, a, b);
        *c += d * p->count;
        if (push && *c > 0 && !heap_push(pp, (pair_entry){ *c, a, b })) return false;
    }
    return true;
}

// Merges every (a, b) in piece p left to right into m; returns whether anything changed.
static bool piece_merge(piece *p, int32_t a, int32_t b, int32_t m) {
    int32_t k = 0;
    bool hit = false;
    for (int32_t i = 0; i < p->n; i++) {
        if (i + 1 < p->n && p->sym[i] == a && p->sym[i + 1] == b) { p->sym[k++] = m; i++; hit = true; }
        else p->sym[k++] = p->sym[i];
    }
    p->n = k;
    return hit;
}

static bool piece_has(const piece *p, int32_t a, int32_t b) {
    for (int32_t i = 0; i + 1 < p->n; i++) if (p->sym[i] == a && p->sym[i + 1] == b) return true;
    return false;
}

// ---- training ----

static bool merge_loop(bpe_state *st, const bpe_opts *o, int32_t target, char ***merges, int32_t *n_merges) {
    pairs pp = { calloc(1 << 16, sizeof(uint64_t)), malloc((1 << 16) * sizeof(int64_t)), (1 << 16) - 1, 0, NULL, 0, 0 };
    bool ok = pp.key && pp.cnt;
    for (int32_t p = 0; ok && p < st->n_pc; p++) ok = piece_pairs(st, &pp, &st->pc[p], 1, o, false);
    for (uint64_t j = 0; ok && j <= pp.mask; j++)
        if (pp.key[j] && pp.cnt[j] > 0)
            ok = heap_push(&pp, (pair_entry){ pp.cnt[j], (int32_t)((pp.key[j] - 1) >> 32), (int32_t)(uint32_t)(pp.key[j] - 1) });
    int32_t cap = 0;
    while (ok && st->n < target && pp.n_heap) {
        pair_entry e = heap_pop(&pp);
        if (*pair_slot(&pp, e.a, e.b) != e.count) continue;          // stale entry
        size_t la = strlen(st->str[e.a]), lb = strlen(st->str[e.b]);
        char buf[256];
        memcpy(buf, st->str[e.a], la); memcpy(buf + la, st->str[e.b], lb);
        int32_t m = symbol_add(st, buf, la + lb);                       // reuses an existing text's id
        char *line = malloc(la + lb + 2);
        if (m < 0 || !line || (*n_merges == cap && !(*merges = realloc(*merges, (size_t)(cap = cap * 2 + 1024) * sizeof **merges)))) {
            free(line); ok = false; break;
        }
        snprintf(line, la + lb + 2, "%s %s", st->str[e.a], st->str[e.b]);
        (*merges)[(*n_merges)++] = line;
        for (int32_t p = 0; ok && p < st->n_pc; p++) {
            if (!piece_has(&st->pc[p], e.a, e.b)) continue;
            ok = piece_pairs(st, &pp, &st->pc[p], -1, o, false);
            piece_merge(&st->pc[p], e.a, e.b, m);
            ok = ok && piece_pairs(st, &pp, &st->pc[p], 1, o, true);
        }
    }
    free(pp.key); free(pp.cnt); free(pp.heap);
    return ok;
}

static bool collect_pieces(bpe_state *st, const char *text, size_t len, int64_t *nl_tokens) {
    for (size_t i = 0; i < len;) {
        size_t j = i;
        if (text[i] == '\n') {
            while (j < len && text[j] == '\n') j++;
            *nl_tokens += j - i <= NL_MAX ? 1 : (int64_t)(j - i);
        } else {
            while (j < len && text[j] != '\n') j++;
            if (!split_run(st, text + i, j - i)) return false;
        }
        i = j;
    }
    return true;
}

static void state_free(bpe_state *st) {
    for (int32_t i = 0; i < st->n; i++) free(st->str[i]);
    for (int32_t i = 0; i < st->n_pc; i++) free(st->pc[i].sym);
    free(st->str); free(st->pc); free(st->key); free(st->val);
}

bpe_opts bpe_default_opts(void) { return (bpe_opts){ .vocab_size = 4096, .min_count = 2, .max_len = 24 }; }

// ids: specials 0-3, bytes 4-259, newline runs, alphabet, merged tokens, turn markers (last).
static bool assemble(const bpe_state *st, bpe_vocab *v) {
    static const char *SPECIAL[N_SPECIAL] = { "<pad>", "<eos>", "<bos>", "<unk>" };
    int32_t n = N_SPECIAL + N_BYTES + NL_MAX + st->n + GEN_G4_N_CHAT, k = 0;
    v->n = n;
    v->text = calloc((size_t)n, sizeof *v->text);
    v->type = malloc((size_t)n * sizeof *v->type);
    if (!v->text || !v->type) return false;
    char buf[NL_MAX + 1];
    for (int i = 0; i < N_SPECIAL; i++, k++) { v->text[k] = strdup(SPECIAL[i]); v->type[k] = i == 3 ? 2 : 3; }
    for (int i = 0; i < N_BYTES; i++, k++) { snprintf(buf, sizeof buf, "<0x%02X>", i); v->text[k] = strdup(buf); v->type[k] = 6; }
    for (int i = 1; i <= NL_MAX; i++, k++) { memset(buf, '\n', (size_t)i); buf[i] = 0; v->text[k] = strdup(buf); v->type[k] = 1; }
    for (int32_t i = 0; i < st->n; i++, k++) { v->text[k] = strdup(st->str[i]); v->type[k] = 1; }
    for (int i = 0; i < GEN_G4_N_CHAT; i++, k++) { v->text[k] = strdup(gen_g4_chat_tokens[i]); v->type[k] = 3; }
    for (int32_t i = 0; i < n; i++) if (!v->text[i]) return false;
    return true;
}

// Tokens the training text encodes to (pieces, bytes for characters outside the alphabet,
// newline runs): what the engine's tokenizer must reproduce (tests/test_bpe_train.c).
static int64_t encoded_length(const bpe_state *st, int64_t nl_tokens) {
    int64_t n = nl_tokens;
    for (int32_t p = 0; p < st->n_pc; p++)
        for (int32_t i = 0; i < st->pc[p].n; i++) n += st->pc[p].count * (st->pc[p].sym[i] < 0 ? -st->pc[p].sym[i] : 1);
    return n;
}

// The text as the tokenizers see it: decoded leniently (an invalid byte becomes U+FFFD, src/bpe.c)
// and re-encoded, so every character below is valid UTF-8.
static char *normalize(const char *text, size_t len, size_t *out_len) {
    char *buf = len < SIZE_MAX / 3 ? malloc(len * 3 + 1) : NULL;
    size_t n = 0;
    for (size_t i = 0, adv; buf && i < len; i += adv)
        n += (size_t)lm_utf8_encode(lm_utf8_decode_lenient((const uint8_t *)text + i, len - i, &adv), (uint8_t *)buf + n);
    *out_len = n;
    return buf;
}

lm_status bpe_train(const char *raw, size_t raw_len, const bpe_opts *o, bpe_vocab *out) {
    memset(out, 0, sizeof *out);
    size_t len;
    char *text = normalize(raw, raw_len, &len);
    if (!text) return lm_fail(LM_NOMEM, "bpe: out of memory");
    bpe_state st = { 0 };
    int64_t nl = 0;
    int32_t fixed = N_SPECIAL + N_BYTES + NL_MAX + GEN_G4_N_CHAT;
    lm_status s = LM_OK;
    if (o->vocab_size < fixed + 0x7f - 0x21 + 1 || o->max_len < 2 || o->max_len > 128) {
        free(text);
        return lm_fail(LM_INVALID_ARG, "bpe: vocabulary size %d is too small (at least %d) or max_len %d out of range",
                       o->vocab_size, fixed + 0x7f - 0x21 + 1, o->max_len);
    }
    if (!collect_pieces(&st, text, len, &nl) || !build_alphabet(&st, o) || !pieces_to_symbols(&st) ||
        !merge_loop(&st, o, o->vocab_size - fixed, &out->merges, &out->n_merges) || !assemble(&st, out))
        s = lm_fail(LM_NOMEM, "bpe: out of memory");
    out->train_tokens = s ? 0 : encoded_length(&st, nl);
    state_free(&st);
    free(text);
    if (s) bpe_vocab_free(out);
    return s;
}

void bpe_vocab_free(bpe_vocab *v) {
    for (int32_t i = 0; v->text && i < v->n; i++) free(v->text[i]);
    for (int32_t i = 0; i < v->n_merges; i++) free(v->merges[i]);
    free(v->text); free(v->type); free(v->merges);
    memset(v, 0, sizeof *v);
}

void bpe_write_keys(const bpe_vocab *v, gguf_writer *w) {
    float *score = malloc((size_t)v->n * sizeof *score);
    for (int32_t i = 0; score && i < v->n; i++) score[i] = -(float)i;
    gw_str(w, "tokenizer.ggml.model", "gemma4");
    gw_arr_str(w, "tokenizer.ggml.tokens", (const char *const *)v->text, (uint64_t)v->n);
    if (score) gw_arr_f32(w, "tokenizer.ggml.scores", score, (uint64_t)v->n);
    gw_arr_i32(w, "tokenizer.ggml.token_type", v->type, (uint64_t)v->n);
    gw_arr_str(w, "tokenizer.ggml.merges", (const char *const *)v->merges, (uint64_t)v->n_merges);
    gw_bool(w, "tokenizer.ggml.add_space_prefix", false);
    gen_special_keys(w, true);
    free(score);
}

// ---- command ----


// Tokenizes text with the engine's tokenizer over the written vocabulary: the count must equal
// the trainer's own segmentation.
static int64_t engine_tokens(const uint8_t *gguf, uint64_t glen, const char *text, size_t len) {
    lm_vocab *v;
    if (lm_vocab_load(gguf, glen, &v) || len > INT32_MAX) return -1;
    int32_t n = lm_tokenize(v, text, (int32_t)len, NULL, 0, false, false);
    lm_vocab_free(v);
    return n == INT32_MIN ? -1 : n <= 0 ? -(int64_t)n : n;
}

int cmd_bpe_train(int argc, char **argv) {
    bpe_opts o = bpe_default_opts();
    const char *in = NULL, *out = NULL;
    for (int i = 0; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--text")) in = argv[i + 1];
        else if (!strcmp(argv[i], "-o")) out = argv[i + 1];
        else if (!strcmp(argv[i], "--vocab-size")) o.vocab_size = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--min-count")) o.min_count = atoi(argv[i + 1]);
        else { in = out = NULL; break; }
    }
    if (!in || !out || argc % 2) {
        fprintf(stderr, "usage: pocketlm bpe-train --text CORPUS.txt -o VOCAB.gguf [--vocab-size 4096] [--min-count 2]\n");
        return 2;
    }
    uint64_t len;
    char *text = (char *)tool_read_file(in, &len);
    if (!text) return 1;
    bpe_vocab v;
    lm_status s = bpe_train(text, len, &o, &v);
    gguf_writer *w = s ? NULL : gw_new(32);
    uint8_t *buf = NULL;
    uint64_t blen = 0;
    if (w) {
        gw_str(w, "general.name", "pocketlm BPE vocabulary");
        bpe_write_keys(&v, w);
    }
    if (!s && (!w || gw_write_mem(w, &buf, &blen))) s = lm_fail(LM_NOMEM, "bpe: writing the vocabulary");
    int64_t n_engine = s ? -1 : engine_tokens(buf, blen, text, len);
    FILE *f = !s ? fopen(out, "wb") : NULL;
    if (!s && (!f || fwrite(buf, 1, blen, f) != blen)) s = lm_fail(LM_INVALID_ARG, "%s: cannot write", out);
    if (f && fclose(f)) s = lm_fail(LM_INVALID_ARG, "%s: cannot write", out);
    if (!s) printf("bpe: %d tokens, %d merges; the text is %lld tokens (engine tokenizer: %lld)\n",
                   v.n, v.n_merges, (long long)v.train_tokens, (long long)n_engine);
    if (!s && n_engine != v.train_tokens) s = lm_fail(LM_CORRUPT, "bpe: the engine's tokenizer disagrees with the trainer");
    if (s) fprintf(stderr, "bpe-train: %s: %s\n", lm_status_name(s), lm_errmsg());
    gw_free(w); free(buf); free(text);
    if (!s || v.n) bpe_vocab_free(&v);
    return s ? 1 : 0;
}
