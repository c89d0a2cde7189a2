// test_tokenizer.c — tokenizers on small generated vocabularies (every rule with a hand-worked
// expectation), Unicode tables and codecs, the pre-tokenizers, detokenization and the text
// stream, hostile input; then, when build/llama-src/models holds llama.cpp's tokenizer-only
// GGUFs (tests/conformance/tokenizer.mjs extracts them), their .inp/.out vectors.
#include "../src/lm.h"
#include "../src/tokenizer.h"
#include "../src/unicode.h"
#include "../src/tensor.h"
#include "../tools/gen.h"
#include "../tools/gguf_write.h"
#include "t.h"
#include <stdlib.h>
#include <string.h>

// ---- helpers ----

#define N_ARGS(...) (sizeof((lm_token[]){ __VA_ARGS__ }) / sizeof(lm_token))
#define CHECK_TOKS(v, text, add, parse, ...) \
    check_toks(__LINE__, v, text, sizeof(text) - 1, add, parse, (lm_token[]){ __VA_ARGS__ }, N_ARGS(__VA_ARGS__))
#define CHECK_NONE(v, text, add, parse) check_toks(__LINE__, v, text, sizeof(text) - 1, add, parse, NULL, 0)

static void check_toks(int line, const lm_vocab *v, const char *text, size_t len, bool add, bool parse,
                       const lm_token *want, size_t n_want) {
    lm_token got[256];
    int32_t n = lm_tokenize(v, text, (int32_t)len, got, 256, add, parse);
    bool ok = n == (int32_t)n_want && (n == 0 || !memcmp(got, want, n_want * sizeof *got));
    if (ok) { t_pass++; return; }
    t_fail++;
    fprintf(stderr, "line %d: tokenize(\"%.*s\") = [", line, (int)len, text);
    for (int32_t i = 0; i < n; i++) fprintf(stderr, "%s%d", i ? "," : "", got[i]);
    fprintf(stderr, "] (n %d), want [", n);
    for (size_t i = 0; i < n_want; i++) fprintf(stderr, "%s%d", i ? "," : "", want[i]);
    fprintf(stderr, "]\n");
}

static lm_vocab *vocab_from(gguf_writer *w, uint8_t **buf) {
    uint64_t len;
    if (gw_write_mem(w, buf, &len)) { fprintf(stderr, "gw_write_mem failed\n"); exit(2); }
    gw_free(w);
    lm_vocab *v = NULL;
    lm_status s = lm_vocab_load(*buf, len, &v);
    if (s) fprintf(stderr, "lm_vocab_load: %s: %s\n", lm_status_name(s), lm_errmsg());
    CHECK_EQ(s, LM_OK);
    return v;
}

typedef struct { const char *text; int32_t type; float score; } tok_def;

// Writes tokens (and merges if any) with the common keys.
static gguf_writer *vocab_writer(const char *model, const char *pre, const char *name, const tok_def *t, int n,
                                 const char *const *merges, int n_merges) {
    const char **text = malloc((size_t)n * sizeof *text);
    int32_t *type = malloc((size_t)n * sizeof *type);
    float *score = malloc((size_t)n * sizeof *score);
    for (int i = 0; i < n; i++) { text[i] = t[i].text; type[i] = t[i].type; score[i] = t[i].score; }
    gguf_writer *w = gw_new(32);
    gw_str(w, "general.architecture", "llama");
    gw_str(w, "general.name", name);
    gw_str(w, "tokenizer.ggml.model", model);
    if (pre) gw_str(w, "tokenizer.ggml.pre", pre);
    gw_arr_str(w, "tokenizer.ggml.tokens", text, (uint64_t)n);
    gw_arr_f32(w, "tokenizer.ggml.scores", score, (uint64_t)n);
    gw_arr_i32(w, "tokenizer.ggml.token_type", type, (uint64_t)n);
    if (merges) gw_arr_str(w, "tokenizer.ggml.merges", merges, (uint64_t)n_merges);
    free(text); free(type); free(score);
    return w;
}

// 256 byte tokens "<0xXX>" starting at tok[at].
static void byte_tokens(tok_def *tok, int at, char names[256][8]) {
    for (int b = 0; b < 256; b++) {
        snprintf(names[b], 8, "<0x%02X>", b);
        tok[at + b] = (tok_def){ names[b], 6, 0 };
    }
}

// ---- Unicode ----

static void test_unicode(void) {
    CHECK_EQ(lm_uc_flags('a'), LM_UC_LETTER);
    CHECK_EQ(lm_uc_flags('7'), LM_UC_NUMBER);
    CHECK_EQ(lm_uc_flags(' '), LM_UC_SEPARATOR | LM_UC_WHITESPACE);
    CHECK_EQ(lm_uc_flags('\n'), LM_UC_CONTROL | LM_UC_WHITESPACE);
    CHECK_EQ(lm_uc_flags(0x1C), LM_UC_CONTROL);                   // not White_Space, unlike isspace()
    CHECK_EQ(lm_uc_flags('$'), LM_UC_SYMBOL);
    CHECK_EQ(lm_uc_flags('!'), LM_UC_PUNCT);
    CHECK_EQ(lm_uc_flags(0x0301), LM_UC_MARK);
    CHECK_EQ(lm_uc_flags(0x4E00), LM_UC_LETTER);
    CHECK_EQ(lm_uc_flags(0x0660), LM_UC_NUMBER);                  // Arabic-Indic zero
    CHECK_EQ(lm_uc_flags(0x3000), LM_UC_SEPARATOR | LM_UC_WHITESPACE);
    CHECK_EQ(lm_uc_flags(0x0085), LM_UC_CONTROL | LM_UC_WHITESPACE);
    CHECK_EQ(lm_uc_flags(0x1F600), LM_UC_SYMBOL);
    CHECK_EQ(lm_uc_flags(0xE000), LM_UC_CONTROL);                 // private use
    CHECK_EQ(lm_uc_flags(0x0378), LM_UC_UNDEFINED);               // unassigned
    CHECK_EQ(lm_uc_flags(0x10FFFF), LM_UC_UNDEFINED);
    CHECK_EQ(lm_uc_flags(0x110000), LM_UC_UNDEFINED);
    CHECK(lm_uc_version[0] != 0);

    size_t adv;
    CHECK_EQ(lm_utf8_decode_lenient((const uint8_t *)"\xc3\xa9", 2, &adv), 0xE9); CHECK_EQ(adv, 2);
    CHECK_EQ(lm_utf8_decode_lenient((const uint8_t *)"\xc0\x80", 2, &adv), 0);    CHECK_EQ(adv, 2);   // overlong accepted
    CHECK_EQ(lm_utf8_decode_lenient((const uint8_t *)"\xed\xa0\x80", 3, &adv), 0xD800);               // surrogate accepted
    CHECK_EQ(lm_utf8_decode_lenient((const uint8_t *)"\x80", 1, &adv), 0xFFFD);   CHECK_EQ(adv, 1);
    CHECK_EQ(lm_utf8_decode_lenient((const uint8_t *)"\xe2\x82", 2, &adv), 0xFFFD); CHECK_EQ(adv, 1);
    CHECK_EQ(lm_utf8_decode_lenient((const uint8_t *)"\xe2\x28\xa1", 3, &adv), 0xFFFD); CHECK_EQ(adv, 1);
    CHECK_EQ(lm_utf8_decode_lenient((const uint8_t *)"\xf8\x88\x80\x80", 4, &adv), 0xFFFD);
    CHECK_EQ(lm_utf8_decode_lenient((const uint8_t *)"\xf7\xbf\xbf\xbf", 4, &adv), 0xFFFD);           // > U+10FFFF
    CHECK_EQ(lm_utf8_decode_lenient((const uint8_t *)"\xf0\x9f\xa6\x99", 4, &adv), 0x1F999); CHECK_EQ(adv, 4);

    CHECK_EQ(lm_utf8_decode_strict((const uint8_t *)"\xf0\x9f\xa6", 3, &adv), -1); CHECK_EQ(adv, 0);   // incomplete
    CHECK_EQ(lm_utf8_decode_strict((const uint8_t *)"\xf0\x9f\x41", 3, &adv), -1); CHECK_EQ(adv, 2);   // maximal subpart
    CHECK_EQ(lm_utf8_decode_strict((const uint8_t *)"\xc0\x80", 2, &adv), -1);     CHECK_EQ(adv, 1);
    CHECK_EQ(lm_utf8_decode_strict((const uint8_t *)"\xed\xa0\x80", 3, &adv), -1); CHECK_EQ(adv, 1);
    CHECK_EQ(lm_utf8_decode_strict((const uint8_t *)"\xe2\x82\xac", 3, &adv), 0x20AC); CHECK_EQ(adv, 3);

    int seen[0x144] = { 0 }, ok = 1;
    for (int b = 0; b < 256; b++) {
        uint32_t c = lm_gpt2_byte_to_cpt((uint8_t)b);
        ok &= c < 0x144 && !seen[c]++ && lm_gpt2_cpt_to_byte(c) == b;
    }
    CHECK(ok);
    CHECK_EQ(lm_gpt2_byte_to_cpt(' '), 0x120);
    CHECK_EQ(lm_gpt2_byte_to_cpt('\n'), 0x10A);
    CHECK_EQ(lm_gpt2_cpt_to_byte(0x144), -1);
}

// ---- pre-tokenizers: expected words as "|"-separated strings ----

static void check_split(int line, lm_pre_kind k, const char *text, const char *want) {
    uint32_t cp[256], ends[256];
    uint16_t fl[256];
    size_t n = 0;
    for (size_t i = 0, adv, len = strlen(text); i < len; i += adv) {
        cp[n] = lm_utf8_decode_lenient((const uint8_t *)text + i, len - i, &adv);
        fl[n] = lm_uc_flags(cp[n]);
        n++;
    }
    size_t w = lm_pretok_split(k, cp, fl, n, ends);
    char got[1024] = { 0 }, *o = got;
    for (size_t i = 0, prev = 0; i < w; prev = ends[i++]) {
        if (i) *o++ = '|';
        for (size_t c = prev; c < ends[i]; c++) o += lm_utf8_encode(cp[c], (uint8_t *)o);
    }
    if (!strcmp(got, want)) { t_pass++; return; }
    t_fail++;
    fprintf(stderr, "line %d: split(%d, \"%s\") = \"%s\", want \"%s\"\n", line, (int)k, text, got, want);
}
#define CHECK_SPLIT(k, text, want) check_split(__LINE__, k, text, want)

static void test_pretok(void) {
    CHECK_SPLIT(LM_PRE_GPT2, "Hello world", "Hello| world");
    CHECK_SPLIT(LM_PRE_GPT2, "I'm don't WE'LL", "I|'m| don|'t| WE|'|LL");        // case-sensitive contractions
    CHECK_SPLIT(LM_PRE_GPT2, "x  y", "x| | y");
    CHECK_SPLIT(LM_PRE_GPT2, "a   ", "a|   ");
    CHECK_SPLIT(LM_PRE_GPT2, "12345 678", "12345| 678");
    CHECK_SPLIT(LM_PRE_GPT2, "hi!!? ok", "hi|!!?| ok");
    CHECK_SPLIT(LM_PRE_GPT2, "a\n\nb", "a|\n|\n|b");
    CHECK_SPLIT(LM_PRE_LLAMA3, "I'm WE'LL", "I|'m| WE|'LL");                     // case-insensitive
    CHECK_SPLIT(LM_PRE_LLAMA3, "1234567", "123|456|7");
    CHECK_SPLIT(LM_PRE_LLAMA3, "x  y", "x| | y");
    CHECK_SPLIT(LM_PRE_LLAMA3, "a \n\n b", "a| \n\n| b");
    CHECK_SPLIT(LM_PRE_LLAMA3, "(x){\n}", "(x|){\n|}");
    CHECK_SPLIT(LM_PRE_LLAMA3, "..abc", "..|abc");
    CHECK_SPLIT(LM_PRE_LLAMA3, " .abc", " .|abc");
    CHECK_SPLIT(LM_PRE_LLAMA3, "\xc3\xa9t\xc3\xa9 42\xe2\x82\xac", "\xc3\xa9t\xc3\xa9| |42|\xe2\x82\xac");
    CHECK_SPLIT(LM_PRE_LLAMA3, "\xe4\xb8\xad\xe6\x96\x87 ok", "\xe4\xb8\xad\xe6\x96\x87| ok");
    CHECK_SPLIT(LM_PRE_QWEN2, "1234 x", "1|2|3|4| x");
    CHECK_SPLIT(LM_PRE_NEWLINES, "a b\n\nc\n", "a b|\n\n|c|\n");
    CHECK_SPLIT(LM_PRE_NONE, "a b", "a b");
}

// ---- SentencePiece ----

enum { S_UNK, S_BOS, S_EOS, S_BYTE, S_SP = S_BYTE + 256, S_H, S_E, S_L, S_O, S_A, S_B, S_C, S_SPH, S_HE, S_LL, S_LLO,
       S_HELLO, S_SPHELLO, S_AB, S_BC, S_END, S_USR, S_COUNT };

static lm_vocab *spm_vocab(const char *name, uint8_t **buf) {
    static char names[256][8];
    tok_def t[S_COUNT] = {
        [S_UNK] = { "<unk>", 2, 0 }, [S_BOS] = { "<s>", 3, 0 }, [S_EOS] = { "</s>", 3, 0 },
        [S_SP] = { "\xe2\x96\x81", 1, -1 }, [S_H] = { "h", 1, -2 }, [S_E] = { "e", 1, -2 }, [S_L] = { "l", 1, -2 },
        [S_O] = { "o", 1, -2 }, [S_A] = { "a", 1, -2 }, [S_B] = { "b", 1, -2 }, [S_C] = { "c", 1, -2 },
        // "▁hello" forms he, ll, llo, hello, ▁hello (best score first); "▁h" scores worst
        [S_SPH] = { "\xe2\x96\x81h", 1, -6 }, [S_HE] = { "he", 1, -1 }, [S_LL] = { "ll", 1, -2 }, [S_LLO] = { "llo", 1, -3 },
        [S_HELLO] = { "hello", 1, -4 }, [S_SPHELLO] = { "\xe2\x96\x81hello", 1, -5 },
        [S_AB] = { "ab", 1, -1 }, [S_BC] = { "bc", 1, -1 }, [S_END] = { "<|end|>", 4, 0 }, [S_USR] = { "<usr>", 4, 0 },
    };
    byte_tokens(t, S_BYTE, names);
    gguf_writer *w = vocab_writer("llama", NULL, name, t, S_COUNT, NULL, 0);
    gw_u32(w, "tokenizer.ggml.bos_token_id", S_BOS);
    gw_u32(w, "tokenizer.ggml.eos_token_id", S_EOS);
    return vocab_from(w, buf);
}

static void test_spm(void) {
    uint8_t *buf;
    lm_vocab *v = spm_vocab("spm-test", &buf);
    if (!v) return;
    CHECK_TOKS(v, "hello", false, false, S_SPHELLO);
    CHECK_TOKS(v, "hello", true, false, S_BOS, S_SPHELLO);
    CHECK_TOKS(v, " hello", false, false, S_SP, S_SPHELLO);
    CHECK_TOKS(v, "hi", false, false, S_SPH, S_BYTE + 'i');                      // byte fallback
    CHECK_TOKS(v, "abc", false, false, S_SP, S_AB, S_C);                         // tie: leftmost pair first
    CHECK_TOKS(v, "\xc3\xa9", false, false, S_SP, S_BYTE + 0xC3, S_BYTE + 0xA9);
    CHECK_TOKS(v, "\xff\xfe", false, false, S_SP, S_BYTE + 0xFF, S_BYTE + 0xFE); // invalid UTF-8: raw bytes
    CHECK_TOKS(v, "a\0b", false, false, S_SP, S_A, S_BYTE + 0, S_B);
    CHECK_NONE(v, "", false, false);
    CHECK_TOKS(v, "", true, false, S_BOS);
    CHECK_TOKS(v, "<s>hello", false, true, S_BOS, S_SPHELLO);                    // space prefix again after a special
    CHECK_TOKS(v, "a<usr>b", false, false, S_SP, S_A, S_USR, S_SP, S_B);        // user-defined: always matched
    CHECK_TOKS(v, "a<|end|>  b", false, true, S_SP, S_A, S_END, S_SP, S_SP, S_SP, S_B);   // (<|end|> is EOG: control)
    lm_token t[8];
    int32_t n = lm_tokenize(v, "<s>hello", 8, t, 8, false, false);
    bool has_bos = false;
    for (int32_t i = 0; i < n; i++) has_bos |= t[i] == S_BOS;
    CHECK(n > 0 && !has_bos);                                                    // control text stays text

    char s[64];
    CHECK_EQ(lm_detokenize(v, (lm_token[]){ S_SPHELLO }, 1, s, 64, false, false), 5);
    CHECK(!memcmp(s, "hello", 5));                                               // leading space removed
    int32_t k = lm_detokenize(v, (lm_token[]){ S_BOS, S_SPHELLO }, 2, s, 64, false, false);
    CHECK(k == 6 && !memcmp(s, " hello", 6));                                    // llama.cpp keeps it after BOS
    k = lm_detokenize(v, (lm_token[]){ S_BOS, S_SPHELLO }, 2, s, 64, false, true);
    CHECK(k == 9 && !memcmp(s, "<s> hello", 9));
    k = lm_detokenize(v, (lm_token[]){ S_SPH, S_BYTE + 'i', S_BYTE + 0xC3, S_BYTE + 0xA9 }, 4, s, 64, false, false);
    CHECK(k == 4 && !memcmp(s, "hi\xc3\xa9", 4));
    CHECK_EQ(lm_detokenize(v, (lm_token[]){ S_SPHELLO }, 1, s, 3, false, false), -5);
    lm_vocab_info in;
    lm_vocab_get_info(v, &in);
    CHECK(in.add_bos && !in.add_eos && in.add_space_prefix && in.bos == S_BOS && in.eos == S_EOS && in.unk == S_UNK);
    CHECK_EQ(in.nl, S_BYTE + '\n');
    CHECK(!strcmp(in.model, "llama"));
    lm_vocab_free(v);
    free(buf);

    v = spm_vocab("Phi3-mini-test", &buf);                                      // phi-3 names: special tokens rstrip
    if (v) CHECK_TOKS(v, "a<|end|>  b", false, true, S_SP, S_A, S_END, S_SP, S_B);
    lm_vocab_free(v);
    free(buf);
}

// ---- Gemma 4 BPE ----

enum { G_PAD, G_EOS, G_BOS, G_UNK, G_TURN, G_TURN_END, G_CHAN, G_QRS, G_PQ, G_BYTE, G_NL = G_BYTE + 256, G_NL2, G_SP, G_A,
       G_B, G_AB, G_SPA, G_SPAB, G_NL4, G_S_END, G_TOOLRESP, G_COMMA, G_COUNT };

static lm_vocab *gemma4_vocab(uint8_t **buf) {
    static char names[256][8];
    tok_def t[G_COUNT] = {
        [G_PAD] = { "<pad>", 3, 0 }, [G_EOS] = { "<eos>", 3, 0 }, [G_BOS] = { "<bos>", 3, 0 }, [G_UNK] = { "<unk>", 3, 0 },
        [G_TURN] = { "<|turn>", 3, 0 }, [G_TURN_END] = { "<turn|>", 3, 0 }, [G_CHAN] = { "<|channel>", 4, 0 },
        [G_QRS] = { "qrs", 4, 0 }, [G_PQ] = { "pq", 4, 0 },
        [G_NL] = { "\n", 1, 0 }, [G_NL2] = { "\n\n", 1, 0 }, [G_SP] = { "\xe2\x96\x81", 1, 0 }, [G_A] = { "a", 1, 0 },
        [G_B] = { "b", 1, 0 }, [G_AB] = { "ab", 1, 0 }, [G_SPA] = { "\xe2\x96\x81" "a", 1, 0 },
        [G_SPAB] = { "\xe2\x96\x81" "ab", 1, 0 }, [G_NL4] = { "\n\n\n\n", 1, 0 }, [G_S_END] = { "</s>", 1, 0 },
        [G_TOOLRESP] = { "<|tool_response>", 4, 0 }, [G_COMMA] = { ",", 1, 0 },
    };
    byte_tokens(t, G_BYTE, names);
    static const char *const MERGES[] = { "\xe2\x96\x81 a", "\xe2\x96\x81" "a b", "a b", "\n \n", "nonsense" };
    gguf_writer *w = vocab_writer("gemma4", "default", "gemma4-test", t, G_COUNT, MERGES, 5);
    gw_u32(w, "tokenizer.ggml.bos_token_id", G_BOS);
    gw_u32(w, "tokenizer.ggml.eos_token_id", G_EOS);
    gw_bool(w, "tokenizer.ggml.add_bos_token", false);                           // llama.cpp overrides this
    gw_str(w, "tokenizer.chat_template", "{{ bos_token }}<|turn>...");
    return vocab_from(w, buf);
}

static void test_gemma4(void) {
    uint8_t *buf;
    lm_vocab *v = gemma4_vocab(&buf);
    if (!v) return;
    CHECK_TOKS(v, "ab", false, false, G_AB);
    CHECK_TOKS(v, " ab", false, false, G_SPAB);
    CHECK_TOKS(v, "ab ab", false, false, G_AB, G_SPAB);
    CHECK_TOKS(v, "ab", true, false, G_BOS, G_AB);                                // BOS forced on
    CHECK_TOKS(v, "\n\n\n\n", false, false, G_NL4);                              // all-newline run looked up whole
    CHECK_TOKS(v, "\n\n\n", false, false, G_NL2, G_NL);
    CHECK_TOKS(v, "a\nb", false, false, G_A, G_NL, G_B);                         // no merge across the newline split
    CHECK_TOKS(v, "x", false, false, G_BYTE + 'x');                              // <0xXX> fallback
    CHECK_TOKS(v, "\xff", false, false, G_BYTE + 0xEF, G_BYTE + 0xBF, G_BYTE + 0xBD);   // invalid -> U+FFFD's bytes
    CHECK_TOKS(v, "a<|channel>b", false, false, G_A, G_CHAN, G_B);               // user-defined: always
    CHECK_TOKS(v, "<|turn>a", false, true, G_TURN, G_A);
    CHECK_TOKS(v, "pqrs", false, false, G_BYTE + 'p', G_QRS);                    // longer special text wins
    lm_token t[64];
    int32_t n = lm_tokenize(v, "<|turn>", 7, t, 64, false, false);
    CHECK(n == 7 && t[0] == G_BYTE + '<');                                       // control: text when not parsing
    n = lm_tokenize(v, "<|tool_response>", 16, t, 64, false, false);
    CHECK(n > 1);                                                                // made CONTROL as an EOG token
    CHECK(lm_vocab_is_eog(v, G_TOOLRESP) && lm_vocab_is_eog(v, G_EOS) && lm_vocab_is_eog(v, G_TURN_END));
    CHECK(!lm_vocab_is_eog(v, G_S_END));                                         // </s> is text in Gemma 4
    CHECK_TOKS(v, "</s>", false, true, G_BYTE + '<', G_BYTE + '/', G_BYTE + 's', G_BYTE + '>');

    n = lm_tokenize(v, "ab ab", 5, NULL, 0, false, false);
    CHECK_EQ(n, -2);                                                             // -(needed)
    n = lm_tokenize(v, "ab ab", 5, t, 1, false, false);
    CHECK_EQ(n, -2);
    CHECK_EQ(lm_tokenize(v, "ab", -1, t, 4, false, false), INT32_MIN);
    CHECK_EQ(lm_tokenize(NULL, "ab", 2, t, 4, false, false), INT32_MIN);

    char s[64];
    CHECK_EQ(lm_token_to_piece(v, G_SPAB, s, 64, false), 3);
    CHECK(!memcmp(s, " ab", 3));
    CHECK_EQ(lm_token_to_piece(v, G_BOS, s, 64, false), 0);
    CHECK_EQ(lm_token_to_piece(v, G_BOS, s, 64, true), 5);
    CHECK_EQ(lm_token_to_piece(v, G_CHAN, s, 64, false), 10);                    // user-defined: shown
    CHECK_EQ(lm_token_to_piece(v, G_BYTE + 0x41, s, 64, false), 1);
    CHECK_EQ(s[0], 'A');
    CHECK_EQ(lm_token_to_piece(v, G_SPAB, s, 2, false), -3);
    CHECK_EQ(lm_token_to_piece(v, -1, s, 64, true), 0);
    CHECK_EQ(lm_token_to_piece(v, G_COUNT, s, 64, true), 0);
    int32_t k = lm_detokenize(v, (lm_token[]){ G_A, G_SP, G_COMMA, G_SPAB }, 4, s, 64, false, false);
    CHECK(k == 5 && !memcmp(s, "a, ab", 5));                                     // llama.cpp's " ," clean-up

    lm_vocab_info in;
    lm_vocab_get_info(v, &in);
    CHECK(in.add_bos && in.bos == G_BOS && !strcmp(in.pre, "gemma4") && in.nl == G_NL && in.chat_template_len > 0);
    lm_vocab_free(v);
    free(buf);
}

// ---- GPT-2 byte-level BPE, llama3 pre-tokenizer ----

enum { P_A, P_B, P_G, P_AB, P_GA, P_GAB, P_1, P_12, P_123, P_BOT, P_Q, P_S, P_QS, P_4, P_GB_NOMERGE, P_COUNT };

static void test_gpt2(void) {
    tok_def t[P_COUNT] = {
        [P_A] = { "a", 1, 0 }, [P_B] = { "b", 1, 0 }, [P_G] = { "\xc4\xa0", 1, 0 }, [P_AB] = { "ab", 1, 0 },
        [P_GA] = { "\xc4\xa0" "a", 1, 0 }, [P_GAB] = { "\xc4\xa0" "ab", 1, 0 }, [P_1] = { "1", 1, 0 }, [P_12] = { "12", 1, 0 },
        [P_123] = { "123", 1, 0 }, [P_BOT] = { "<|begin_of_text|>", 3, 0 }, [P_Q] = { "'", 1, 0 }, [P_S] = { "s", 1, 0 },
        [P_QS] = { "'s", 1, 0 }, [P_4] = { "4", 1, 0 }, [P_GB_NOMERGE] = { "\xc4\xa0" "b", 1, 0 },
    };
    static const char *const MERGES[] = { "a b", "\xc4\xa0 a", "\xc4\xa0" "a b", "1 2", "12 3", "' s" };
    gguf_writer *w = vocab_writer("gpt2", "llama-bpe", "gpt2-test", t, P_COUNT, MERGES, 6);
    gw_u32(w, "tokenizer.ggml.bos_token_id", P_BOT);
    uint8_t *buf;
    lm_vocab *v = vocab_from(w, &buf);
    if (!v) return;
    CHECK_TOKS(v, "ab", false, false, P_AB);
    CHECK_TOKS(v, " ab", false, false, P_GAB);
    CHECK_TOKS(v, " b", false, false, P_GB_NOMERGE);                             // whole word is a token: taken
    CHECK_TOKS(v, "a  b", false, false, P_A, P_G, P_GB_NOMERGE);
    CHECK_TOKS(v, "1234", false, false, P_123, P_4);
    CHECK_TOKS(v, "a's", false, false, P_A, P_QS);
    CHECK_TOKS(v, "ab", true, false, P_BOT, P_AB);                               // llama3: add_bos
    CHECK_TOKS(v, "<|begin_of_text|>ab", true, true, P_BOT, P_BOT, P_AB);
    CHECK_NONE(v, "\xff", false, false);                                         // no byte token: dropped
    char s[64];
    int32_t k = lm_detokenize(v, (lm_token[]){ P_GAB, P_G, P_12 }, 3, s, 64, false, false);
    CHECK(k == 6 && !memcmp(s, " ab 12", 6));
    lm_vocab_free(v);
    free(buf);
}

// ---- streaming detokenizer ----

static void test_stream(void) {
    uint8_t *buf;
    lm_vocab *v = gemma4_vocab(&buf);
    if (!v) return;
    lm_text_stream ts;
    lm_text_stream_init(&ts, v, false);
    char s[16];
    CHECK_EQ(lm_text_stream_push(&ts, G_BYTE + 0xC3, s, 16), 0);                 // half of "é" is held
    CHECK_EQ(lm_text_stream_push(&ts, G_BYTE + 0xA9, s, 1), -2);                 // too small: nothing changes
    CHECK_EQ(lm_text_stream_push(&ts, G_BYTE + 0xA9, s, 16), 2);
    CHECK(!memcmp(s, "\xc3\xa9", 2));
    CHECK_EQ(lm_text_stream_push(&ts, G_BOS, s, 16), 0);
    CHECK_EQ(lm_text_stream_push(&ts, G_BYTE + 0xF0, s, 16), 0);
    CHECK_EQ(lm_text_stream_push(&ts, G_BYTE + 0x9F, s, 16), 0);
    CHECK_EQ(lm_text_stream_push(&ts, G_A, s, 16), 4);                           // broken sequence -> U+FFFD, then "a"
    CHECK(!memcmp(s, "\xef\xbf\xbd" "a", 4));
    CHECK_EQ(lm_text_stream_push(&ts, G_BYTE + 0xE2, s, 16), 0);
    CHECK_EQ(lm_text_stream_flush(&ts, s, 16), 3);                               // unfinished at the end -> U+FFFD
    CHECK_EQ(lm_text_stream_flush(&ts, s, 16), 0);
    lm_text_stream_init(&ts, v, true);
    CHECK_EQ(lm_text_stream_push(&ts, G_BOS, s, 16), 5);
    lm_vocab_free(v);
    free(buf);
}

// ---- hostile input ----

static void test_bad_vocabs(void) {
    tok_def t[3] = { { "a", 1, 0 }, { "b", 1, 0 }, { "ab", 1, 0 } };
    uint8_t *buf;
    uint64_t len;
    lm_vocab *v;
    struct { const char *model, *pre; bool merges; lm_status want; } CASES[] = {
        { "gemma4", NULL, false, LM_MISSING_KEY },      // BPE without merges
        { "gpt2", "falcon", true, LM_UNSUPPORTED },     // pre-tokenizer we do not implement
        { "gpt2", NULL, true, LM_UNSUPPORTED },         // missing pre-tokenizer (llama.cpp's regex fallback)
        { "bert", NULL, false, LM_UNSUPPORTED },
    };
    static const char *const M[] = { "a b" };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        gguf_writer *w = vocab_writer(CASES[i].model, CASES[i].pre, "bad", t, 3, CASES[i].merges ? M : NULL, 1);
        gw_write_mem(w, &buf, &len);
        gw_free(w);
        CHECK_EQ(lm_vocab_load(buf, len, &v), CASES[i].want);
        CHECK(v == NULL && lm_errmsg()[0]);
        free(buf);
    }
    gguf_writer *w = gw_new(32);                          // token list of the wrong type
    gw_str(w, "tokenizer.ggml.model", "llama");
    gw_arr_i32(w, "tokenizer.ggml.tokens", (const int32_t[]){ 1, 2 }, 2);
    gw_write_mem(w, &buf, &len);
    gw_free(w);
    CHECK_EQ(lm_vocab_load(buf, len, &v), LM_CORRUPT);
    for (uint64_t cut = 0; cut < len; cut += 7) CHECK(lm_vocab_load(buf, cut, &v) != LM_OK);   // truncations
    free(buf);
    w = gw_new(32);                                       // scores shorter than the token list
    gw_str(w, "tokenizer.ggml.model", "llama");
    gw_arr_str(w, "tokenizer.ggml.tokens", (const char *const[]){ "a", "b" }, 2);
    gw_arr_f32(w, "tokenizer.ggml.scores", (const float[]){ 0 }, 1);
    gw_write_mem(w, &buf, &len);
    gw_free(w);
    CHECK_EQ(lm_vocab_load(buf, len, &v), LM_CORRUPT);
    free(buf);
    lm_vocab_free(NULL);
}

static char *big_text(size_t n, const char *unit) {
    char *s = malloc(n);
    size_t k = strlen(unit);
    for (size_t i = 0; i < n; i++) s[i] = unit[i % k];
    return s;
}

static void test_big_and_weird(void) {
    uint8_t *b1, *b2;
    lm_vocab *g = gemma4_vocab(&b1), *s = spm_vocab("spm-test", &b2);
    if (!g || !s) return;
    size_t n = 10u << 20;
    char *text = big_text(n, "ab ab\nab ab x\n");
    int32_t need = lm_tokenize(g, text, (int32_t)n, NULL, 0, true, true);
    CHECK(need < 0 && need != INT32_MIN);
    lm_token *t = malloc((size_t)-need * sizeof *t);
    CHECK_EQ(lm_tokenize(g, text, (int32_t)n, t, -need, true, true), -need);
    free(t);
    free(text);
    text = big_text(n, "hello abc ");                       // one 10 MB SentencePiece fragment
    need = lm_tokenize(s, text, (int32_t)n, NULL, 0, false, false);
    CHECK_EQ(need, -(int32_t)(n / 10 * 4 + 1));             // [▁hello ▁ ab c] per "hello abc ", then the last ▁
    free(text);
    uint64_t x = 0x9E3779B97F4A7C15ull;                     // random bytes: invalid UTF-8, NULs
    text = malloc(1 << 20);
    for (size_t i = 0; i < (1u << 20); i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; text[i] = (char)x; }
    CHECK(lm_tokenize(g, text, 1 << 20, NULL, 0, false, true) < 0);
    CHECK(lm_tokenize(s, text, 1 << 20, NULL, 0, false, true) < 0);
    free(text);
    lm_vocab_free(g); lm_vocab_free(s);
    free(b1); free(b2);
}

// ---- a generated model carries its vocabulary ----

static void test_model_vocab(void) {
    FILE *f = tmpfile();
    gen_opts o = { "gemma4-tiny", LM_TYPE_F32, 1, 0 };
    if (!f || gen_model(&o, f)) { CHECK(!"gen_model"); if (f) fclose(f); return; }
    long n = ftell(f);
    uint8_t *buf = malloc((size_t)n);
    rewind(f);
    CHECK(fread(buf, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    lm_model *m;
    CHECK_EQ(lm_model_load(buf, (uint64_t)n, &m), LM_OK);
    const lm_vocab *v = m ? lm_model_vocab(m) : NULL;
    CHECK(v != NULL);
    if (v) {
        lm_token t[8];
        int32_t k = lm_tokenize(v, "ab", 2, t, 8, true, false);
        CHECK(k >= 2 && t[0] == 2);                                             // <bos>, then the text
    }
    lm_model_free(m);
    lm_vocab *vv;                                                               // a whole model loads as a vocab too
    CHECK_EQ(lm_vocab_load(buf, (uint64_t)n, &vv), LM_OK);
    lm_vocab_free(vv);
    free(buf);
}

// ---- llama.cpp's test vectors, when the vocab files have been extracted ----

static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    char *b = malloc(*n + 1);
    if (b && fread(b, 1, *n, f) != *n) { free(b); b = NULL; }
    if (b) b[*n] = 0;
    fclose(f);
    return b;
}

// Random bytes (NULs, invalid UTF-8, '<' and '|' to provoke special-token matching) through
// every path of a real vocabulary: nothing may crash or read out of bounds (ASan), the text stream
// must give valid UTF-8, and lossless vocabularies must give the bytes back when they were valid.
static void fuzz_vocab(const lm_vocab *v, uint64_t seed) {
    static char text[2048], out[65536];
    static lm_token t[8192];
    int bad = 0;
    for (int it = 0; it < 200; it++) {
        int n = (int)(seed % 2000);
        for (int i = 0; i < n; i++) {
            seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
            static const char PICK[] = "<|>/ \n\tab";
            text[i] = seed % 3 ? PICK[seed % (sizeof PICK - 1)] : (char)(seed >> 24);
        }
        int32_t k = lm_tokenize(v, text, n, t, 8192, it & 1, it & 2);
        bad |= k < 0;
        int32_t d = lm_detokenize(v, t, k > 0 ? k : 0, out, sizeof out, it & 4, it & 8);
        bad |= d < 0;
        lm_text_stream ts;
        lm_text_stream_init(&ts, v, it & 8);
        int32_t o = 0;
        for (int32_t i = 0; i < k && o >= 0; i++) o += lm_text_stream_push(&ts, t[i], out + o, (int32_t)sizeof out - o);
        o += lm_text_stream_flush(&ts, out + o, (int32_t)sizeof out - o);
        for (int32_t i = 0; i < o;) {                                          // valid UTF-8 out
            size_t adv;
            if (lm_utf8_decode_strict((const uint8_t *)out + i, (size_t)(o - i), &adv) < 0) { bad = 1; break; }
            i += (int32_t)adv;
        }
    }
    CHECK(!bad);
}

// Checks every input of NAME.gguf.inp against the ids on the same line of NAME.gguf.out, and
// that the text stream gives the input back. Returns the number of vectors (0: files absent).
static int check_vectors(const char *dir, const char *name) {
    char path[512];
    size_t gl, il, ol;
    snprintf(path, sizeof path, "%s/ggml-vocab-%s.gguf", dir, name);
    uint8_t *g = (uint8_t *)slurp(path, &gl);
    strcat(path, ".inp");
    char *inp = slurp(path, &il);
    path[strlen(path) - 4] = 0;
    strcat(path, ".out");
    char *out = slurp(path, &ol);
    lm_vocab *v = NULL;
    if (!g || !inp || !out || lm_vocab_load(g, gl, &v) != LM_OK) { free(g); free(inp); free(out); return 0; }
    lm_vocab_info vi;
    lm_vocab_get_info(v, &vi);
    static const char SEP[] = "\n__ggml_vocab_test__\n";
    int count = 0;
    char *line = out, *text = inp;
    static lm_token got[4096];
    static char back[65536];
    while (text && *line) {
        char *next = strstr(text, SEP), *eol = strchr(line, '\n');
        size_t len = next ? (size_t)(next - text) : strlen(text);
        int32_t n = lm_tokenize(v, text, (int32_t)len, got, 4096, false, false), k = 0, bad = n < 0;
        for (char *p = line; !bad && p < (eol ? eol : line + strlen(line));) {
            char *e;
            long id = strtol(p, &e, 10);
            if (e == p) break;
            bad = k >= n || got[k++] != id;
            p = e;
        }
        bad |= k != n;
        if (bad) fprintf(stderr, "%s: vector %d differs\n", name, count);
        CHECK(!bad);
        lm_text_stream ts;                                                      // lossless round trip
        lm_text_stream_init(&ts, v, false);
        int32_t bl = 0;
        for (int32_t i = 0; i < n && bl >= 0; i++) bl += lm_text_stream_push(&ts, got[i], back + bl, (int32_t)sizeof back - bl);
        bl += lm_text_stream_flush(&ts, back + bl, (int32_t)sizeof back - bl);
        size_t pre = vi.add_space_prefix && len ? 1 : 0;
        CHECK(bl == (int32_t)(len + pre) && !memcmp(back + pre, text, len));
        count++;
        text = next ? next + sizeof SEP - 1 : NULL;
        line = eol ? eol + 1 : line + strlen(line);
    }
    fuzz_vocab(v, 0x9E3779B97F4A7C15ull ^ (uint64_t)gl);
    lm_vocab_free(v);
    free(g); free(inp); free(out);
    return count;
}

static void test_llama_vectors(void) {
    static const char *const NAMES[] = { "gemma-4", "llama-spm", "phi-3", "gpt-2", "llama-bpe", "qwen2" };
    const char *dir = getenv("LM_VOCAB_DIR") ? getenv("LM_VOCAB_DIR") : "build/llama-src/models";
    int total = 0;
    for (int i = 0; i < 6; i++) total += check_vectors(dir, NAMES[i]);
    if (!total) printf("(llama.cpp vocab vectors not found in %s: run tests/conformance/tokenizer.mjs first)\n", dir);
    else printf("llama.cpp vocab vectors: %d checked\n", total);
}

int main(void) {
    test_unicode();
    test_pretok();
    test_spm();
    test_gemma4();
    test_gpt2();
    test_stream();
    test_bad_vocabs();
    test_big_and_weird();
    test_model_vocab();
    test_llama_vectors();
    return T_DONE();
}
