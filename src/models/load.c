// load.c — shared metadata and tensor binding for the architecture files. Every value read from
// the file is checked here before any architecture uses it.
#include "arch.h"
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static const char *arch_key(const lm_model *m, const char *key, char *buf, size_t cap) {
    snprintf(buf, cap, key, m->arch->name);
    return buf;
}

lm_status ld_u32(const lm_model *m, const char *key, uint32_t *out, lm_presence p, uint32_t def) {
    char k[128];
    lm_status s = gguf_get_u32(&m->g, arch_key(m, key, k, sizeof k), out);
    if (s == LM_MISSING_KEY && p == LM_OPTIONAL) { *out = def; return LM_OK; }
    return s;
}

lm_status ld_f32(const lm_model *m, const char *key, float *out, lm_presence p, float def) {
    char k[128];
    lm_status s = gguf_get_f32(&m->g, arch_key(m, key, k, sizeof k), out);
    if (s == LM_MISSING_KEY && p == LM_OPTIONAL) { *out = def; return LM_OK; }
    return s;
}

static int32_t *layer_field(lm_model *m, int il, size_t field) { return (int32_t *)((char *)&m->layers[il] + field); }

lm_status ld_per_layer(lm_model *m, const char *key, size_t field, lm_presence p, int32_t def) {
    char k[128];
    const gguf_kv *kv = gguf_find(&m->g, arch_key(m, key, k, sizeof k));
    if (kv && kv->type == GGUF_ARRAY) {
        if (!gguf_arr_is_int(kv) || kv->n != (uint64_t)m->n_layer)
            return lm_fail(LM_CORRUPT, "key '%s': array of %llu (type %u), expected %d integers",
                           k, (unsigned long long)kv->n, kv->arr_type, m->n_layer);
        for (int il = 0; il < m->n_layer; il++) {
            int64_t v = gguf_arr_int(kv, (uint64_t)il);
            if (v < 0 || v > (1 << 20)) return lm_fail(LM_CORRUPT, "key '%s'[%d] = %lld is out of range", k, il, (long long)v);
            *layer_field(m, il, field) = (int32_t)v;
        }
        return LM_OK;
    }
    uint32_t v;
    lm_status s = ld_u32(m, key, &v, p, (uint32_t)def);
    if (s != LM_OK) return s;
    if (v > (1 << 20)) return lm_fail(LM_CORRUPT, "key '%s' = %u is out of range", k, v);
    for (int il = 0; il < m->n_layer; il++) *layer_field(m, il, field) = (int32_t)v;
    return LM_OK;
}

lm_status ld_per_layer_bool(lm_model *m, const char *key, size_t field, lm_presence p) {
    char k[128];
    const gguf_kv *kv = gguf_find(&m->g, arch_key(m, key, k, sizeof k));
    if (!kv) return p == LM_OPTIONAL ? LM_MISSING_KEY : lm_fail(LM_MISSING_KEY, "metadata key '%s' is missing", k);
    if (!gguf_arr_is_int(kv) || kv->n != (uint64_t)m->n_layer)
        return lm_fail(LM_CORRUPT, "key '%s': expected an array of %d bools", k, m->n_layer);
    for (int il = 0; il < m->n_layer; il++) *(bool *)((char *)&m->layers[il] + field) = gguf_arr_int(kv, (uint64_t)il) != 0;
    return LM_OK;
}

// "<base>.<suffix>" for a weight named "<base>.weight" ("<name>.<suffix>" otherwise).
static void side_name(char *out, size_t cap, const char *name, const char *suffix) {
    size_t len = strlen(name);
    if (len > 7 && !strcmp(name + len - 7, ".weight")) len -= 7;
    snprintf(out, cap, "%.*s.%s", (int)len, name, suffix);
}

// Optional static activation scale "<base>.<suffix>": one finite f32 >= 0 (0 = none).
static lm_status act_scale(lm_model *m, const char *name, const char *suffix, float *out) {
    char sn[128];
    side_name(sn, sizeof sn, name, suffix);
    const gguf_tensor_info *si = gguf_find_tensor(&m->g, sn);
    *out = 0.0f;
    if (!si) return LM_OK;
    if (si->type != LM_TYPE_F32 || si->ne[0] * si->ne[1] * si->ne[2] * si->ne[3] != 1)
        return lm_fail(LM_BAD_SHAPE, "tensor '%s': an activation scale is one f32 (got %s, %lld elements)", sn,
                       lm_type_name((int)si->type), (long long)(si->ne[0] * si->ne[1] * si->ne[2] * si->ne[3]));
    const uint8_t *d = gguf_tensor_data(&m->g, si);
    if (!d) return lm_fail(LM_TRUNCATED, "tensor '%s': data lies beyond the end of the file", sn);
    memcpy(out, d, 4);
    if (!isfinite(*out) || *out < 0.0f) return lm_fail(LM_CORRUPT, "tensor '%s': activation scale %g (must be finite, >= 0)", sn, *out);
    return LM_OK;
}

// Per-channel weights (q2_c, q4_c, i8): the row scales "<base>.scale", f32 [rows] or, for
// gather-only tables (max_groups > 1), [rows][groups] with groups dividing the row into whole
// blocks; then the optional activation scales. Every scale is checked once here.
static lm_status channel_scales(lm_model *m, lm_tensor *t, const char *name, int64_t max_groups) {
    char sn[128];
    side_name(sn, sizeof sn, name, "scale");
    const gguf_tensor_info *si = gguf_find_tensor(&m->g, sn);
    if (!si) return lm_fail(LM_MISSING_TENSOR, "tensor '%s' (%s) needs its per-row scales '%s'", name, lm_type_name(t->type), sn);
    int64_t groups = si->n_dims == 1 ? 1 : si->ne[0], rows = si->n_dims == 1 ? si->ne[0] : si->ne[1] * si->ne[2] * si->ne[3];
    int64_t bs = lm_type_traits_of(t->type)->block_size;
    if (si->type != LM_TYPE_F32)
        return lm_fail(LM_UNSUPPORTED_TYPE, "tensor '%s': row scales must be f32, not %s", sn, lm_type_name((int)si->type));
    if (rows != t->rows || groups < 1 || groups > max_groups || t->cols % groups || (t->cols / groups) % bs)
        return lm_fail(LM_BAD_SHAPE, "tensor '%s': %lld x %lld scales do not fit '%s' ([%lld][%lld] needs %lld%s)", sn,
                       (long long)rows, (long long)groups, name, (long long)t->rows, (long long)t->cols, (long long)t->rows,
                       max_groups > 1 ? " rows of whole-block groups" : " scales, one per row");
    if (t->cols > 65536)
        return lm_fail(LM_UNSUPPORTED, "tensor '%s': rows of %lld > 65536 would overflow int32 sums", name, (long long)t->cols);
    const float *s = (const float *)gguf_tensor_data(&m->g, si);
    if (!s) return lm_fail(LM_TRUNCATED, "tensor '%s': data lies beyond the end of the file", sn);
    if ((uintptr_t)s % 4) return lm_fail(LM_CORRUPT, "tensor '%s': data is not 4-byte aligned", sn);
    for (int64_t i = 0; i < rows * groups; i++)
        if (!isfinite(s[i])) return lm_fail(LM_CORRUPT, "tensor '%s': scale [%lld] is %g (must be finite)", sn, (long long)i, s[i]);
    t->scale = s;
    t->scale_groups = (int32_t)groups;
    lm_status st = act_scale(m, name, "input_scale", &t->in_scale);
    return st ? st : act_scale(m, name, "output_scale", &t->out_scale);
}

// A table (max_groups > 1) whose bytes were left out of a model loaded from pieces binds with
// data = NULL: the architecture reads its rows from lm_ctx.ext_rows.
static lm_status bind(lm_model *m, lm_tensor *t, const char *name, int il, int64_t rows, int64_t cols, lm_presence p,
                      int64_t max_groups) {
    char n[96];
    if (il >= 0) { char f[96]; snprintf(f, sizeof f, "blk.%%d.%s", name); snprintf(n, sizeof n, f, il); }
    else snprintf(n, sizeof n, "%s", name);
    memset(t, 0, sizeof *t);
    const gguf_tensor_info *ti = gguf_find_tensor(&m->g, n);
    if (!ti) return p == LM_OPTIONAL ? LM_OK : lm_fail(LM_MISSING_TENSOR, "tensor '%s' is missing", n);
    int64_t got_rows = ti->ne[1] * ti->ne[2] * ti->ne[3];
    if (ti->ne[0] != cols || got_rows != rows)
        return lm_fail(LM_BAD_SHAPE, "tensor '%s': shape [%lld][%lld], expected [%lld][%lld]",
                       n, (long long)got_rows, (long long)ti->ne[0], (long long)rows, (long long)cols);
    // norms, scales, rope factors (rows == 1) are read directly as floats, so they must be f32
    // whatever their n_dims: a [1][cols] f16 norm would be read past its end
    bool vector = rows == 1;
    bool ok = vector ? ti->type == LM_TYPE_F32
                     : ti->type < LM_TYPE_COUNT && (lm_kernels_ref.vec_dot[ti->type] || lm_kernels_ref.dot_pc[ti->type]);
    if (!ok) return lm_fail(LM_UNSUPPORTED_TYPE, "tensor '%s': type %s is not supported%s", n,
                            lm_type_name((int)ti->type), vector ? " for a vector (f32 only)" : "");
    const uint8_t *data = gguf_tensor_data(&m->g, ti);
    bool external = !data && max_groups > 1 && m->g.partial;
    if (!data && !external) return lm_fail(LM_TRUNCATED, "tensor '%s': data lies beyond the end of the file", n);
    if ((uintptr_t)data % 4) return lm_fail(LM_CORRUPT, "tensor '%s': data is not 4-byte aligned", n);
    *t = (lm_tensor){ .data = data, .type = (lm_type)ti->type, .rows = rows, .cols = cols,
                      .row_bytes = lm_row_bytes((int)ti->type, cols) };
    return lm_type_traits_of(t->type)->per_channel ? channel_scales(m, t, n, max_groups) : LM_OK;
}

lm_status ld_tensor(lm_model *m, lm_tensor *t, const char *name, int il, int64_t rows, int64_t cols, lm_presence p) {
    return bind(m, t, name, il, rows, cols, p, 1);
}

lm_status ld_table(lm_model *m, lm_tensor *t, const char *name, int64_t rows, int64_t cols, lm_presence p) {
    return bind(m, t, name, -1, rows, cols, p, cols);
}

lm_status ld_common_hparams(lm_model *m) {
    uint32_t E, L, ctx;
    lm_status s;
    if ((s = ld_u32(m, "%s.embedding_length", &E, LM_REQUIRED, 0)) ||
        (s = ld_u32(m, "%s.block_count", &L, LM_REQUIRED, 0)) ||
        (s = ld_u32(m, "%s.context_length", &ctx, LM_REQUIRED, 0)) ||
        (s = ld_f32(m, "%s.attention.layer_norm_rms_epsilon", &m->eps, LM_REQUIRED, 0)))
        return s;
    if (E == 0 || E > 65536) return lm_fail(LM_CORRUPT, "%s.embedding_length = %u is out of range", m->arch->name, E);
    if (L == 0 || L > LM_MAX_LAYERS) return lm_fail(LM_CORRUPT, "%s.block_count = %u is out of range", m->arch->name, L);
    if (ctx == 0 || ctx > (1u << 24)) return lm_fail(LM_CORRUPT, "%s.context_length = %u is out of range", m->arch->name, ctx);
    if (!(m->eps > 0.0f && m->eps < 1.0f)) return lm_fail(LM_CORRUPT, "%s.attention.layer_norm_rms_epsilon = %g is out of range", m->arch->name, m->eps);
    m->n_embd = (int32_t)E;  m->n_layer = (int32_t)L;  m->n_ctx_train = (int32_t)ctx;
    m->layers = calloc((size_t)L, sizeof *m->layers);
    if (!m->layers) return lm_fail(LM_NOMEM, "layer table");
    if ((s = ld_per_layer(m, "%s.attention.head_count", offsetof(lm_layer, n_head), LM_REQUIRED, 0)) ||
        (s = ld_per_layer(m, "%s.feed_forward_length", offsetof(lm_layer, n_ff), LM_REQUIRED, 0)))
        return s;
    // checked here, not only in ld_check_layers: the architectures divide n_embd by n_head for
    // their default head size before that runs
    for (int il = 0; il < m->n_layer; il++)
        if (m->layers[il].n_head < 1)
            return lm_fail(LM_CORRUPT, "%s.attention.head_count: layer %d has %d heads", m->arch->name, il, m->layers[il].n_head);
    char k[128];
    if (gguf_find(&m->g, arch_key(m, "%s.attention.head_count_kv", k, sizeof k)))
        return ld_per_layer(m, "%s.attention.head_count_kv", offsetof(lm_layer, n_head_kv), LM_REQUIRED, 0);
    for (int il = 0; il < m->n_layer; il++) m->layers[il].n_head_kv = m->layers[il].n_head;
    return LM_OK;
}

lm_status ld_check_layers(const lm_model *m) {
    for (int il = 0; il < m->n_layer; il++) {
        const lm_layer *L = &m->layers[il];
        if (L->n_head < 1 || L->n_head > 1024 || L->n_head_kv < 1 || L->n_head % L->n_head_kv)
            return lm_fail(LM_CORRUPT, "layer %d: %d heads with %d KV heads", il, L->n_head, L->n_head_kv);
        if (L->head_dim < 2 || L->head_dim > 4096 || L->head_dim % 2)
            return lm_fail(LM_CORRUPT, "layer %d: head size %d is out of range", il, L->head_dim);
        if (L->n_rot < 2 || L->n_rot > L->head_dim || L->n_rot % 2)
            return lm_fail(LM_CORRUPT, "layer %d: rope dimension %d does not fit head size %d", il, L->n_rot, L->head_dim);
        if (L->n_ff < 1) return lm_fail(LM_CORRUPT, "layer %d: feed-forward length %d", il, L->n_ff);
        if (!(L->rope_base > 0.0f) || !(L->rope_scale > 0.0f) || !isfinite(L->rope_base))
            return lm_fail(LM_CORRUPT, "layer %d: rope base %g / scale %g", il, L->rope_base, L->rope_scale);
    }
    return LM_OK;
}

// n_vocab was set from the token_embd tensor info by the header step (lm.c).
lm_status ld_embeddings(lm_model *m) {
    int64_t E = m->n_embd, V = m->n_vocab;
    lm_status s;
    if ((s = ld_tensor(m, &m->tok_embd, "token_embd.weight", -1, V, E, LM_REQUIRED)) ||
        (s = ld_tensor(m, &m->output_norm, "output_norm.weight", -1, 1, E, LM_REQUIRED)) ||
        (s = ld_tensor(m, &m->output, "output.weight", -1, V, E, LM_OPTIONAL)))
        return s;
    if (!m->output.data) m->output = m->tok_embd;   // tied LM head
    return LM_OK;
}
