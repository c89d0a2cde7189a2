// quantize.c — `pocketlm quantize --mobile IN.gguf OUT.gguf [...]`: post-training quantization of a
// float (F32/F16/BF16) or Q8_0 GGUF into GGUF-M (docs/FORMAT.md): per-channel q2_c/q4_c/i8 by a
// recipe with per-tensor overrides, row scales by a small MSE search, and optional static int8
// activation scales calibrated by running the engine over tokens (a percentile of |x|).
// `--fallback` is in fallback.c.
#define _POSIX_C_SOURCE 200809L   // fnmatch, strdup
#include "mobile.h"
#include "mq.h"
#include "gguf_write.h"
#include "safetensors.h"
#include "../src/kernels/kernels.h"
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---- recipe ----

// The E2B mobile recipe (quant-formats.md §1.2): 2-bit tied embedding/LM head and the MLPs of the
// shared-KV (double-wide) layers, 8-bit per-layer-input projections, 4-bit PLE table and the rest.
lm_type mq_recipe_type(const char *recipe, const char *name, int n_layer_kv, int n_layer) {
    int il = -1;
    char part[64] = "";
    sscanf(name, "blk.%d.%63[^.]", &il, part);
    bool embed = !strcmp(name, "token_embd.weight") || !strcmp(name, "output.weight");
    bool ple_lin = !strcmp(name, "per_layer_model_proj.weight") || !strcmp(part, "inp_gate") || !strcmp(part, "proj");
    bool late_mlp = il >= 0 && n_layer_kv < n_layer && il >= n_layer_kv && !strncmp(part, "ffn_", 4);
    if (!strcmp(recipe, "i8")) return LM_TYPE_I8;
    if (ple_lin) return LM_TYPE_I8;
    if (!strcmp(recipe, "q4")) return LM_TYPE_Q4_C;
    return embed || late_mlp ? LM_TYPE_Q2_C : LM_TYPE_Q4_C;
}

static int type_by_name(const char *s) {
    for (int t = 0; t < LM_TYPE_COUNT; t++) {
        const lm_type_traits *tr = lm_type_traits_of(t);
        if (tr && !strcmp(tr->name, s) && tr->from_float && (lm_kernels_ref.vec_dot[t] || lm_kernels_ref.dot_pc[t])) return t;
    }
    return -1;
}

static lm_status plan(mq_job *j, const mq_opts *o) {
    lm_model_info in;
    lm_model_get_info(j->model, &in);
    for (int64_t i = 0; i < j->n; i++) {
        mq_tensor *t = &j->t[i];
        const char *name = t->name;
        t->type = t->src.type;
        t->copy = true;
        if (t->ti->n_dims < 2) continue;                                   // vectors stay as they are
        if (lm_type_traits_of(t->src.type)->per_channel)
            return lm_fail(LM_UNSUPPORTED, "'%s' is already %s: the input is GGUF-M", name, lm_type_name(t->src.type));
        int type = mq_recipe_type(o->recipe ? o->recipe : "e2b", name, in.n_layer_kv, in.n_layer);
        for (int k = 0; k < o->n_overrides; k++) {
            const char *eq = strrchr(o->overrides[k], '=');
            char glob[128];
            if (!eq || eq - o->overrides[k] >= (long)sizeof glob)
                return lm_fail(LM_INVALID_ARG, "--tensor '%s': expected GLOB=TYPE", o->overrides[k]);
            snprintf(glob, sizeof glob, "%.*s", (int)(eq - o->overrides[k]), o->overrides[k]);
            if (fnmatch(glob, name, 0)) continue;
            if ((type = type_by_name(eq + 1)) < 0)
                return lm_fail(LM_INVALID_ARG, "--tensor '%s': unknown weight type '%s'", o->overrides[k], eq + 1);
        }
        t->table = !strcmp(name, "per_layer_token_embd.weight");
        // per-channel types need whole blocks per row (per group for the PLE table)
        int64_t len = t->table ? t->src.cols / in.n_layer : t->src.cols;
        if (type == LM_TYPE_Q2_C && len % LM_QK2_C) type = LM_TYPE_Q4_C;
        if (type == LM_TYPE_Q4_C && len % LM_QK4_C) type = LM_TYPE_I8;
        if (lm_row_bytes(type, t->src.cols) < 0)
            return lm_fail(LM_INVALID_ARG, "'%s': %lld columns are not whole %s blocks", name, (long long)t->src.cols, lm_type_name(type));
        t->type = (lm_type)type;
        t->copy = type == (int)t->src.type;
        t->groups = t->table && lm_type_traits_of(type)->per_channel ? in.n_layer : 1;
    }
    return LM_OK;
}

// ---- row scales: the scale minimizing the squared rounding error over a grid ----

static double sq_err(const float *x, int64_t n, float s, int lo, int hi) {
    double e = 0.0;
    for (int64_t i = 0; i < n; i++) {
        float v = x[i] / s;
        v = v < (float)lo ? (float)lo : v > (float)hi ? (float)hi : v;
        double d = (double)x[i] - (double)s * lm_nearest_int(v);
        e += d * d;
    }
    return e;
}

float mq_best_scale(const float *x, int64_t n, lm_type type) {
    float amax = 0.0f;
    for (int64_t i = 0; i < n; i++) amax = fmaxf(amax, fabsf(x[i]));
    if (amax == 0.0f || !isfinite(amax)) return 0.0f;
    int bits = type == LM_TYPE_Q2_C ? 2 : type == LM_TYPE_Q4_C ? 4 : 8, lo = -(1 << (bits - 1)), hi = -lo - 1;
    if (bits == 8) return amax / 127.0f;
    float best = amax / (float)hi;
    double best_err = INFINITY;
    for (int k = 0; k <= 24; k++) {          // amax maps to t in [hi/2, -lo]: clip some, or waste levels
        float t = 0.5f * (float)hi + (float)k * ((float)-lo - 0.5f * (float)hi) / 24.0f, s = amax / t;
        double e = sq_err(x, n, s, lo, hi);
        if (e < best_err) { best_err = e; best = s; }
    }
    return best;
}

static lm_status row_scales(mq_tensor *t) {
    if (!lm_type_traits_of(t->type)->per_channel) return LM_OK;
    int64_t rows = t->src.rows, cols = t->src.cols, len = cols / t->groups;
    t->scale = malloc((size_t)(rows * t->groups) * sizeof *t->scale);
    t->row = malloc((size_t)cols * sizeof *t->row);
    t->unit = malloc((size_t)cols * sizeof *t->unit);
    if (!t->scale || !t->row || !t->unit) return lm_fail(LM_NOMEM, "scales of '%s'", t->name);
    for (int64_t r = 0; r < rows; r++) {
        lm_tensor_row(&t->src, r, t->row);
        for (int64_t g = 0; g < t->groups; g++) t->scale[r * t->groups + g] = mq_best_scale(t->row + g * len, len, t->type);
    }
    return LM_OK;
}

// Row r of a per-channel tensor: source row / its scale (0 for a zero scale), then the type's
// unit-scale quantizer (round half to even, clamp).
static void fill_channel(void *ctx, int64_t r, uint8_t *out) {
    mq_tensor *t = ctx;
    int64_t len = t->src.cols / t->groups;
    lm_tensor_row(&t->src, r, t->row);
    for (int64_t i = 0; i < t->src.cols; i++) {
        float s = t->scale[r * t->groups + i / len];
        t->unit[i] = s != 0.0f ? t->row[i] / s : 0.0f;
    }
    lm_type_traits_of(t->type)->from_float(t->unit, out, t->src.cols);
}

static void fill_float(void *ctx, int64_t r, float *out) { lm_tensor_row(&((mq_tensor *)ctx)->src, r, out); }

// ---- writing ----

static void add_all(mq_job *j, uint64_t *resident_end) {
    char n[160];
    int64_t one[1] = { 1 };
    mq_tensor *ple = NULL;
    for (int pass = 0; pass < 3; pass++)
        for (int64_t i = 0; i < j->n; i++) {
            mq_tensor *t = &j->t[i];
            bool pc = lm_type_traits_of(t->type)->per_channel, vec = t->ti->n_dims < 2;
            int64_t ne[2] = { t->src.cols, t->src.rows }, nes[2] = { t->groups, t->src.rows };
            if (pc && t->table) { ple = t; continue; }
            if (pass == 0 && vec) gw_tensor_raw(j->w, t->name, t->ti->type, (int)t->ti->n_dims, t->ti->ne, mq_data(j, t));
            if (pass == 1 && pc) {
                snprintf(n, sizeof n, "%s.scale", t->base);
                gw_tensor_raw(j->w, n, LM_TYPE_F32, 1, &nes[1], t->scale);
                snprintf(n, sizeof n, "%s.input_scale", t->base);
                if (t->in_scale > 0.0f) gw_tensor_raw(j->w, n, LM_TYPE_F32, 1, one, &t->in_scale);
                snprintf(n, sizeof n, "%s.output_scale", t->base);
                if (t->out_scale > 0.0f) gw_tensor_raw(j->w, n, LM_TYPE_F32, 1, one, &t->out_scale);
            }
            if (pass != 2 || vec) continue;
            if (pc) gw_tensor_bytes(j->w, t->name, t->type, 2, ne, fill_channel, t);
            else if (t->copy) gw_tensor_raw(j->w, t->name, t->ti->type, (int)t->ti->n_dims, t->ti->ne, mq_data(j, t));
            else gw_tensor_gen(j->w, t->name, t->type, 2, ne, fill_float, t);
        }
    *resident_end = gw_data_size(j->w);
    if (!ple) return;
    int64_t ne[2] = { ple->src.cols, ple->src.rows }, nes[2] = { ple->groups, ple->src.rows };
    snprintf(n, sizeof n, "%s.scale", ple->base);
    gw_tensor_raw(j->w, n, LM_TYPE_F32, ple->groups > 1 ? 2 : 1, ple->groups > 1 ? nes : &nes[1], ple->scale);
    gw_tensor_bytes(j->w, ple->name, ple->type, 2, ne, fill_channel, ple);
}

static void write_keys(mq_job *j, const char *in_path, const mq_opts *o, uint64_t resident_end) {
    for (uint64_t i = 0; i < j->g.n_kv; i++)
        if (!(j->g.kv[i].key.len > 3 && !memcmp(j->g.kv[i].key.ptr, "wq.", 3))) gw_copy_kv(j->w, &j->g.kv[i]);
    const char *base = strrchr(in_path, '/') ? strrchr(in_path, '/') + 1 : in_path;
    char src[400], calib[200];
    snprintf(src, sizeof src, "ptq:%s", base);
    if (j->n_calib) snprintf(calib, sizeof calib, "%lld tokens, p%g of |x|%s", (long long)j->n_calib, (double)j->pct,
                             o->no_output_scales ? ", inputs only" : "");
    else snprintf(calib, sizeof calib, "none (dynamic activations)");
    gw_str(j->w, "wq.scheme", "wNa8o8");
    gw_u32(j->w, "wq.version", 1);
    gw_u32(j->w, "wq.act_bits", 8);
    gw_i32(j->w, "wq.act_qmin", -128);
    gw_i32(j->w, "wq.act_qmax", 127);
    gw_str(j->w, "wq.act_round", "half_even");
    gw_str(j->w, "wq.source", src);
    gw_str(j->w, "wq.recipe", o->recipe ? o->recipe : "e2b");
    gw_str(j->w, "wq.calibration", calib);
    gw_u64(j->w, "wq.resident_end", resident_end);
}

lm_status mq_quantize(const char *in_path, const char *out_path, const mq_opts *o) {
    mq_job j;
    lm_status s = mq_open(&j, in_path);
    if (!s) s = plan(&j, o);
    for (int64_t i = 0; !s && i < j.n; i++) s = row_scales(&j.t[i]);
    if (!s && (o->calib_tokens || o->calib_text)) s = mq_calibrate(&j, o);
    if (!s && !(j.w = gw_new(32))) s = lm_fail(LM_NOMEM, "writer");
    if (!s) {
        uint64_t resident_end;
        add_all(&j, &resident_end);
        write_keys(&j, in_path, o, resident_end);
        s = mq_write(&j, out_path);
    }
    mq_close(&j);
    return s;
}

int cmd_quantize(int argc, char **argv) {
    mq_opts o = { .calib_pct = 99.99f };
    const char *pos[2] = {0};
    int np = 0, mode = 0;   // 1 = --mobile, 2 = --fallback
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--mobile")) mode = 1;
        else if (!strcmp(a, "--fallback")) mode = 2;
        else if (!strcmp(a, "--no-output-scales")) o.no_output_scales = true;
        else if (a[0] != '-' && np < 2) pos[np++] = a;
        else if (!v) { np = -1; break; }
        else if (!strcmp(a, "--recipe")) o.recipe = argv[++i];
        else if (!strcmp(a, "--calib")) o.calib_text = argv[++i];
        else if (!strcmp(a, "--calib-tokens")) o.calib_tokens = argv[++i];
        else if (!strcmp(a, "--calib-pct")) o.calib_pct = strtof(argv[++i], NULL);
        else if (!strcmp(a, "--tensor") && o.n_overrides < 32) o.overrides[o.n_overrides++] = argv[++i];
        else { np = -1; break; }
    }
    if (np != 2 || !mode || (o.recipe && strcmp(o.recipe, "e2b") && strcmp(o.recipe, "q4") && strcmp(o.recipe, "i8")) ||
        !(o.calib_pct > 0.0f && o.calib_pct <= 100.0f)) {
        fprintf(stderr, "usage: pocketlm quantize --mobile IN.gguf OUT.gguf [--recipe e2b|q4|i8] [--tensor GLOB=TYPE]...\n"
                        "                         [--calib-tokens IDS.txt | --calib TEXT.txt] [--calib-pct 99.99] [--no-output-scales]\n"
                        "       pocketlm quantize --fallback IN-m.gguf OUT.gguf\n");
        return 2;
    }
    lm_status s = mode == 1 ? mq_quantize(pos[0], pos[1], &o) : mq_fallback(pos[0], pos[1]);
    if (s) { fprintf(stderr, "quantize: %s: %s\n", lm_status_name(s), lm_errmsg()); return 1; }
    return 0;
}
