// test_pieces.c — models loaded from pieces (lm_model_load_pieces): gguf-split shards, files cut
// between tensors, the per-layer embedding table left out and supplied per decode through
// lm_ctx_ext_rows (Q4_0 and GGUF-M q4_c with its row scales), all at once. Every variant must give
// the whole file's logits bit for bit; bad piece tables and shard lists fail with the right status.
#define _POSIX_C_SOURCE 200809L
#include "../src/lm.h"
#include "../src/gguf.h"
#include "../src/tensor.h"
#include "../tools/gen.h"
#include "../tools/mobile.h"
#include "../tools/split.h"
#include "t.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const lm_token PROMPT[] = { 2, 300, 301, 302, 303, 304, 305, 306, 307 };
enum { N_PROMPT = sizeof PROMPT / sizeof PROMPT[0], N_GEN = 6, MAX_SHARDS = 4, MAX_PIECES = 1024 };

typedef struct { uint8_t *buf; uint64_t len; } bytes;

static bytes generate(const char *preset, int type) {
    bytes b = { 0 };
    size_t n = 0;
    FILE *f = open_memstream((char **)&b.buf, &n);
    gen_opts o = { preset, type, 11, 0 };
    CHECK_EQ(gen_model(&o, f), 0);
    fclose(f);
    b.len = n;
    return b;
}

static int split(bytes whole, int n, bool empty_first, bytes *shards) {
    FILE *f[MAX_SHARDS] = { 0 };
    size_t len[MAX_SHARDS];
    for (int k = 0; k < n; k++) f[k] = open_memstream((char **)&shards[k].buf, &len[k]);
    int rc = gguf_split_write(whole.buf, whole.len, n, empty_first, f);
    for (int k = 0; k < n; k++) { fclose(f[k]); shards[k].len = len[k]; }
    return rc;
}

// Copies the rows of `tokens` of the file's ext table into the context's staging buffer, as the
// JS engine does before each decode.
static void fill_ext(lm_ctx *c, const lm_file_layout *lay, const uint8_t *file, const lm_token *tokens, int32_t n) {
    uint64_t rb = 0;
    int32_t cap = 0;
    uint8_t *rows = lm_ctx_ext_rows(c, &rb, &cap);
    if (!rows) return;
    CHECK_EQ(rb, lay->ext_row_bytes);
    CHECK(n <= cap);
    for (int32_t i = 0; i < n; i++) memcpy(rows + i * rb, file + lay->ext_off + (uint64_t)tokens[i] * rb, rb);
}

// Greedy tokens after PROMPT plus the logits of the last step; ext: where the ext rows come from.
static void greedy(lm_model *m, const lm_file_layout *lay, const uint8_t *ext_file, lm_token *out, float *last) {
    lm_ctx_params p = lm_ctx_default_params();
    p.n_ctx = 64;
    p.n_batch = 4;
    lm_ctx *c;
    CHECK_EQ(lm_ctx_new(m, &p, &c), LM_OK);
    uint64_t rb;
    int32_t cap;
    bool ext = lm_ctx_ext_rows(c, &rb, &cap) != NULL;
    if (ext) CHECK_EQ(lm_decode(c, PROMPT, N_PROMPT), LM_INVALID_ARG);   // more than n_batch per call
    for (int32_t i = 0; i < N_PROMPT; i += 4) {
        int32_t k = N_PROMPT - i < 4 ? N_PROMPT - i : 4;
        if (ext) fill_ext(c, lay, ext_file, PROMPT + i, k);
        CHECK_EQ(lm_decode(c, PROMPT + i, k), LM_OK);
    }
    lm_model_info info;
    lm_model_get_info(m, &info);
    for (int s = 0; s < N_GEN; s++) {
        const float *l = lm_logits(c, 0);
        int best = 0;
        for (int v = 1; v < info.n_vocab; v++) if (l[v] > l[best]) best = v;
        out[s] = best;
        if (s == N_GEN - 1) { memcpy(last, l, sizeof(float) * (size_t)info.n_vocab); break; }
        if (ext) fill_ext(c, lay, ext_file, &out[s], 1);
        CHECK_EQ(lm_decode(c, &out[s], 1), LM_OK);
    }
    lm_ctx_free(c);
}

static lm_file_layout layout(bytes b) {
    lm_file_layout lay;
    uint64_t have = 16, need = 0;
    int rounds = 0;
    lm_status s;
    // grow the prefix as the JS loader does: at least what the parser asks for, at least doubling
    while ((s = lm_file_layout_from_header(b.buf, have, &lay, &need)) == LM_TRUNCATED && rounds++ < 64) {
        CHECK(need > have);
        have = need > 2 * have ? need : 2 * have;
        if (have > b.len) have = b.len;
    }
    CHECK_EQ(s, LM_OK);
    return lay;
}

static int cmp_u64(const void *a, const void *b) { uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b; return (x > y) - (x < y); }

// Pieces of the shards as views into their bytes, cut where the layout says (fine: also before
// every tensor), leaving out each shard's ext range when drop_ext. Returns the piece count.
static int make_pieces(const bytes *sh, int n, bool drop_ext, bool fine, lm_piece *pc) {
    int n_pc = 0;
    for (int k = 0; k < n; k++) {
        lm_file_layout lay = layout(sh[k]);
        uint64_t cuts[MAX_PIECES];
        int n_cut = 0;
        for (int i = 0; i < lay.n_cut; i++) cuts[n_cut++] = lay.cut[i];
        if (fine) {
            gguf_file g;
            CHECK_EQ(gguf_parse(sh[k].buf, sh[k].len, &g, NULL), LM_OK);
            for (uint64_t i = 0; i < g.n_tensors && n_cut < MAX_PIECES / 2; i++) cuts[n_cut++] = g.data_offset + g.tensors[i].offset;
            gguf_free(&g);
        }
        cuts[n_cut++] = sh[k].len;
        qsort(cuts, (size_t)n_cut, sizeof cuts[0], cmp_u64);
        for (uint64_t from = 0, i = 0; i < (uint64_t)n_cut; i++) {
            uint64_t to = cuts[i];
            if (to <= from) continue;
            bool ext = lay.ext_len && from >= lay.ext_off && to <= lay.ext_off + lay.ext_len;
            if (!(drop_ext && ext)) pc[n_pc++] = (lm_piece){ sh[k].buf + from, k, from, to - from };
            from = to;
        }
    }
    return n_pc;
}

static void same_tokens_every_way(bytes whole) {
    lm_file_layout wl = layout(whole);
    bool has_ext = wl.ext_len > 0;
    CHECK_EQ(wl.split_count, 1);
    CHECK(wl.file_size <= whole.len);
    lm_model *m;
    CHECK_EQ(lm_model_load(whole.buf, whole.len, &m), LM_OK);
    lm_model_info info;
    lm_model_get_info(m, &info);
    lm_token ref[N_GEN], got[N_GEN];
    float *ref_l = malloc(sizeof(float) * (size_t)info.n_vocab), *got_l = malloc(sizeof(float) * (size_t)info.n_vocab);
    greedy(m, &wl, whole.buf, ref, ref_l);
    lm_model_free(m);
    for (int n_shards = 1; n_shards <= 3; n_shards++)
        for (int drop = 0; drop <= has_ext; drop++)
            for (int empty_first = 0; empty_first <= (n_shards > 1); empty_first++) {
                bytes sh[MAX_SHARDS] = { 0 };
                CHECK_EQ(split(whole, n_shards, empty_first, sh), 0);
                static lm_piece pc[MAX_PIECES];
                int n_pc = make_pieces(sh, n_shards, drop, n_shards == 2, pc);
                CHECK_EQ(lm_model_load_pieces(pc, n_pc, &m), LM_OK);
                if (m) {
                    // the ext rows live in whichever shard holds the table
                    const uint8_t *ext_file = whole.buf;
                    lm_file_layout el = wl;
                    for (int k = 0; k < n_shards; k++) { lm_file_layout l = layout(sh[k]); if (l.ext_len) { el = l; ext_file = sh[k].buf; } }
                    memset(got_l, 0, sizeof(float) * (size_t)info.n_vocab);
                    greedy(m, &el, ext_file, got, got_l);
                    CHECK(!memcmp(got, ref, sizeof ref));
                    CHECK(!memcmp(got_l, ref_l, sizeof(float) * (size_t)info.n_vocab));
                    lm_model_free(m);
                }
                for (int k = 0; k < n_shards; k++) free(sh[k].buf);
            }
    free(ref_l); free(got_l); free(whole.buf);
}

// The first shard alone plans memory (even when it holds no tensors: vocab size from the tokenizer).
static void plan_from_first_shard(void) {
    bytes whole = generate("gemma4-e2b-tiny", LM_TYPE_Q4_0), sh[3] = { 0 };
    CHECK_EQ(split(whole, 3, true, sh), 0);
    lm_ctx_params p = lm_ctx_default_params();
    lm_mem_plan a, b;
    uint64_t need, size;
    CHECK_EQ(lm_plan_from_header(whole.buf, whole.len, &p, &a, &need, &size), LM_OK);
    CHECK_EQ(lm_plan_from_header(sh[0].buf, sh[0].len, &p, &b, &need, &size), LM_OK);
    CHECK_EQ(a.kv, b.kv);
    CHECK_EQ(a.scratch, b.scratch);
    CHECK_EQ(b.weights, 0);
    lm_file_layout l0 = layout(sh[0]), l2 = layout(sh[2]);
    CHECK_EQ(l0.split_no, 0); CHECK_EQ(l0.split_count, 3); CHECK_EQ(l0.tensor_bytes, 0);
    CHECK_EQ(l2.split_no, 2); CHECK_EQ(l2.split_count, 3);
    for (int k = 0; k < 3; k++) free(sh[k].buf);
    free(whole.buf);
}

static void bad_tables(void) {
    bytes whole = generate("gemma4-e2b-tiny", LM_TYPE_Q4_0), sh[2] = { 0 };
    CHECK_EQ(split(whole, 2, false, sh), 0);
    lm_model *m = (lm_model *)1;
    lm_piece a = { sh[0].buf, 0, 0, sh[0].len }, b = { sh[1].buf, 1, 0, sh[1].len };
    lm_piece one[1] = { a }, swapped[2] = { { sh[1].buf, 0, 0, sh[1].len }, { sh[0].buf, 1, 0, sh[0].len } };
    CHECK_EQ(lm_model_load_pieces(one, 1, &m), LM_INVALID_ARG);          // 1 of 2 shards given
    CHECK(m == NULL);
    CHECK_EQ(lm_model_load_pieces(swapped, 2, &m), LM_INVALID_ARG);      // shards swapped
    lm_piece ok[2] = { a, b };
    CHECK_EQ(lm_model_load_pieces(ok, 0, &m), LM_INVALID_ARG);
    CHECK_EQ(lm_model_load_pieces(NULL, 2, &m), LM_INVALID_ARG);
    lm_piece overlap[3] = { a, b, { sh[1].buf + 8, 1, 8, 8 } };
    CHECK_EQ(lm_model_load_pieces(overlap, 3, &m), LM_INVALID_ARG);
    lm_piece no_data[2] = { a, { NULL, 1, 0, sh[1].len } };
    CHECK_EQ(lm_model_load_pieces(no_data, 2, &m), LM_INVALID_ARG);
    lm_piece no_header[2] = { a, { sh[1].buf + 64, 1, 64, sh[1].len - 64 } };    // shard 2's header missing
    CHECK_EQ(lm_model_load_pieces(no_header, 2, &m), LM_TRUNCATED);
    lm_piece short_tail[2] = { a, { sh[1].buf, 1, 0, sh[1].len - 4096 } };        // a weight cut off
    CHECK_EQ(lm_model_load_pieces(short_tail, 2, &m), LM_TRUNCATED);
    // random tables over the two shards never crash (ASan) and load only when they cover everything
    uint64_t x = 88172645463325252ull;
    for (int r = 0; r < 300; r++) {
        lm_piece pc[6];
        int n = 1 + (int)((x >> 7) % 6);
        for (int i = 0; i < n; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            int f = (int)(x % 3) % 2;
            uint64_t len = sh[f].len, off = (x >> 8) % 4 == 0 ? 0 : (x >> 16) % len, n_b = (x >> 24) % (len - off + 1);
            pc[i] = (lm_piece){ sh[f].buf + off, f, off, n_b };
        }
        lm_status st = lm_model_load_pieces(pc, n, &m);
        CHECK(st == LM_OK || st < 0);
        lm_model_free(m);
    }
    for (int k = 0; k < 2; k++) free(sh[k].buf);
    free(whole.buf);
}

// Cut points: increasing, the ext table's bounds among them, and pieces cut there load.
static void cuts(void) {
    bytes whole = generate("gemma4-e2b-tiny", LM_TYPE_Q4_0);
    lm_file_layout l = layout(whole);
    CHECK(l.ext_len > 0 && l.n_cut >= 2);
    bool lo = false, hi = false;
    for (int i = 0; i < l.n_cut; i++) {
        if (i) CHECK(l.cut[i] > l.cut[i - 1]);
        lo |= l.cut[i] == l.ext_off;
        hi |= l.cut[i] == l.ext_off + l.ext_len;
    }
    CHECK(lo && hi);
    free(whole.buf);
}

// GGUF-M (per-channel types): the table is q4_c with its row scales in a tensor that stays in memory.
static bytes mobile(void) {
    char dir[] = "build/test-pieces-XXXXXX", in[64], out[64];
    bytes b = { 0 };
    if (!mkdtemp(dir)) { CHECK(!"mkdtemp"); return b; }
    snprintf(in, sizeof in, "%s/f32.gguf", dir);
    snprintf(out, sizeof out, "%s/m.gguf", dir);
    bytes f = generate("gemma4-e2b-tiny", LM_TYPE_F32);
    FILE *fp = fopen(in, "wb");
    CHECK(fp && fwrite(f.buf, 1, f.len, fp) == f.len);
    if (fp) fclose(fp);
    free(f.buf);
    mq_opts o = { 0 };
    CHECK_EQ(mq_quantize(in, out, &o), LM_OK);
    if ((fp = fopen(out, "rb"))) {
        fseek(fp, 0, SEEK_END);
        b.len = (uint64_t)ftell(fp);
        fseek(fp, 0, SEEK_SET);
        b.buf = malloc(b.len);
        CHECK(fread(b.buf, 1, b.len, fp) == b.len);
        fclose(fp);
    }
    remove(in); remove(out); rmdir(dir);
    return b;
}

int main(void) {
    same_tokens_every_way(generate("gemma4-e2b-tiny", LM_TYPE_Q4_0));   // has per_layer_token_embd
    same_tokens_every_way(generate("llama-tiny", LM_TYPE_Q8_0));         // no ext table
    bytes m = mobile();
    CHECK(m.len > 0);
    if (m.len) { CHECK(layout(m).ext_len > 0); same_tokens_every_way(m); }
    plan_from_first_shard();
    bad_tables();
    cuts();
    return T_DONE();
}
