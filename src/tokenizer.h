// tokenizer.h — internal vocabulary structure shared by tokenizer.c, vocab.c, bpe.c, spm.c,
// pretok.c and chat.c. The public entry points are in lm.h.
//
// The behaviour follows llama.cpp's llama-vocab.cpp (the reference the conformance tests compare
// against): special tokens are cut out of the text first, then each remaining piece goes through
// SentencePiece (SPM, score-driven merges) or BPE (pre-tokenizer split, rank-driven merges).
#ifndef LM_TOKENIZER_H
#define LM_TOKENIZER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lm.h"
#include "gguf.h"

// Token attributes (llama.cpp's llama_token_attr bits; GGUF token_type 1..6 map onto them).
enum {
    LM_ATTR_UNKNOWN = 1 << 0, LM_ATTR_UNUSED = 1 << 1, LM_ATTR_NORMAL = 1 << 2, LM_ATTR_CONTROL = 1 << 3,
    LM_ATTR_USER_DEFINED = 1 << 4, LM_ATTR_BYTE = 1 << 5, LM_ATTR_LSTRIP = 1 << 7, LM_ATTR_RSTRIP = 1 << 8,
};

typedef enum { LM_VOCAB_SPM, LM_VOCAB_BPE } lm_vocab_kind;
typedef enum { LM_PRE_NONE, LM_PRE_NEWLINES, LM_PRE_GPT2, LM_PRE_LLAMA3, LM_PRE_QWEN2 } lm_pre_kind;

typedef struct { const char *p; uint32_t n; } lm_span;

// BPE merge table slot: the pair (a, b) of string ids merges with priority `rank` (lower first).
// The merged string's id is looked up when the merge happens. Empty slot: rank == UINT32_MAX.
typedef struct { uint32_t a, b, rank; } lm_merge;

// Trie over the texts of special tokens, for finding them in input text in one pass.
typedef struct { uint32_t child, sibling; int32_t token; uint8_t byte; } lm_trie_node;

#define LM_NO_ID UINT32_MAX

// Text -> token index slot. Texts up to 8 bytes are compared without touching the token list
// (key8 holds them, zero-padded), which keeps a lookup to about one cache miss.
typedef struct {
    uint64_t key8;               // first 8 bytes of the text
    uint32_t id1;                // token id + 1; 0 = empty slot
    uint16_t len;                // text length, 0xFFFF for 65535 and more
    uint16_t tag;                // high 16 bits of the hash
} lm_islot;

// The slot fields for text p[0..n) with hash h.
static inline lm_islot lm_islot_of(const char *p, size_t n, uint32_t h) {
    lm_islot s = { 0, 0, (uint16_t)(n < 0xFFFF ? n : 0xFFFF), (uint16_t)(h >> 16) };
    for (size_t i = 0; i < n && i < 8; i++) s.key8 |= (uint64_t)(uint8_t)p[i] << (8 * i);
    return s;
}

struct lm_vocab {
    gguf_file      own;          // parsed header when loaded vocab-only (lm_vocab_load)
    bool           owns_gguf;
    lm_vocab_kind  kind;
    lm_pre_kind    pre;
    char           model[16], pre_name[32];      // tokenizer.ggml.model / .pre, for messages
    int32_t        n_tokens;
    lm_span       *text;         // [n_tokens] views into the GGUF buffer (or into `arena`)
    uint16_t      *attr;         // [n_tokens] LM_ATTR_*
    float         *score;        // [n_tokens] SPM merge scores (NULL for BPE)
    lm_islot      *index;        // open-addressed text -> token table, [index_size]
    uint32_t       index_size;
    // BPE: extra string ids (>= n_tokens) for merge operands that are not tokens
    lm_span       *extra;        // [n_extra]
    uint32_t       n_extra, extra_cap, *extra_index, extra_size;
    lm_merge      *merges;       // [merge_size+1]
    uint32_t       merge_size, n_merges;
    struct lm_arena_block *arena;   // owned blocks for texts that are not in the file
    // behaviour
    bool byte_encode;            // GPT-2 byte-to-code-point mapping before BPE
    bool escape_spaces;          // ' ' -> U+2581 before tokenization
    bool add_space_prefix, add_bos, add_eos, clean_spaces, ignore_merges;
    lm_token bos, eos, eot, eom, unk, pad, sep, nl;
    lm_token byte_hex[256];      // "<0xXX>" tokens, -1 if absent
    lm_token byte_raw[256];      // one-byte-string tokens, -1 if absent
    lm_token *eog;               // [n_eog] end-of-generation tokens
    int32_t   n_eog;
    // special tokens (CONTROL, USER_DEFINED, UNKNOWN), by text length descending, then id
    lm_token *special;           // [n_special]
    int32_t   n_special;
    int32_t  *special_rank;      // [n_tokens] position in `special`, -1 if not special
    lm_trie_node *trie;          // [n_trie]; node 0 is the root
    uint32_t  n_trie;
    gguf_str  chat_template;     // tokenizer.chat_template (len 0 if absent)
    // Long texts are merged in chunks cut before a "▁" when no token (SPM) or merge (BPE) can
    // join the character before it with that "▁": those characters are `glue` (sorted code
    // points). The result is the same as one pass; the merge heap just stays small.
    bool      space_split;
    uint32_t *glue, n_glue, glue_cap;
};

// ---- vocab.c: loading ----
// Builds the vocabulary from a parsed GGUF header (which must outlive v).
lm_status lm_vocab_init(lm_vocab *v, const gguf_file *g);
void      lm_vocab_release(lm_vocab *v);                  // frees what lm_vocab_init allocated

// ---- tokenizer.c: lookups shared by the algorithms ----
uint32_t lm_hash_bytes(const void *p, size_t n);
lm_token lm_vocab_find(const lm_vocab *v, const char *p, size_t n);     // -1 if no token has this text
lm_token lm_vocab_find_h(const lm_vocab *v, const char *p, size_t n, uint32_t h);   // h = lm_hash_bytes(p, n)
uint32_t lm_index_slot(const lm_vocab *v, uint32_t h);                   // first slot probed for hash h
uint32_t lm_vocab_string_id(const lm_vocab *v, const char *p, size_t n); // token or extra id; LM_NO_ID
const lm_merge *lm_vocab_merge(const lm_vocab *v, uint32_t a, uint32_t b);   // NULL if no merge

// Growable token list.
typedef struct { lm_token *v; int64_t n, cap; bool oom; } lm_toks;
void lm_toks_push(lm_toks *t, lm_token x);

// End of the chunk that starts at t[start] (<= end): the next safe cut before a "▁", or end.
size_t lm_next_cut(const lm_vocab *v, const char *t, size_t start, size_t end);
// Notes that the character ending at t[n-1] may be joined with a following "▁" (vocab.c).
bool lm_vocab_add_glue(lm_vocab *v, const char *t, size_t n);

// ---- pretok.c ----
// Writes the end offset of each word of cpts[0..n) to ends (room for n); returns the count.
size_t lm_pretok_split(lm_pre_kind kind, const uint32_t *cpts, const uint16_t *flags, size_t n, uint32_t *ends);

// ---- spm.c / bpe.c: tokenize one fragment (no special tokens inside) ----
// Scratch buffers kept across fragments of one lm_tokenize call.
typedef struct {
    uint32_t *u32[8];            // per-symbol arrays
    uint64_t  u32_cap;
    char     *bytes;             // transformed text
    uint64_t  bytes_cap;
    uint32_t *cpts, *ends;
    uint16_t *flags;
    uint64_t  cpt_cap;
    bool      oom;
} lm_scratch;

bool lm_scratch_symbols(lm_scratch *s, uint64_t n);      // ensures u32[*] hold n entries
void lm_scratch_free(lm_scratch *s);
void lm_spm_fragment(const lm_vocab *v, lm_scratch *s, const char *text, size_t len, bool space_prefix, lm_toks *out);
void lm_bpe_fragment(const lm_vocab *v, lm_scratch *s, const char *text, size_t len, lm_toks *out);

// ---- tokenizer.c: the indexed min-heap both merge loops use ----
// Keys are (primary, position): the smallest primary first, ties to the leftmost position.
typedef struct {
    uint32_t *heap;              // positions, heap-ordered
    uint32_t *slot;              // [position] index in heap, UINT32_MAX if absent
    uint32_t *key;               // [position] primary key
    uint32_t  n;
} lm_iheap;
void     lm_iheap_set(lm_iheap *h, uint32_t pos, uint32_t key);   // insert or change
void     lm_iheap_remove(lm_iheap *h, uint32_t pos);
uint32_t lm_iheap_pop(lm_iheap *h);                               // UINT32_MAX when empty

#endif
