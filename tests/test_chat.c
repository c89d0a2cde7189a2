// test_chat.c — chat template detection and rendering (expected prompts written out by hand
// from the templates; tests/conformance/tokenizer.mjs compares with llama.cpp's Jinja engine).
#include "../src/chat.h"
#include "../src/lm.h"
#include "../tools/gguf_write.h"
#include "t.h"
#include <stdlib.h>
#include <string.h>

static const char GEMMA4[] = "{{ bos_token }}{%- if enable_thinking -%}{{- '<|turn>system\\n' -}}{{- '<|think|>' -}}"
                             "{%- endif -%} ... '<|turn>model\\n' ... '<|channel>thought\\n<channel|>'";
static const char GEMMA4_NEW[] = "{{- bos_token -}} '<|turn>system\\n' {{- '<|think|>\\n' -}} continue_same_model_turn";
static const char GEMMA3[] = "{{ bos_token }}{%- if messages[0]['role'] == 'system' -%}...<start_of_turn>...";
static const char GEMMA2[] = "{{ bos_token }}{{ raise_exception('System role not supported') }}<start_of_turn>";
static const char GEMMA7B[] = "{{ raise_exception('System role not supported') }}<start_of_turn>";   // no bos_token
static const char LLAMA3[] = "{{ bos_token + '<|start_header_id|>' + role + '<|end_header_id|>' }}{% if add_generation_prompt %}";
static const char LLAMA3_ALWAYS[] = "{% set content = '<|start_header_id|>' %}<|end_header_id|>{{ bos_token }}";
static const char LLAMA31[] = "{{- bos_token }}<|start_header_id|><|end_header_id|>Cutting Knowledge Date: add_generation_prompt";
static const char QWEN2[] = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
                            "{{ '<|im_start|>system\nYou are a helpful assistant<|im_end|>\n' }}{% endif %}"
                            "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}";
static const char QWEN25[] = "{{- '<|im_start|>system\\n' }}{{- '<|im_start|>system\\n' + messages[0]['content'] }}"
                             "{{- '<|im_start|>system\\nYou are Qwen, \\'quoted\\'.<|im_end|>\\n' }}";
static const char CHATML[] = "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>'}}";
static const char QWEN3[] = "<|im_start|>{{ '<think>\\n\\n</think>\\n\\n' }}";

static void test_detect(void) {
    struct { const char *t; lm_chat_format f; } CASES[] = {
        { GEMMA4, LM_CHAT_GEMMA4 }, { GEMMA3, LM_CHAT_GEMMA3 }, { GEMMA2, LM_CHAT_GEMMA3 }, { LLAMA3, LM_CHAT_LLAMA3 },
        { LLAMA31, LM_CHAT_LLAMA31 }, { QWEN2, LM_CHAT_CHATML }, { CHATML, LM_CHAT_CHATML },
    };
    lm_chat_template_info in;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        CHECK_EQ(lm_chat_analyze(CASES[i].t, strlen(CASES[i].t), &in), LM_OK);
        CHECK_EQ(in.format, CASES[i].f);
    }
    CHECK_EQ(lm_chat_analyze(QWEN3, strlen(QWEN3), &in), LM_UNSUPPORTED);
    CHECK(strstr(lm_errmsg(), "not recognised"));
    CHECK_EQ(lm_chat_analyze("{{ messages }}", 14, &in), LM_UNSUPPORTED);
    CHECK_EQ(lm_chat_analyze(NULL, 0, &in), LM_UNSUPPORTED);
    lm_chat_analyze(GEMMA2, strlen(GEMMA2), &in);
    CHECK(in.no_system && !in.no_bos);
    lm_chat_analyze(GEMMA7B, strlen(GEMMA7B), &in);
    CHECK(in.no_bos);
    lm_chat_analyze(GEMMA4_NEW, strlen(GEMMA4_NEW), &in);
    CHECK(in.think_newline && in.merge_model_turns);
    lm_chat_analyze(LLAMA3_ALWAYS, strlen(LLAMA3_ALWAYS), &in);
    CHECK(in.always_gen_prompt);
    lm_chat_analyze(QWEN2, strlen(QWEN2), &in);
    CHECK(in.default_system_len == strlen("You are a helpful assistant"));
    lm_chat_analyze(QWEN25, strlen(QWEN25), &in);
    CHECK(in.default_system && !strncmp(in.default_system, "You are Qwen", 12));
    CHECK_EQ(lm_chat_format_from_name("gemma4"), LM_CHAT_GEMMA4);
    CHECK_EQ(lm_chat_format_from_name("nope"), LM_CHAT_COUNT);
    CHECK(!strcmp(lm_chat_format_name(LM_CHAT_CHATML), "chatml"));
    CHECK(lm_chat_format_name(LM_CHAT_COUNT) == NULL);
}

// A vocabulary whose BOS text is `bos` and chat template `tmpl`.
static lm_vocab *vocab(const char *bos, const char *tmpl, uint8_t **buf) {
    const char *tok[] = { "<pad>", "<eos>", bos, "a" };
    int32_t type[] = { 3, 3, 3, 1 };
    float score[] = { 0, 0, 0, 0 };
    gguf_writer *w = gw_new(32);
    gw_str(w, "tokenizer.ggml.model", "llama");
    gw_arr_str(w, "tokenizer.ggml.tokens", tok, 4);
    gw_arr_f32(w, "tokenizer.ggml.scores", score, 4);
    gw_arr_i32(w, "tokenizer.ggml.token_type", type, 4);
    gw_u32(w, "tokenizer.ggml.bos_token_id", 2);
    if (tmpl) gw_str(w, "tokenizer.chat_template", tmpl);
    uint64_t len;
    gw_write_mem(w, buf, &len);
    gw_free(w);
    lm_vocab *v = NULL;
    CHECK_EQ(lm_vocab_load(*buf, len, &v), LM_OK);
    return v;
}

#define MSG(r, c) { LM_ROLE_##r, c }

static void check_render(int line, const lm_vocab *v, lm_chat_params p, const lm_chat_msg *m, int n, const char *want) {
    static char out[4096];
    int32_t k = lm_chat_render(v, &p, m, n, out, sizeof out);
    bool ok = want ? k >= 0 && (size_t)k == strlen(want) && !memcmp(out, want, (size_t)k) : k == INT32_MIN;
    if (ok) { t_pass++; return; }
    t_fail++;
    fprintf(stderr, "line %d: rendered (%d) \"%.*s\"\n   want \"%s\"\n", line, k, k > 0 ? k : 0, out, want ? want : "(error)");
}
#define CHECK_RENDER(v, p, m, want) check_render(__LINE__, v, p, m, (int)(sizeof m / sizeof m[0]), want)

static void test_gemma(void) {
    uint8_t *b1, *b2, *b3;
    lm_vocab *g4 = vocab("<bos>", GEMMA4, &b1), *g3 = vocab("<bos>", GEMMA3, &b2), *g2 = vocab("<bos>", GEMMA2, &b3);
    lm_chat_params p = lm_chat_default_params();
    const lm_chat_msg one[] = { MSG(USER, "  Hi \n") };
    const lm_chat_msg sys[] = { MSG(SYSTEM, " Be brief.\n"), MSG(USER, "Hi"), MSG(ASSISTANT, "<|channel>thought\nhm<channel|> Hello! "),
                                MSG(USER, "Bye") };
    CHECK_RENDER(g4, p, one, "<bos><|turn>user\nHi<turn|>\n<|turn>model\n<|channel>thought\n<channel|>");
    CHECK_RENDER(g4, p, sys, "<bos><|turn>system\nBe brief.<turn|>\n<|turn>user\nHi<turn|>\n<|turn>model\nHello!<turn|>\n"
                             "<|turn>user\nBye<turn|>\n<|turn>model\n<|channel>thought\n<channel|>");
    p.enable_thinking = true;
    CHECK_RENDER(g4, p, one, "<bos><|turn>system\n<|think|><turn|>\n<|turn>user\nHi<turn|>\n<|turn>model\n");
    p.enable_thinking = false;
    p.add_generation_prompt = false;
    CHECK_RENDER(g4, p, one, "<bos><|turn>user\nHi<turn|>\n");
    p.add_generation_prompt = true;
    p.chat_template = GEMMA4_NEW;                      // newer template: "<|think|>\n", merged model turns
    p.enable_thinking = true;
    const lm_chat_msg twice[] = { MSG(USER, "q"), MSG(ASSISTANT, "a"), MSG(ASSISTANT, "b") };
    CHECK_RENDER(g4, p, twice, "<bos><|turn>system\n<|think|>\n<turn|>\n<|turn>user\nq<turn|>\n<|turn>model\na<turn|>\nb<turn|>\n"
                               "<|turn>model\n");
    p = lm_chat_default_params();
    CHECK_RENDER(g3, p, sys, "<bos><start_of_turn>user\n Be brief.\n\n\nHi<end_of_turn>\n<start_of_turn>model\n"
                             "<|channel>thought\nhm<channel|> Hello!<end_of_turn>\n<start_of_turn>user\nBye<end_of_turn>\n"
                             "<start_of_turn>model\n");
    const lm_chat_msg bad[] = { MSG(USER, "a"), MSG(USER, "b") };
    CHECK_RENDER(g3, p, bad, NULL);                    // roles must alternate
    CHECK(strstr(lm_errmsg(), "alternate"));
    CHECK_RENDER(g2, p, sys, NULL);                    // Gemma 2: no system role
    CHECK_RENDER(g2, p, one, "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n");
    p.chat_template = GEMMA7B;
    CHECK_RENDER(g2, p, one, "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n");
    lm_vocab_free(g4); lm_vocab_free(g3); lm_vocab_free(g2);
    free(b1); free(b2); free(b3);
}

static void test_llama_chatml(void) {
    uint8_t *b1, *b2, *b3;
    lm_vocab *l3 = vocab("<|begin_of_text|>", LLAMA3, &b1), *l31 = vocab("<|begin_of_text|>", LLAMA31, &b2);
    lm_vocab *q = vocab("<|endoftext|>", QWEN2, &b3);
    lm_chat_params p = lm_chat_default_params();
    const lm_chat_msg m[] = { MSG(SYSTEM, " S "), MSG(USER, " U "), MSG(ASSISTANT, " A ") };
    CHECK_RENDER(l3, p, m, "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user"
                           "<|end_header_id|>\n\nU<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nA<|eot_id|>"
                           "<|start_header_id|>assistant<|end_header_id|>\n\n");
    p.date = "05 Mar 2026";
    CHECK_RENDER(l31, p, m, "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
                            "Today Date: 05 Mar 2026\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|>"
                            "<|start_header_id|>assistant<|end_header_id|>\n\nA<|eot_id|><|start_header_id|>assistant"
                            "<|end_header_id|>\n\n");
    p = lm_chat_default_params();
    const lm_chat_msg u[] = { MSG(USER, " hi ") };
    CHECK_RENDER(q, p, u, "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\n hi <|im_end|>\n"
                          "<|im_start|>assistant\n");
    CHECK_RENDER(q, p, m, "<|im_start|>system\n S <|im_end|>\n<|im_start|>user\n U <|im_end|>\n<|im_start|>assistant\n A <|im_end|>\n"
                          "<|im_start|>assistant\n");
    p.chat_template = QWEN25;
    CHECK_RENDER(q, p, u, "<|im_start|>system\nYou are Qwen, 'quoted'.<|im_end|>\n<|im_start|>user\n hi <|im_end|>\n"
                          "<|im_start|>assistant\n");
    p.chat_template = NULL;
    p.format = LM_CHAT_CHATML;                          // explicit format, no template details
    CHECK_RENDER(NULL, p, u, "<|im_start|>user\n hi <|im_end|>\n<|im_start|>assistant\n");
    p.format = LM_CHAT_AUTO;
    CHECK_RENDER(NULL, p, u, NULL);                     // nothing to detect from
    lm_vocab_free(l3); lm_vocab_free(l31); lm_vocab_free(q);
    free(b1); free(b2); free(b3);
}

static void test_buffers(void) {
    uint8_t *b;
    lm_vocab *q = vocab("<s>", CHATML, &b);
    lm_chat_params p = lm_chat_default_params();
    const lm_chat_msg u[] = { MSG(USER, "hi") };
    const char *want = "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n";
    int32_t n = lm_chat_render(q, &p, u, 1, NULL, 0);
    CHECK_EQ(n, -(int32_t)strlen(want));
    char small[8];
    CHECK_EQ(lm_chat_render(q, &p, u, 1, small, sizeof small), n);
    CHECK_EQ(lm_chat_render(q, NULL, u, 1, small, 8), INT32_MIN);
    const lm_chat_msg nul[] = { { LM_ROLE_USER, NULL } };
    CHECK_EQ(lm_chat_render(q, &p, nul, 1, small, 8), INT32_MIN);
    const lm_chat_msg role[] = { { (lm_chat_role)7, "x" } };
    CHECK_EQ(lm_chat_render(q, &p, role, 1, small, 8), INT32_MIN);
    p.format = LM_CHAT_COUNT;
    CHECK_EQ(lm_chat_render(q, &p, u, 1, small, 8), INT32_MIN);
    p = lm_chat_default_params();
    CHECK_EQ(lm_chat_render(q, &p, NULL, 0, NULL, 0), -(int32_t)strlen("<|im_start|>assistant\n"));   // no messages
    lm_vocab_free(q);
    free(b);
}

int main(void) {
    test_detect();
    test_gemma();
    test_llama_chatml();
    test_buffers();
    return T_DONE();
}
