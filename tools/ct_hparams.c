// ct_hparams.c — config.json text_config -> gemma4 GGUF metadata (see ct_hparams.h).
#include "ct_hparams.h"
#include "safetensors.h"
#include "../src/gguf.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lm_status get_int(const js_doc *d, int obj, const char *key, int64_t def, bool required, int *out) {
    int64_t v;
    int n = js_get(d, obj, key);
    if (n < 0 || js_is(d, n, JS_NULL)) {
        if (required) return lm_fail(LM_MISSING_KEY, "config.json: text_config.%s is missing", key);
        v = def;
    } else if (!js_int(d, n, &v)) return lm_fail(LM_CORRUPT, "config.json: %s is not an integer", key);
    if (v < 0 || v > (1 << 24)) return lm_fail(LM_CORRUPT, "config.json: %s = %lld is out of range", key, (long long)v);
    *out = (int)v;
    return LM_OK;
}

static float get_float(const js_doc *d, int obj, const char *key, float def) {
    double v;
    return js_num(d, js_get(d, obj, key), &v) ? (float)v : def;
}

// bos/eos may be an int or a list (the first is used); -1 when absent.
static int64_t token_id(const js_doc *d, int tc, const char *key) {
    int n = js_get(d, tc, key);
    if (n < 0) n = js_get(d, 0, key);
    if (js_is(d, n, JS_ARR)) n = js_first(d, n);
    int64_t v;
    return js_int(d, n, &v) ? v : -1;
}

static lm_status read_layer_types(const js_doc *d, int tc, ct_hparams *hp) {
    int lt = js_get(d, tc, "layer_types");
    if (!js_is(d, lt, JS_ARR) || d->nodes[lt].n != hp->n_layer)
        return lm_fail(LM_CORRUPT, "config.json: layer_types must list %d layers", hp->n_layer);
    int il = 0;
    for (int e = js_first(d, lt); e >= 0; e = js_next(d, e), il++) {
        hp->swa[il] = js_str_eq(d, e, "sliding_attention");
        if (!hp->swa[il] && !js_str_eq(d, e, "full_attention"))
            return lm_fail(LM_UNSUPPORTED, "config.json: layer_types[%d] is neither sliding_attention nor full_attention", il);
    }
    return LM_OK;
}

lm_status ct_read_hparams(const js_doc *d, int tc, ct_hparams *hp) {
    memset(hp, 0, sizeof *hp);
    lm_status s;
    if ((s = get_int(d, tc, "num_hidden_layers", 0, true, &hp->n_layer)) || (s = get_int(d, tc, "hidden_size", 0, true, &hp->n_embd)) ||
        (s = get_int(d, tc, "num_attention_heads", 0, true, &hp->n_head)) ||
        (s = get_int(d, tc, "num_key_value_heads", hp->n_head, false, &hp->n_head_kv)) ||
        (s = get_int(d, tc, "head_dim", 0, true, &hp->head_dim)) ||
        (s = get_int(d, tc, "global_head_dim", hp->head_dim, false, &hp->head_dim_full)) ||
        (s = get_int(d, tc, "intermediate_size", 0, true, &hp->n_ff)) ||
        (s = get_int(d, tc, "hidden_size_per_layer_input", 0, false, &hp->n_ple)) ||
        (s = get_int(d, tc, "vocab_size", 0, true, &hp->n_vocab)) ||
        (s = get_int(d, tc, "max_position_embeddings", 131072, false, &hp->n_ctx)) ||
        (s = get_int(d, tc, "sliding_window", 512, false, &hp->n_swa)) ||
        (s = get_int(d, tc, "num_kv_shared_layers", 0, false, &hp->shared_kv)))
        return s;
    if (hp->n_layer < 1 || hp->n_layer > 512 || hp->shared_kv > hp->n_layer || hp->head_dim_full < 2 || hp->head_dim_full % 2)
        return lm_fail(LM_CORRUPT, "config.json: %d layers, %d shared-KV layers, full head size %d", hp->n_layer, hp->shared_kv, hp->head_dim_full);
    if ((s = read_layer_types(d, tc, hp))) return s;
    hp->double_wide = js_is(d, js_get(d, tc, "use_double_wide_mlp"), JS_TRUE);
    hp->eps = get_float(d, tc, "rms_norm_eps", 1e-6f);
    hp->softcap = get_float(d, tc, "final_logit_softcapping", 0.0f);
    int rp = js_get(d, tc, "rope_parameters"), full = js_get(d, rp, "full_attention"), slide = js_get(d, rp, "sliding_attention");
    hp->theta = get_float(d, full, "rope_theta", 1e6f);
    hp->theta_swa = get_float(d, slide, "rope_theta", 1e4f);
    hp->partial_full = get_float(d, full, "partial_rotary_factor", 1.0f);
    hp->partial_swa = get_float(d, tc, "partial_rotary_factor", 1.0f);
    hp->bos = token_id(d, tc, "bos_token_id");
    hp->eos = token_id(d, tc, "eos_token_id");
    js_str(d, js_get(d, 0, "_name_or_path"), hp->name, sizeof hp->name);
    // proportional RoPE as llama.cpp's converter writes it: the first head_dim_full*p/2 pairs rotate
    int half = hp->head_dim_full / 2, rot = (int)((float)hp->head_dim_full * hp->partial_full / 2.0f);
    if (!(hp->rope_freqs = malloc((size_t)half * sizeof *hp->rope_freqs))) return lm_fail(LM_NOMEM, "rope_freqs");
    for (int i = 0; i < half; i++) hp->rope_freqs[i] = i < rot ? 1.0f : 1e30f;
    return LM_OK;
}

void ct_free_hparams(ct_hparams *hp) { free(hp->rope_freqs); hp->rope_freqs = NULL; }

void ct_add_rope_freqs(gguf_writer *w, const ct_hparams *hp) {
    int64_t ne[1] = { hp->head_dim_full / 2 };
    gw_tensor_raw(w, "rope_freqs.weight", 0 /* f32 */, 1, ne, hp->rope_freqs);
}

// tokenizer.* keys of another GGUF (a llama.cpp Gemma 4 file, or any with the same vocabulary).
static lm_status copy_vocab(gguf_writer *w, const char *path, int n_vocab) {
    uint64_t len;
    void *p = st_map_file(path, &len);
    if (!p) return LM_IO;
    gguf_file g;
    lm_status s = gguf_parse(p, len, &g, NULL);
    const gguf_kv *toks = s ? NULL : gguf_find(&g, "tokenizer.ggml.tokens");
    if (!s && (!toks || toks->type != GGUF_ARRAY || toks->n != (uint64_t)n_vocab))
        s = lm_fail(LM_CORRUPT, "%s: tokenizer.ggml.tokens must list %d tokens", path, n_vocab);
    for (uint64_t i = 0; !s && i < g.n_kv; i++)
        if (g.kv[i].key.len > 10 && !memcmp(g.kv[i].key.ptr, "tokenizer.", 10) && gw_copy_kv(w, &g.kv[i]))
            s = lm_fail(LM_UNSUPPORTED, "%s: key '%.*s' cannot be copied", path, (int)g.kv[i].key.len, g.kv[i].key.ptr);
    gguf_free(&g);
    st_unmap_file(p, len);
    return s;
}

lm_status ct_write_hparams(gguf_writer *w, const ct_hparams *hp, const char *source, const char *vocab_gguf,
                           uint64_t resident_end) {
    int32_t ff[512];
    bool pat[512];
    int kv_end = hp->n_layer - hp->shared_kv;
    for (int il = 0; il < hp->n_layer; il++) { ff[il] = hp->double_wide && il >= kv_end ? 2 * hp->n_ff : hp->n_ff; pat[il] = hp->swa[il]; }
    gw_str(w, "general.architecture", "gemma4");
    gw_str(w, "general.name", hp->name[0] ? hp->name : "gemma4");
    gw_u32(w, "gemma4.context_length", (uint32_t)hp->n_ctx);
    gw_u32(w, "gemma4.embedding_length", (uint32_t)hp->n_embd);
    gw_u32(w, "gemma4.block_count", (uint32_t)hp->n_layer);
    gw_arr_i32(w, "gemma4.feed_forward_length", ff, (uint64_t)hp->n_layer);
    gw_u32(w, "gemma4.attention.head_count", (uint32_t)hp->n_head);
    gw_u32(w, "gemma4.attention.head_count_kv", (uint32_t)hp->n_head_kv);
    gw_f32(w, "gemma4.attention.layer_norm_rms_epsilon", hp->eps);
    gw_f32(w, "gemma4.rope.freq_base", hp->theta);
    gw_f32(w, "gemma4.rope.freq_base_swa", hp->theta_swa);
    gw_u32(w, "gemma4.attention.key_length", (uint32_t)hp->head_dim_full);
    gw_u32(w, "gemma4.attention.value_length", (uint32_t)hp->head_dim_full);
    gw_u32(w, "gemma4.attention.key_length_swa", (uint32_t)hp->head_dim);
    gw_u32(w, "gemma4.attention.value_length_swa", (uint32_t)hp->head_dim);
    gw_u32(w, "gemma4.rope.dimension_count", (uint32_t)hp->head_dim_full);
    gw_u32(w, "gemma4.rope.dimension_count_swa", (uint32_t)((float)hp->head_dim * hp->partial_swa));
    gw_u32(w, "gemma4.attention.sliding_window", (uint32_t)hp->n_swa);
    gw_arr_bool(w, "gemma4.attention.sliding_window_pattern", pat, (uint64_t)hp->n_layer);
    gw_u32(w, "gemma4.attention.shared_kv_layers", (uint32_t)hp->shared_kv);
    gw_u32(w, "gemma4.embedding_length_per_layer_input", (uint32_t)hp->n_ple);
    if (hp->softcap > 0.0f) gw_f32(w, "gemma4.final_logit_softcapping", hp->softcap);
    gw_str(w, "wq.scheme", "wNa8o8");
    gw_u32(w, "wq.version", 1);
    gw_u32(w, "wq.act_bits", 8);
    gw_i32(w, "wq.act_qmin", -128);
    gw_i32(w, "wq.act_qmax", 127);
    gw_str(w, "wq.act_round", "half_even");
    char src[600];
    snprintf(src, sizeof src, "compressed-tensors:%s", hp->name[0] ? hp->name : source);
    gw_str(w, "wq.source", src);
    gw_u64(w, "wq.resident_end", resident_end);
    if (vocab_gguf) return copy_vocab(w, vocab_gguf, hp->n_vocab);
    if (hp->bos >= 0) gw_u32(w, "tokenizer.ggml.bos_token_id", (uint32_t)hp->bos);
    if (hp->eos >= 0) gw_u32(w, "tokenizer.ggml.eos_token_id", (uint32_t)hp->eos);
    return LM_OK;
}
