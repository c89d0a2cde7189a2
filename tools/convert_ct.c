// convert_ct.c — `pocketlm convert-ct DIR OUT.gguf [--vocab V.gguf]`: Google's compressed-tensors
// "qat-mobile" checkpoint -> GGUF-M (docs/FORMAT.md §5), codes and scales bit for bit.
// Each quantized module's scheme comes from config.json's quantization_config (exact name >
// regex > class targets) and is cross-checked against the tensors' shapes; anything the format
// cannot hold exactly (group scales on a matmul, asymmetric codes, float types) is an error.
#define _POSIX_C_SOURCE 200809L   // regex, strdup
#include "mobile.h"
#include "ct_hparams.h"
#include "json.h"
#include "safetensors.h"
#include "gguf_write.h"
#include "../src/tensor.h"
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---- HF module -> GGUF base name (specs/gemma4-arch.md §2); order = position in the file ----
static const char *const GLOBAL_NAMES[][2] = {
    { "embed_tokens", "token_embd" }, { "norm", "output_norm" }, { "per_layer_model_projection", "per_layer_model_proj" },
    { "per_layer_projection_norm", "per_layer_proj_norm" }, { "embed_tokens_per_layer", "per_layer_token_embd" },
};
static const char *const LAYER_NAMES[][2] = {
    { "input_layernorm", "attn_norm" }, { "self_attn.q_proj", "attn_q" }, { "self_attn.k_proj", "attn_k" },
    { "self_attn.v_proj", "attn_v" }, { "self_attn.o_proj", "attn_output" }, { "self_attn.q_norm", "attn_q_norm" },
    { "self_attn.k_norm", "attn_k_norm" }, { "post_attention_layernorm", "post_attention_norm" },
    { "pre_feedforward_layernorm", "ffn_norm" }, { "mlp.gate_proj", "ffn_gate" }, { "mlp.up_proj", "ffn_up" },
    { "mlp.down_proj", "ffn_down" }, { "post_feedforward_layernorm", "post_ffw_norm" },
    { "per_layer_input_gate", "inp_gate" }, { "per_layer_projection", "proj" },
    { "post_per_layer_input_norm", "post_norm" }, { "layer_scalar", "layer_output_scale" },
};
#define N_GLOBAL (int)(sizeof GLOBAL_NAMES / sizeof GLOBAL_NAMES[0])
#define N_LAYER  (int)(sizeof LAYER_NAMES / sizeof LAYER_NAMES[0])
static const char *const PARAMS[] = { "weight", "weight_packed", "weight_scale", "weight_shape", "weight_zero_point",
                                      "input_scale", "output_scale" };
enum { P_WEIGHT, P_PACKED, P_SCALE, P_SHAPE, P_ZP, P_IN, P_OUT, P_COUNT };

typedef struct {
    char hf[256], gguf[96];
    int  il, order;
    const st_tensor *p[P_COUNT];
    int  bits;                  // 0: a plain float tensor
    lm_type type;
    int64_t rows, cols, groups;
    float *f;                   // owned: f32 scales [rows*groups] (quantized) or values (plain 1-D)
    float in_scale, out_scale;  // 0 = none
    uint8_t *u;                 // owned row scratch: unsigned codes
} ct_module;

typedef struct { js_doc d; char *text; int qc, groups, ignore; } ct_config;   // nodes view text

// ---- config.json quantization_config ----

static lm_status regex_match(const char *pat, const char *name, bool *out) {
    char buf[600];
    regex_t re;
    snprintf(buf, sizeof buf, "^(%s)", pat);   // Python's re.match: anchored at the start only
    if (regcomp(&re, buf, REG_EXTENDED | REG_NOSUB)) return lm_fail(LM_CORRUPT, "quantization_config: bad regex '%s'", pat);
    *out = regexec(&re, name, 0, NULL, 0) == 0;
    regfree(&re);
    return LM_OK;
}

// Level of the best match of one target list: 3 exact name, 2 "re:" regex, 1 class name, 0 none.
static lm_status targets_level(const js_doc *d, int list, const char *module, bool embedding, int *level) {
    char t[512];
    *level = 0;
    for (int e = js_first(d, list); e >= 0; e = js_next(d, e)) {
        if (!js_str(d, e, t, sizeof t)) return lm_fail(LM_CORRUPT, "quantization_config: a target is not a string");
        bool hit = false;
        int lv = 0;
        if (!strncmp(t, "re:", 3)) { lm_status s = regex_match(t + 3, module, &hit); if (s) return s; lv = 2; }
        else if (!strcmp(t, module)) { hit = true; lv = 3; }
        else { hit = !strcmp(t, embedding ? "Embedding" : "Linear"); lv = 1; }
        if (hit && lv > *level) *level = lv;
    }
    return LM_OK;
}

// The config group for a quantized module (-1 with an error when none or two tie).
static lm_status find_group(const ct_config *c, const char *module, bool embedding, int *group) {
    int best = 0, amb = 0;
    *group = -1;
    lm_status s;
    for (int k = js_first(&c->d, c->groups); k >= 0; k = js_next(&c->d, js_next(&c->d, k))) {
        int lv, g = js_next(&c->d, k);
        if ((s = targets_level(&c->d, js_get(&c->d, g, "targets"), module, embedding, &lv))) return s;
        if (lv > best) { best = lv; *group = g; amb = 0; }
        else if (lv && lv == best) amb = 1;
    }
    int ig = 0;
    if (c->ignore >= 0 && (s = targets_level(&c->d, c->ignore, module, embedding, &ig))) return s;
    if (ig >= 2) return lm_fail(LM_CORRUPT, "'%s' is quantized but listed in quantization_config.ignore", module);
    if (*group < 0) return lm_fail(LM_CORRUPT, "no quantization_config group targets the quantized module '%s'", module);
    if (amb) return lm_fail(LM_CORRUPT, "two quantization_config groups target '%s' equally", module);
    return LM_OK;
}

static bool args_int(const js_doc *d, int args, const char *key, int64_t *v) { return js_int(d, js_get(d, args, key), v); }

// Static int8 activations: 8-bit symmetric per-tensor, not dynamic. Dynamic (per-token) inputs need
// no tensor: the engine's dynamic per-vector scale is that scheme.
static lm_status check_act(const js_doc *d, int a, const char *module, const char *which, bool *is_static) {
    int64_t bits;
    *is_static = false;
    if (a < 0 || js_is(d, a, JS_NULL)) return LM_OK;
    if (js_is(d, js_get(d, a, "dynamic"), JS_TRUE)) return LM_OK;
    if (!args_int(d, a, "num_bits", &bits) || bits != 8 || !js_str_eq(d, js_get(d, a, "type"), "int") ||
        js_is(d, js_get(d, a, "symmetric"), JS_FALSE) || !js_str_eq(d, js_get(d, a, "strategy"), "tensor"))
        return lm_fail(LM_UNSUPPORTED, "'%s': %s must be static 8-bit symmetric int per-tensor (wNa8o8)", module, which);
    *is_static = true;
    return LM_OK;
}

// ---- checking one quantized module against its scheme ----

static lm_status read_scale(const st_tensor *t, const char *name, float *out) {
    if (!t) { *out = 0.0f; return LM_OK; }
    if (t->n != 1 || t->n_dims > 1 || !st_get_f32(t, 0, out))
        return lm_fail(LM_BAD_SHAPE, "'%s': an activation scale is one float (got %lld %s)", name, (long long)t->n, st_dtype_name(t->dtype));
    if (!isfinite(*out) || *out < 0.0f) return lm_fail(LM_CORRUPT, "'%s' = %g (must be finite, >= 0)", name, *out);
    return LM_OK;
}

static lm_status check_codes(ct_module *m) {
    const st_tensor *w = m->p[P_WEIGHT], *pk = m->p[P_PACKED], *sh = m->p[P_SHAPE];
    int64_t in, out;
    if (pk) {
        if (pk->dtype != ST_I32 || pk->n_dims != 2 || !sh || sh->n != 2 || !st_get_i64(sh, 0, &out) || !st_get_i64(sh, 1, &in))
            return lm_fail(LM_CORRUPT, "'%s.weight_packed': needs an I32 [out, words] tensor and a 2-element weight_shape", m->hf);
        if (out != pk->shape[0] || in <= 0 || in > 65536 || pk->shape[1] * 32 != in * m->bits)
            return lm_fail(LM_BAD_SHAPE, "'%s': weight_packed [%lld, %lld] holds %lld-bit codes of weight_shape [%lld, %lld], "
                           "but quantization_config says %d bits", m->hf, (long long)pk->shape[0], (long long)pk->shape[1],
                           in > 0 ? (long long)(pk->shape[1] * 32 / in) : 0LL, (long long)out, (long long)in, m->bits);
    } else {
        if (!w || w->dtype != ST_I8 || w->n_dims != 2) return lm_fail(LM_CORRUPT, "'%s': no weight_packed and no int8 weight", m->hf);
        out = w->shape[0]; in = w->shape[1];
        int lo = -(1 << (m->bits - 1)), hi = (1 << (m->bits - 1)) - 1;
        for (int64_t i = 0; i < w->n; i++) {
            int v = ((const int8_t *)w->data)[i];
            if (v < lo || v > hi)
                return lm_fail(LM_CORRUPT, "'%s.weight': code %d at [%lld][%lld] is out of range for %d bits", m->hf, v,
                               (long long)(i / in), (long long)(i % in), m->bits);
        }
    }
    m->rows = out; m->cols = in;
    m->type = m->bits == 2 ? LM_TYPE_Q2_C : m->bits == 4 ? LM_TYPE_Q4_C : LM_TYPE_I8;
    if (lm_row_bytes(m->type, in) < 0)
        return lm_fail(LM_UNSUPPORTED, "'%s': %lld columns are not whole %s blocks", m->hf, (long long)in, lm_type_name(m->type));
    const st_tensor *zp = m->p[P_ZP];
    for (int64_t i = 0, v; zp && i < zp->n; i++)
        if (!st_get_i64(zp, i, &v) || v) return lm_fail(LM_UNSUPPORTED, "'%s.weight_zero_point': nonzero zero point (asymmetric codes)", m->hf);
    return LM_OK;
}

// Row scales -> f32 [rows][groups]. strategy channel: [rows,1]/[rows]; tensor: [1] (repeated);
// group: only for gather tables (the PLE), [rows, cols/group_size].
static lm_status check_scales(ct_module *m, const char *strategy, int64_t group_size, bool table) {
    const st_tensor *s = m->p[P_SCALE];
    if (!s) return lm_fail(LM_MISSING_TENSOR, "'%s.weight_scale' is missing", m->hf);
    bool grp = !strcmp(strategy, "group"), ten = !strcmp(strategy, "tensor");
    if (grp && !table)
        return lm_fail(LM_UNSUPPORTED, "'%s': group-wise scales cannot be stored per channel (only the PLE table may use them)", m->hf);
    if (grp && (group_size <= 0 || m->cols % group_size || group_size % lm_type_traits_of(m->type)->block_size))
        return lm_fail(LM_UNSUPPORTED, "'%s': group_size %lld does not split %lld columns into whole blocks", m->hf,
                       (long long)group_size, (long long)m->cols);
    if (!grp && !ten && strcmp(strategy, "channel")) return lm_fail(LM_UNSUPPORTED, "'%s': weight strategy '%s'", m->hf, strategy);
    m->groups = grp ? m->cols / group_size : 1;
    int64_t want = ten ? 1 : m->rows * m->groups;
    bool shape_ok = s->n == want && (ten || s->shape[0] == m->rows) && (s->n_dims == 1 || s->shape[s->n_dims - 1] == (ten ? 1 : m->groups));
    if (!shape_ok)
        return lm_fail(LM_BAD_SHAPE, "'%s.weight_scale': %lld values in %d dims, expected [%lld, %lld] (%s strategy)", m->hf,
                       (long long)s->n, s->n_dims, (long long)(ten ? 1 : m->rows), (long long)(ten ? 1 : m->groups), strategy);
    if (!(m->f = malloc((size_t)(m->rows * m->groups) * sizeof *m->f)) || !(m->u = malloc((size_t)m->cols)))
        return lm_fail(LM_NOMEM, "scales of '%s'", m->hf);
    for (int64_t i = 0; i < m->rows * m->groups; i++) {
        if (!st_get_f32(s, ten ? 0 : i, &m->f[i]))
            return lm_fail(LM_UNSUPPORTED_TYPE, "'%s.weight_scale': dtype %s", m->hf, st_dtype_name(s->dtype));
        if (!isfinite(m->f[i]) || m->f[i] < 0.0f)
            return lm_fail(LM_CORRUPT, "'%s.weight_scale'[%lld] = %g (must be finite, >= 0)", m->hf, (long long)i, m->f[i]);
    }
    return LM_OK;
}

static lm_status check_quantized(const ct_config *c, ct_module *m) {
    bool table = !strcmp(m->gguf, "per_layer_token_embd"), emb = table || !strcmp(m->gguf, "token_embd");
    int g;
    lm_status s = find_group(c, m->hf, emb, &g);
    if (s) return s;
    const js_doc *d = &c->d;
    int w = js_get(d, g, "weights");
    int64_t bits, gs = 0;
    char strategy[32] = "channel";
    if (!args_int(d, w, "num_bits", &bits) || (bits != 2 && bits != 4 && bits != 8))
        return lm_fail(LM_UNSUPPORTED, "'%s': weights.num_bits must be 2, 4 or 8", m->hf);
    if (!js_str_eq(d, js_get(d, w, "type"), "int") || js_is(d, js_get(d, w, "dynamic"), JS_TRUE))
        return lm_fail(LM_UNSUPPORTED, "'%s': weights must be static int (not float or dynamic)", m->hf);
    js_str(d, js_get(d, w, "strategy"), strategy, sizeof strategy);
    args_int(d, w, "group_size", &gs);
    m->bits = (int)bits;
    bool st_in, st_out;
    if ((s = check_codes(m)) || (s = check_scales(m, strategy, gs, table)) ||
        (s = check_act(d, js_get(d, g, "input_activations"), m->hf, "input_activations", &st_in)) ||
        (s = check_act(d, js_get(d, g, "output_activations"), m->hf, "output_activations", &st_out)))
        return s;
    if ((st_in && !m->p[P_IN]) || (st_out && !m->p[P_OUT]))
        return lm_fail(LM_MISSING_TENSOR, "'%s': quantization_config has static %s activations but '%s.%s' is missing", m->hf,
                       st_in && !m->p[P_IN] ? "input" : "output", m->hf, st_in && !m->p[P_IN] ? "input_scale" : "output_scale");
    char n[300];
    snprintf(n, sizeof n, "%s.input_scale", m->hf);
    if ((s = read_scale(m->p[P_IN], n, &m->in_scale))) return s;
    snprintf(n, sizeof n, "%s.output_scale", m->hf);
    return read_scale(m->p[P_OUT], n, &m->out_scale);
}

// ---- collecting modules from tensor names ----

static lm_status gguf_base(const char *rest, int n_layer, char *out, size_t cap, int *il, int *order) {
    int pos = 0;
    *il = -1;
    if (sscanf(rest, "layers.%d.%n", il, &pos) == 1 && pos > 0) {
        if (*il < 0 || *il >= n_layer) return lm_fail(LM_CORRUPT, "'%s': layer %d of %d", rest, *il, n_layer);
        for (int k = 0; k < N_LAYER; k++)
            if (!strcmp(rest + pos, LAYER_NAMES[k][0])) {
                snprintf(out, cap, "blk.%d.%s", *il, LAYER_NAMES[k][1]);
                *order = k;
                return LM_OK;
            }
    } else {
        *il = -1;
        for (int k = 0; k < N_GLOBAL; k++)
            if (!strcmp(rest, GLOBAL_NAMES[k][0])) { snprintf(out, cap, "%s", GLOBAL_NAMES[k][1]); *order = k; return LM_OK; }
        if (!strcmp(rest, "lm_head")) { snprintf(out, cap, "output"); *order = N_GLOBAL; return LM_OK; }
    }
    return lm_fail(LM_UNSUPPORTED, "no GGUF name for the text-model module '%s'", rest);
}

static lm_status collect(const st_checkpoint *ck, const char *prefix, int n_layer, ct_module **mods, int *n_mods) {
    size_t pl = strlen(prefix);
    for (int64_t i = 0; i < ck->n; i++) {
        const st_tensor *t = &ck->t[i];
        bool head = !strncmp(t->name, "lm_head.", 8);
        if (strncmp(t->name, prefix, pl) && !head) continue;      // vision/audio towers etc.
        char mod[256];
        snprintf(mod, sizeof mod, "%s", t->name);
        char *dot = strrchr(mod, '.');
        int p = P_COUNT;
        for (int k = 0; dot && k < P_COUNT; k++) if (!strcmp(dot + 1, PARAMS[k])) p = k;
        if (p == P_COUNT && dot && !strcmp(dot + 1, "layer_scalar")) p = P_WEIGHT;      // a bare parameter
        else if (p == P_COUNT) return lm_fail(LM_UNSUPPORTED, "'%s': unknown parameter", t->name);
        else *dot = 0;
        ct_module *m = NULL;
        for (int k = 0; k < *n_mods; k++) if (!strcmp((*mods)[k].hf, mod)) m = &(*mods)[k];
        if (!m) {
            ct_module *nm = realloc(*mods, (size_t)(*n_mods + 1) * sizeof *nm);
            if (!nm) return lm_fail(LM_NOMEM, "module table");
            *mods = nm;
            m = &nm[(*n_mods)++];
            memset(m, 0, sizeof *m);
            snprintf(m->hf, sizeof m->hf, "%s", mod);
            lm_status s = gguf_base(head ? mod : mod + pl, n_layer, m->gguf, sizeof m->gguf, &m->il, &m->order);
            if (s) return s;
        }
        m->p[p] = t;
    }
    return LM_OK;
}

static int cmp_module(const void *a, const void *b) {
    const ct_module *x = a, *y = b;
    return x->il != y->il ? x->il - y->il : x->order - y->order;
}

// ---- row writers ----

// Unsigned codes (value + 2^(bits-1)) of row r: compressed-tensors packs element i of a row at bit
// i*bits of its little-endian int32 words; an int8 weight holds the signed value.
static void unsigned_codes(const ct_module *m, int64_t r, uint8_t *u) {
    const st_tensor *pk = m->p[P_PACKED];
    uint32_t mask = (1u << m->bits) - 1, off = 1u << (m->bits - 1);
    if (pk) {
        const uint8_t *row = pk->data + r * pk->shape[1] * 4;
        for (int64_t c = 0; c < m->cols; c++) {
            int64_t bit = c * m->bits;
            uint32_t word;
            memcpy(&word, row + bit / 32 * 4, 4);
            u[c] = (uint8_t)((word >> (bit % 32)) & mask);
        }
    } else {
        const int8_t *row = (const int8_t *)m->p[P_WEIGHT]->data + r * m->cols;
        for (int64_t c = 0; c < m->cols; c++) u[c] = (uint8_t)(row[c] + (int)off);
    }
}

// GGUF-M codes are the same unsigned codes (q2_c: +2, q4_c: +8) re-laid out; i8 stores the value.
static void fill_row(void *ctx, int64_t r, uint8_t *out) {
    ct_module *m = ctx;
    uint8_t *u = m->u;
    unsigned_codes(m, r, u);
    if (m->type == LM_TYPE_I8) { for (int64_t c = 0; c < m->cols; c++) out[c] = (uint8_t)(u[c] - 128); return; }
    for (int64_t b = 0; b < m->cols / (m->bits == 2 ? LM_QK2_C : LM_QK4_C); b++, out += 16) {
        const uint8_t *x = u + b * (m->bits == 2 ? LM_QK2_C : LM_QK4_C);
        for (int j = 0; j < 16; j++)
            out[j] = m->bits == 2 ? (uint8_t)(x[j] | x[16 + j] << 2 | x[32 + j] << 4 | x[48 + j] << 6) : (uint8_t)(x[j] | x[16 + j] << 4);
    }
}

static lm_status plain_values(ct_module *m) {
    const st_tensor *t = m->p[P_WEIGHT];
    if (!t || m->p[P_PACKED] || m->p[P_SCALE])
        return lm_fail(LM_CORRUPT, "'%s': incomplete quantized module (no weight_packed/weight_scale pair)", m->hf);
    m->rows = t->n_dims >= 2 ? t->shape[0] : 1;
    m->cols = t->n_dims >= 2 ? t->shape[1] : t->n;
    if (t->n_dims > 2) return lm_fail(LM_UNSUPPORTED, "'%s': %d dims", m->hf, t->n_dims);
    if (t->n_dims == 2) return t->dtype == ST_F32 || t->dtype == ST_F16 || t->dtype == ST_BF16 ? LM_OK
                              : lm_fail(LM_UNSUPPORTED_TYPE, "'%s': unquantized matrix of dtype %s", m->hf, st_dtype_name(t->dtype));
    if (!(m->f = malloc((size_t)t->n * sizeof *m->f))) return lm_fail(LM_NOMEM, "'%s'", m->hf);
    for (int64_t i = 0; i < t->n; i++)
        if (!st_get_f32(t, i, &m->f[i])) return lm_fail(LM_UNSUPPORTED_TYPE, "'%s': dtype %s for a vector", m->hf, st_dtype_name(t->dtype));
    return LM_OK;
}

// Tensors in the GGUF-M order: small f32 tensors (vectors, row scales, activation scales), then
// matrices in layer order, then the PLE table's scales and codes last (docs/FORMAT.md §4).
static void add_tensors(gguf_writer *w, ct_module *mods, int n, uint64_t *resident_end) {
    char name[128];
    const ct_module *ple = NULL;
    for (int pass = 0; pass < 3; pass++)
        for (int k = 0; k < n; k++) {
            ct_module *m = &mods[k];
            bool is_ple = !strcmp(m->gguf, "per_layer_token_embd");
            if (is_ple && m->bits) { ple = m; continue; }
            int64_t ne1[1] = { m->rows * m->cols }, ne2[2] = { m->cols, m->rows }, nes[2] = { m->groups, m->rows };
            snprintf(name, sizeof name, "%s.weight", m->gguf);
            if (pass == 0 && !m->bits && m->f) gw_tensor_raw(w, name, LM_TYPE_F32, 1, ne1, m->f);
            if (pass == 1 && m->bits) {
                snprintf(name, sizeof name, "%s.scale", m->gguf);
                gw_tensor_raw(w, name, LM_TYPE_F32, m->groups > 1 ? 2 : 1, m->groups > 1 ? nes : &nes[1], m->f);
                int64_t one[1] = { 1 };
                snprintf(name, sizeof name, "%s.input_scale", m->gguf);
                if (m->in_scale > 0.0f) gw_tensor_raw(w, name, LM_TYPE_F32, 1, one, &m->in_scale);
                snprintf(name, sizeof name, "%s.output_scale", m->gguf);
                if (m->out_scale > 0.0f) gw_tensor_raw(w, name, LM_TYPE_F32, 1, one, &m->out_scale);
            }
            if (pass == 2 && m->bits) gw_tensor_bytes(w, name, m->type, 2, ne2, fill_row, m);
            if (pass == 2 && !m->bits && !m->f) {
                const st_tensor *t = m->p[P_WEIGHT];
                gw_tensor_raw(w, name, t->dtype == ST_F32 ? LM_TYPE_F32 : t->dtype == ST_F16 ? LM_TYPE_F16 : LM_TYPE_BF16, 2, ne2, t->data);
            }
        }
    *resident_end = gw_data_size(w);
    if (!ple) return;
    int64_t nes[2] = { ple->groups, ple->rows }, ne2[2] = { ple->cols, ple->rows };
    gw_tensor_raw(w, "per_layer_token_embd.scale", LM_TYPE_F32, 2, nes, ple->f);
    gw_tensor_bytes(w, "per_layer_token_embd.weight", ple->type, 2, ne2, fill_row, (void *)ple);
}

static lm_status load_config(const char *dir, ct_config *c, int *tc) {
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    uint64_t len;
    char *text = st_read_text(path, &len);
    if (!text) return LM_IO;
    lm_status s = js_parse(text, len, &c->d) ? lm_fail(LM_CORRUPT, "%s: %s", path, c->d.err) : LM_OK;
    if (!s) {
        *tc = js_get(&c->d, 0, "text_config");
        if (*tc < 0) *tc = 0;                                    // a text-only config
        c->qc = js_get(&c->d, 0, "quantization_config");
        c->groups = js_get(&c->d, c->qc, "config_groups");
        c->ignore = js_get(&c->d, c->qc, "ignore");
        if (!js_str_eq(&c->d, js_get(&c->d, c->qc, "quant_method"), "compressed-tensors") || !js_is(&c->d, c->groups, JS_OBJ))
            s = lm_fail(LM_UNSUPPORTED, "%s: quantization_config must be compressed-tensors with config_groups", path);
    }
    c->text = text;
    return s;
}

lm_status ct_convert(const char *dir, const char *out_path, const char *vocab_gguf) {
    ct_config c = { .qc = -1 };
    st_checkpoint ck = {0};
    ct_module *mods = NULL;
    int n_mods = 0, tc = 0;
    gguf_writer *w = NULL;
    ct_hparams hp = {0};
    lm_status s = load_config(dir, &c, &tc);
    if (!s) s = ct_read_hparams(&c.d, tc, &hp);
    if (!s) s = st_open(dir, &ck);
    const char *prefix = st_find(&ck, "model.language_model.norm.weight") || !st_find(&ck, "model.norm.weight")
                         ? "model.language_model." : "model.";
    if (!s) s = collect(&ck, prefix, hp.n_layer, &mods, &n_mods);
    if (!s) qsort(mods, (size_t)n_mods, sizeof *mods, cmp_module);
    for (int k = 0; !s && k < n_mods; k++) {
        ct_module *m = &mods[k];
        s = m->p[P_PACKED] || (m->p[P_WEIGHT] && m->p[P_WEIGHT]->dtype == ST_I8) ? check_quantized(&c, m) : plain_values(m);
    }
    if (!s && !(w = gw_new(32))) s = lm_fail(LM_NOMEM, "writer");
    uint64_t resident_end = 0;
    if (!s) {
        ct_add_rope_freqs(w, &hp);
        add_tensors(w, mods, n_mods, &resident_end);
        s = ct_write_hparams(w, &hp, dir, vocab_gguf, resident_end);
    }
    if (!s) {
        FILE *f = fopen(out_path, "wb");
        if (!f) s = lm_fail(LM_IO, "%s: cannot create", out_path);
        else { if (gw_write(w, f)) s = lm_fail(LM_IO, "%s: write failed", out_path); fclose(f); }
        if (s) remove(out_path);
    }
    for (int k = 0; k < n_mods; k++) { free(mods[k].f); free(mods[k].u); }
    free(mods);
    gw_free(w);
    ct_free_hparams(&hp);
    st_close(&ck);
    js_free(&c.d);
    free(c.text);
    return s;
}

int cmd_convert_ct(int argc, char **argv) {
    const char *pos[2] = {0}, *vocab = NULL;
    int np = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--vocab") && i + 1 < argc) vocab = argv[++i];
        else if (argv[i][0] != '-' && np < 2) pos[np++] = argv[i];
        else { np = -1; break; }
    }
    if (np != 2) { fprintf(stderr, "usage: pocketlm convert-ct CHECKPOINT_DIR OUT.gguf [--vocab TOKENIZER.gguf]\n"); return 2; }
    lm_status s = ct_convert(pos[0], pos[1], vocab);
    if (s) { fprintf(stderr, "convert-ct: %s: %s\n", lm_status_name(s), lm_errmsg()); return 1; }
    return 0;
}
