// data.c — the training and validation texts as token ids (the engine's tokenizer over the
// trained vocabulary) and sequence sampling. Sequences start at line starts (a verse, in the KJV
// corpus) after BOS, the way generation starts from a prompt.
#include "../fileio.h"
#include "train.h"
#include "../../src/lm.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Token t is a run of newlines.
static bool newline_token(const lm_vocab *v, lm_token t) {
    char piece[64];
    int32_t n = lm_token_to_piece(v, t, piece, sizeof piece, false);
    if (n <= 0 || n > (int32_t)sizeof piece) return false;
    for (int32_t i = 0; i < n; i++) if (piece[i] != '\n') return false;
    return true;
}

bool tr_text_load(tr_text *t, const char *path, const uint8_t *vocab_gguf, uint64_t vocab_len) {
    memset(t, 0, sizeof *t);
    uint64_t len;
    char *text = (char *)tool_read_file(path, &len);
    lm_vocab *v = NULL;
    if (!text) return false;
    if (len > INT32_MAX) { fprintf(stderr, "train: %s is too large\n", path); free(text); return false; }
    if (lm_vocab_load(vocab_gguf, vocab_len, &v)) { fprintf(stderr, "train: vocabulary: %s\n", lm_errmsg()); free(text); return false; }
    int32_t n = lm_tokenize(v, text, (int32_t)len, NULL, 0, false, false);
    lm_vocab_info vi;
    lm_vocab_get_info(v, &vi);
    bool *nl = calloc((size_t)vi.n_tokens, sizeof *nl);
    t->tok = n < 0 && n != INT32_MIN ? malloc((size_t)-n * sizeof *t->tok) : NULL;
    if (t->tok) n = lm_tokenize(v, text, (int32_t)len, t->tok, -n, false, false);
    t->n = n > 0 ? n : 0;
    t->start = t->tok && nl ? malloc((size_t)(t->n + 1) * sizeof *t->start) : NULL;
    for (lm_token k = 0; nl && k < vi.n_tokens; k++) nl[k] = newline_token(v, k);
    for (int64_t i = 0; t->start && i < t->n; i++)
        if ((i == 0 || nl[t->tok[i - 1]]) && !nl[t->tok[i]]) t->start[t->n_start++] = i;
    static const char *const CHAT[3] = { "<|turn>user\n", "<turn|>\n<|turn>model\n<|channel>thought\n<channel|>", "<turn|>\n" };
    for (int k = 0; k < 3; k++) {
        int32_t m = lm_tokenize(v, CHAT[k], (int32_t)strlen(CHAT[k]), t->chat[k], 16, false, true);
        t->n_chat[k] = m > 0 ? m : 0;
    }
    free(nl); free(text); lm_vocab_free(v);
    if (!t->start || t->n_start == 0) { fprintf(stderr, "train: %s: no text\n", path); tr_text_free(t); return false; }
    return true;
}

void tr_text_free(tr_text *t) {
    free(t->tok); free(t->start);
    memset(t, 0, sizeof *t);
}

// Line starts from which T tokens fit: start[0 .. usable).
static int64_t usable(const tr_text *t, int T) {
    int64_t k = t->n_start;
    while (k > 0 && t->start[k - 1] + T > t->n) k--;
    return k > 0 ? k : 1;
}

int64_t tr_random_start(const tr_text *t, int T, uint64_t seed, int64_t step, int b) {
    uint64_t x = seed * 0x9e3779b97f4a7c15ull ^ (uint64_t)step * 0xbf58476d1ce4e5b9ull ^ (uint64_t)b * 0x94d049bb133111ebull;
    x ^= x >> 31; x *= 0xd6e8feb86659fd93ull; x ^= x >> 32; x *= 0xd6e8feb86659fd93ull; x ^= x >> 32;
    return t->start[x % (uint64_t)usable(t, T)];
}

int64_t tr_even_start(const tr_text *t, int T, int64_t k, int64_t K) {
    return t->start[k * usable(t, T) / (K > 0 ? K : 1)];
}

void tr_sequence(const tr_text *t, int T, int32_t bos, int64_t pos, int32_t *tokens, int32_t *targets) {
    for (int i = 0; i < T; i++) {
        int64_t a = pos + i - 1, b = pos + i;
        tokens[i] = i == 0 ? bos : a < t->n ? t->tok[a] : bos;
        targets[i] = b < t->n ? t->tok[b] : bos;
    }
}

// The first line start after text position pos (t->n when none).
static int64_t next_start(const tr_text *t, int64_t pos) {
    int64_t lo = 0, hi = t->n_start;
    while (lo < hi) { int64_t mid = (lo + hi) / 2; if (t->start[mid] <= pos) lo = mid + 1; else hi = mid; }
    return lo < t->n_start ? t->start[lo] : t->n;
}

static void put(int32_t *buf, int *n, int cap, const int32_t *src, int64_t len) {
    for (int64_t i = 0; i < len && *n < cap; i++) buf[(*n)++] = src[i];
}

void tr_chat_sequence(const tr_text *t, int T, int32_t bos, int64_t pos, int32_t *tokens, int32_t *targets) {
    int32_t *buf = malloc(((size_t)T + 1) * sizeof *buf);   // T + 1 tokens: inputs are [0, T), targets [1, T]
    if (!buf) { tr_sequence(t, T, bos, pos, tokens, targets); return; }
    int n = 0;
    put(buf, &n, T + 1, &bos, 1);
    for (int turn = 0; n < T + 1; turn++) {
        if (pos >= t->n) { put(buf, &n, T + 1, &bos, 1); continue; }
        int64_t next = next_start(t, pos), end = next;
        while (end > pos + 1 && t->tok[end - 1] == t->tok[next - 1]) end--;   // drop the line's newline tokens
        put(buf, &n, T + 1, t->chat[turn % 2], t->n_chat[turn % 2]);         // user opening / model opening
        put(buf, &n, T + 1, t->tok + pos, end - pos);
        if (turn % 2) put(buf, &n, T + 1, t->chat[2], t->n_chat[2]);
        pos = next;
    }
    memcpy(tokens, buf, (size_t)T * sizeof *buf);
    memcpy(targets, buf + 1, (size_t)T * sizeof *buf);
    free(buf);
}
