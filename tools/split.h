// split.h — writes llama.cpp gguf-split shards of a GGUF (for loader tests and benchmarks).
#ifndef LM_SPLIT_H
#define LM_SPLIT_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

// Splits the GGUF in buf[0..len) into n_shards files written to out[0..n_shards), as llama.cpp's
// `gguf-split --split` lays them out: shard 0 carries every metadata key, each shard adds
// split.no / split.count (u16) and split.tensors.count (i32), tensors keep their order and are
// spread by size. empty_first: shard 0 holds metadata only (gguf-split --no-tensor-first-split).
// Returns 0, or -1 with a message on stderr.
int gguf_split_write(const uint8_t *buf, uint64_t len, int n_shards, bool empty_first, FILE *const *out);

// CLI: pocketlm split IN.gguf OUT_PREFIX N [--no-tensor-first-split]
//      -> OUT_PREFIX-00001-of-0000N.gguf ... (llama.cpp's naming)
int cmd_split(int argc, char **argv);

#endif
