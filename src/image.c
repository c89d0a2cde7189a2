// image.c — models that are not one buffer (lm.h lm_model_load_pieces): the shards of a llama.cpp
// gguf-split model, files cut into pieces (no malloc of 2 GiB in wasm32), and file ranges left out
// of memory (a row-gathered table the caller supplies per decode). Each shard's header is parsed
// from its first piece; the shards' tensor infos are merged into one gguf_file whose data
// pointers point into the pieces, so nothing downstream knows. Not responsible for model semantics.
#include "model.h"
#include <stdlib.h>
#include <string.h>

#define MAX_PIECES 4096
#define MAX_SHARDS 1024

// Tables that may stay outside the image: gathered by token id one row at a time, never a matmul
// weight, so a decode needs only its tokens' rows (lm_ctx_ext_rows). gemma4's per-layer token
// embeddings are 1.2-1.9 GB of an E2B file.
static const char *const EXT_TABLES[] = { "per_layer_token_embd.weight" };

// split.no / split.count (u16 in llama.cpp's files; any integer type is accepted). A file without
// them is shard 0 of 1.
static lm_status split_keys(const gguf_file *g, uint32_t *no, uint32_t *count) {
    *no = 0;
    *count = 1;
    if (!gguf_find(g, "split.count")) return LM_OK;
    lm_status s = gguf_get_u32(g, "split.count", count);
    if (s) return s;
    if (*count < 1 || *count > MAX_SHARDS) return lm_fail(LM_CORRUPT, "split.count = %u (1..%d)", *count, MAX_SHARDS);
    if ((s = gguf_get_u32(g, "split.no", no))) return s;
    if (*no >= *count) return lm_fail(LM_CORRUPT, "split.no = %u with split.count = %u", *no, *count);
    return LM_OK;
}

static int by_offset(const void *a, const void *b) {
    const gguf_tensor_info *x = *(const gguf_tensor_info *const *)a, *y = *(const gguf_tensor_info *const *)b;
    return (x->offset > y->offset) - (x->offset < y->offset);
}

static lm_status add_cut(lm_file_layout *out, uint64_t at) {
    if (out->n_cut && out->cut[out->n_cut - 1] >= at) return LM_OK;
    if (out->n_cut == LM_MAX_CUTS) return lm_fail(LM_TOO_LARGE, "the file needs more than %d pieces of %llu bytes", LM_MAX_CUTS, LM_PIECE_BYTES);
    out->cut[out->n_cut++] = at;
    return LM_OK;
}

// Cut points: the ext table's bounds, and tensor starts where a piece would pass LM_PIECE_BYTES.
static lm_status plan_cuts(const gguf_file *g, lm_file_layout *out) {
    const gguf_tensor_info **by = malloc((g->n_tensors ? g->n_tensors : 1) * sizeof *by);
    if (!by) return lm_fail(LM_NOMEM, "tensor order");
    for (uint64_t i = 0; i < g->n_tensors; i++) by[i] = &g->tensors[i];
    qsort(by, g->n_tensors, sizeof *by, by_offset);
    uint64_t piece = 0, ext_end = out->ext_off + out->ext_len;
    lm_status s = LM_OK;
    for (uint64_t i = 0; i < g->n_tensors && !s; i++) {
        uint64_t start = g->data_offset + by[i]->offset, end = start + by[i]->size;
        bool ext = out->ext_len && start == out->ext_off;
        if (ext || (start > piece && end - piece > LM_PIECE_BYTES)) s = add_cut(out, piece = start);
        if (!s && ext) s = add_cut(out, piece = ext_end);
    }
    free(by);
    return s;
}

lm_status lm_file_layout_from_header(const uint8_t *prefix, uint64_t len, lm_file_layout *out, uint64_t *need) {
    memset(out, 0, sizeof *out);
    gguf_file g;
    lm_status s = gguf_parse(prefix, len, &g, need);
    if (s) return s;
    uint32_t no, count;
    if (!(s = split_keys(&g, &no, &count))) {
        out->file_size = g.file_size;
        out->split_no = (int32_t)no;
        out->split_count = (int32_t)count;
        for (uint64_t i = 0; i < g.n_tensors; i++) out->tensor_bytes += g.tensors[i].size;
        for (size_t k = 0; k < sizeof EXT_TABLES / sizeof EXT_TABLES[0]; k++) {
            const gguf_tensor_info *t = gguf_find_tensor(&g, EXT_TABLES[k]);
            if (!t || !t->size || out->ext_len) continue;
            out->ext_off = g.data_offset + t->offset;
            out->ext_len = t->size;
            out->ext_row_bytes = (uint64_t)gguf_type_bytes(t->type, t->ne[0]);
        }
        s = plan_cuts(&g, out);
    }
    if (!s) lm_clear_error();
    gguf_free(&g);
    return s;
}

// Checks the piece table: known shards, sane ranges, no bytes of a shard in two pieces.
static lm_status check_pieces(const lm_piece *pc, int32_t n, int32_t *n_files) {
    if (!pc || n < 1 || n > MAX_PIECES) return lm_fail(LM_INVALID_ARG, "%d pieces (1..%d)", n, MAX_PIECES);
    *n_files = 0;
    for (int32_t i = 0; i < n; i++) {
        if (pc[i].file < 0 || pc[i].file >= MAX_SHARDS) return lm_fail(LM_INVALID_ARG, "piece %d: shard %d", i, pc[i].file);
        if (!pc[i].data && pc[i].len) return lm_fail(LM_INVALID_ARG, "piece %d: no bytes", i);
        if (pc[i].file_off > UINT64_MAX - pc[i].len) return lm_fail(LM_INVALID_ARG, "piece %d: file range overflows", i);
        for (int32_t j = 0; j < i; j++)
            if (pc[j].file == pc[i].file && pc[j].file_off < pc[i].file_off + pc[i].len && pc[i].file_off < pc[j].file_off + pc[j].len)
                return lm_fail(LM_INVALID_ARG, "pieces %d and %d hold the same bytes of shard %d", j, i, pc[i].file);
        if (pc[i].file + 1 > *n_files) *n_files = pc[i].file + 1;
    }
    return LM_OK;
}

// Parses shard f's header from the piece that starts at its byte 0 and checks its split keys.
static lm_status parse_shard(const lm_piece *pc, int32_t n, int32_t f, int32_t n_files, gguf_file *g) {
    int32_t i = 0;
    while (i < n && !(pc[i].file == f && pc[i].file_off == 0)) i++;
    if (i == n) return lm_fail(LM_TRUNCATED, "shard %d: no piece holds its header (file offset 0)", f);
    lm_status s = gguf_parse(pc[i].data, pc[i].len, g, NULL);
    uint32_t no, count;
    if (s || (s = split_keys(g, &no, &count))) return s;
    if (count != (uint32_t)n_files)
        return lm_fail(LM_INVALID_ARG, "shard %d says the model has %u shards; %d were given", f, count, n_files);
    if (no != (uint32_t)f) return lm_fail(LM_INVALID_ARG, "piece shard %d is the model's shard %u (split.no)", f, no);
    return LM_OK;
}

// Tensor t of shard f: in the piece that holds all of its bytes, or NULL.
static const uint8_t *map_tensor(const gguf_file *sh, const gguf_tensor_info *t, int32_t f, const lm_piece *pc, int32_t n) {
    uint64_t start = sh->data_offset + t->offset;   // no overflow: gguf_parse checked the layout
    for (int32_t i = 0; i < n; i++)
        if (pc[i].file == f && start >= pc[i].file_off && t->size <= pc[i].len && start - pc[i].file_off <= pc[i].len - t->size)
            return pc[i].data + (start - pc[i].file_off);
    return NULL;
}

// Moves every shard's tensor infos into out (shard 0's gguf_file, which keeps the metadata).
static lm_status merge(gguf_file *sh, int32_t n_files, const lm_piece *pc, int32_t n, gguf_file *out) {
    uint64_t total = 0;
    for (int32_t f = 0; f < n_files; f++) total += sh[f].n_tensors;   // each <= 2^20: no overflow
    gguf_tensor_info *t = calloc(total ? total : 1, sizeof *t);
    if (!t) return lm_fail(LM_NOMEM, "tensor index (%llu tensors)", (unsigned long long)total);
    uint64_t k = 0;
    for (int32_t f = 0; f < n_files; f++)
        for (uint64_t i = 0; i < sh[f].n_tensors; i++, k++) {
            t[k] = sh[f].tensors[i];
            t[k].data = map_tensor(&sh[f], &sh[f].tensors[i], f, pc, n);
        }
    *out = sh[0];
    memset(&sh[0], 0, sizeof sh[0]);
    free(out->tensors);
    out->tensors = t;
    out->n_tensors = total;
    out->partial = true;
    return gguf_index_tensors(out);
}

lm_status gguf_parse_image(const lm_piece *pc, int32_t n, gguf_file *out) {
    memset(out, 0, sizeof *out);
    int32_t n_files = 0;
    gguf_file *sh = NULL;
    lm_status s = check_pieces(pc, n, &n_files);
    if (!s && !(sh = calloc((size_t)n_files, sizeof *sh))) s = lm_fail(LM_NOMEM, "shard table");
    for (int32_t f = 0; !s && f < n_files; f++) s = parse_shard(pc, n, f, n_files, &sh[f]);
    if (!s) s = merge(sh, n_files, pc, n, out);
    if (s) gguf_free(out);
    for (int32_t f = 0; sh && f < n_files; f++) gguf_free(&sh[f]);
    free(sh);
    return s;
}
