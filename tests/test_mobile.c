// test_mobile.c — GGUF-M (docs/FORMAT.md): the compressed-tensors converter against a synthetic
// checkpoint written independently by tests/tools/make-ct.mjs (codes and scales must match bit for
// bit), its errors on broken checkpoints, the loader's errors on broken GGUF-M files, the PTQ
// recipe and calibration, and the upstream fallback (blocks = code x fp16(row scale)).
// Files go to build/test-mobile/ (run from the repository root, as make does; needs node).
#define _POSIX_C_SOURCE 200809L   // open_memstream
#include "t.h"
#include "../src/f16.h"
#include "../src/gguf.h"
#include "../src/lm.h"
#include "../src/tensor.h"
#include "../src/kernels/kernels.h"
#include "../tools/gen.h"
#include "../tools/gguf_write.h"
#include "../tools/mobile.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

// A fresh directory per run (build/test-mobile-XXXXXX, removed at the end): several sessions may
// run the suite in the same tree at once, and a file rewritten under another run's mmap faults.
static char g_dir[64];
static const char *P(const char *name) {   // g_dir/name, from a ring of buffers
    static char ring[8][160];
    static int k;
    char *b = ring[k++ % 8];
    snprintf(b, sizeof ring[0], "%s/%s", g_dir, name);
    return b;
}

typedef struct { uint8_t *p; uint64_t n; } blob;

static blob read_all(const char *path) {
    blob b = {0};
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "cannot read %s\n", path); exit(2); }
    fseek(f, 0, SEEK_END);
    b.n = (uint64_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    b.p = malloc(b.n ? b.n : 1);
    if (fread(b.p, 1, b.n, f) != b.n) { fprintf(stderr, "short read %s\n", path); exit(2); }
    fclose(f);
    return b;
}

static void write_all(const char *path, const void *p, uint64_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n) { fprintf(stderr, "cannot write %s\n", path); exit(2); }
    fclose(f);
}

static void make_ct(const char *dir, const char *bad) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "node tests/tools/make-ct.mjs %s%s%s", dir, bad ? " --bad " : "", bad ? bad : "");
    if (system(cmd)) { fprintf(stderr, "%s failed\n", cmd); exit(2); }
}

static bool has(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

// A tensor of a parsed file as an lm_tensor view (per-channel ones with their .scale attached).
static lm_tensor view(const gguf_file *g, const char *name) {
    const gguf_tensor_info *ti = gguf_find_tensor(g, name);
    lm_tensor t = {0};
    if (!ti) return t;
    t = (lm_tensor){ .data = gguf_tensor_data(g, ti), .type = (lm_type)ti->type, .cols = ti->ne[0],
                     .rows = ti->ne[1] * ti->ne[2] * ti->ne[3], .row_bytes = gguf_type_bytes(ti->type, ti->ne[0]) };
    char sn[160];
    snprintf(sn, sizeof sn, "%.*s.scale", (int)(strlen(name) - 7), name);
    const gguf_tensor_info *si = gguf_find_tensor(g, sn);
    if (si && lm_type_traits_of(t.type) && lm_type_traits_of(t.type)->per_channel) {
        t.scale = (const float *)gguf_tensor_data(g, si);
        t.scale_groups = si->n_dims == 1 ? 1 : (int32_t)si->ne[0];
    }
    return t;
}

static float f32_at(const gguf_file *g, const char *name) {
    const gguf_tensor_info *ti = gguf_find_tensor(g, name);
    float v = -1.0f;
    if (ti) memcpy(&v, gguf_tensor_data(g, ti), 4);
    return v;
}

// ======================= convert-ct: bit-exact against expected.bin =======================

static int check_weight(const gguf_file *g, const char *name, const uint8_t **p) {
    uint32_t rows, cols, groups;
    memcpy(&rows, *p, 4); memcpy(&cols, *p + 4, 4); memcpy(&groups, *p + 8, 4);
    const int8_t *codes = (const int8_t *)(*p + 12);
    const float *scales = (const float *)(codes + (size_t)rows * cols);   // may be unaligned: memcpy below
    *p += 12 + (size_t)rows * cols + 4 * (size_t)rows * groups;
    lm_tensor t = view(g, name);
    if (!t.data || !t.scale || t.rows != rows || t.cols != cols || t.scale_groups != (int32_t)groups) {
        fprintf(stderr, "%s: missing or wrong shape/scales\n", name);
        return 1;
    }
    float *unit = malloc(cols * sizeof *unit), *deq = malloc(cols * sizeof *deq);
    int bad = 0;
    for (uint32_t r = 0; r < rows && !bad; r++) {
        lm_type_traits_of(t.type)->to_float((const uint8_t *)t.data + r * t.row_bytes, unit, cols);
        lm_tensor_row(&t, r, deq);
        for (uint32_t c = 0; c < cols; c++) {
            float s;
            memcpy(&s, scales + (size_t)r * groups + c / (cols / groups), 4);
            int8_t q = codes[(size_t)r * cols + c];
            if (unit[c] != (float)q || deq[c] != (float)q * s || t.scale[r * groups + c / (cols / groups)] != s) {
                fprintf(stderr, "%s[%u][%u]: code %g scale %g, expected %d x %g\n", name, r, c, unit[c],
                        t.scale[r * groups + c / (cols / groups)], q, s);
                bad = 1;
                break;
            }
        }
    }
    free(unit); free(deq);
    return bad;
}

static void test_ct_exact(void) {
    make_ct(P("ct"), NULL);
    lm_status s = ct_convert(P("ct"), P("ct.gguf"), NULL);
    if (s) fprintf(stderr, "ct_convert: %s\n", lm_errmsg());
    CHECK_EQ(s, LM_OK);
    blob m = read_all(P("ct.gguf")), e = read_all(P("ct/expected.bin"));
    gguf_file g;
    CHECK_EQ(gguf_parse(m.p, m.n, &g, NULL), LM_OK);
    int n_weights = 0, n_act = 0, n_float = 0, bad = 0;
    for (const uint8_t *p = e.p; p < e.p + e.n;) {
        uint32_t nl, kind;
        char name[160];
        memcpy(&nl, p, 4);
        snprintf(name, sizeof name, "%.*s", (int)nl, (const char *)p + 4);
        memcpy(&kind, p + 4 + nl, 4);
        p += 8 + nl;
        if (kind == 0) { bad += check_weight(&g, name, &p); n_weights++; continue; }
        uint32_t n = 1;
        if (kind == 2) { memcpy(&n, p, 4); p += 4; }
        const gguf_tensor_info *ti = gguf_find_tensor(&g, name);
        if (!ti || ti->type != LM_TYPE_F32 || (uint64_t)ti->ne[0] * ti->ne[1] != n || memcmp(gguf_tensor_data(&g, ti), p, 4 * n)) {
            fprintf(stderr, "%s: differs from the checkpoint\n", name);
            bad++;
        }
        p += 4 * n;
        kind == 1 ? n_act++ : n_float++;
    }
    CHECK_EQ(bad, 0);
    CHECK(n_weights == 2 + 1 + 6 * 9 - 3 * 2 && n_float > 40);   // embed, PLE, model proj; 9 per layer minus k/v in 3
    int act_tensors = 0;                                          // 0 ("uncalibrated") activation scales are dropped
    for (uint64_t i = 0; i < g.n_tensors; i++)
        act_tensors += has(g.tensors[i].name.ptr, "put_scale") && g.tensors[i].name.ptr[g.tensors[i].name.len - 1] == 'e';
    CHECK_EQ(act_tensors, n_act);
    CHECK(gguf_find_tensor(&g, "blk.0.attn_k.output_scale") == NULL && gguf_find_tensor(&g, "blk.0.attn_k.input_scale"));
    // PLE last: its scales, then its codes; wq.resident_end is where they begin
    const gguf_tensor_info *ps = gguf_find_tensor(&g, "per_layer_token_embd.scale"), *pw = gguf_find_tensor(&g, "per_layer_token_embd.weight");
    uint64_t last = 0;
    for (uint64_t i = 0; i < g.n_tensors; i++) if (&g.tensors[i] != ps && &g.tensors[i] != pw && g.tensors[i].offset > last) last = g.tensors[i].offset;
    const gguf_kv *re = gguf_find(&g, "wq.resident_end");
    uint64_t rend = 0;
    if (re) memcpy(&rend, re->data, 8);
    CHECK(ps && pw && ps->offset > last && pw->offset > ps->offset && re && re->type == GGUF_U64 && rend == ps->offset);
    CHECK(ps && ps->type == LM_TYPE_F32 && ps->n_dims == 2 && ps->ne[0] == 6 && pw->type == LM_TYPE_Q4_C);
    gguf_free(&g);

    // the engine loads it and runs with and without the static activation scales
    lm_model *md;
    CHECK_EQ(lm_model_load(m.p, m.n, &md), LM_OK);
    float first[2] = {0, 0};
    for (int st = 0; st < 2 && md; st++) {
        lm_ctx_params cp = lm_ctx_default_params();
        cp.n_ctx = 64;
        cp.no_static_act = st;
        lm_ctx *c;
        lm_token toks[5] = { 2, 300, 301, 400, 17 };
        CHECK_EQ(lm_ctx_new(md, &cp, &c), LM_OK);
        CHECK_EQ(lm_decode(c, toks, 5), LM_OK);
        first[st] = lm_logits(c, 0)[7];
        lm_ctx_free(c);
    }
    CHECK(isfinite(first[0]) && isfinite(first[1]) && first[0] != first[1]);
    lm_model_free(md);
    free(m.p); free(e.p);
}

// ======================= convert-ct: broken checkpoints =======================

static void test_ct_bad(void) {
    static const struct { const char *kind; lm_status want; const char *msg; } CASES[] = {
        { "missing-scale", LM_MISSING_TENSOR, "q_proj.weight_scale' is missing" },
        { "scale-len",     LM_BAD_SHAPE,      "q_proj.weight_scale': 255 values" },
        { "nan-scale",     LM_CORRUPT,        "q_proj.weight_scale'[2] = nan" },
        { "group-scale",   LM_BAD_SHAPE,      "expected [256, 1] (channel strategy)" },
        { "bits-mismatch", LM_BAD_SHAPE,      "holds 4-bit codes of weight_shape [256, 256], but quantization_config says 2 bits" },
        { "code-range",    LM_CORRUPT,        "is out of range for 4 bits" },
        { "zero-point",    LM_UNSUPPORTED,    "k_proj.weight_zero_point': nonzero zero point" },
        { "missing-shard", LM_IO,             "model-00003-of-00003.safetensors: cannot open" },
        { "index-wrong",   LM_MISSING_TENSOR, "maps 'model.language_model.norm.weight' to" },
        { "truncated",     LM_CORRUPT,        "data_offsets outside" },
        { "no-group",      LM_CORRUPT,        "no quantization_config group targets the quantized module" },
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        char dir[128];
        snprintf(dir, sizeof dir, "%s/bad-%s", g_dir, CASES[i].kind);
        make_ct(dir, CASES[i].kind);
        lm_status s = ct_convert(dir, P("bad.gguf"), NULL);
        bool ok = s == CASES[i].want && has(lm_errmsg(), CASES[i].msg);
        if (!ok) fprintf(stderr, "bad checkpoint %s: %s: %s\n", CASES[i].kind, lm_status_name(s), lm_errmsg());
        CHECK(ok);
        struct stat sb;
        CHECK(stat(P("bad.gguf"), &sb) != 0);   // nothing left behind
    }
}

// ======================= PTQ: recipe, overrides, calibration =======================

static blob gen_file(const char *preset, int type, const char *path) {
    char *p = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&p, &n);
    if (!f || gen_model(&(gen_opts){ preset, type, 3, 0 }, f)) { fprintf(stderr, "gen failed\n"); exit(2); }
    fclose(f);
    write_all(path, p, n);
    blob b = { (uint8_t *)p, n };
    return b;
}

// RMS of (w - w') / RMS of w over a tensor.
static double rel_rms(const gguf_file *src, const gguf_file *q, const char *name) {
    lm_tensor a = view(src, name), b = view(q, name);
    float *x = malloc(a.cols * sizeof *x), *y = malloc(a.cols * sizeof *y);
    double e = 0, w = 0;
    for (int64_t r = 0; r < a.rows; r++) {
        lm_tensor_row(&a, r, x);
        lm_tensor_row(&b, r, y);
        for (int64_t c = 0; c < a.cols; c++) { e += (x[c] - y[c]) * (double)(x[c] - y[c]); w += (double)x[c] * x[c]; }
    }
    free(x); free(y);
    return sqrt(e / w);
}

static void test_ptq(void) {
    blob src = gen_file("gemma4-e2b-tiny", LM_TYPE_F32, P("g4.gguf"));
    FILE *f = fopen(P("calib.txt"), "w");
    for (int i = 0; i < 300; i++) fprintf(f, "%d%c", 260 + (i * 37) % 250, i % 16 == 15 ? '\n' : ' ');
    fclose(f);
    mq_opts o = { .calib_tokens = P("calib.txt"), .calib_pct = 99.9f, .n_overrides = 1, .overrides = { "blk.0.ffn_up.weight=i8" } };
    lm_status s = mq_quantize(P("g4.gguf"), P("g4-m.gguf"), &o);
    if (s) fprintf(stderr, "mq_quantize: %s\n", lm_errmsg());
    CHECK_EQ(s, LM_OK);
    blob m = read_all(P("g4-m.gguf"));
    gguf_file gs, gm;
    CHECK_EQ(gguf_parse(src.p, src.n, &gs, NULL), LM_OK);
    CHECK_EQ(gguf_parse(m.p, m.n, &gm, NULL), LM_OK);
    // gemma4-e2b-tiny: 6 layers, layers 3..5 share KV -> their MLPs are 2-bit
    static const struct { const char *name; lm_type type; double max_rel; } WANT[] = {
        { "token_embd.weight", LM_TYPE_Q2_C, 0.6 },        { "per_layer_token_embd.weight", LM_TYPE_Q4_C, 0.15 },
        { "per_layer_model_proj.weight", LM_TYPE_I8, 0.01 }, { "blk.0.attn_q.weight", LM_TYPE_Q4_C, 0.15 },
        { "blk.0.ffn_gate.weight", LM_TYPE_Q4_C, 0.15 },    { "blk.0.ffn_up.weight", LM_TYPE_I8, 0.01 },
        { "blk.4.ffn_down.weight", LM_TYPE_Q2_C, 0.6 },     { "blk.4.attn_output.weight", LM_TYPE_Q4_C, 0.15 },
        { "blk.2.inp_gate.weight", LM_TYPE_I8, 0.01 },      { "blk.5.proj.weight", LM_TYPE_I8, 0.01 },
    };
    for (size_t i = 0; i < sizeof WANT / sizeof WANT[0]; i++) {
        const gguf_tensor_info *ti = gguf_find_tensor(&gm, WANT[i].name);
        double e = ti ? rel_rms(&gs, &gm, WANT[i].name) : 1e9;
        bool ok = ti && ti->type == (uint32_t)WANT[i].type && e < WANT[i].max_rel;
        if (!ok) fprintf(stderr, "ptq %s: type %s, rel rms error %.3g\n", WANT[i].name, ti ? lm_type_name((int)ti->type) : "-", e);
        CHECK(ok);
    }
    const gguf_tensor_info *ps = gguf_find_tensor(&gm, "per_layer_token_embd.scale");
    CHECK(ps && ps->n_dims == 2 && ps->ne[0] == 6 && ps->ne[1] == 512);
    // calibrated: inputs everywhere, no output scale on the LM head, outputs on the others
    CHECK(f32_at(&gm, "token_embd.input_scale") > 0 && !gguf_find_tensor(&gm, "token_embd.output_scale"));
    CHECK(f32_at(&gm, "blk.1.attn_q.input_scale") > 0 && f32_at(&gm, "blk.1.attn_q.output_scale") > 0);
    CHECK(f32_at(&gm, "blk.1.ffn_norm.weight") == f32_at(&gs, "blk.1.ffn_norm.weight"));
    const gguf_kv *sch = gguf_find(&gm, "wq.scheme");
    CHECK(sch && sch->type == GGUF_STRING);
    gguf_free(&gs); gguf_free(&gm);
    free(src.p); free(m.p);

    // bad options
    mq_opts bad = { .n_overrides = 1, .overrides = { "blk.*.ffn_up.weight=q9_9" }, .calib_pct = 99.9f };
    CHECK(mq_quantize(P("g4.gguf"), P("x.gguf"), &bad) == LM_INVALID_ARG && has(lm_errmsg(), "unknown weight type 'q9_9'"));
    CHECK(mq_quantize(P("g4-m.gguf"), P("x.gguf"), &(mq_opts){ .calib_pct = 99.9f }) == LM_UNSUPPORTED && has(lm_errmsg(), "the input is GGUF-M"));
}

// ======================= fallback: code x fp16(row scale), upstream types =======================

static float q2_0_value(const uint8_t *blk, int e) {   // ggml Q2_0: x = (q - 1) * d, codes consecutive
    uint16_t d;
    memcpy(&d, blk, 2);
    return (float)(((blk[2 + e / 4] >> (2 * (e % 4))) & 3) - 1) * lm_f16_to_f32(d);
}

static void test_fallback(void) {
    CHECK_EQ(mq_fallback(P("g4-m.gguf"), P("g4-f.gguf")), LM_OK);
    blob m = read_all(P("g4-m.gguf")), fb = read_all(P("g4-f.gguf"));
    gguf_file gm, gf;
    CHECK_EQ(gguf_parse(m.p, m.n, &gm, NULL), LM_OK);
    CHECK_EQ(gguf_parse(fb.p, fb.n, &gf, NULL), LM_OK);
    static const struct { const char *name; uint32_t type; } T[] = {
        { "token_embd.weight", 42 }, { "blk.4.ffn_up.weight", 42 }, { "blk.0.attn_q.weight", 2 },
        { "per_layer_token_embd.weight", 2 }, { "blk.0.ffn_up.weight", 8 }, { "per_layer_model_proj.weight", 8 },
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        const gguf_tensor_info *ti = gguf_find_tensor(&gf, T[i].name);
        lm_tensor w = view(&gm, T[i].name);
        if (!ti || ti->type != T[i].type) { fprintf(stderr, "fallback %s: wrong type\n", T[i].name); bad++; continue; }
        const uint8_t *d = gguf_tensor_data(&gf, ti);
        int64_t rb = gguf_type_bytes(ti->type, ti->ne[0]), g = w.scale_groups, len = w.cols / g;
        float *unit = malloc(w.cols * sizeof *unit), *got = malloc(w.cols * sizeof *got);
        for (int64_t r = 0; r < w.rows && !bad; r++) {
            const uint8_t *row = d + r * rb;
            lm_type_traits_of(w.type)->to_float((const uint8_t *)w.data + r * w.row_bytes, unit, w.cols);
            if (ti->type == 2) dequant_q4_0_ref(row, got, w.cols);
            else if (ti->type == 8) dequant_q8_0_ref(row, got, w.cols);
            else for (int64_t c = 0; c < w.cols; c++) got[c] = q2_0_value(row + 18 * (c / 64), (int)(c % 64));
            for (int64_t c = 0; c < w.cols; c++)
                if (got[c] != unit[c] * lm_f16_to_f32(lm_f32_to_f16(w.scale[r * g + c / len]))) {
                    fprintf(stderr, "fallback %s[%lld][%lld] = %g, want %g x fp16(%g)\n", T[i].name, (long long)r, (long long)c,
                            got[c], unit[c], w.scale[r * g + c / len]);
                    bad++;
                    break;
                }
        }
        free(unit); free(got);
    }
    CHECK_EQ(bad, 0);
    CHECK(!gguf_find_tensor(&gf, "blk.0.attn_q.scale") && !gguf_find_tensor(&gf, "blk.0.attn_q.input_scale"));
    CHECK(!gguf_find(&gf, "wq.scheme") && gguf_find(&gf, "tokenizer.ggml.tokens") && gguf_find_tensor(&gf, "blk.0.attn_norm.weight"));
    gguf_free(&gm); gguf_free(&gf);
    free(m.p); free(fb.p);
}

// ======================= loader: broken GGUF-M files =======================

// The GGUF-M file with tensor `name` dropped (data NULL) or replaced by (type, n_dims, ne, data).
static blob rewrite(const blob *src, const char *name, uint32_t type, int n_dims, const int64_t *ne, const void *data) {
    gguf_file g;
    if (gguf_parse(src->p, src->n, &g, NULL)) exit(2);
    gguf_writer *w = gw_new(32);
    for (uint64_t i = 0; i < g.n_kv; i++) gw_copy_kv(w, &g.kv[i]);
    for (uint64_t i = 0; i < g.n_tensors; i++) {
        const gguf_tensor_info *t = &g.tensors[i];
        char n[160];
        snprintf(n, sizeof n, "%.*s", (int)t->name.len, t->name.ptr);
        if (strcmp(n, name)) gw_tensor_raw(w, n, t->type, (int)t->n_dims, t->ne, gguf_tensor_data(&g, t));
        else if (data) gw_tensor_raw(w, n, type, n_dims, ne, data);
    }
    blob b;
    if (gw_write_mem(w, &b.p, &b.n)) exit(2);
    gw_free(w);
    gguf_free(&g);
    return b;
}

static void test_loader_bad(void) {
    blob m = read_all(P("g4-m.gguf"));
    static float vals[4096], nan_at[256], neg = -0.5f, two[2] = { 0.1f, 0.1f };
    for (int i = 0; i < 4096; i++) vals[i] = 0.01f;
    memcpy(nan_at, vals, sizeof nan_at);
    nan_at[77] = NAN;
    static const uint16_t h[256];
    const struct { const char *tensor; uint32_t type; int nd; int64_t ne[2]; const void *data; lm_status want; const char *msg; } CASES[] = {
        { "blk.0.attn_q.scale", 0, 0, {0}, NULL, LM_MISSING_TENSOR, "'blk.0.attn_q.weight' (q4_c) needs its per-row scales 'blk.0.attn_q.scale'" },
        { "blk.0.attn_q.scale", 0, 1, { 255 }, vals, LM_BAD_SHAPE, "tensor 'blk.0.attn_q.scale': 255 x 1 scales do not fit" },
        { "blk.0.attn_q.scale", 0, 2, { 2, 256 }, vals, LM_BAD_SHAPE, "256 x 2 scales do not fit 'blk.0.attn_q.weight'" },
        { "blk.0.attn_q.scale", 0, 1, { 256 }, nan_at, LM_CORRUPT, "'blk.0.attn_q.scale': scale [77] is nan" },
        { "blk.0.attn_q.scale", 1, 1, { 256 }, h, LM_UNSUPPORTED_TYPE, "row scales must be f32, not f16" },
        { "token_embd.scale", 0, 1, { 511 }, vals, LM_BAD_SHAPE, "'token_embd.scale'" },
        { "blk.1.ffn_up.input_scale", 0, 1, { 1 }, &neg, LM_CORRUPT, "activation scale -0.5" },
        { "blk.1.ffn_up.output_scale", 0, 1, { 2 }, two, LM_BAD_SHAPE, "an activation scale is one f32" },
        { "per_layer_token_embd.scale", 0, 2, { 4, 512 }, vals, LM_BAD_SHAPE, "'per_layer_token_embd.scale'" },
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        blob b = rewrite(&m, CASES[i].tensor, CASES[i].type, CASES[i].nd, CASES[i].ne, CASES[i].data);
        lm_model *md = NULL;
        lm_status s = lm_model_load(b.p, b.n, &md);
        bool ok = s == CASES[i].want && has(lm_errmsg(), CASES[i].msg);
        if (!ok) fprintf(stderr, "bad GGUF-M #%zu: %s: %s\n", i, lm_status_name(s), lm_errmsg());
        CHECK(ok && !md);
        lm_model_free(md);
        free(b.p);
    }
    free(m.p);
}

int main(void) {
    mkdir("build", 0755);
    snprintf(g_dir, sizeof g_dir, "build/test-mobile-XXXXXX");
    if (!mkdtemp(g_dir)) { perror("mkdtemp"); return 2; }
    test_ct_exact();
    test_ct_bad();
    test_ptq();
    test_fallback();
    test_loader_bad();
    char rm[128];
    snprintf(rm, sizeof rm, "rm -rf %s", g_dir);
    if (!t_fail && system(rm)) fprintf(stderr, "could not remove %s\n", g_dir);   // kept on failure, to look at
    return T_DONE();
}
