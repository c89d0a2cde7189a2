// test_plan.c — the memory plan from a header prefix equals the plan of the loaded model, the
// prefix protocol (TRUNCATED + need) converges, and KV sizes follow the cache layout rules.
#define _POSIX_C_SOURCE 200809L
#include "../src/lm.h"
#include "../src/tensor.h"
#include "../tools/gen.h"
#include "t.h"
#include <stdlib.h>
#include <string.h>

static uint8_t *generate(const char *preset, int type, uint64_t *len) {
    char *p = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&p, &n);
    gen_opts o = { preset, type, 7, 0 };
    CHECK_EQ(gen_model(&o, f), 0);
    fclose(f);
    *len = n;
    return (uint8_t *)p;
}

static void plan_matches(const char *preset) {
    uint64_t len, need = 64, file_size = 0;
    uint8_t *buf = generate(preset, LM_TYPE_Q4_0, &len);
    lm_ctx_params p = lm_ctx_default_params();
    p.n_ctx = 256;
    lm_mem_plan from_header = {0}, loaded = {0};
    lm_status s;
    int rounds = 0;
    // grow the prefix as a streaming loader would, by what the parser says it needs
    while ((s = lm_plan_from_header(buf, need, &p, &from_header, &need, &file_size)) == LM_TRUNCATED && rounds++ < 100000)
        CHECK(need <= len);
    CHECK_EQ(s, LM_OK);
    CHECK(file_size <= len && len - file_size < 32);   // the writer pads the last tensor to the alignment
    CHECK(rounds > 0);
    lm_model *m;
    CHECK_EQ(lm_model_load(buf, len, &m), LM_OK);
    CHECK_EQ(lm_model_plan(m, &p, &loaded), LM_OK);
    CHECK_EQ(from_header.weights, loaded.weights);
    CHECK_EQ(from_header.kv, loaded.kv);
    CHECK_EQ(from_header.scratch, loaded.scratch);
    CHECK(loaded.weights <= len);
    lm_model_free(m);
    free(buf);
}

// gemma4-e2b-tiny: 6 layers, 3 own KV (0,1 sliding with D=64; 2 full with D=128), 1 KV head,
// window 16: sliding rings hold n_swa + n_batch cells, full layers n_ctx, f16 K and V.
static void kv_layout(void) {
    uint64_t len;
    uint8_t *buf = generate("gemma4-e2b-tiny", LM_TYPE_F32, &len);
    lm_model *m;
    CHECK_EQ(lm_model_load(buf, len, &m), LM_OK);
    lm_ctx_params p = lm_ctx_default_params();
    p.n_ctx = 256;
    p.n_batch = 32;
    lm_mem_plan plan;
    CHECK_EQ(lm_model_plan(m, &p, &plan), LM_OK);
    uint64_t ring = 16 + 32, expect = 2 * 2 * (2 * ring * 64 + 256 * 128);
    CHECK_EQ(plan.kv, expect);
    lm_model_free(m);
    free(buf);
}

int main(void) {
    const char *presets[] = { "llama-tiny", "gemma3-tiny", "gemma4-tiny", "gemma4-e2b-tiny" };
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) plan_matches(presets[i]);
    kv_layout();
    return T_DONE();
}
