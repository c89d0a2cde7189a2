// fuzz_gguf.c — the whole load path over arbitrary bytes: gguf_parse, lm_plan_from_header,
// lm_model_load and, when a model loads, a two-token decode in a 4-token context; lm_vocab_load
// and a tokenize/detokenize round when a vocabulary builds. Invariants that hold for every input
// are checked too (a TRUNCATED `need` lies past the input, the plan from the header equals the
// loaded model's plan, ...); a broken one counts as a finding, like a crash.
//   make fuzz                               libFuzzer (clang, -DLM_FUZZER) for FUZZ_TIME seconds
//   build/san/fuzz_gguf [PATH...]           replay files/dirs (default tests/fixtures/fuzz), then
//                                           a deterministic mutation loop (make test-c runs this)
//   build/san/fuzz_gguf --write-seeds DIR   write the seed corpus (tiny models of each arch)
#define _POSIX_C_SOURCE 200809L   // opendir, stat
#include "../src/gguf.h"
#include "../src/lm.h"
#include "../src/tensor.h"
#include "../tools/gguf_write.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int n_loaded, n_decoded, n_vocabs;   // replay statistics: how deep the inputs got

// Prints and counts a broken invariant (a bug in the library, not in the input).
static int violated(const char *what) {
    fprintf(stderr, "invariant broken: %s (last message: %s)\n", what, lm_errmsg());
    return 1;
}
#define EXPECT(cond) ((cond) ? 0 : violated(#cond))

static int check_header(const uint8_t *data, size_t size, gguf_file *g, lm_status *status) {
    uint64_t need = 0;
    lm_status s = *status = gguf_parse(data, size, g, &need);
    int bad = EXPECT(s == LM_TRUNCATED ? need > size : need == 0);
    if (s != LM_OK) return bad + EXPECT(lm_errmsg()[0] != 0 && g->kv == NULL && g->tensors == NULL);
    bad += EXPECT(g->alignment && !(g->alignment & (g->alignment - 1)) && g->data_offset % g->alignment == 0);
    bad += EXPECT(g->data_offset <= g->file_size);
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const gguf_tensor_info *t = &g->tensors[i];
        char name[260];
        snprintf(name, sizeof name, "%.*s", (int)t->name.len, t->name.ptr);
        bad += EXPECT(gguf_find_tensor(g, name) == t);   // names are unique and NUL-free
        bad += EXPECT(t->offset <= g->file_size - g->data_offset && t->size <= g->file_size - g->data_offset - t->offset);
        bad += EXPECT((gguf_tensor_data(g, t) != NULL) == (g->data_offset + t->offset + t->size <= size));
    }
    return bad;
}

// Decodes token 0 then the last token id in a 4-token context.
static int check_decode(const lm_model *m) {
    lm_model_info info;
    lm_model_get_info(m, &info);
    lm_ctx_params p = lm_ctx_default_params();
    p.n_ctx = 4;
    p.n_batch = 2;
    lm_ctx *c;
    lm_status s = lm_ctx_new(m, &p, &c);
    if (s != LM_OK) return EXPECT((s == LM_NOMEM || s == LM_TOO_LARGE) && c == NULL);
    lm_token t[2] = { 0, info.n_vocab - 1 };
    int bad = EXPECT(lm_decode(c, &t[0], 1) == LM_OK);
    bad += EXPECT(lm_decode(c, &t[1], 1) == LM_OK);
    bad += EXPECT(lm_logits(c, 0) != NULL && lm_ctx_n_past(c) == 2);
    bad += EXPECT(lm_decode(c, (const lm_token[]){ info.n_vocab }, 1) == LM_INVALID_ARG);
    n_decoded += !bad;
    lm_ctx_free(c);
    return bad;
}

// Tokenizes a fixed text (specials, invalid UTF-8, spaces) and turns the tokens back into text.
static int check_vocab(const lm_vocab *v) {
    static const char TEXT[] = "Hello <s> w\xc3\xb6rld\n\t  <bos>ab\xff\xfe 123! \xe2\x96\x81x";
    lm_vocab_info info;
    lm_vocab_get_info(v, &info);
    int bad = EXPECT(info.n_tokens >= 1);
    lm_token toks[64];
    char buf[1024];
    for (int parse_special = 0; parse_special < 2; parse_special++) {
        int32_t n = lm_tokenize(v, TEXT, (int32_t)sizeof TEXT - 1, toks, 64, true, parse_special);
        bad += EXPECT(n >= 0 || n == INT32_MIN);    // <= 1 token per byte + BOS/EOS always fits
        for (int32_t i = 0; i < n; i++) bad += EXPECT(toks[i] >= 0 && toks[i] < info.n_tokens);
        if (n > 0) lm_detokenize(v, toks, n, buf, sizeof buf, parse_special, parse_special);
        lm_text_stream ts;
        lm_text_stream_init(&ts, v, parse_special);
        for (int32_t i = 0; i < n; i++) bad += EXPECT(lm_text_stream_push(&ts, toks[i], buf, sizeof buf) > -(1 << 30));
        lm_text_stream_flush(&ts, buf, sizeof buf);
    }
    for (lm_token t = -1; t < info.n_tokens && t < 64; t++) lm_token_to_piece(v, t, buf, sizeof buf, true);
    return bad;
}

// Returns the number of broken invariants (0 for every input, hostile or not).
static int fuzz_one(const uint8_t *data, size_t size) {
    gguf_file g;
    lm_status gs;
    int bad = check_header(data, size, &g, &gs);
    lm_ctx_params p = lm_ctx_default_params();
    p.n_ctx = 4;
    lm_mem_plan plan_h, plan_m;
    uint64_t need = 0, file_size = 0;
    lm_status sh = lm_plan_from_header(data, size, &p, &plan_h, &need, &file_size);
    if (sh == LM_TRUNCATED) bad += EXPECT(need > size);
    lm_file_layout lay;                     // what the JS loader plans pieces from
    uint64_t need_l = 0;
    lm_status sl = lm_file_layout_from_header(data, size, &lay, &need_l);
    if (sl == LM_TRUNCATED) bad += EXPECT(need_l > size);
    if (sl == LM_OK) {
        bad += EXPECT(gs == LM_OK && lay.file_size == g.file_size && lay.ext_off + lay.ext_len <= lay.file_size);
        for (int i = 0; i < lay.n_cut; i++) bad += EXPECT(lay.cut[i] <= lay.file_size && (i == 0 || lay.cut[i] > lay.cut[i - 1]));
    }
    static char sentinel;
    lm_model *m = (lm_model *)&sentinel;   // lm_model_load must overwrite it
    lm_status s = lm_model_load(data, size, &m);
    bad += EXPECT(strcmp(lm_status_name(s), "UNKNOWN") != 0);
    bad += EXPECT((s == LM_OK) == (m != NULL) && m != (lm_model *)&sentinel);
    bad += EXPECT(s == LM_OK ? lm_errmsg()[0] == 0 : lm_errmsg()[0] != 0);
    if (s == LM_OK && m) {
        n_loaded++;
        if (lm_model_vocab(m)) bad += check_vocab(lm_model_vocab(m));
        bad += EXPECT(gs == LM_OK && sh == LM_OK && file_size == g.file_size && file_size <= size);
        bad += EXPECT(lm_model_plan(m, &p, &plan_m) == LM_OK && !memcmp(&plan_h, &plan_m, sizeof plan_h));
        bad += check_decode(m);
    }
    if (m != (lm_model *)&sentinel) lm_model_free(m);
    lm_vocab *v = NULL;                     // the vocabulary alone, as a tokenizer-only load does
    s = lm_vocab_load(data, size, &v);
    bad += EXPECT((s == LM_OK) == (v != NULL));
    if (v) { n_vocabs++; bad += check_vocab(v); }
    lm_vocab_free(v);
    gguf_free(&g);
    return bad;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fuzz_one(data, size)) __builtin_trap();    // a broken invariant is a finding, like a crash
    return 0;
}

#ifndef LM_FUZZER
// ---- replay build: tiny models, the seed corpus and a deterministic mutation loop ----
#include "t.h"
#include <dirent.h>
#include <sys/stat.h>

// Tiny shapes (all matrix rows are whole 32-blocks): llama 1 layer; gemma3 2 layers; gemma4
// 3 layers (SWA, full, SWA sharing layer 0's KV) with per-layer inputs. 9-26 KB each.
enum { E = 32, NH = 2, NKV = 1, HD = 16, HD_FULL = 32, FF = 32, NV = 16, NCTX = 64, NSWA = 4, PLE = 32 };
typedef struct { const char *name, *arch; int n_layer, shared; uint32_t wtype; } tiny;
static const tiny TINY[] = {
    { "tiny-llama-q8_0",  "llama",  1, 0, LM_TYPE_Q8_0 },
    { "tiny-gemma3-q4_1", "gemma3", 2, 0, LM_TYPE_Q4_1 },
    { "tiny-gemma4-q4_0", "gemma4", 3, 1, LM_TYPE_Q4_0 },
};

typedef struct { uint64_t seed; int64_t cols; float amp, bias; } fill_spec;
typedef struct { gguf_writer *w; const tiny *t; fill_spec spec[96]; int n_spec; } tiny_gen;

// Row values bias + amp * uniform(-1, 1) from an xorshift stream per (tensor, row).
static void fill_row(void *ctx, int64_t row, float *out) {
    const fill_spec *f = ctx;
    uint64_t x = f->seed * 0x9E3779B97F4A7C15ull + (uint64_t)row * 0xD1B54A32D192ED03ull + 1;
    for (int64_t i = 0; i < f->cols; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        out[i] = f->bias + f->amp * ((float)(x >> 40) / 8388608.0f - 1.0f);
    }
}

// A matrix [rows][cols] in the model's weight type, or a 1-D f32 vector when rows == 0.
static void tensor(tiny_gen *g, const char *name, int64_t cols, int64_t rows, float amp, float bias) {
    fill_spec *f = &g->spec[g->n_spec++];
    *f = (fill_spec){ (uint64_t)g->n_spec, cols, amp, bias };
    int64_t ne[2] = { cols, rows };
    gw_tensor_gen(g->w, name, rows ? g->t->wtype : LM_TYPE_F32, rows ? 2 : 1, ne, fill_row, f);
}

static void tiny_layer(tiny_gen *g, int il) {
    const tiny *t = g->t;
    bool gemma = strcmp(t->arch, "llama") != 0, g4 = !strcmp(t->arch, "gemma4");
    bool own_kv = il < t->n_layer - t->shared;
    int64_t D = g4 && il % 2 ? HD_FULL : HD, qd = NH * D, kvd = NKV * D;
    char n[64];
#define NAME(x) (snprintf(n, sizeof n, "blk.%d." x, il), n)
    tensor(g, NAME("attn_norm.weight"), E, 0, 0.1f, 1.0f);
    tensor(g, NAME("attn_q.weight"), E, qd, 0.3f, 0);
    if (own_kv) { tensor(g, NAME("attn_k.weight"), E, kvd, 0.3f, 0); tensor(g, NAME("attn_v.weight"), E, kvd, 0.3f, 0); }
    tensor(g, NAME("attn_output.weight"), qd, E, 0.1f, 0);
    if (gemma) {
        tensor(g, NAME("attn_q_norm.weight"), D, 0, 0.1f, 0.5f);
        if (own_kv) tensor(g, NAME("attn_k_norm.weight"), D, 0, 0.1f, 0.5f);
        tensor(g, NAME("post_attention_norm.weight"), E, 0, 0.1f, 1.0f);
        tensor(g, NAME("post_ffw_norm.weight"), E, 0, 0.1f, 1.0f);
    }
    tensor(g, NAME("ffn_norm.weight"), E, 0, 0.1f, 1.0f);
    tensor(g, NAME("ffn_gate.weight"), E, FF, 0.3f, 0);
    tensor(g, NAME("ffn_up.weight"), E, FF, 0.3f, 0);
    tensor(g, NAME("ffn_down.weight"), FF, E, 0.1f, 0);
    if (g4) {
        tensor(g, NAME("layer_output_scale.weight"), 1, 0, 0.1f, 0.7f);
        tensor(g, NAME("inp_gate.weight"), E, PLE, 0.3f, 0);
        tensor(g, NAME("proj.weight"), PLE, E, 0.1f, 0);
        tensor(g, NAME("post_norm.weight"), E, 0, 0.1f, 1.0f);
    }
#undef NAME
}

// 16 tokens: specials, byte tokens, a few pieces; BPE (gemma4) adds merges that build them.
static void tiny_vocab(gguf_writer *w, bool bpe) {
    static const char *const TOK[NV] = { "<pad>", "<eos>", "<bos>", "<unk>", "<0x0A>", "<0xFF>", "\xe2\x96\x81",
                                         "a", "b", "c", "ab", "bc", "abc", "\xe2\x96\x81" "a", "<start_of_turn>", "x" };
    static const char *const MERGES[] = { "a b", "b c", "ab c", "\xe2\x96\x81 a" };
    float score[NV];
    int32_t type[NV];   // GGUF token types: 1 normal, 2 unknown, 3 control, 6 byte
    for (int i = 0; i < NV; i++) {
        score[i] = -(float)i;
        type[i] = i < 3 || i == 14 ? 3 : i == 3 ? 2 : i < 6 ? 6 : 1;
    }
    gw_str(w, "tokenizer.ggml.model", bpe ? "gemma4" : "llama");
    gw_arr_str(w, "tokenizer.ggml.tokens", TOK, NV);
    gw_arr_f32(w, "tokenizer.ggml.scores", score, NV);
    gw_arr_i32(w, "tokenizer.ggml.token_type", type, NV);
    if (bpe) gw_arr_str(w, "tokenizer.ggml.merges", MERGES, sizeof MERGES / sizeof MERGES[0]);
    gw_u32(w, "tokenizer.ggml.unknown_token_id", 3);
}

static void tiny_keys(tiny_gen *g) {
    const tiny *t = g->t;
    gguf_writer *w = g->w;
    bool g4 = !strcmp(t->arch, "gemma4");
    char k[96];
#define KEY(x) (snprintf(k, sizeof k, "%s." x, t->arch), k)
    gw_str(w, "general.architecture", t->arch);
    gw_u32(w, KEY("context_length"), NCTX);
    gw_u32(w, KEY("embedding_length"), E);
    gw_u32(w, KEY("block_count"), (uint32_t)t->n_layer);
    gw_u32(w, KEY("attention.head_count"), NH);
    gw_u32(w, KEY("attention.head_count_kv"), NKV);
    gw_f32(w, KEY("attention.layer_norm_rms_epsilon"), 1e-6f);
    gw_u32(w, KEY("attention.key_length"), g4 ? HD_FULL : HD);
    gw_u32(w, KEY("attention.value_length"), g4 ? HD_FULL : HD);
    gw_u32(w, KEY("rope.dimension_count"), g4 ? HD_FULL : HD);
    gw_u32(w, "tokenizer.ggml.bos_token_id", 2);
    gw_u32(w, "tokenizer.ggml.eos_token_id", 1);
    gw_bool(w, "tokenizer.ggml.add_bos_token", true);
    tiny_vocab(w, g4);
    if (!g4) {
        gw_u32(w, KEY("feed_forward_length"), FF);
        if (strcmp(t->arch, "llama")) gw_u32(w, KEY("attention.sliding_window"), NSWA);
        return;
    }
    int32_t ff[8];
    bool swa[8];
    for (int il = 0; il < t->n_layer; il++) { ff[il] = FF; swa[il] = il % 2 == 0; }
    gw_arr_i32(w, KEY("feed_forward_length"), ff, (uint64_t)t->n_layer);
    gw_arr_bool(w, KEY("attention.sliding_window_pattern"), swa, (uint64_t)t->n_layer);
    gw_u32(w, KEY("attention.sliding_window"), NSWA);
    gw_u32(w, KEY("attention.shared_kv_layers"), (uint32_t)t->shared);
    gw_u32(w, KEY("embedding_length_per_layer_input"), PLE);
    gw_u32(w, KEY("attention.key_length_swa"), HD);
    gw_u32(w, KEY("attention.value_length_swa"), HD);
    gw_u32(w, KEY("rope.dimension_count_swa"), HD);
    gw_f32(w, KEY("rope.freq_base_swa"), 10000.0f);
    gw_f32(w, KEY("final_logit_softcapping"), 30.0f);
#undef KEY
}

static int tiny_model(const tiny *t, uint8_t **buf, uint64_t *len) {
    tiny_gen g = { gw_new(32), t, { { 0 } }, 0 };
    if (!g.w) return -1;
    tiny_keys(&g);
    tensor(&g, "token_embd.weight", E, NV, 0.3f, 0);
    tensor(&g, "output_norm.weight", E, 0, 0.1f, 1.0f);
    if (!strcmp(t->arch, "gemma4")) {
        tensor(&g, "rope_freqs.weight", HD_FULL / 2, 0, 0.0f, 1.0f);
        tensor(&g, "per_layer_token_embd.weight", (int64_t)t->n_layer * PLE, NV, 0.3f, 0);
        tensor(&g, "per_layer_model_proj.weight", E, (int64_t)t->n_layer * PLE, 0.3f, 0);
        tensor(&g, "per_layer_proj_norm.weight", PLE, 0, 0.1f, 1.0f);
    }
    for (int il = 0; il < t->n_layer; il++) tiny_layer(&g, il);
    int rc = gw_write_mem(g.w, buf, len);
    gw_free(g.w);
    return rc;
}

// ---- seeds ----

static int write_file(const char *dir, const char *name, const uint8_t *p, uint64_t n) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    int rc = !f || fwrite(p, 1, n, f) != n;
    if (f && fclose(f)) rc = 1;
    if (rc) perror(path);
    else printf("wrote %s (%llu bytes)\n", path, (unsigned long long)n);
    return rc;
}

// The tiny models, an empty GGUF and a tensor-less file with every value kind.
static int write_seeds(const char *dir) {
    int rc = 0;
    uint8_t *p;
    uint64_t n;
    for (size_t i = 0; i < sizeof TINY / sizeof TINY[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s.gguf", TINY[i].name);
        if (tiny_model(&TINY[i], &p, &n)) return 1;
        rc |= write_file(dir, name, p, n);
        free(p);
    }
    gguf_writer *w = gw_new(32);
    if (gw_write_mem(w, &p, &n)) return 1;
    rc |= write_file(dir, "empty.gguf", p, n);
    free(p);
    static const char *const strs[] = { "a", "", "ccc" };
    static const uint8_t nested[] = {          // "n": [[7]], an array of one i32 array
        1, 0, 0, 0, 0, 0, 0, 0, 'n', GGUF_ARRAY, 0, 0, 0,      // key, type
        GGUF_ARRAY, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,           // outer: element type, count
        GGUF_I32, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, // inner: type, count, value
    };
    gw_u32(w, "general.alignment", 64);
    gw_arr_str(w, "s", strs, 3);
    gw_raw_kv(w, nested, sizeof nested);
    gw_f32(w, "f", 0.5f);
    gw_bool(w, "b", false);
    static const float four[4] = { 1, 2, 3, 4 };
    gw_tensor_raw(w, "t", LM_TYPE_F32, 1, (const int64_t[]){ 4 }, four);
    if (gw_write_mem(w, &p, &n)) return 1;
    rc |= write_file(dir, "kinds.gguf", p, n);
    free(p);
    gw_free(w);
    return rc;
}

// ---- replay ----

static int replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); CHECK(0); return 0; }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(n > 0 ? (size_t)n : 1);   // exact size: ASan sees any overread
    size_t got = n > 0 ? fread(p, 1, (size_t)n, f) : 0;
    fclose(f);
    int bad = fuzz_one(p, got);
    if (bad) fprintf(stderr, "%s: %d invariants broken\n", path, bad);
    CHECK_EQ(bad, 0);
    free(p);
    return 1;
}

// Replays a file, or every file in a directory (not recursive). Returns the number replayed.
static int replay_path(const char *path) {
    struct stat st;
    if (stat(path, &st)) { printf("note: %s does not exist\n", path); return 0; }
    if (!S_ISDIR(st.st_mode)) return replay_file(path);
    DIR *d = opendir(path);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        char sub[1024];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        if (e->d_name[0] != '.' && !stat(sub, &st) && S_ISREG(st.st_mode)) n += replay_file(sub);
    }
    if (d) closedir(d);
    return n;
}

// ---- deterministic mutations of the tiny models ----

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t below(uint64_t n) {
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return n ? rng % n : 0;
}

// One edit (half the time) or two to four; seven in eight land in the header, where the structure is (the tensor data
// is only numbers). Returns the new length (<= cap).
static uint64_t mutate(uint8_t *p, uint64_t len, uint64_t cap, uint64_t header) {
    static const uint64_t VALUES[] = { 0, 1, 2, 3, 4, 7, 8, 9, 12, 13, 31, 32, 33, 255, 256, 4096, 0xFFFF,
                                       0x7FFFFFFF, 0x80000000u, 0xFFFFFFFFu, 1ull << 32, 1ull << 40, 1ull << 62,
                                       INT64_MAX, UINT64_MAX };
    for (int i = 0, n = below(2) ? 1 : 2 + (int)below(3); i < n && len; i++) {
        uint64_t at = below(8) ? below(header < len ? header : len) : below(len), k = 1 + below(16);
        switch (below(6)) {
            case 0: p[at] ^= (uint8_t)(1u << below(8)); break;
            case 1: p[at] = (uint8_t)below(256); break;
            case 2: {                                       // an interesting u32 or u64
                uint64_t v = VALUES[below(sizeof VALUES / sizeof VALUES[0])], w = below(2) ? 4 : 8;
                if (at + w <= len) memcpy(p + at, &v, w);
                break;
            }
            case 3: len = below(len); break;
            case 4:                                         // insert k random bytes
                if (len + k > cap) break;
                memmove(p + at + k, p + at, len - at);
                for (uint64_t j = 0; j < k; j++) p[at + j] = (uint8_t)below(256);
                len += k;
                break;
            default:                                        // delete up to k bytes
                if (k > len - at) k = len - at;
                memmove(p + at, p + at + k, len - at - k);
                len -= k;
        }
    }
    return len;
}

static int run_mutants(int n) {
    enum { N_TINY = sizeof TINY / sizeof TINY[0] };
    uint8_t *base[N_TINY];
    uint64_t len[N_TINY], header[N_TINY];
    for (int i = 0; i < N_TINY; i++) {
        gguf_file g;
        if (tiny_model(&TINY[i], &base[i], &len[i]) || gguf_parse(base[i], len[i], &g, NULL)) { CHECK(0); return 0; }
        header[i] = g.data_offset;
        gguf_free(&g);
        int loaded = n_loaded, decoded = n_decoded;
        CHECK_EQ(fuzz_one(base[i], len[i]), 0);
        CHECK(n_loaded == loaded + 1 && n_decoded == decoded + 1);   // the unmutated model is valid
    }
    int bad = 0;
    for (int it = 0; it < n; it++) {
        int b = it % N_TINY;
        uint64_t cap = len[b] + 64;
        uint8_t *work = malloc(cap);
        memcpy(work, base[b], len[b]);
        uint64_t m = mutate(work, len[b], cap, header[b]);
        uint8_t *exact = malloc(m ? m : 1);
        memcpy(exact, work, m);
        int r = fuzz_one(exact, m);
        if (r && bad++ < 5) fprintf(stderr, "mutant %d (of %s, %llu bytes): %d invariants broken\n", it,
                                    TINY[b].name, (unsigned long long)m, r);
        free(exact);
        free(work);
    }
    CHECK_EQ(bad, 0);
    for (int i = 0; i < N_TINY; i++) free(base[i]);
    return n;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "--write-seeds")) return write_seeds(argv[2]);
    int files = 0;
    for (int i = 1; i < argc; i++) files += replay_path(argv[i]);
    if (argc == 1) files = replay_path("tests/fixtures/fuzz");
    int loaded = n_loaded, decoded = n_decoded;
    int mutants = argc == 1 ? run_mutants(10000) : 0;
    printf("replayed %d files; %d mutants, of which %d loaded and %d decoded; %d vocabularies built\n",
           files, mutants, n_loaded - loaded, n_decoded - decoded, n_vocabs);
    return T_DONE();
}
#endif
