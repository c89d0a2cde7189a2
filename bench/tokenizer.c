// bench/tokenizer.c — tokenizer load time, load heap and tokenization speed (single thread).
//
//   cc -O2 -o build/bench_tokenizer bench/tokenizer.c src/*.c src/kernels/*.c src/models/*.c -lm
//   build/bench_tokenizer build/llama-src/models/ggml-vocab-gemma-4.gguf [more.gguf ...] [--text FILE]
//
// (build/llama-src/models/ is filled by `node tests/conformance/tokenizer.mjs`.) Load: best of 7,
// wall and process CPU time. Speed: best of 3 single-threaded lm_tokenize calls over the whole
// text (add_special = parse_special = false).
//
// Heap is glibc's count of bytes in use (mallinfo2: arena + mmapped) after lm_vocab_load minus
// before, with the GGUF file already in memory (its buffer is the caller's, not counted). The
// default text is ~8 MB generated deterministically: English-like prose with punctuation and
// numbers (70%), code (15%), Cyrillic (8%) and CJK (7%) paragraphs.
#define _GNU_SOURCE
#include "../src/lm.h"
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double cpu_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static size_t heap_in_use(void) {
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

static uint8_t *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*n + 1);
    if (!b || fread(b, 1, *n, f) != *n) { perror(path); exit(1); }
    fclose(f);
    return b;
}

static uint64_t rnd(uint64_t *x) { *x ^= *x << 13; *x ^= *x >> 7; *x ^= *x << 17; return *x; }

static char *corpus(size_t want, size_t *n) {
    static const char *const W[] = { "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with",
        "be", "by", "on", "not", "he", "I", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had",
        "they", "you", "were", "their", "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when",
        "will", "would", "who", "so", "no", "model", "language", "tokenizer", "browser", "memory", "performance",
        "Gemma", "inference", "quantization", "attention", "don't", "it's", "we're", "Hello", "World", "2024", "3.14" };
    static const char *const CODE = "for (int i = 0; i < n; i++) {\n    sum += x[i] * w[i];\n}\nreturn sum;\n";
    static const char *const CYR = "Съешь же ещё этих мягких французских булок, да выпей чаю. ";
    static const char *const CJK = "自然语言处理是人工智能的一个重要领域。機械学習とは、データから学習するアルゴリズムです。";
    char *s = malloc(want + 4096);
    size_t k = 0;
    uint64_t x = 0x9E3779B97F4A7C15ull;
    while (k < want) {
        uint64_t r = rnd(&x) % 100;
        const char *add;
        char buf[1024];
        if (r < 70) {
            size_t b = 0;
            for (int i = 0, m = 20 + (int)(rnd(&x) % 60); i < m; i++) {
                b += (size_t)snprintf(buf + b, sizeof buf - b, "%s%s", i ? " " : "", W[rnd(&x) % (sizeof W / sizeof W[0])]);
                if (rnd(&x) % 9 == 0) buf[b++] = ",.;:!?"[rnd(&x) % 6];
            }
            buf[b++] = '.'; buf[b++] = '\n'; buf[b] = 0;
            add = buf;
        } else add = r < 85 ? CODE : r < 93 ? CYR : CJK;
        size_t l = strlen(add);
        memcpy(s + k, add, l);
        k += l;
    }
    *n = k;
    return s;
}

static void bench(const char *path, const char *text, size_t tn) {
    size_t n;
    uint8_t *buf = read_all(path, &n);
    double best = 1e30, best_cpu = 1e30;
    size_t heap = 0;
    lm_vocab *v = NULL;
    for (int rep = 0; rep < 7; rep++) {
        size_t h0 = heap_in_use();
        double t0 = now_ms(), c0 = cpu_ms();
        if (lm_vocab_load(buf, n, &v) != LM_OK) { fprintf(stderr, "%s: %s\n", path, lm_errmsg()); exit(1); }
        double t = now_ms() - t0, c = cpu_ms() - c0;
        heap = heap_in_use() - h0;
        if (t < best) best = t;
        if (c < best_cpu) best_cpu = c;
        if (rep < 6) lm_vocab_free(v);
    }
    lm_vocab_info in;
    lm_vocab_get_info(v, &in);
    lm_token *toks = malloc((tn + 16) * 3 * sizeof *toks);
    double tbest = 1e30;
    int32_t count = 0;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now_ms();
        count = lm_tokenize(v, text, (int32_t)tn, toks, (int32_t)((tn + 16) * 3), false, false);
        double t = now_ms() - t0;
        if (t < tbest) tbest = t;
    }
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    printf("| %-26s | %7d | %7.1f | %7.1f | %6.1f | %7.2f | %5.2f |\n", name, in.n_tokens, best, best_cpu, heap / 1048576.0,
           tn / 1048576.0 / (tbest / 1e3), (double)tn / (count > 0 ? count : 1));
    free(toks);
    lm_vocab_free(v);
    free(buf);
}

int main(int argc, char **argv) {
    const char *text_path = NULL;
    size_t tn;
    char *text;
    for (int i = 1; i < argc; i++) if (!strcmp(argv[i], "--text") && i + 1 < argc) text_path = argv[++i];
    text = text_path ? (char *)read_all(text_path, &tn) : corpus(8u << 20, &tn);
    printf("text: %s, %.2f MB\n\n", text_path ? text_path : "generated corpus", tn / 1048576.0);
    printf("| vocabulary                 | tokens  | load ms | load cpu ms | heap MB | MB/s    | bytes/token |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--text")) { i++; continue; }
        bench(argv[i], text, tn);
    }
    free(text);
    return 0;
}
