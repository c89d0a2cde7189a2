// kernels.c — matvec throughput of the weight formats through the kernel table the engine uses
#define _POSIX_C_SOURCE 200809L   // clock_gettime
// (lm_kernels_best: SIMD128 under wasm, _ref natively), single thread: activation quantization
// plus one vec_dot per row, as blk_matmul runs them. Prints G weights/s (multiply-adds per second).
//
//   make bench-kernels        (wasm SIMD128 under Node; `build/bench_kernels_native` for native ref)
#include "../src/kernels/kernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint32_t rng = 12345;
static float unit(void) { rng = rng * 1664525u + 1013904223u; return (float)(rng >> 8) / 8388608.0f - 1.0f; }

// Best of 3 passes of `reps` matvecs of rows x cols; returns G weights/s.
static double rate(lm_type t, int64_t rows, int64_t cols, int reps) {
    const lm_kernels *k = lm_kernels_best;
    const lm_type_traits *tr = lm_type_traits_of(t);
    lm_type at = tr->vec_dot_type;
    int64_t rb = lm_row_bytes(t, cols);
    uint8_t *w = malloc((size_t)(rb * rows)), *qa = malloc((size_t)lm_row_bytes(at, cols) + 64);
    float *x = malloc((size_t)cols * sizeof *x), *y = malloc((size_t)rows * sizeof *y);
    for (int64_t i = 0; i < rb * rows; i++) w[i] = (uint8_t)(unit() * 127.0f);
    if (t == LM_TYPE_Q4_0)   // sane fp16 scales in the q4_0 blocks
        for (int64_t b = 0; b < rb * rows / 18; b++) { uint16_t d = 0x2000; memcpy(w + 18 * b, &d, 2); }
    for (int64_t i = 0; i < cols; i++) x[i] = unit();
    double best = 1e30, sink = 0.0;
    for (int pass = 0; pass < 3; pass++) {
        double t0 = now();
        for (int r = 0; r < reps; r++) {
            if (tr->per_channel) k->act16(x, (int16_t *)qa, cols, 0.0f);
            else k->quantize[at](x, qa, cols);
            if (tr->per_channel)
                for (int64_t i = 0; i < rows; i++) y[i] = (float)k->dot_pc[t](cols, w + i * rb, (const int16_t *)qa);
            else
                for (int64_t i = 0; i < rows; i++) y[i] = k->vec_dot[t](cols, w + i * rb, qa);
            sink += y[r % rows];
        }
        double dt = now() - t0;
        best = dt < best ? dt : best;
    }
    if (sink == 12345.678) puts("");   // keeps the loop alive
    free(w); free(qa); free(x); free(y);
    return (double)rows * (double)cols * reps / best * 1e-9;
}

int main(void) {
    static const lm_type TYPES[] = { LM_TYPE_Q4_0, LM_TYPE_Q8_0, LM_TYPE_Q2_C, LM_TYPE_Q4_C, LM_TYPE_I8 };
    static const struct { const char *what; int64_t rows, cols; int reps; } SHAPES[] = {
        { "1536 x 1536 (cache-resident)", 1536, 1536, 40 },
        { "6144 x 1536 (E2B ffn_up, L15+ is 12288)", 6144, 1536, 10 },
        { "1536 x 12288 (E2B ffn_down, double-wide)", 1536, 12288, 5 },
    };
    printf("kernels: %s, single thread, G weights/s (activation quantization included)\n",
           lm_kernels_best == &lm_kernels_ref ? "scalar _ref" : "wasm SIMD128");
    printf("%-44s", "shape");
    for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++) printf(" %7s", lm_type_name(TYPES[i]));
    printf("\n");
    for (size_t s = 0; s < sizeof SHAPES / sizeof SHAPES[0]; s++) {
        printf("%-44s", SHAPES[s].what);
        for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++)
            printf(" %7.2f", rate(TYPES[i], SHAPES[s].rows, SHAPES[s].cols, SHAPES[s].reps));
        printf("\n");
    }
    return 0;
}
