// kernels.c — matvec throughput of the weight formats through the kernel table the engine uses
#define _POSIX_C_SOURCE 200809L   // clock_gettime
// (lm_kernels_best: SIMD128 under wasm, _ref natively), single thread: activation quantization
// plus the type's gemm (or one vec_dot per row), as blk_matmul runs them, for one token (decode)
// and for 32 tokens (a prefill batch). Prints G weights/s (multiply-adds per second).
//
//   make bench-kernels        (wasm SIMD128 under Node; `build/bench_kernels_native` for native ref)
//   node build/wasm/bench_kernels.cjs [--vec-dot] [TYPE...]
//   --vec-dot: one vec_dot per row and token instead of the gemm kernels (the engine before them)
#include "../src/kernels/kernels.h"
#include "../src/f16.h"
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

static int use_vec_dot;

// One matmul of nt tokens as blk_matmul runs it (activation preparation included).
static void matmul(lm_type t, const uint8_t *w, int64_t rows, int64_t cols, const float *x, int32_t nt, uint8_t *qa, float *y) {
    const lm_kernels *k = lm_kernels_best;
    const lm_type_traits *tr = lm_type_traits_of(t);
    int64_t rb = lm_row_bytes(t, cols), ab = LM_ACT_PREP_BYTES(cols);
    if (tr->per_channel) {   // rows_channel: tiles of LM_PC_TILE rows x tokens over contiguous a16 rows
        int16_t *q = (int16_t *)qa;
        for (int32_t j = 0; j < nt; j++) k->act16(x + j * cols, q + j * cols, cols, 0.0f);
        int32_t d[LM_PC_TILE * LM_PC_TILE];
        for (int64_t i = 0; i < rows; i += LM_PC_TILE)
            for (int32_t j = 0; j < nt; j += LM_PC_TILE) {
                int nr = rows - i < LM_PC_TILE ? (int)(rows - i) : LM_PC_TILE, nj = nt - j < LM_PC_TILE ? nt - j : LM_PC_TILE;
                k->gemm_pc[t](cols, w + i * rb, rb, nr, q + j * cols, nj, d);
                for (int jj = 0; jj < nj; jj++)
                    for (int r = 0; r < nr; r++) y[(j + jj) * rows + i + r] = (float)d[jj * nr + r];
            }
        return;
    }
    lm_gemm_fn gemm = use_vec_dot ? NULL : k->gemm[t];
    lm_from_float_fn prep = gemm ? k->act_prep[t] : k->quantize[tr->vec_dot_type];
    for (int32_t j = 0; j < nt; j++) prep(x + j * cols, qa + j * ab, cols);
    if (gemm) gemm(cols, w, rb, rows, qa, ab, nt, y, rows);
    else lm_gemm_loop(k->vec_dot[t], cols, w, rb, rows, qa, ab, nt, y, rows);
}

// Best of 9 passes of `reps` matmuls of rows x cols by nt tokens (the VM is shared: the best
// pass is the one least disturbed); returns G weights/s.
static double rate(lm_type t, int64_t rows, int64_t cols, int32_t nt, int reps) {
    int64_t rb = lm_row_bytes(t, cols);
    uint8_t *w = malloc((size_t)(rb * rows)), *qa = malloc((size_t)(LM_ACT_PREP_BYTES(cols) * nt));
    float *x = malloc((size_t)(cols * nt) * sizeof *x), *y = malloc((size_t)(rows * nt) * sizeof *y);
    for (int64_t i = 0; i < rb * rows; i++) w[i] = (uint8_t)(unit() * 127.0f);
    int d_at = t == LM_TYPE_Q4_0 || t == LM_TYPE_Q8_0 ? 0 : t == LM_TYPE_Q6_K ? 208 : -1;
    for (int64_t b = 0; d_at >= 0 && b < rb * rows / lm_type_traits_of(t)->type_size; b++) {
        uint16_t d = 0x2000;   // sane fp16 block scales (random bits give subnormals: slow in x86 SIMD)
        memcpy(w + lm_type_traits_of(t)->type_size * b + d_at, &d, 2);
    }
    if (t == LM_TYPE_F16)    // normal halves of weight-like size (subnormals are slow in x86 SIMD)
        for (int64_t i = 0; i < rb * rows / 2; i++) { uint16_t h = lm_f32_to_f16(0.05f * unit()); memcpy(w + 2 * i, &h, 2); }
    for (int64_t i = 0; i < cols * nt; i++) x[i] = unit();
    double best = 1e30, sink = 0.0;
    for (int pass = 0; pass < 9; pass++) {
        double t0 = now();
        for (int r = 0; r < reps; r++) {
            matmul(t, w, rows, cols, x, nt, qa, y);
            sink += y[r % rows];
        }
        double dt = now() - t0;
        best = dt < best ? dt : best;
    }
    if (sink == 12345.678) puts("");   // keeps the loop alive
    free(w); free(qa); free(x); free(y);
    return (double)rows * (double)cols * nt * reps / best * 1e-9;
}

int main(int argc, char **argv) {
    lm_type TYPES[LM_TYPE_COUNT] = { LM_TYPE_Q4_0, LM_TYPE_Q8_0, LM_TYPE_F16, LM_TYPE_Q6_K, LM_TYPE_Q2_C, LM_TYPE_Q4_C, LM_TYPE_I8 };
    size_t n_types = 7;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--vec-dot")) { use_vec_dot = 1; continue; }
        if (n_types == 7) n_types = 0;
        for (int t = 0; t < LM_TYPE_COUNT; t++)
            if (!strcmp(argv[i], lm_type_name((lm_type)t))) TYPES[n_types++] = (lm_type)t;
    }
    static const struct { const char *what; int64_t rows, cols; int reps; } SHAPES[] = {
        { "1536 x 1536 (cache-resident)", 1536, 1536, 12 },
        { "6144 x 1536 (E2B ffn_up, L15+ is 12288)", 6144, 1536, 3 },
        { "1536 x 12288 (E2B ffn_down, double-wide)", 1536, 12288, 2 },
    };
    printf("kernels: %s%s, single thread, G weights/s (activation quantization included)\n",
           lm_kernels_best == &lm_kernels_ref ? "scalar _ref" : "wasm SIMD128", use_vec_dot ? ", vec_dot per row" : "");
    printf("%-44s", "shape");
    for (size_t i = 0; i < n_types; i++) printf(" %7s", lm_type_name(TYPES[i]));
    printf("\n");
    for (int32_t nt = 1; nt <= 32; nt += 31) {
        printf("%s\n", nt == 1 ? "decode (1 token):" : "prefill (32 tokens):");
        for (size_t s = 0; s < sizeof SHAPES / sizeof SHAPES[0]; s++) {
            printf("  %-42s", SHAPES[s].what);
            for (size_t i = 0; i < n_types; i++)
                printf(" %7.2f", rate(TYPES[i], SHAPES[s].rows, SHAPES[s].cols, nt, nt == 1 ? SHAPES[s].reps : 1));
            printf("\n");
        }
    }
    return 0;
}
