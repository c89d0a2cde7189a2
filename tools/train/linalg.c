// linalg.c — the trainer's matrix products, row-major f32, split across the thread pool.
//
// Every output element is one sequential sum over the inner index in increasing order, started
// from the element's current value (accumulating calls) or 0: cache blocking, vector width and
// the thread split only change which element is computed when, never the order of its sum, so
// results are bitwise the same for any thread count and on every x86-64 (no FMA contraction:
// the build uses -ffp-contract=off). The AVX2 clone is picked at run time where available.
#include "train.h"
#include <stdlib.h>
#include <string.h>

typedef float v8f __attribute__((vector_size(32)));

// Unaligned vector load/store (no v8f crosses a function boundary: that would depend on the ABI).
#define LD8(v, p) memcpy(&(v), (p), sizeof(v8f))
#define ST8(p, v) memcpy((p), &(v), sizeof(v8f))

enum { MR = 4, NR = 16, KB = 256, JB = 256 };   // register tile MR x NR; cache blocks over k and j

// C[r][j0..j0+16) (+)= sum_k A[r][k] B[k][j..] for r in [r0, r0+MR), k in [k0, k1): one register
// tile (named accumulators: an array would live on the stack at -O2). lda/ldb/ldc in floats.
__attribute__((target_clones("avx2", "default")))
static void tile_nn(float *C, int ldc, const float *A, int lda, const float *B, int ldb, int k0, int k1, bool load) {
    v8f c00 = { 0 }, c01 = { 0 }, c10 = { 0 }, c11 = { 0 }, c20 = { 0 }, c21 = { 0 }, c30 = { 0 }, c31 = { 0 };
    if (load) {
        LD8(c00, C); LD8(c01, C + 8); LD8(c10, C + ldc); LD8(c11, C + ldc + 8);
        LD8(c20, C + 2 * ldc); LD8(c21, C + 2 * ldc + 8); LD8(c30, C + 3 * ldc); LD8(c31, C + 3 * ldc + 8);
    }
    const float *a0 = A, *a1 = A + lda, *a2 = A + 2 * lda, *a3 = A + 3 * lda;
    for (int k = k0; k < k1; k++) {
        v8f b0, b1;
        LD8(b0, B + (int64_t)k * ldb);
        LD8(b1, B + (int64_t)k * ldb + 8);
        c00 += b0 * a0[k]; c01 += b1 * a0[k];
        c10 += b0 * a1[k]; c11 += b1 * a1[k];
        c20 += b0 * a2[k]; c21 += b1 * a2[k];
        c30 += b0 * a3[k]; c31 += b1 * a3[k];
    }
    ST8(C, c00); ST8(C + 8, c01); ST8(C + ldc, c10); ST8(C + ldc + 8, c11);
    ST8(C + 2 * ldc, c20); ST8(C + 2 * ldc + 8, c21); ST8(C + 3 * ldc, c30); ST8(C + 3 * ldc + 8, c31);
}

// Scalar edge: rows or columns that do not fill a tile. Same per-element order.
static void edge_nn(float *C, int ldc, const float *A, int lda, const float *B, int ldb, int rows, int cols,
                    int k0, int k1, bool load) {
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < cols; j++) {
            float s = load ? C[r * ldc + j] : 0.0f;
            for (int k = k0; k < k1; k++) s += A[(int64_t)r * lda + k] * B[(int64_t)k * ldb + j];
            C[r * ldc + j] = s;
        }
}

typedef struct {
    float *C; const float *A, *B;
    int N, K, J;
    bool acc;
} nn_job;

// Columns [j_lo, j_hi) of C = A B (A [N][K], B [K][J]). Each KB x JB block of B is first packed
// tile by tile (Bp[tile][k][NR], contiguous: no strided rows in the inner loop), then every row
// tile of A runs over it.
static void nn_range(const nn_job *m, int j_lo, int j_hi, float *Bp) {
    for (int jb = j_lo; jb < j_hi; jb += JB) {
        int je = jb + JB < j_hi ? jb + JB : j_hi, full = (je - jb) / NR * NR;
        for (int kb = 0; kb < m->K; kb += KB) {
            int ke = kb + KB < m->K ? kb + KB : m->K, kn = ke - kb;
            bool load = m->acc || kb > 0;
            for (int t = 0; t < full / NR; t++)
                for (int k = 0; k < kn; k++)
                    memcpy(Bp + ((int64_t)t * kn + k) * NR, m->B + (int64_t)(kb + k) * m->J + jb + t * NR, NR * sizeof(float));
            for (int r = 0; r < m->N; r += MR) {
                int rows = m->N - r < MR ? m->N - r : MR;
                float *C = m->C + (int64_t)r * m->J;
                const float *A = m->A + (int64_t)r * m->K;
                if (rows == MR)
                    for (int t = 0; t < full / NR; t++)
                        tile_nn(C + jb + t * NR, m->J, A, m->K, Bp + (int64_t)t * kn * NR - (int64_t)kb * NR, NR, kb, ke, load);
                int j = rows == MR ? jb + full : jb;
                if (j < je) edge_nn(C + j, m->J, A, m->K, m->B + j, m->J, rows, je - j, kb, ke, load);
            }
        }
    }
}

// Splits columns in whole NR tiles so every thread's share starts on a tile.
static void split_cols(int J, int ith, int nth, int *lo, int *hi) {
    int tiles = (J + NR - 1) / NR;
    *lo = tiles * ith / nth * NR;
    *hi = tiles * (ith + 1) / nth * NR;
    if (*hi > J) *hi = J;
}

static void nn_worker(void *arg, int ith, int nth) {
    const nn_job *m = arg;
    int lo, hi;
    split_cols(m->J, ith, nth, &lo, &hi);
    float *Bp = lo < hi ? malloc((size_t)KB * JB * sizeof *Bp) : NULL;   // 256 KiB packed block
    if (Bp) nn_range(m, lo, hi, Bp);
    else if (lo < hi) abort();
    free(Bp);
}

void tr_gemm_nn(lm_pool *p, float *C, const float *A, const float *B, int N, int K, int J, bool acc) {
    nn_job m = { C, A, B, N, K, J, acc };
    lm_pool_run(p, nn_worker, &m);
}

// ---- C[o][i] (+)= sum_n A[n][o] B[n][i]: weight gradients (A = dY, B = X) ----

__attribute__((target_clones("avx2", "default")))
static void tile_tn(float *C, int ldc, const float *A, int lda, const float *B, int ldb, int n0, int n1) {
    v8f c00, c01, c10, c11, c20, c21, c30, c31;
    LD8(c00, C); LD8(c01, C + 8); LD8(c10, C + ldc); LD8(c11, C + ldc + 8);
    LD8(c20, C + 2 * ldc); LD8(c21, C + 2 * ldc + 8); LD8(c30, C + 3 * ldc); LD8(c31, C + 3 * ldc + 8);
    for (int n = n0; n < n1; n++) {
        const float *b = B + (int64_t)n * ldb, *a = A + (int64_t)n * lda;
        v8f b0, b1;
        LD8(b0, b);
        LD8(b1, b + 8);
        c00 += b0 * a[0]; c01 += b1 * a[0];
        c10 += b0 * a[1]; c11 += b1 * a[1];
        c20 += b0 * a[2]; c21 += b1 * a[2];
        c30 += b0 * a[3]; c31 += b1 * a[3];
    }
    ST8(C, c00); ST8(C + 8, c01); ST8(C + ldc, c10); ST8(C + ldc + 8, c11);
    ST8(C + 2 * ldc, c20); ST8(C + 2 * ldc + 8, c21); ST8(C + 3 * ldc, c30); ST8(C + 3 * ldc + 8, c31);
}

static void edge_tn(float *C, int ldc, const float *A, int lda, const float *B, int ldb, int rows, int cols, int n0, int n1) {
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < cols; j++) {
            float s = C[r * ldc + j];
            for (int n = n0; n < n1; n++) s += A[(int64_t)n * lda + r] * B[(int64_t)n * ldb + j];
            C[r * ldc + j] = s;
        }
}

typedef struct { float *C; const float *A, *B; int N, O, I; } tn_job;
enum { TN_NB = 256, TN_OB = 64 };   // dY blocks: tokens x output rows

// Rows [o_lo, o_hi) of C. The NB x OB block of A is packed first (Ap[n][OB], contiguous) so the
// inner loop does not touch one far-apart row of dY per step.
static void tn_range(const tn_job *m, int o_lo, int o_hi, float *Ap) {
    for (int ob = o_lo; ob < o_hi; ob += TN_OB) {
        int oe = ob + TN_OB < o_hi ? ob + TN_OB : o_hi;
        for (int nb = 0; nb < m->N; nb += TN_NB) {
            int ne = nb + TN_NB < m->N ? nb + TN_NB : m->N;
            for (int n = nb; n < ne; n++) memcpy(Ap + (int64_t)(n - nb) * TN_OB, m->A + (int64_t)n * m->O + ob, (size_t)(oe - ob) * sizeof(float));
            const float *B = m->B + (int64_t)nb * m->I;
            float *Bp = Ap + TN_NB * TN_OB;   // the block's X columns [i, i+NR), packed [n][NR]
            for (int i = 0; i < m->I; i += NR) {
                int cols = m->I - i < NR ? m->I - i : NR;
                if (cols == NR)
                    for (int n = 0; n < ne - nb; n++) memcpy(Bp + (int64_t)n * NR, B + (int64_t)n * m->I + i, NR * sizeof(float));
                for (int o = ob; o < oe; o += MR) {
                    int rows = oe - o < MR ? oe - o : MR;
                    float *C = m->C + (int64_t)o * m->I + i;
                    if (rows == MR && cols == NR) tile_tn(C, m->I, Ap + (o - ob), TN_OB, Bp, NR, 0, ne - nb);
                    else edge_tn(C, m->I, Ap + (o - ob), TN_OB, B + i, m->I, rows, cols, 0, ne - nb);
                }
            }
        }
    }
}

static void tn_worker(void *arg, int ith, int nth) {
    const tn_job *m = arg;
    int tiles = (m->O + MR - 1) / MR, lo = tiles * ith / nth * MR, hi = tiles * (ith + 1) / nth * MR;
    if (hi > m->O) hi = m->O;
    float *Ap = lo < hi ? malloc((size_t)TN_NB * (TN_OB + NR) * sizeof *Ap) : NULL;   // A block, then one X tile
    if (Ap) tn_range(m, lo, hi, Ap);
    else if (lo < hi) abort();
    free(Ap);
}

void tr_gemm_tn(lm_pool *p, float *C, const float *A, const float *B, int N, int O, int I) {
    tn_job m = { C, A, B, N, O, I };
    lm_pool_run(p, tn_worker, &m);
}

// ---- transpose, for products with W^T ----

typedef struct { float *dst; const float *src; int rows, cols; } tr_job;

static void transpose_worker(void *arg, int ith, int nth) {
    const tr_job *t = arg;
    int lo = t->cols * ith / nth, hi = t->cols * (ith + 1) / nth;
    for (int c0 = lo; c0 < hi; c0 += 32)
        for (int r0 = 0; r0 < t->rows; r0 += 32)
            for (int c = c0; c < (c0 + 32 < hi ? c0 + 32 : hi); c++)
                for (int r = r0; r < (r0 + 32 < t->rows ? r0 + 32 : t->rows); r++)
                    t->dst[(int64_t)c * t->rows + r] = t->src[(int64_t)r * t->cols + c];
}

void tr_transpose(lm_pool *p, float *dst, const float *src, int rows, int cols) {
    tr_job t = { dst, src, rows, cols };
    lm_pool_run(p, transpose_worker, &t);
}

// Y[n][o] = sum_i X[n][i] W[o][i]: W^T goes through scratch [I][O].
void tr_matmul_xwt(lm_pool *p, float *Y, const float *X, const float *W, float *scratch, int N, int I, int O) {
    tr_transpose(p, scratch, W, O, I);
    tr_gemm_nn(p, Y, X, scratch, N, I, O, false);
}
