// test_bpe_train.c — the BPE vocabulary trainer (tools/bpe_train.c): the layout of the ids, the
// merges, and the engine's gemma4 tokenizer over the written vocabulary giving exactly the
// trainer's own segmentation of the training text (token count), losslessly.
#include "t.h"
#include "../tools/bpe_train.h"
#include "../src/lm.h"
#include <stdlib.h>
#include <string.h>

static const char TEXT[] =
    "In the beginning God created the heaven and the earth.\n"
    "And the earth was without form, and void; and darkness was upon the face of the deep.\n"
    "And the Spirit of God moved upon the face of the waters.\n\n"
    "And God said, Let there be light: and there was light.\n\n\n"
    "Numbers 3:16 -- 42 men, 7 women (and children)!  Two  spaces, tab\there.\n"
    "Zürich, naïve café; 中文 text and an emoji \xf0\x9f\xa6\x99 and a lone \xff byte.\n"
    "the the the the thee thee thou thou thine thine\n";

static int32_t count(const lm_vocab *v, const char *s, int32_t len) {
    int32_t n = lm_tokenize(v, s, len, NULL, 0, false, false);
    return n < 0 ? -n : n;
}

int main(void) {
    bpe_opts o = bpe_default_opts();
    o.vocab_size = 420;
    o.min_count = 1;
    bpe_vocab bv;
    CHECK_EQ(bpe_train(TEXT, sizeof TEXT - 1, &o, &bv), LM_OK);
    CHECK_EQ(bv.n, 420);
    CHECK(!strcmp(bv.text[0], "<pad>") && !strcmp(bv.text[1], "<eos>") && !strcmp(bv.text[2], "<bos>") && !strcmp(bv.text[3], "<unk>"));
    CHECK(!strcmp(bv.text[4], "<0x00>") && !strcmp(bv.text[259], "<0xFF>") && bv.type[100] == 6);
    CHECK(!strcmp(bv.text[260], "\n") && !strcmp(bv.text[261], "\n\n"));
    CHECK(!strcmp(bv.text[bv.n - 5], "<|turn>") && bv.type[bv.n - 5] == 3);
    CHECK(bv.n_merges > 0);
    int dup = 0;                                  // token texts are unique
    for (int i = 0; i < bv.n; i++)
        for (int j = i + 1; j < bv.n; j++) dup += !strcmp(bv.text[i], bv.text[j]);
    CHECK_EQ(dup, 0);
    int in_piece = 0;                             // no merge joins a letter to a following "▁"
    for (int i = 0; i < bv.n_merges; i++) {
        const char *sp = strchr(bv.merges[i], ' ');
        CHECK(sp != NULL);
        if (sp && sp > bv.merges[i] && !strncmp(sp + 1, "\xe2\x96\x81", 3) && sp[-1] != '\x81') in_piece++;
    }
    CHECK_EQ(in_piece, 0);

    gguf_writer *w = gw_new(32);
    bpe_write_keys(&bv, w);
    uint8_t *buf = NULL;
    uint64_t len = 0;
    CHECK_EQ(gw_write_mem(w, &buf, &len), 0);
    gw_free(w);
    lm_vocab *v = NULL;
    CHECK_EQ(lm_vocab_load(buf, len, &v), LM_OK);
    if (v) {
        lm_vocab_info in;
        lm_vocab_get_info(v, &in);
        CHECK_EQ(in.n_tokens, 420);
        CHECK_EQ(in.bos, 2);
        CHECK_EQ(in.eos, 1);
        CHECK_EQ(in.nl, 260);
        CHECK(in.add_bos && !in.add_eos && !in.add_space_prefix);
        CHECK(!strcmp(in.model, "gemma4"));
        CHECK_EQ(count(v, TEXT, (int32_t)(sizeof TEXT - 1)), bv.train_tokens);
        int32_t n = count(v, TEXT, (int32_t)(sizeof TEXT - 1));
        lm_token *t = malloc((size_t)n * sizeof *t);
        lm_tokenize(v, TEXT, (int32_t)(sizeof TEXT - 1), t, n, false, false);
        lm_text_stream ts;
        lm_text_stream_init(&ts, v, false);
        char *out = malloc(4 * sizeof TEXT);
        int32_t k = 0;
        for (int32_t i = 0; i < n; i++) k += lm_text_stream_push(&ts, t[i], out + k, (int32_t)(4 * sizeof TEXT) - k);
        k += lm_text_stream_flush(&ts, out + k, (int32_t)(4 * sizeof TEXT) - k);
        // lossless except the lone invalid byte, which the stream shows as U+FFFD
        const char *bad = strstr(TEXT, "\xff");
        CHECK(k == (int32_t)(sizeof TEXT - 1) + 2 && !memcmp(out, TEXT, (size_t)(bad - TEXT)) && !memcmp(out + (bad - TEXT), "\xef\xbf\xbd", 3));
        CHECK(count(v, "the the", 7) <= 3);      // frequent words became single tokens
        free(t); free(out);
        lm_vocab_free(v);
    }
    free(buf);
    bpe_vocab_free(&bv);
    o.vocab_size = 100;                           // too small for the fixed ids
    CHECK_EQ(bpe_train(TEXT, sizeof TEXT - 1, &o, &bv), LM_INVALID_ARG);
    return T_DONE();
}
