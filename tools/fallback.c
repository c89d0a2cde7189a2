// fallback.c — `pocketlm quantize --fallback IN-m.gguf OUT.gguf`: GGUF-M -> types upstream
// llama.cpp reads (docs/FORMAT.md §6). Every block gets the fp16 of its row (group) scale, so the
// weights are exact on the integer grid up to that rounding:
//   q4_c -> Q4_0: d = fp16(s), the same 16 nibble bytes (q4_c keeps q4_0's order)
//   q2_c -> Q2_0 (ggml id 42, QK 64, x = (q-1)*d): d = fp16(-s), q = 3 - code, 4 codes per byte in order
//   i8   -> Q8_0: d = fp16(s), the same int8 codes
// The .scale/.input_scale/.output_scale side tensors and the wq.* keys are dropped: llama.cpp
// quantizes activations dynamically (Q8_0 per 32), so the file checks weights, not activations.
#include "mq.h"
#include "../src/f16.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

enum { GGML_Q4_0 = 2, GGML_Q8_0 = 8, GGML_Q2_0 = 42 };

static float row_scale(const mq_tensor *t, int64_t r, int64_t col) {
    int64_t g = t->src.scale_groups > 0 ? t->src.scale_groups : 1;
    return t->src.scale[r * g + col / (t->src.cols / g)];
}

static void put_d(uint8_t *out, float s) { uint16_t h = lm_f32_to_f16(s); memcpy(out, &h, 2); }

static void fill_fallback(void *ctx, int64_t r, uint8_t *out) {
    const mq_tensor *t = ctx;
    const uint8_t *w = (const uint8_t *)t->src.data + r * t->src.row_bytes;
    int64_t cols = t->src.cols;
    if (t->src.type == LM_TYPE_Q4_C)
        for (int64_t b = 0; b < cols / 32; b++, out += 18) { put_d(out, row_scale(t, r, b * 32)); memcpy(out + 2, w + 16 * b, 16); }
    else if (t->src.type == LM_TYPE_I8)
        for (int64_t b = 0; b < cols / 32; b++, out += 34) { put_d(out, row_scale(t, r, b * 32)); memcpy(out + 2, w + 32 * b, 32); }
    else
        for (int64_t b = 0; b < cols / 64; b++, out += 18) {
            put_d(out, -row_scale(t, r, b * 64));
            memset(out + 2, 0, 16);
            for (int e = 0; e < 64; e++) {
                int code = (w[16 * b + e % 16] >> (2 * (e / 16))) & 3;   // q2_c: element 16k+j in byte j, bits 2k
                out[2 + e / 4] |= (uint8_t)((3 - code) << (2 * (e % 4)));
            }
        }
}

static bool is_side(mq_job *j, const mq_tensor *t) {
    static const char *const SUFFIX[] = { ".scale", ".input_scale", ".output_scale" };
    for (int k = 0; k < 3; k++) {
        size_t n = strlen(t->name), sl = strlen(SUFFIX[k]);
        if (n <= sl || strcmp(t->name + n - sl, SUFFIX[k])) continue;
        char w[160];
        snprintf(w, sizeof w, "%.*s.weight", (int)(n - sl), t->name);
        const mq_tensor *owner = mq_find(j, w);
        if (owner && lm_type_traits_of(owner->src.type) && lm_type_traits_of(owner->src.type)->per_channel) return true;
    }
    return false;
}

static lm_status add_fallback(mq_job *j, mq_tensor *t) {
    lm_type st = t->src.type;
    int type = st == LM_TYPE_Q4_C ? GGML_Q4_0 : st == LM_TYPE_Q2_C ? GGML_Q2_0 : GGML_Q8_0;
    if (t->src.cols % 32) return lm_fail(LM_UNSUPPORTED, "'%s': %lld columns are not whole Q8_0 blocks", t->name, (long long)t->src.cols);
    if (!t->src.scale) return lm_fail(LM_MISSING_TENSOR, "'%s' has no row scales", t->name);
    int64_t ns = t->src.rows * (t->src.scale_groups > 0 ? t->src.scale_groups : 1);
    for (int64_t i = 0; i < ns; i++)
        if (!(fabsf(t->src.scale[i]) <= 65504.0f))
            return lm_fail(LM_UNSUPPORTED, "'%s': scale %g does not fit fp16", t->name, t->src.scale[i]);
    int64_t ne[2] = { t->src.cols, t->src.rows };
    gw_tensor_bytes(j->w, t->name, (uint32_t)type, 2, ne, fill_fallback, t);
    return LM_OK;
}

lm_status mq_fallback(const char *in_path, const char *out_path) {
    mq_job j;
    lm_status s = mq_open(&j, in_path);
    if (!s && !(j.w = gw_new(32))) s = lm_fail(LM_NOMEM, "writer");
    for (uint64_t i = 0; !s && i < j.g.n_kv; i++)
        if (!(j.g.kv[i].key.len > 3 && !memcmp(j.g.kv[i].key.ptr, "wq.", 3)) && gw_copy_kv(j.w, &j.g.kv[i]))
            s = lm_fail(LM_UNSUPPORTED, "key '%.*s' cannot be copied", (int)j.g.kv[i].key.len, j.g.kv[i].key.ptr);
    for (int64_t i = 0; !s && i < j.n; i++) {
        mq_tensor *t = &j.t[i];
        const lm_type_traits *tr = lm_type_traits_of(t->src.type);
        if (t->ti->n_dims >= 2 && tr && tr->per_channel) s = add_fallback(&j, t);
        else if (!is_side(&j, t)) gw_tensor_raw(j.w, t->name, t->ti->type, (int)t->ti->n_dims, t->ti->ne, mq_data(&j, t));
    }
    if (!s) s = mq_write(&j, out_path);
    mq_close(&j);
    return s;
}
