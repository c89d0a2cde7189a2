// split.c — llama.cpp gguf-split shards of a model (tools/split.h). Each shard is a whole GGUF file
// with its own header; only the first carries the model's metadata.
#define _POSIX_C_SOURCE 200809L
#include "fileio.h"
#include "split.h"
#include "gguf_write.h"
#include "../src/gguf.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

// A u16 metadata entry (gguf_write has no u16 writer; llama.cpp writes the split keys as u16).
static void kv_u16(gguf_writer *w, const char *key, uint16_t v) {
    uint8_t b[128];
    uint64_t n = strlen(key);
    uint32_t type = GGUF_U16;
    memcpy(b, &n, 8);
    memcpy(b + 8, key, n);
    memcpy(b + 8 + n, &type, 4);
    memcpy(b + 12 + n, &v, 2);
    gw_raw_kv(w, b, 14 + n);
}

static bool is_split_key(gguf_str k) { return k.len > 6 && !memcmp(k.ptr, "split.", 6); }

// Shard of tensor i: tensors in order, a new shard when the running size passes the next share.
static int shard_of(uint64_t before, uint64_t total, int n_data, bool empty_first) {
    int k = total ? (int)(before * (uint64_t)n_data / total) : 0;
    if (k >= n_data) k = n_data - 1;
    return k + (empty_first ? 1 : 0);
}

static int write_shards(const gguf_file *g, int n, bool empty_first, FILE *const *out, gguf_writer **w) {
    uint64_t total = 0, before = 0;
    int n_data = n - (empty_first ? 1 : 0), *count = calloc((size_t)n, sizeof *count);
    if (!count || n_data < 1) { free(count); fprintf(stderr, "split: %d shards\n", n); return -1; }
    for (uint64_t i = 0; i < g->n_tensors; i++) total += g->tensors[i].size;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const gguf_tensor_info *t = &g->tensors[i];
        int k = shard_of(before, total, n_data, empty_first);
        char name[260];
        memcpy(name, t->name.ptr, t->name.len);
        name[t->name.len] = 0;
        gw_tensor_raw(w[k], name, t->type, (int)t->n_dims, t->ne, gguf_tensor_data(g, t));
        count[k]++;
        before += t->size;
    }
    int rc = 0;
    for (int k = 0; k < n && !rc; k++) {
        if (!count[k] && !(empty_first && k == 0)) { fprintf(stderr, "split: shard %d would hold no tensors\n", k + 1); rc = -1; }
        else if (gw_write(w[k], out[k])) { fprintf(stderr, "split: write failed (shard %d)\n", k + 1); rc = -1; }
    }
    free(count);
    return rc;
}

int gguf_split_write(const uint8_t *buf, uint64_t len, int n_shards, bool empty_first, FILE *const *out) {
    gguf_file g;
    if (n_shards < 1 || n_shards > 99999) { fprintf(stderr, "split: %d shards (1..99999)\n", n_shards); return -1; }
    if (gguf_parse(buf, len, &g, NULL) || g.file_size > len) { fprintf(stderr, "split: not a whole GGUF file\n"); return -1; }
    gguf_writer **w = calloc((size_t)n_shards, sizeof *w);
    int rc = w ? 0 : -1;
    for (int k = 0; k < n_shards && !rc; k++) {
        // shard 0 keeps the file's alignment (its general.alignment key is copied); others use the default
        if (!(w[k] = gw_new(k ? 0 : (uint32_t)g.alignment))) { rc = -1; break; }
        for (uint64_t i = 0; k == 0 && i < g.n_kv && !rc; i++)
            if (!is_split_key(g.kv[i].key)) rc = gw_copy_kv(w[k], &g.kv[i]);
        kv_u16(w[k], "split.no", (uint16_t)k);
        kv_u16(w[k], "split.count", (uint16_t)n_shards);
        gw_i32(w[k], "split.tensors.count", (int32_t)g.n_tensors);
    }
    if (!rc) rc = write_shards(&g, n_shards, empty_first, out, w);
    for (int k = 0; w && k < n_shards; k++) gw_free(w[k]);
    free(w);
    gguf_free(&g);
    return rc;
}


int cmd_split(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: pocketlm split IN.gguf OUT_PREFIX N [--no-tensor-first-split]\n"); return 2; }
    int n = atoi(argv[2]);
    bool empty_first = argc > 3 && !strcmp(argv[3], "--no-tensor-first-split");
    if (n < 1 || n > 99999) { fprintf(stderr, "split: N must be 1..99999\n"); return 2; }
    uint64_t len;
    uint8_t *buf = tool_read_file(argv[0], &len);
    if (!buf) return 1;
    FILE **out = calloc((size_t)n, sizeof *out);
    int rc = out ? 0 : 1;
    for (int k = 0; k < n && !rc; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s-%05d-of-%05d.gguf", argv[1], k + 1, n);
        if (!(out[k] = fopen(path, "wb"))) { fprintf(stderr, "%s: %s\n", path, strerror(errno)); rc = 1; }
    }
    if (!rc && gguf_split_write(buf, len, n, empty_first, out)) rc = 1;
    for (int k = 0; out && k < n; k++) if (out[k]) fclose(out[k]);
    free(out);
    free(buf);
    return rc;
}
