// vocab_special.c — special token ids, llama.cpp's attribute fix-ups by token text, the
// end-of-generation set, and the trie used to find special tokens in input text.
#include "tokenizer.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

// Special-id keys, and the texts llama.cpp uses to find an id the file does not give. A token
// found by text is also made CONTROL. When several texts match, llama.cpp takes the first in its
// hash map's order; with libstdc++ that is the highest id on every vocabulary we test against
// (e.g. <|eot_id|> 128009 over <|end_of_text|> 128001), so we take the highest.
typedef struct { const char *key; size_t off; bool eog; const char *texts[12]; } id_row;

#define VOFF(f) offsetof(lm_vocab, f)
static const id_row ID_ROWS[] = {
    { "tokenizer.ggml.bos_token_id", VOFF(bos), false, { 0 } },
    { "tokenizer.ggml.eos_token_id", VOFF(eos), true, { 0 } },
    { "tokenizer.ggml.eot_token_id", VOFF(eot), true,
      { "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>",
        "_<EOT>", "[EOT]", "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>", "<end_of_utterance>", 0 } },
    { "tokenizer.ggml.eom_token_id", VOFF(eom), true, { "<|eom_id|>", 0 } },
    { "tokenizer.ggml.unknown_token_id", VOFF(unk), false, { 0 } },
    { "tokenizer.ggml.seperator_token_id", VOFF(sep), false, { 0 } },
    { "tokenizer.ggml.padding_token_id", VOFF(pad), false, { 0 } },
};

// FIM tokens: found the same way; only their CONTROL fix-up and (pad/rep/sep) EOG role matter here.
typedef struct { const char *key, *key_old; bool eog; const char *texts[9]; } fim_row;
static const fim_row FIM_ROWS[] = {
    { "tokenizer.ggml.fim_pre_token_id", "tokenizer.ggml.prefix_token_id", false,
      { "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<\xef\xbd\x9c" "fim\xe2\x96\x81" "begin\xef\xbd\x9c>", "<PRE>",
        "\xe2\x96\x81<PRE>", "<|code_prefix|>", "<|prefix|>", 0 } },
    { "tokenizer.ggml.fim_suf_token_id", "tokenizer.ggml.suffix_token_id", false,
      { "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<\xef\xbd\x9c" "fim\xe2\x96\x81hole\xef\xbd\x9c>", "<SUF>",
        "\xe2\x96\x81<SUF>", "<|code_suffix|>", "<|suffix|>", 0 } },
    { "tokenizer.ggml.fim_mid_token_id", "tokenizer.ggml.middle_token_id", false,
      { "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<\xef\xbd\x9c" "fim\xe2\x96\x81" "end\xef\xbd\x9c>", "<MID>",
        "\xe2\x96\x81<MID>", "<|code_middle|>", "<|middle|>", 0 } },
    { "tokenizer.ggml.fim_pad_token_id", NULL, true, { "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]", 0 } },
    { "tokenizer.ggml.fim_rep_token_id", NULL, true,
      { "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", 0 } },
    { "tokenizer.ggml.fim_sep_token_id", NULL, true, { "<|file_sep|>", 0 } },
};

// Texts llama.cpp treats as end-of-generation wherever they appear (also made CONTROL).
static const char *const EOG_TEXTS[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
    "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
    "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
    "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>", "[e~[", NULL,
};

static bool contains(lm_span s, const char *z) {
    size_t n = strlen(z);
    for (uint32_t i = 0; i + n <= s.n; i++) if (!memcmp(s.p + i, z, n)) return true;
    return false;
}

static lm_token find_z(const lm_vocab *v, const char *z) { return lm_vocab_find(v, z, strlen(z)); }
static bool text_is(const lm_vocab *v, lm_token t, const char *z) {
    return t >= 0 && v->text[t].n == strlen(z) && !memcmp(v->text[t].p, z, v->text[t].n);
}

// id from key (kept when in range), else the default; then by text when still unset.
static lm_status read_id(const lm_vocab *v, const gguf_file *g, const char *key, lm_token *id) {
    if (*id >= v->n_tokens) *id = -1;
    uint32_t x;
    lm_status s = key ? gguf_get_u32(g, key, &x) : LM_MISSING_KEY;
    if (s == LM_OK && x < (uint32_t)v->n_tokens) *id = (lm_token)x;
    return s == LM_MISSING_KEY || s == LM_OK || s == LM_CORRUPT ? LM_OK : s;   // bad values keep the default
}

static void by_text(lm_vocab *v, lm_token *id, const char *const *texts) {
    if (*id >= 0) return;
    for (int i = 0; texts[i]; i++) {
        lm_token t = find_z(v, texts[i]);
        if (t > *id) *id = t;
    }
    if (*id >= 0) v->attr[*id] |= LM_ATTR_CONTROL;
}

static bool eog_add(lm_vocab *v, lm_token t) {
    if (t < 0) return true;
    for (int32_t i = 0; i < v->n_eog; i++) if (v->eog[i] == t) return true;
    lm_token *e = realloc(v->eog, (size_t)(v->n_eog + 1) * sizeof *e);
    if (!e) return false;
    v->eog = e;
    v->eog[v->n_eog++] = t;
    return true;
}

static void eog_remove(lm_vocab *v, lm_token t) {
    for (int32_t i = 0; i < v->n_eog; i++)
        if (v->eog[i] == t) { v->eog[i] = v->eog[--v->n_eog]; return; }
}

static lm_token eog_with_text(const lm_vocab *v, const char *z) {
    for (int32_t i = 0; i < v->n_eog; i++) if (text_is(v, v->eog[i], z)) return v->eog[i];
    return -1;
}

static lm_status special_ids(lm_vocab *v, const gguf_file *g) {
    lm_status s;
    for (size_t i = 0; i < sizeof ID_ROWS / sizeof ID_ROWS[0]; i++)
        if ((s = read_id(v, g, ID_ROWS[i].key, (lm_token *)((char *)v + ID_ROWS[i].off)))) return s;
    lm_token fim[6];
    for (size_t i = 0; i < 6; i++) {
        fim[i] = -1;
        if ((s = read_id(v, g, FIM_ROWS[i].key, &fim[i])) || (s = read_id(v, g, FIM_ROWS[i].key_old, &fim[i]))) return s;
    }
    for (size_t i = 0; i < sizeof ID_ROWS / sizeof ID_ROWS[0]; i++)
        if (ID_ROWS[i].texts[0]) by_text(v, (lm_token *)((char *)v + ID_ROWS[i].off), ID_ROWS[i].texts);
    for (size_t i = 0; i < 6; i++) by_text(v, &fim[i], FIM_ROWS[i].texts);
    for (int32_t t = 0; t < v->n_tokens; t++)                  // control tokens named "unused..." are unused
        if ((v->attr[t] & LM_ATTR_CONTROL) && contains(v->text[t], "unused")) v->attr[t] |= LM_ATTR_UNUSED;
    bool ok = true;
    for (size_t i = 0; i < 6; i++) if (FIM_ROWS[i].eog) ok &= eog_add(v, fim[i]);
    for (int i = 0; EOG_TEXTS[i]; i++) {
        lm_token t = find_z(v, EOG_TEXTS[i]);
        if (t >= 0) { ok &= eog_add(v, t); v->attr[t] |= LM_ATTR_CONTROL; }
    }
    static const char *const GPT_OSS_SHOWN[] = { "<|channel|>", "<|message|>", "<|start|>", "<|constrain|>" };
    for (int i = 0; i < 4; i++) { lm_token t = find_z(v, GPT_OSS_SHOWN[i]); if (t >= 0) v->attr[t] = LM_ATTR_USER_DEFINED; }
    ok &= eog_add(v, v->eos) && eog_add(v, v->eot) && eog_add(v, v->eom);
    if (!ok) return lm_fail(LM_NOMEM, "end-of-generation list");
    lm_token end = eog_with_text(v, "<|end|>"), call = eog_with_text(v, "<|call|>");
    if (call < 0) call = eog_with_text(v, "<|calls|>");
    if (end >= 0 && call >= 0 && (eog_with_text(v, "<|return|>") >= 0 || eog_with_text(v, "<|flush|>") >= 0)) {
        eog_remove(v, end);                                   // harmony / solar-open: <|end|> is not EOG
        v->attr[end] = LM_ATTR_USER_DEFINED;
    }
    lm_token es = eog_with_text(v, "</s>");
    if (es >= 0 && eog_with_text(v, "<|tool_response>") >= 0) {   // Gemma 4: </s> is ordinary text
        eog_remove(v, es);
        v->attr[es] = LM_ATTR_NORMAL;
    }
    return LM_OK;
}

// ---- the special-token list (longest text first) and its trie ----

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static uint32_t trie_child(lm_vocab *v, uint32_t node, uint8_t byte, bool add) {
    uint32_t c = v->trie[node].child;
    for (; c; c = v->trie[c].sibling) if (v->trie[c].byte == byte) return c;
    if (!add) return 0;
    lm_trie_node *n = &v->trie[v->n_trie];
    *n = (lm_trie_node){ 0, v->trie[node].child, -1, byte };
    v->trie[node].child = v->n_trie;
    return v->n_trie++;
}

static lm_status build_specials(lm_vocab *v) {
    uint64_t bytes = 1;
    for (int32_t t = 0; t < v->n_tokens; t++)
        if (v->attr[t] & (LM_ATTR_CONTROL | LM_ATTR_USER_DEFINED | LM_ATTR_UNKNOWN)) { v->n_special++; bytes += v->text[t].n; }
    if (bytes > UINT32_MAX / 2) return lm_fail(LM_TOO_LARGE, "special token texts: %llu bytes", (unsigned long long)bytes);
    // order: longest text first, then lowest id (llama.cpp's sort leaves equal lengths unordered)
    uint64_t *keys = malloc(((size_t)v->n_special + 1) * sizeof *keys);
    v->special = malloc(((size_t)v->n_special + 1) * sizeof *v->special);
    v->trie = calloc(bytes, sizeof *v->trie);
    if (!keys || !v->special || !v->trie) { free(keys); return lm_fail(LM_NOMEM, "special tokens (%d)", v->n_special); }
    int32_t k = 0;
    for (int32_t t = 0; t < v->n_tokens; t++)
        if (v->attr[t] & (LM_ATTR_CONTROL | LM_ATTR_USER_DEFINED | LM_ATTR_UNKNOWN))
            keys[k++] = (uint64_t)(UINT32_MAX - v->text[t].n) << 32 | (uint32_t)t;
    qsort(keys, (size_t)v->n_special, sizeof *keys, cmp_u64);
    for (k = 0; k < v->n_special; k++) v->special[k] = (lm_token)(uint32_t)keys[k];
    free(keys);
    v->trie[0] = (lm_trie_node){ 0, 0, -1, 0 };
    v->n_trie = 1;
    for (int32_t r = 0; r < v->n_special; r++) {
        lm_span s = v->text[v->special[r]];
        uint32_t node = 0;
        for (uint32_t i = 0; i < s.n; i++) node = trie_child(v, node, (uint8_t)s.p[i], true);
        if (v->trie[node].token < 0) v->trie[node].token = r;    // rank in `special`
    }
    return LM_OK;
}

// llama.cpp sets strip flags by model name (tokenizer.ggml.pre / general.name).
static void name_attrs(lm_vocab *v, const gguf_file *g) {
    gguf_str name = { "", 0 };
    gguf_get_str(g, "general.name", &name);
    char low[64] = { 0 };
    for (size_t i = 0; i < name.len && i < 63; i++) low[i] = (char)tolower((unsigned char)name.ptr[i]);
    if (strstr(low, "phi-3") || strstr(low, "phi3")) {
        for (int32_t r = 0; r < v->n_special; r++) v->attr[v->special[r]] |= LM_ATTR_RSTRIP;
        lm_token t = find_z(v, "</s>");
        if (t >= 0) v->attr[t] |= LM_ATTR_RSTRIP;
        static const char *const KEEP[] = { "<unk>", "<s>", "<|endoftext|>" };
        for (int i = 0; i < 3; i++) if ((t = find_z(v, KEEP[i])) >= 0) v->attr[t] &= (uint16_t)~LM_ATTR_RSTRIP;
    } else if (strstr(low, "modern-bert")) {
        lm_token t = find_z(v, "[MASK]");
        if (t >= 0) v->attr[t] |= LM_ATTR_LSTRIP;
    }
}

lm_status lm_vocab_specials(lm_vocab *v, const gguf_file *g) {
    lm_status s = special_ids(v, g);
    if (!s) s = build_specials(v);
    if (s) return s;
    name_attrs(v, g);
    if (v->kind == LM_VOCAB_SPM) {                              // llama.cpp: byte_to_token('\n')
        v->nl = find_z(v, "<0x0A>");
        if (v->nl < 0) v->nl = find_z(v, "\n");
        if (v->nl < 0) v->nl = v->pad;
    } else {
        lm_token t[8];
        int32_t n = lm_tokenize(v, "\n", 1, t, 8, false, false);
        v->nl = n > 0 ? t[0] : v->pad;
    }
    return LM_OK;
}
