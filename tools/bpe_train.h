// bpe_train.h — trains a Gemma-4-style BPE vocabulary (tokenizer.ggml.model "gemma4") on a text:
// spaces escaped as "▁", newline runs as their own tokens, 256 byte-fallback tokens, merges
// ranked by training order. The result reads the same in pocketlm's tokenizer and llama.cpp's.
#ifndef LM_BPE_TRAIN_H
#define LM_BPE_TRAIN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gguf_write.h"
#include "../src/status.h"

typedef struct {
    int32_t vocab_size;    // total ids: specials, bytes, newline runs, characters, merges, turn markers
    int32_t min_count;     // characters seen fewer times (and not printable ASCII) fall back to bytes
    int32_t max_len;       // longest token in bytes (merges beyond it are skipped)
} bpe_opts;

typedef struct {
    int32_t n;             // tokens
    char  **text;          // owned [n], NUL-terminated, spaces as "▁"
    int32_t *type;         // [n] llama.cpp token types (1 normal, 2 unknown, 3 control, 6 byte)
    int32_t n_merges;
    char  **merges;        // owned [n_merges] "left right", rank = index
    int64_t train_tokens;  // tokens the training text encodes to (what the tokenizers must give)
} bpe_vocab;

bpe_opts  bpe_default_opts(void);          // 4096 ids, min_count 2, max_len 16
// Trains on text[0..len) (UTF-8; invalid bytes are left to byte fallback). LM_INVALID_ARG when
// vocab_size cannot hold the fixed tokens.
lm_status bpe_train(const char *text, size_t len, const bpe_opts *o, bpe_vocab *out);
void      bpe_vocab_free(bpe_vocab *v);
// tokenizer.ggml.* keys (model "gemma4", tokens, scores, types, merges, special ids, add_bos) and
// the Gemma-4-format chat template of tools/gen.c.
void      bpe_write_keys(const bpe_vocab *v, gguf_writer *w);

// `pocketlm bpe-train --text CORPUS.txt -o VOCAB.gguf [--vocab-size N --min-count N]`
int cmd_bpe_train(int argc, char **argv);

#endif
