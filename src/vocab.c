// vocab.c — builds an lm_vocab from GGUF tokenizer metadata (tokenizer.ggml.*), the way
// llama.cpp's llama_vocab::load does: token texts, scores and types, BPE merges, special ids,
// the per-family flags, and llama.cpp's fix-ups of token attributes by text (end-of-turn tokens
// become CONTROL, etc.), which change how text is split around special tokens.
//
// Memory: token texts and merge strings stay views into the GGUF buffer; the heap holds the
// span array, attributes, a text->id table and the merge table (about 21 MB for Gemma 4's
// 262k tokens and 515k merges).
#include "tokenizer.h"
#include "unicode.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---- arena: stable storage for texts not present in the file ----

typedef struct lm_arena_block { struct lm_arena_block *next; uint64_t used, cap; char data[]; } arena_block;

static char *arena_alloc(lm_vocab *v, uint64_t n) {
    arena_block *b = v->arena;
    if (!b || b->cap - b->used < n) {
        uint64_t cap = n > 4096 ? n : 4096;
        arena_block *nb = malloc(sizeof *nb + cap);
        if (!nb) return NULL;
        nb->next = b; nb->used = 0; nb->cap = cap;
        v->arena = b = nb;
    }
    char *p = b->data + b->used;
    b->used += n;
    return p;
}

// ---- open-addressed tables; sizes are arbitrary, indexes come from multiply-shift ----

static uint32_t slot_of(uint32_t h, uint32_t size) { return (uint32_t)(((uint64_t)h * size) >> 32); }

static uint32_t table_size(uint64_t n) { return (uint32_t)(n + n / 2 + 16); }   // load <= 2/3

static void index_insert(lm_vocab *v, int32_t id, uint32_t h) {
    lm_span t = v->text[id];
    lm_islot want = lm_islot_of(t.p, t.n, h);
    for (uint32_t i = slot_of(h, v->index_size);; i = i + 1 == v->index_size ? 0 : i + 1) {
        lm_islot *e = &v->index[i];
        bool same = e->id1 && e->key8 == want.key8 && e->len == want.len && e->tag == want.tag &&
                    v->text[e->id1 - 1].n == t.n && !memcmp(v->text[e->id1 - 1].p, t.p, t.n);
        if (e->id1 && !same) continue;
        *e = want;                                                      // new, or a duplicate text: later wins
        e->id1 = (uint32_t)id + 1;
        return;
    }
}

static lm_status build_index(lm_vocab *v) {
    v->index_size = (uint32_t)v->n_tokens * 2 + 16;                   // load <= 1/2: short probes
    v->index = calloc(v->index_size, sizeof *v->index);
    if (!v->index) return lm_fail(LM_NOMEM, "token index (%d tokens)", v->n_tokens);
    uint32_t h[32];
    for (int32_t id = 0; id < v->n_tokens; id += 32) {                // batches: prefetch, then insert
        int32_t k = v->n_tokens - id < 32 ? v->n_tokens - id : 32;
        for (int32_t j = 0; j < k; j++) {
            h[j] = lm_hash_bytes(v->text[id + j].p, v->text[id + j].n);
            __builtin_prefetch(&v->index[slot_of(h[j], v->index_size)], 1);
        }
        for (int32_t j = 0; j < k; j++) index_insert(v, id + j, h[j]);
    }
    return LM_OK;
}

// Id of an extra (non-token) string, adding it when `add`; LM_NO_ID if absent or out of memory.
static uint32_t extra_id(lm_vocab *v, const char *p, uint32_t n, uint32_t h, bool add) {
    if (v->extra_size) {
        for (uint32_t i = slot_of(h, v->extra_size);; i = i + 1 == v->extra_size ? 0 : i + 1) {
            uint32_t e = v->extra_index[i];
            if (!e) break;
            if (v->extra[e - 1].n == n && !memcmp(v->extra[e - 1].p, p, n)) return (uint32_t)v->n_tokens + e - 1;
        }
    }
    if (!add) return LM_NO_ID;
    if (v->n_extra + 1 > v->extra_size / 2) {                   // grow the table (and the span array)
        uint32_t size = v->extra_size ? v->extra_size * 2 : 64;
        uint32_t *idx = calloc(size, sizeof *idx);
        lm_span *sp = realloc(v->extra, (size / 2 + 1) * sizeof *sp);
        if (!idx || !sp) { free(idx); if (sp) v->extra = sp; return LM_NO_ID; }
        v->extra = sp;
        for (uint32_t k = 0; k < v->n_extra; k++) {
            uint32_t i = slot_of(lm_hash_bytes(sp[k].p, sp[k].n), size);
            while (idx[i]) i = i + 1 == size ? 0 : i + 1;
            idx[i] = k + 1;
        }
        free(v->extra_index);
        v->extra_index = idx; v->extra_size = size;
    }
    uint32_t i = slot_of(h, v->extra_size);
    while (v->extra_index[i]) i = i + 1 == v->extra_size ? 0 : i + 1;
    v->extra[v->n_extra] = (lm_span){ p, n };
    v->extra_index[i] = ++v->n_extra;
    return (uint32_t)v->n_tokens + v->n_extra - 1;
}

// ---- glue: characters a token or merge can join with a following "▁" (see tokenizer.h) ----

bool lm_vocab_add_glue(lm_vocab *v, const char *t, size_t n) {
    size_t k = 1;
    while (k < 4 && k < n && ((uint8_t)t[n - k] & 0xC0) == 0x80) k++;
    size_t adv;
    int32_t c = k <= n ? lm_utf8_decode_strict((const uint8_t *)t + n - k, k, &adv) : -1;
    if (c < 0 || adv != k) { v->space_split = false; return true; }   // odd bytes: never cut
    if (v->n_glue == v->glue_cap) {
        uint32_t cap = v->glue_cap ? v->glue_cap * 2 : 16, *g = realloc(v->glue, cap * sizeof *g);
        if (!g) return false;
        v->glue = g; v->glue_cap = cap;
    }
    v->glue[v->n_glue++] = (uint32_t)c;
    return true;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static lm_status finish_glue(lm_vocab *v) {
    if (v->kind == LM_VOCAB_SPM)
        for (int32_t t = 0; t < v->n_tokens; t++)
            for (uint32_t i = 1; i + 3 <= v->text[t].n; i++)
                if (!memcmp(v->text[t].p + i, "\xe2\x96\x81", 3) && !lm_vocab_add_glue(v, v->text[t].p, i))
                    return lm_fail(LM_NOMEM, "vocabulary tables");
    if (v->n_glue) qsort(v->glue, v->n_glue, sizeof *v->glue, cmp_u32);
    uint32_t k = 0;
    for (uint32_t i = 0; i < v->n_glue; i++) if (!k || v->glue[k - 1] != v->glue[i]) v->glue[k++] = v->glue[i];
    v->n_glue = k;
    return LM_OK;
}

// ---- BPE merges: "left right" strings, rank = position; the first occurrence of a pair wins ----

static uint32_t merge_hash(uint32_t a, uint32_t b) {
    uint64_t x = ((uint64_t)a << 32 | b) * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(x >> 32);
}

// One merge on its way into the table. Merges go in batches so that the cache misses of the
// lookups (token index, then merge table) of a batch overlap: each stage prefetches for the next.
typedef struct { lm_span a, b; uint32_t ha, hb, ia, ib, slot; bool skip; } pending;
enum { BATCH = 32 };

// Splits "left right" at the first space at index >= 1 (llama.cpp's rule; no space: the pair
// ("", "") which never matches, so skipped).
static void split_merge(const lm_vocab *v, gguf_str m, pending *p) {
    const char *sp = m.len > 1 ? memchr(m.ptr + 1, ' ', m.len - 1) : NULL;
    p->skip = !sp || m.len > UINT32_MAX || sp + 1 == m.ptr + m.len;
    if (p->skip) return;
    p->a = (lm_span){ m.ptr, (uint32_t)(sp - m.ptr) };
    p->b = (lm_span){ sp + 1, (uint32_t)(m.len - p->a.n - 1) };
    p->ha = lm_hash_bytes(p->a.p, p->a.n);
    p->hb = lm_hash_bytes(p->b.p, p->b.n);
    __builtin_prefetch(&v->index[lm_index_slot(v, p->ha)]);
    __builtin_prefetch(&v->index[lm_index_slot(v, p->hb)]);
}

// Id for a merge operand: the token with that text, else an extra string id.
static uint32_t part_id(lm_vocab *v, lm_span s, uint32_t h) {
    lm_token t = lm_vocab_find_h(v, s.p, s.n, h);
    return t >= 0 ? (uint32_t)t : extra_id(v, s.p, s.n, h, true);
}

static bool resolve_merge(lm_vocab *v, pending *p) {
    if (p->skip) return true;
    p->ia = part_id(v, p->a, p->ha);
    p->ib = part_id(v, p->b, p->hb);
    if (p->ia == LM_NO_ID || p->ib == LM_NO_ID) return false;
    if (v->space_split && p->b.n >= 3 && !memcmp(p->b.p, "\xe2\x96\x81", 3) && !lm_vocab_add_glue(v, p->a.p, p->a.n))
        return false;
    p->slot = slot_of(merge_hash(p->ia, p->ib), v->merge_size);
    __builtin_prefetch(&v->merges[p->slot]);
    return true;
}

static void insert_merge(lm_vocab *v, const pending *p, uint32_t rank) {
    if (p->skip) return;
    for (uint32_t i = p->slot;; i = i + 1 == v->merge_size ? 0 : i + 1) {
        lm_merge *e = &v->merges[i];
        if (e->rank == UINT32_MAX) { *e = (lm_merge){ p->ia, p->ib, rank }; v->n_merges++; return; }
        if (e->a == p->ia && e->b == p->ib) return;                        // duplicate: keep the first
    }
}

static lm_status load_merges(lm_vocab *v, const gguf_file *g) {
    const gguf_kv *kv = gguf_find(g, "tokenizer.ggml.merges");
    if (!kv) return lm_fail(LM_MISSING_KEY, "BPE vocabulary without 'tokenizer.ggml.merges'");
    if (kv->type != GGUF_ARRAY || kv->arr_type != GGUF_STRING)
        return lm_fail(LM_CORRUPT, "'tokenizer.ggml.merges' is not an array of strings");
    if (kv->n > (1u << 26)) return lm_fail(LM_TOO_LARGE, "%llu BPE merges", (unsigned long long)kv->n);
    v->merge_size = table_size(kv->n);
    v->merges = malloc((size_t)v->merge_size * sizeof *v->merges);
    if (!v->merges) return lm_fail(LM_NOMEM, "BPE merge table (%llu merges)", (unsigned long long)kv->n);
    for (uint32_t i = 0; i < v->merge_size; i++) v->merges[i].rank = UINT32_MAX;
    uint64_t pos = 0;
    pending batch[BATCH];
    for (uint64_t i = 0; i < kv->n; i += BATCH) {
        uint32_t k = kv->n - i < BATCH ? (uint32_t)(kv->n - i) : BATCH;
        for (uint32_t j = 0; j < k; j++) split_merge(v, gguf_arr_next_str(kv, &pos), &batch[j]);
        for (uint32_t j = 0; j < k; j++)
            if (!resolve_merge(v, &batch[j])) return lm_fail(LM_NOMEM, "BPE merge strings");
        for (uint32_t j = 0; j < k; j++) insert_merge(v, &batch[j], (uint32_t)(i + j));
    }
    return LM_OK;
}

// ---- tokens, scores, types ----

static lm_status load_tokens(lm_vocab *v, const gguf_file *g) {
    const gguf_kv *kv = gguf_find(g, "tokenizer.ggml.tokens");
    if (!kv) return lm_fail(LM_MISSING_KEY, "vocabulary without 'tokenizer.ggml.tokens'");
    if (kv->type != GGUF_ARRAY || kv->arr_type != GGUF_STRING)
        return lm_fail(LM_CORRUPT, "'tokenizer.ggml.tokens' is not an array of strings");
    if (kv->n < 1 || kv->n > (1u << 24)) return lm_fail(LM_CORRUPT, "vocabulary of %llu tokens", (unsigned long long)kv->n);
    v->n_tokens = (int32_t)kv->n;
    v->text = malloc((size_t)v->n_tokens * sizeof *v->text);
    v->attr = malloc((size_t)v->n_tokens * sizeof *v->attr);
    if (!v->text || !v->attr) return lm_fail(LM_NOMEM, "vocabulary (%d tokens)", v->n_tokens);
    uint64_t pos = 0;
    for (int32_t i = 0; i < v->n_tokens; i++) {
        gguf_str s = gguf_arr_next_str(kv, &pos);
        if (s.len > UINT32_MAX / 2) return lm_fail(LM_CORRUPT, "token %d: %llu bytes", i, (unsigned long long)s.len);
        v->text[i] = (lm_span){ s.ptr, (uint32_t)s.len };
        if (s.len == 0) {                                            // llama.cpp renames empty tokens
            char name[32], *keep;
            int n = snprintf(name, sizeof name, "[EMPTY_%d]", i);
            if (!(keep = arena_alloc(v, (uint64_t)n))) return lm_fail(LM_NOMEM, "token texts");
            memcpy(keep, name, (size_t)n);
            v->text[i] = (lm_span){ keep, (uint32_t)n };
        }
    }
    return LM_OK;
}

// An optional per-token numeric array with at least n_tokens entries; NULL when absent.
static lm_status token_array(const gguf_file *g, const char *key, bool allow_float, int32_t n, const gguf_kv **out) {
    *out = gguf_find(g, key);
    if (!*out) return LM_OK;
    const gguf_kv *kv = *out;
    bool ok = kv->type == GGUF_ARRAY && (kv->arr_type == GGUF_I32 || (allow_float && kv->arr_type == GGUF_F32));
    if (!ok) return lm_fail(LM_CORRUPT, "'%s' has the wrong element type", key);
    if (kv->n < (uint64_t)n) return lm_fail(LM_CORRUPT, "'%s' has %llu entries for %d tokens", key, (unsigned long long)kv->n, n);
    return LM_OK;
}

static lm_status load_scores_types(lm_vocab *v, const gguf_file *g) {
    static const uint16_t TYPE_ATTR[] = { 0, LM_ATTR_NORMAL, LM_ATTR_UNKNOWN, LM_ATTR_CONTROL,
                                          LM_ATTR_USER_DEFINED, LM_ATTR_UNUSED, LM_ATTR_BYTE };
    const gguf_kv *scores, *types;
    lm_status s = token_array(g, "tokenizer.ggml.scores", true, v->n_tokens, &scores);
    if (!s) s = token_array(g, "tokenizer.ggml.token_type", false, v->n_tokens, &types);
    if (s) return s;
    if (v->kind == LM_VOCAB_SPM) {
        if (!(v->score = malloc((size_t)v->n_tokens * sizeof *v->score))) return lm_fail(LM_NOMEM, "token scores");
        for (int32_t i = 0; i < v->n_tokens; i++)
            v->score[i] = !scores ? 0.0f : scores->arr_type == GGUF_F32 ? (float)gguf_arr_float(scores, (uint64_t)i)
                                                                        : (float)gguf_arr_int(scores, (uint64_t)i);
    }
    for (int32_t i = 0; i < v->n_tokens; i++) {
        int64_t t = types ? gguf_arr_int(types, (uint64_t)i) : 1;
        v->attr[i] = t >= 0 && t < 7 ? TYPE_ATTR[t] : 0;
    }
    return LM_OK;
}

// ---- tokenizer family, pre-tokenizer and flags ----

typedef struct { const char *names; lm_pre_kind pre; bool clean_spaces, ignore_merges, add_bos; } pre_row;

// llama.cpp's tokenizer.ggml.pre names for the splitters we implement (space-separated lists).
static const pre_row PRE_TABLE[] = {
    { "llama3 llama-v3 llama-bpe falcon3 falcon-h1 pixtral midm-2.0 lfm2 jina-v5-nano", LM_PRE_LLAMA3, true, true, true },
    { "gpt-2 phi-2 jina-es jina-de gigachat jina-v2-es jina-v2-de a.x-4.0 mellum modern-bert mpt olmo jais exaone4",
      LM_PRE_GPT2, true, false, false },
    { "trillion granite-docling", LM_PRE_GPT2, false, false, false },
    { "qwen2 deepseek-r1-qwen kormo f2llmv2 hunyuan solar-open", LM_PRE_QWEN2, false, false, false },
    { "megrez stablelm2", LM_PRE_QWEN2, true, false, false },
    { "gemma4 granite-embed-multi-311m", LM_PRE_NEWLINES, true, false, false },
};

static bool name_in(const char *list, gguf_str s) {
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, " ");
        if (n == s.len && !memcmp(p, s.ptr, n)) return true;
        p += n + (p[n] == ' ');
    }
    return false;
}

static lm_status choose_family(lm_vocab *v, const gguf_file *g) {
    gguf_str model, pre = { "", 0 };
    lm_status s = gguf_get_str(g, "tokenizer.ggml.model", &model);
    if (s) return s == LM_MISSING_KEY ? lm_fail(s, "no tokenizer in this file ('tokenizer.ggml.model' is missing)") : s;
    if ((s = gguf_get_str(g, "tokenizer.ggml.pre", &pre)) && s != LM_MISSING_KEY) return s;
    snprintf(v->model, sizeof v->model, "%.*s", (int)(model.len < 15 ? model.len : 15), model.ptr);
    snprintf(v->pre_name, sizeof v->pre_name, "%.*s", (int)(pre.len < 31 ? pre.len : 31), pre.ptr);
    if (gguf_str_eq(model, "llama")) {                          // SentencePiece
        v->kind = LM_VOCAB_SPM; v->pre = LM_PRE_NONE; v->space_split = true;
        v->add_space_prefix = true; v->add_bos = true;
        v->bos = 1; v->eos = 2; v->unk = 0;
        return LM_OK;
    }
    bool gemma4 = gguf_str_eq(model, "gemma4");
    if (!gemma4 && !gguf_str_eq(model, "gpt2"))
        return lm_fail(LM_UNSUPPORTED, "tokenizer '%s' is not supported (llama, gpt2 and gemma4 are)", v->model);
    v->kind = LM_VOCAB_BPE; v->clean_spaces = true; v->byte_encode = true;
    if (!gemma4) v->bos = v->eos = 11;
    if (gemma4) pre = (gguf_str){ "gemma4", 6 };                // llama.cpp ignores the file's value
    for (size_t i = 0; i < sizeof PRE_TABLE / sizeof PRE_TABLE[0]; i++) {
        if (!name_in(PRE_TABLE[i].names, pre)) continue;
        v->pre = PRE_TABLE[i].pre; v->clean_spaces = PRE_TABLE[i].clean_spaces;
        v->ignore_merges = PRE_TABLE[i].ignore_merges; v->add_bos = PRE_TABLE[i].add_bos;
        if (v->pre == LM_PRE_NEWLINES) { v->escape_spaces = v->space_split = true; v->byte_encode = false; }
        return LM_OK;
    }
    return lm_fail(LM_UNSUPPORTED, "BPE pre-tokenizer '%s' is not supported (llama3, qwen2, gpt-2 and gemma4 families are)",
                   pre.len ? v->pre_name : "(missing)");
}

static lm_status read_bool(const gguf_file *g, const char *key, bool *dst) {
    lm_status s = gguf_get_bool(g, key, dst);
    return s == LM_MISSING_KEY ? LM_OK : s;
}

static lm_status read_flags(lm_vocab *v, const gguf_file *g) {
    lm_status s;
    if ((s = read_bool(g, "tokenizer.ggml.add_space_prefix", &v->add_space_prefix)) ||
        (s = read_bool(g, "tokenizer.ggml.add_bos_token", &v->add_bos)) ||
        (s = read_bool(g, "tokenizer.ggml.add_eos_token", &v->add_eos))) return s;
    if (v->pre == LM_PRE_NEWLINES) v->add_bos = true;           // llama.cpp forces BOS for Gemma 4
    gguf_str tmpl;
    if (gguf_get_str(g, "tokenizer.chat_template", &tmpl) == LM_OK) v->chat_template = tmpl;
    return LM_OK;
}

// ---- lifecycle ----

void lm_vocab_release(lm_vocab *v) {
    if (!v) return;
    free(v->text); free(v->attr); free(v->score); free(v->index);
    free(v->extra); free(v->extra_index); free(v->merges);
    free(v->eog); free(v->special); free(v->trie); free(v->glue);
    for (arena_block *b = v->arena, *next; b; b = next) { next = b->next; free(b); }
    if (v->owns_gguf) gguf_free(&v->own);
    memset(v, 0, sizeof *v);
}

lm_status lm_vocab_specials(lm_vocab *v, const gguf_file *g);   // vocab_special.c

lm_status lm_vocab_init(lm_vocab *v, const gguf_file *g) {
    v->bos = v->eos = v->eot = v->eom = v->unk = v->pad = v->sep = v->nl = -1;
    lm_status s;
    if ((s = choose_family(v, g)) || (s = load_tokens(v, g)) || (s = load_scores_types(v, g)) ||
        (s = build_index(v)) || (v->kind == LM_VOCAB_BPE && (s = load_merges(v, g))) ||
        (s = read_flags(v, g)) || (s = finish_glue(v)))
        return s;
    for (int b = 0; b < 256; b++) {
        char hex[7], raw = (char)b;
        snprintf(hex, sizeof hex, "<0x%02X>", b);
        v->byte_hex[b] = lm_vocab_find(v, hex, 6);
        v->byte_raw[b] = lm_vocab_find(v, &raw, 1);
    }
    return lm_vocab_specials(v, g);
}

lm_status lm_vocab_load(const uint8_t *buf, uint64_t len, lm_vocab **out) {
    *out = NULL;
    lm_vocab *v = calloc(1, sizeof *v);
    if (!v) return lm_fail(LM_NOMEM, "vocabulary struct");
    lm_status s = gguf_parse(buf, len, &v->own, NULL);
    if (!s) { v->owns_gguf = true; s = lm_vocab_init(v, &v->own); }
    if (s) { lm_vocab_free(v); return s; }
    lm_clear_error();
    *out = v;
    return LM_OK;
}

void lm_vocab_free(lm_vocab *v) {
    if (!v) return;
    lm_vocab_release(v);
    free(v);
}
