// test_kernels.c — kernel tests, run natively (make test-c) and under Node over wasm SIMD128
// (make test-wasm):
//   (a) hand-built blocks whose values were worked out on paper pin each block layout;
//   (b) quantize -> dequantize round-trip error bounds per format;
//   (c) vec_dot_ref of a weight row equals the double dot of the dequantized operands;
//   (d) parity: lm_kernels_best against lm_kernels_ref for every vec_dot, quantizer and op.
// Natively best == ref, so (d) is trivial there; under wasm it tests the *_simd128 kernels.
#include "t.h"
#include "../src/kernels/kernels.h"
#include "../src/f16.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// ---- parity tolerances: |best - ref| <= TOL * (1 + |ref|) ----
// Every SIMD twin follows its _ref's evaluation order exactly (the canonical orders in kernels.h:
// lane-structured float sums, the lm_exp_poly exponential), so native (ref) and wasm (SIMD)
// builds give the same bits and therefore the same tokens. All tolerances are zero.
#define LM_TOL_FLOAT_DOT 0.0
#define LM_TOL_QBLOCK    0.0
#define LM_TOL_KQUANT    0.0
#define LM_TOL_RMSNORM   0.0
#define LM_TOL_EXP_OPS   0.0
#define LM_TOL_GELU      0.0

// ---- xorshift64* (no rand(): same numbers on every platform) ----
static uint64_t rng = 1;
static void rng_seed(uint64_t s) { rng = s * 0x9E3779B97F4A7C15ull + 1; }
static uint32_t rng_u32(void) {
    rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27;
    return (uint32_t)((rng * 0x2545F4914F6CDD1Dull) >> 32);
}
static float rng_unit(void) { return (float)(rng_u32() >> 8) * (2.0f / 16777216.0f) - 1.0f; }   // [-1, 1)
static float rng_gauss(void) { return (rng_unit() + rng_unit() + rng_unit() + rng_unit()) * 0.8660254f; }  // ~N(0,1)

static void fill_gauss(float *x, int64_t n, float scale) {
    for (int64_t i = 0; i < n; i++) x[i] = scale * rng_gauss();
}

static int64_t bsize(lm_type t) { return lm_type_traits_of(t)->block_size; }

// Quantizes n floats with type t's reference quantizer into a fresh buffer.
static void *quantize_new(lm_type t, const float *x, int64_t n) {
    void *q = malloc((size_t)lm_row_bytes(t, n));
    lm_type_traits_of(t)->from_float(x, q, n);
    return q;
}

static int count_mismatch(const float *got, const float *want, int n, const char *what) {
    int bad = 0;
    for (int i = 0; i < n; i++)
        if (got[i] != want[i] && bad++ < 4) fprintf(stderr, "%s[%d]: got %.9g want %.9g\n", what, i, got[i], want[i]);
    return bad;
}

// ======================= (a) hand-built blocks =======================

static void test_q4_0_q4_1_q8_layout(void) {
    float out[32], want[32];
    block_q4_0 a = { .d = 0x3800 };                         // d = 0.5
    for (int j = 0; j < 16; j++) a.qs[j] = (uint8_t)(j | (15 - j) << 4);
    dequant_q4_0_ref(&a, out, 32);
    for (int j = 0; j < 16; j++) { want[j] = 0.5f * (j - 8); want[j + 16] = 0.5f * (7 - j); }
    CHECK_EQ(count_mismatch(out, want, 32, "q4_0"), 0);
    CHECK(out[0] == -4.0f && out[15] == 3.5f && out[16] == 3.5f && out[31] == -4.0f);   // low nibbles first

    block_q4_1 b = { .d = 0x3400, .m = 0xBC00 };           // d = 0.25, m = -1
    for (int j = 0; j < 16; j++) b.qs[j] = (uint8_t)((15 - j) | j << 4);
    dequant_q4_1_ref(&b, out, 32);
    for (int j = 0; j < 16; j++) { want[j] = 0.25f * (15 - j) - 1.0f; want[j + 16] = 0.25f * j - 1.0f; }
    CHECK_EQ(count_mismatch(out, want, 32, "q4_1"), 0);
    CHECK(out[0] == 2.75f && out[16] == -1.0f);

    block_q8_0 c = { .d = 0x4000 };                         // d = 2
    for (int j = 0; j < 32; j++) c.qs[j] = (int8_t)(j * 8 - 128);
    c.qs[31] = 127;
    dequant_q8_0_ref(&c, out, 32);
    CHECK(out[0] == -256.0f && out[1] == -240.0f && out[31] == 254.0f);

    block_q8_1 e = { .d = 0x3800, .s = 0 };                 // d = 0.5; s is not used by dequant
    for (int j = 0; j < 32; j++) e.qs[j] = (int8_t)(j - 16);
    dequant_q8_1_ref(&e, out, 32);
    CHECK(out[0] == -8.0f && out[31] == 7.5f);

    static block_q8_k k;
    k.d = 0.25f;
    for (int j = 0; j < 256; j++) k.qs[j] = (int8_t)(j - 128);
    float ok[256];
    dequant_q8_k_ref(&k, ok, 256);
    CHECK(ok[0] == -32.0f && ok[255] == 31.75f);
}

// Eight (scale, min) pairs chosen so that sub-blocks 4..7 use their top two bits, packed by
// hand per tensor.h / kquant.h: bytes 0-3 sc[0..3] | (sc[4..7]>>4)<<6, bytes 4-7 m[0..3] |
// (m[4..7]>>4)<<6, bytes 8-11 (sc[4..7]&15) | (m[4..7]&15)<<4.
static const uint8_t KSC[8] = { 1, 2, 3, 63, 17, 33, 48, 62 }, KM[8] = { 0, 5, 62, 7, 31, 16, 63, 40 };
static const uint8_t KPACKED[12] = { 0x41, 0x82, 0xC3, 0xFF, 0x40, 0x45, 0xFE, 0x87, 0xF1, 0x01, 0xF0, 0x8E };

static void test_q4_k_q5_k_layout(void) {
    static block_q4_k a;
    static block_q5_k b;
    float out[256], want[256];
    a.d = b.d = 0x3C00;  a.dmin = b.dmin = 0x3800;           // d = 1, dmin = 0.5
    memcpy(a.scales, KPACKED, 12);  memcpy(b.scales, KPACKED, 12);
    for (int c = 0; c < 4; c++)
        for (int l = 0; l < 32; l++) a.qs[32*c + l] = b.qs[32*c + l] = (uint8_t)((l & 15) | ((l + c) & 15) << 4);
    for (int l = 0; l < 32; l++) b.qh[l] = (uint8_t)(1u << (l % 8));   // fifth bit only for sub-block l%8

    dequant_q4_k_ref(&a, out, 256);
    for (int c = 0; c < 4; c++)
        for (int l = 0; l < 32; l++) {
            want[64*c + l]      = KSC[2*c] * (l & 15) - 0.5f * KM[2*c];
            want[64*c + 32 + l] = KSC[2*c + 1] * ((l + c) & 15) - 0.5f * KM[2*c + 1];
        }
    CHECK_EQ(count_mismatch(out, want, 256, "q4_k"), 0);
    CHECK(out[64*2 + 1] == 1.5f && out[64*3 + 32 + 5] == 476.0f);   // 17*1-15.5; 62*8-20

    dequant_q5_k_ref(&b, out, 256);
    for (int c = 0; c < 4; c++)
        for (int h = 0; h < 2; h++)
            for (int l = 0; l < 32; l++) {
                int code = (h ? (l + c) & 15 : l & 15) + (l % 8 == 2*c + h ? 16 : 0);
                want[64*c + 32*h + l] = KSC[2*c + h] * code - 0.5f * KM[2*c + h];
            }
    CHECK_EQ(count_mismatch(out, want, 256, "q5_k"), 0);
    CHECK(out[32 + 1] == 31.5f && out[64*3 + 6] == 1024.5f);         // 2*17-2.5; 48*22-31.5
}

static void test_q6_k_layout(void) {
    static block_q6_k b;
    float out[256], want[256];
    b.d = 0x3800;                                                    // d = 0.5
    for (int j = 0; j < 16; j++) b.scales[j] = (int8_t)(j % 2 ? -(j + 1) : j + 1);
    for (int i = 0; i < 128; i++) b.ql[i] = (uint8_t)(i * 37 + 5);
    for (int i = 0; i < 64; i++) b.qh[i] = (uint8_t)(i * 101 + 3);
    b.ql[0] = 0x21; b.ql[32] = 0x43; b.qh[0] = 0xE4;                 // qh[0] = 11 10 01 00
    b.ql[64] = 0x0F; b.qh[32] = 0x03;
    // ggml's order: per 128-half h, for l < 32, elements l, l+32, l+64, l+96 take
    // ql[l] lo, ql[l+32] lo, ql[l] hi, ql[l+32] hi, with qh[l] bits 1:0, 3:2, 5:4, 7:6 on top.
    for (int h = 0; h < 2; h++)
        for (int l = 0; l < 32; l++) {
            const uint8_t *ql = b.ql + 64*h, qh = b.qh[32*h + l];
            int q[4] = { (ql[l] & 15) | (qh & 3) << 4,        (ql[l + 32] & 15) | (qh >> 2 & 3) << 4,
                         (ql[l] >> 4) | (qh >> 4 & 3) << 4,   (ql[l + 32] >> 4) | (qh >> 6 & 3) << 4 };
            for (int k = 0; k < 4; k++) {
                int e = 128*h + 32*k + l;
                want[e] = 0.5f * b.scales[e / 16] * (q[k] - 32);    // 16-element scale groups in order
            }
        }
    dequant_q6_k_ref(&b, out, 256);
    CHECK_EQ(count_mismatch(out, want, 256, "q6_k"), 0);
    // by hand: e0 = (1|0<<4)-32 = -31 -> .5*1*-31; e32 = (3|1<<4)-32 = -13 -> .5*3*-13;
    // e64 = (2|2<<4)-32 = 2 -> .5*5*2; e96 = (4|3<<4)-32 = 20 -> .5*7*20; e128 = (15|3<<4)-32 = 31 -> .5*9*31
    CHECK(out[0] == -15.5f && out[32] == -19.5f && out[64] == 5.0f && out[96] == 70.0f && out[128] == 139.5f);
}

// GGUF-M per-channel blocks (tensor.h, docs/FORMAT.md): unit-scale values, row scales live apart.
static void test_per_channel_layout(void) {
    float out[64], want[64];
    block_q2_c a;                                            // even bytes 0xE4 = 11 10 01 00, odd 0x1B = 00 01 10 11
    for (int j = 0; j < 16; j++) a.qs[j] = j % 2 ? 0x1B : 0xE4;
    for (int j = 0; j < 16; j++)
        for (int k = 0; k < 4; k++) want[16 * k + j] = (float)((j % 2 ? 3 - k : k) - 2);   // element 16k+j: bits 2k+1:2k
    dequant_q2_c_ref(&a, out, 64);
    CHECK_EQ(count_mismatch(out, want, 64, "q2_c"), 0);
    CHECK(out[0] == -2 && out[16] == -1 && out[32] == 0 && out[48] == 1 && out[1] == 1 && out[49] == -2);
    int16_t y[64];
    int32_t dot = 0, ysum = 0;                               // dot_pc: stored codes; minus offset * sum(y) = values
    for (int i = 0; i < 64; i++) { y[i] = (int16_t)(i * 4 - 128); dot += (int32_t)want[i] * y[i]; ysum += i < 32 ? y[i] : 0; }
    int32_t y64 = ysum;
    for (int i = 32; i < 64; i++) y64 += y[i];
    CHECK(lm_kernels_ref.dot_pc[LM_TYPE_Q2_C](64, &a, y) - 2 * y64 == dot);
    CHECK(lm_kernels_best->dot_pc[LM_TYPE_Q2_C](64, &a, y) == lm_kernels_ref.dot_pc[LM_TYPE_Q2_C](64, &a, y));
    CHECK(lm_type_traits_of(LM_TYPE_Q2_C)->code_offset == 2 && lm_type_traits_of(LM_TYPE_Q4_C)->code_offset == 8);

    block_q4_c b;                                            // q4_0's nibble order: checked against q4_0 itself
    block_q4_0 b0 = { .d = 0x3C00 };                         // d = 1
    for (int j = 0; j < 16; j++) b.qs[j] = b0.qs[j] = (uint8_t)(j | (15 - j) << 4);
    dequant_q4_c_ref(&b, out, 32);
    dequant_q4_0_ref(&b0, want, 32);
    CHECK_EQ(count_mismatch(out, want, 32, "q4_c"), 0);
    CHECK(out[0] == -8 && out[15] == 7 && out[16] == 7 && out[31] == -8);
    dot = 0;
    for (int i = 0; i < 32; i++) dot += (int32_t)want[i] * y[i];
    CHECK(lm_kernels_ref.dot_pc[LM_TYPE_Q4_C](32, &b, y) - 8 * ysum == dot);
    CHECK(lm_kernels_best->dot_pc[LM_TYPE_Q4_C](32, &b, y) - 8 * ysum == dot);

    int8_t c[27];                                            // any length: block size 1, SIMD tail
    dot = 0;
    for (int i = 0; i < 27; i++) { c[i] = (int8_t)(i * 9 - 128); dot += c[i] * y[i]; }
    dequant_i8_ref(c, out, 27);
    CHECK(out[0] == -128 && out[26] == 106);
    CHECK(lm_kernels_ref.dot_pc[LM_TYPE_I8](27, c, y) == dot);
    CHECK(lm_kernels_best->dot_pc[LM_TYPE_I8](27, c, y) == dot);
}

// a16 activations: x / s rounded half to even, clamped to int8, NaN -> 0; static and dynamic scales.
static void test_act16(void) {
    float x[19] = { 0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 200.0f, -300.0f, NAN, 127.5f, -128.5f, 3.0f };
    const int16_t want[11] = { 0, 2, 2, 0, -2, 127, -128, 0, 127, -128, 3 };
    int16_t r[19], b[19];
    for (int i = 11; i < 19; i++) x[i] = (float)i;           // through the SIMD body and the tail
    CHECK(lm_kernels_ref.act16(x, r, 19, 1.0f) == 1.0f && lm_kernels_best->act16(x, b, 19, 1.0f) == 1.0f);
    CHECK(memcmp(r, want, sizeof want) == 0 && memcmp(r, b, sizeof r) == 0);
    float s = lm_kernels_ref.act16(x, r, 19, 0.0f);         // dynamic: max|x| = 300 (NaN ignored)
    CHECK(s == 300.0f / 127.0f && lm_kernels_best->act16(x, b, 19, -1.0f) == s);
    CHECK(r[6] == -127 && r[5] == 85 && memcmp(r, b, sizeof r) == 0);
    float z[9] = {0};
    CHECK(lm_kernels_best->act16(z, b, 9, 0.0f) == 0.0f && b[8] == 0);
}

// Round-half-to-even in the activation quantizers, ref and best alike.
static void test_quantize_ties(void) {
    float x[256] = { 127.0f, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 3.5f };
    const int8_t want8[8] = { 127, 0, 2, 2, 0, -2, -2, 4 };   // amax 127 -> id = 1
    block_q8_0 r, s;
    quantize_q8_0_ref(x, &r, 32);
    lm_kernels_best->quantize[LM_TYPE_Q8_0](x, &s, 32);
    CHECK(memcmp(r.qs, want8, 8) == 0);
    CHECK(memcmp(&r, &s, sizeof r) == 0);

    // q8_k: +127 and -127 tie for the largest magnitude; the first (-127) wins -> iscale = +1
    float y[256] = { -127.0f, 127.0f, 0.5f, 1.5f, 2.5f, -2.5f };
    const int8_t wantk[6] = { -127, 127, 0, 2, 2, -2 };
    static block_q8_k kr, ks;
    quantize_q8_k_ref(y, &kr, 256);
    lm_kernels_best->quantize[LM_TYPE_Q8_K](y, &ks, 256);
    CHECK(memcmp(kr.qs, wantk, 6) == 0 && kr.d == 1.0f && kr.bsums[0] == 2);
    CHECK(memcmp(&kr, &ks, sizeof kr) == 0);
}

// ======================= (b) round trips =======================

// Worst-case |x - dequant(quant(x))| for one block, from the quantizer's rule (fp16 scale
// rounding is 2^-11 relative). K-quants use an empirical bound (see below).
static double rt_bound(lm_type t, const float *x, int n) {
    float amax = 0.0f, mn = x[0], mx = x[0];
    for (int i = 0; i < n; i++) { amax = fmaxf(amax, fabsf(x[i])); mn = fminf(mn, x[i]); mx = fmaxf(mx, x[i]); }
    switch (t) {   // test-only: the bound per format is what differs, not the code path
    case LM_TYPE_F32:  return 0.0;
    case LM_TYPE_F16:  return amax * 0x1p-11 + 0x1p-25;   // per element this is looser; fine
    case LM_TYPE_BF16: return amax * 0x1p-8;
    case LM_TYPE_Q8_0: case LM_TYPE_Q8_1: return amax / 127.0 * (0.5 + 127 * 0x1p-11);
    case LM_TYPE_Q8_K: return amax / 127.0 * 0.501;
    case LM_TYPE_Q4_0: return amax / 8.0 * (1.0 + 16 * 0x1p-11);   // -max maps to 7d, not 8d: error d
    case LM_TYPE_Q4_1: return (mx - mn) / 15.0 * (0.5 + 15 * 0x1p-11) + fabsf(mn) * 0x1p-11 + 1e-7;
    // Half a step: a sub-block spans <= 2*amax over nmax levels (q4_k 15, q5_k 31; q6_k is
    // symmetric: amax over 31 up, 32 down). Measured worst err/amax on N(0,1) rows: 0.065,
    // 0.032, 0.016 ~ the half step; the 6-bit rounding of sub-block scales/mins and the clamp
    // at the range ends add some, so the bounds are 1.5 half steps.
    case LM_TYPE_Q4_K: return amax / 15.0 * 1.5;
    case LM_TYPE_Q5_K: return amax / 31.0 * 1.5;
    case LM_TYPE_Q6_K: return amax / 62.0 * 1.5;
    default: return -1.0;
    }
}

static void test_round_trips(void) {
    static const lm_type types[] = { LM_TYPE_F32, LM_TYPE_F16, LM_TYPE_BF16, LM_TYPE_Q8_0, LM_TYPE_Q8_1, LM_TYPE_Q8_K,
                                     LM_TYPE_Q4_0, LM_TYPE_Q4_1, LM_TYPE_Q4_K, LM_TYPE_Q5_K, LM_TYPE_Q6_K };
    enum { N = 4096 };
    static float x[N], y[N];
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
        lm_type t = types[ti];
        int bs = (int)bsize(t), group = bs < 32 ? 32 : bs, bad = 0;
        double worst = 0.0;
        rng_seed(100 + ti);
        fill_gauss(x, N, 1.0f);
        void *q = quantize_new(t, x, N);
        lm_type_traits_of(t)->to_float(q, y, N);
        for (int b0 = 0; b0 < N; b0 += group) {
            double bound = rt_bound(t, x + b0, group), amax = 0.0;
            for (int i = b0; i < b0 + group; i++) amax = fmax(amax, fabs(x[i]));
            for (int i = b0; i < b0 + group; i++) {
                double e = fabs((double)x[i] - y[i]);
                if (e > bound) bad++;
                worst = fmax(worst, e / amax);
            }
        }
        if (bad) fprintf(stderr, "round trip %s: %d elements over bound (worst err/amax %.3g)\n", lm_type_name(t), bad, worst);
        CHECK_EQ(bad, 0);
        free(q);
    }
}

// ======================= (c) vec_dot_ref consistency =======================

static void test_vec_dot_ref_consistency(void) {
    enum { N = 700 };
    static const int lens[] = { 512, 700, 172 };   // 700 and 172: chunk and lane tails (n % 8 != 0)
    static float x[N], a[N], xd[N], ad[N];
    for (int t = 0; t < LM_TYPE_COUNT; t++) {
        if (!lm_kernels_ref.vec_dot[t]) continue;
        lm_type at = lm_type_traits_of(t)->vec_dot_type;
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            int n = lens[li];
            if (n % bsize((lm_type)t)) continue;
            rng_seed(200 + (uint64_t)t + 17 * li);
            fill_gauss(x, n, 0.5f);  fill_gauss(a, n, 2.0f);
            void *qw = quantize_new((lm_type)t, x, n), *qa = malloc((size_t)lm_row_bytes(at, n));
            lm_kernels_ref.quantize[at](a, qa, n);
            lm_type_traits_of(t)->to_float(qw, xd, n);
            lm_type_traits_of(at)->to_float(qa, ad, n);
            double dd = 0.0, mag = 0.0;
            for (int i = 0; i < n; i++) { dd += (double)xd[i] * ad[i]; mag += fabs((double)xd[i] * ad[i]); }
            // q4_1 x q8_1 uses s = fp16(d*sum(q)): the min term carries 2^-11 relative error
            double tol = (t == LM_TYPE_Q4_1 ? 1e-3 : 1e-5) * mag + 1e-6;
            float got = lm_kernels_ref.vec_dot[t](n, qw, qa);
            if (fabs(got - dd) > tol) fprintf(stderr, "vec_dot_ref %s n=%d: %.9g vs dequantized dot %.9g\n", lm_type_name(t), n, got, dd);
            CHECK(fabs(got - dd) <= tol);
            free(qw); free(qa);
        }
    }
}

// ======================= (d) parity best vs ref =======================

static double tol_for(int t) {
    switch (t) {   // test-only: tolerance family of each weight type
    case LM_TYPE_F32: case LM_TYPE_F16: case LM_TYPE_BF16: return LM_TOL_FLOAT_DOT;
    case LM_TYPE_Q8_0: case LM_TYPE_Q4_0: case LM_TYPE_Q4_1: return LM_TOL_QBLOCK;
    default: return LM_TOL_KQUANT;
    }
}

// Raw random blocks (every bit pattern of the codes, incl. -128 and all 6-bit scales), with
// the float fields replaced by sane values: offsets of the fp16 fields and the f32 field.
static const struct { lm_type t; int16_t h0, h1, f; } RAW_FIX[] = {
    { LM_TYPE_Q8_0, 0, -1, -1 }, { LM_TYPE_Q8_1, 0, 2, -1 }, { LM_TYPE_Q4_0, 0, -1, -1 }, { LM_TYPE_Q4_1, 0, 2, -1 },
    { LM_TYPE_Q4_K, 0, 2, -1 },  { LM_TYPE_Q5_K, 0, 2, -1 }, { LM_TYPE_Q6_K, 208, -1, -1 }, { LM_TYPE_Q8_K, -1, -1, 0 },
};

static void fill_raw(lm_type t, uint8_t *p, int64_t n) {
    const lm_type_traits *tr = lm_type_traits_of(t);
    for (int64_t i = 0; i < lm_row_bytes(t, n); i++) p[i] = (uint8_t)rng_u32();
    if (t == LM_TYPE_A16)                                    // a16 codes are int8 values (incl. -128)
        for (int64_t i = 0; i < n; i++) { int16_t v = (int8_t)rng_u32(); memcpy(p + 2 * i, &v, 2); }
    for (size_t k = 0; k < sizeof RAW_FIX / sizeof RAW_FIX[0]; k++) {
        if (RAW_FIX[k].t != t) continue;
        for (uint8_t *b = p; b < p + lm_row_bytes(t, n); b += tr->type_size) {
            uint16_t h0 = lm_f32_to_f16(0.01f * rng_unit()), h1 = lm_f32_to_f16(0.01f * rng_unit());
            float f = 0.02f * rng_unit();
            if (RAW_FIX[k].h0 >= 0) memcpy(b + RAW_FIX[k].h0, &h0, 2);
            if (RAW_FIX[k].h1 >= 0) memcpy(b + RAW_FIX[k].h1, &h1, 2);
            if (RAW_FIX[k].f >= 0) memcpy(b + RAW_FIX[k].f, &f, 4);
        }
    }
    // q8_k's invariant: bsums are the sums of each 16 codes (the relaxed q6_k kernel, like
    // ggml's x86 kernels, relies on it); random codes keep it true
    for (block_q8_k *b = (block_q8_k *)p; t == LM_TYPE_Q8_K && (uint8_t *)b < p + lm_row_bytes(t, n); b++)
        for (int g = 0; g < LM_QK_K / 16; g++) {
            int s = 0;
            for (int l = 0; l < 16; l++) s += b->qs[16*g + l];
            b->bsums[g] = (int16_t)s;
        }
}

// One parity case; returns |best - ref| / (1 + |ref|).
static double dot_case(int t, int64_t n, int raw, float *x, float *a) {
    lm_type at = lm_type_traits_of(t)->vec_dot_type;
    void *qw = malloc((size_t)lm_row_bytes(t, n)), *qa = malloc((size_t)lm_row_bytes(at, n));
    if (raw) { fill_raw((lm_type)t, qw, n); fill_raw(at, qa, n); }
    else {
        fill_gauss(x, n, 0.5f);  fill_gauss(a, n, 3.0f);
        lm_type_traits_of(t)->from_float(x, qw, n);
        lm_kernels_ref.quantize[at](a, qa, n);
    }
    float r = lm_kernels_ref.vec_dot[t](n, qw, qa), b = lm_kernels_best->vec_dot[t](n, qw, qa);
    free(qw); free(qa);
    return fabs((double)b - r) / (1.0 + fabs(r));
}

static void test_vec_dot_parity(void) {
    static const int64_t lens[] = { 256, 512, 2560, 6144, 224, 263, 172, 700 };   // last four: tails (where blocks allow)
    float *x = malloc(6144 * sizeof *x), *a = malloc(6144 * sizeof *a);
    for (int t = 0; t < LM_TYPE_COUNT; t++) {
        if (!lm_kernels_ref.vec_dot[t]) continue;
        CHECK(lm_kernels_best->vec_dot[t] != NULL);
        int is_float = t == LM_TYPE_F32 || t == LM_TYPE_F16 || t == LM_TYPE_BF16;
        double worst = 0.0;
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            if (lens[li] % bsize((lm_type)t)) continue;
            for (int raw = 0; raw <= !is_float; raw++)
                for (uint64_t seed = 1; seed <= 3; seed++) {
                    rng_seed(seed * 1000 + (uint64_t)(t * 10 + raw));
                    double e = dot_case(t, lens[li], raw, x, a);
                    worst = fmax(worst, e);
                    if (e > tol_for(t)) fprintf(stderr, "parity %s n=%lld raw=%d seed=%llu: rel err %.3g\n",
                                                 lm_type_name(t), (long long)lens[li], raw, (unsigned long long)seed, e);
                    CHECK(e <= tol_for(t));
                }
        }
        printf("parity vec_dot %-5s max |best-ref|/(1+|ref|) = %.3g (tol %.1g)\n", lm_type_name(t), worst, tol_for(t));
    }
    free(x); free(a);
}

// Equal bits, or both NaN (a NaN's sign and payload are not specified through SIMD arithmetic).
static int same_bits(float a, float b) { return memcmp(&a, &b, 4) == 0 || (isnan(a) && isnan(b)); }

// gemm (several rows x several tokens over prepared activations): every (row, token) of the best
// table's gemm must have exactly the bits (NaN: any NaN) of the reference vec_dot on that row and
// token, for tile tails in rows and tokens, quantized and raw weights (f16: with subnormals, inf,
// NaN; q4_0/q8_0: an inf and a NaN block scale) and activation rows with zero blocks, outliers and
// f16-overflowing values.
static int gemm_case(lm_type t, int64_t n, int64_t nr, int32_t nt, int raw) {
    lm_type at = lm_type_traits_of(t)->vec_dot_type;
    int64_t wb = lm_row_bytes(t, n), ab = LM_ACT_PREP_BYTES(n), qb = lm_row_bytes(at, n);
    uint8_t *w = malloc((size_t)(wb * nr)), *pb = malloc((size_t)(ab * nt)), *pr = malloc((size_t)(ab * nt));
    uint8_t *qa = malloc((size_t)(qb * nt));
    float *x = malloc((size_t)(n * (nt > nr ? nt : nr)) * sizeof *x), *yb = malloc((size_t)(nr * nt) * sizeof *yb);
    float *yr = malloc((size_t)(nr * nt) * sizeof *yr);
    if (raw) fill_raw(t, w, n * nr);
    else { fill_gauss(x, n * nr, 0.5f); lm_type_traits_of(t)->from_float(x, w, n * nr); }
    if (raw && (t == LM_TYPE_Q4_0 || t == LM_TYPE_Q8_0)) {   // an inf and a NaN block scale (fp16 d first)
        uint16_t inf = 0x7c00, nan = 0xfe00;
        memcpy(w, &inf, 2);
        memcpy(w + (nr - 1) * wb + (n > 32 ? lm_type_traits_of(t)->type_size : 0), &nan, 2);
    }
    fill_gauss(x, n * nt, 3.0f);
    for (int64_t i = 0; i < n * nt; i += 97) x[i] *= 1e4f;                       // outliers, f16 overflow
    for (int64_t i = 0; i < (n < 32 ? n : 32); i++) x[i] = 0.0f;                // a zero block
    for (int32_t k = 0; k < nt; k++) {
        lm_kernels_best->act_prep[t](x + k * n, pb + k * ab, n);
        lm_kernels_ref.act_prep[t](x + k * n, pr + k * ab, n);
        lm_kernels_ref.quantize[at](x + k * n, qa + k * qb, n);
    }
    lm_kernels_best->gemm[t](n, w, wb, nr, pb, ab, nt, yb, nr);
    lm_kernels_ref.gemm[t](n, w, wb, nr, pr, ab, nt, yr, nr);
    int bad = 0;
    for (int64_t r = 0; r < nr; r++)
        for (int32_t k = 0; k < nt; k++) {
            float want = lm_kernels_ref.vec_dot[t](n, w + r * wb, qa + k * qb);
            bad += !same_bits(yb[k * nr + r], want) || !same_bits(yr[k * nr + r], want);
        }
    free(w); free(pb); free(pr); free(qa); free(x); free(yb); free(yr);
    return bad;
}

static void test_gemm_parity(void) {
    static const int64_t lens[] = { 256, 1536, 224, 263, 700 };
    static const int64_t rows[] = { 1, 3, 4, 5, 9 };
    static const int32_t toks[] = { 1, 2, 3, 4, 5, 8 };
    for (int t = 0; t < LM_TYPE_COUNT; t++) {
        if (!lm_kernels_ref.gemm[t]) continue;
        CHECK(lm_kernels_best->gemm[t] != NULL && lm_kernels_best->act_prep[t] != NULL && lm_kernels_ref.act_prep[t] != NULL);
        int bad = 0, cases = 0;
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            if (lens[li] % bsize((lm_type)t)) continue;
            for (size_t ri = 0; ri < sizeof rows / sizeof rows[0]; ri++)
                for (size_t ti = 0; ti < sizeof toks / sizeof toks[0]; ti++)
                    for (int raw = 0; raw <= 1; raw++, cases++) {
                        rng_seed(lens[li] * 131 + (uint64_t)(rows[ri] * 17 + toks[ti] * 3 + raw + t * 1000));
                        int b = gemm_case((lm_type)t, lens[li], rows[ri], toks[ti], raw);
                        if (b) fprintf(stderr, "gemm %s n=%lld rows=%lld toks=%d raw=%d: %d values differ\n", lm_type_name(t),
                                       (long long)lens[li], (long long)rows[ri], toks[ti], raw, b);
                        bad += b != 0;
                    }
        }
        printf("parity gemm    %-5s %d cases, %d differ from vec_dot_ref (bits)\n", lm_type_name(t), cases, bad);
        CHECK_EQ(bad, 0);
    }
}

// Per-channel integer dots (GGUF-M): raw random codes (every bit pattern) against int8-range
// activations; best must equal ref exactly, and ref minus offset x sum(a) must equal the dot of
// the unit-scale dequantized weights.
static void test_dot_pc(void) {
    static const int64_t lens[] = { 256, 512, 2560, 6144, 224, 263 };
    enum { NMAX = 6144 };
    static uint8_t w[NMAX];
    static int16_t a[NMAX];
    static float wd[NMAX];
    for (int t = 0; t < LM_TYPE_COUNT; t++) {
        if (!lm_kernels_ref.dot_pc[t]) continue;
        CHECK(lm_kernels_best->dot_pc[t] != NULL && !lm_kernels_ref.vec_dot[t]);
        int bad = 0, cases = 0;
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            int64_t n = lens[li];
            if (n % bsize((lm_type)t)) continue;
            for (uint64_t seed = 1; seed <= 4; seed++, cases++) {
                rng_seed(seed * 77 + (uint64_t)t);
                fill_raw((lm_type)t, w, n);
                fill_raw(LM_TYPE_A16, (uint8_t *)a, n);
                if (seed == 4) for (int64_t i = 0; i < n; i++) a[i] = -128;          // extremes
                int32_t r = lm_kernels_ref.dot_pc[t](n, w, a), b = lm_kernels_best->dot_pc[t](n, w, a);
                lm_type_traits_of(t)->to_float(w, wd, n);
                int64_t sum = 0, want = 0;
                for (int64_t i = 0; i < n; i++) { sum += a[i]; want += (int64_t)wd[i] * a[i]; }
                bad += r != b || r - lm_type_traits_of(t)->code_offset * sum != want;
            }
        }
        printf("parity dot_pc  %-5s %d cases, %d differ (exact integers)\n", lm_type_name(t), cases, bad);
        CHECK_EQ(bad, 0);
    }
}

// Per-channel tiles (gemm_pc): every nr x nt up to LM_PC_TILE, rows with a padded stride, random
// codes and activations (and the -128 extreme); best must equal the ref dot per row and token.
static void test_gemm_pc(void) {
    static const int64_t lens[] = { 64, 1536, 2560, 27, 263 };
    enum { NMAX = 2560, WB = NMAX + 48 };
    static uint8_t w[LM_PC_TILE * WB];
    static int16_t a[LM_PC_TILE * NMAX];
    for (int t = 0; t < LM_TYPE_COUNT; t++) {
        if (!lm_kernels_ref.dot_pc[t]) continue;
        CHECK(lm_kernels_ref.gemm_pc[t] != NULL && lm_kernels_best->gemm_pc[t] != NULL);
        int bad = 0, cases = 0;
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            int64_t n = lens[li];
            if (n % bsize((lm_type)t)) continue;
            rng_seed(31 * (uint64_t)li + (uint64_t)t);
            for (int r = 0; r < LM_PC_TILE; r++) fill_raw((lm_type)t, w + r * WB, n);
            fill_raw(LM_TYPE_A16, (uint8_t *)a, LM_PC_TILE * n);
            if (li == 0) for (int64_t i = 0; i < n; i++) a[n + i] = -128;
            for (int nr = 1; nr <= LM_PC_TILE; nr++)
                for (int nt = 1; nt <= LM_PC_TILE; nt++, cases++) {
                    int32_t ref[LM_PC_TILE * LM_PC_TILE], best[LM_PC_TILE * LM_PC_TILE];
                    lm_kernels_ref.gemm_pc[t](n, w, WB, nr, a, nt, ref);
                    lm_kernels_best->gemm_pc[t](n, w, WB, nr, a, nt, best);
                    for (int i = 0; i < nr * nt; i++)
                        bad += best[i] != ref[i] || ref[i] != lm_kernels_ref.dot_pc[t](n, w + (i % nr) * WB, a + (i / nr) * n);
                }
        }
        printf("parity gemm_pc %-5s %d tiles, %d differ (exact integers)\n", lm_type_name(t), cases, bad);
        CHECK_EQ(bad, 0);
    }
}

// f16/bf16 edge values the random rows never reach: subnormals, -0, inf, NaN.
static void test_half_specials(void) {
    uint16_t w[64], a[64];
    for (int i = 0; i < 64; i++) {
        w[i] = (uint16_t)(i < 32 ? (i * 33 + 1) & 0x3ff : 0x3C00 + i);   // f16 subnormals, then ~1
        if (i % 3 == 0) w[i] |= 0x8000;
        a[i] = i % 2 ? 0x7BFF : 0xFBFF;                                  // +-65504
    }
    w[40] = 0x8000;                                                      // -0
    const lm_type types[2] = { LM_TYPE_F16, LM_TYPE_BF16 };
    for (int k = 0; k < 2; k++) {
        lm_vec_dot_fn ref = lm_kernels_ref.vec_dot[types[k]], best = lm_kernels_best->vec_dot[types[k]];
        float r = ref(64, w, a), b = best(64, w, a);
        CHECK_NEAR(b, r, LM_TOL_FLOAT_DOT * (1.0 + fabs(r)));
        uint16_t wi[64];
        memcpy(wi, w, sizeof w);
        wi[50] = types[k] == LM_TYPE_F16 ? 0x7C00 : 0x7F80;                 // +inf times +65504
        a[50] = 0x7BFF;
        CHECK(isinf(ref(64, wi, a)) && ref(64, wi, a) == best(64, wi, a));
        wi[50] = types[k] == LM_TYPE_F16 ? 0x7E00 : 0x7FC0;                 // NaN
        CHECK(isnan(ref(64, wi, a)) && isnan(best(64, wi, a)));
    }
}

// Activation quantizers must be bit-identical (same codes feed the exact integer dots).
static void test_quantize_parity(void) {
    static const int64_t lens[] = { 256, 6144, 32 * 5, 172, 700 };
    static float x[6144];
    static uint8_t r[6144 * 4], b[6144 * 4];
    for (int t = 0; t < LM_TYPE_COUNT; t++) {
        if (!lm_kernels_ref.quantize[t]) continue;
        CHECK(lm_kernels_best->quantize[t] != NULL);
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            int64_t n = lens[li];
            if (n % bsize((lm_type)t)) continue;
            rng_seed(300 + (uint64_t)t + li);
            fill_gauss(x, n, 4.0f);
            for (int i = 0; i < 32; i++) x[i] = 0.0f;                            // an all-zero block
            for (int i = 32; i < 64 && n > 64; i++) x[i] = (float)(i % 9) - 4.5f;   // with amax 127:
            if (n > 64) x[40] = 127.0f;                                           // id = 1, ties at .5
            memset(r, 0xAA, sizeof r);  memset(b, 0x55, sizeof b);
            lm_kernels_ref.quantize[t](x, r, n);
            lm_kernels_best->quantize[t](x, b, n);
            int same = memcmp(r, b, (size_t)lm_row_bytes(t, n)) == 0;
            if (!same) fprintf(stderr, "quantize %s n=%lld differs\n", lm_type_name(t), (long long)n);
            CHECK(same);
        }
    }
}

// ---- ops ----

static double op_err(const float *best, const float *ref, int n) {
    double w = 0.0;
    for (int i = 0; i < n; i++) {
        if (best[i] == ref[i] || (isnan(best[i]) && isnan(ref[i]))) continue;   // incl. equal infinities
        double d = fabs((double)best[i] - ref[i]) / (1.0 + fabs(ref[i]));
        w = isnan(d) ? INFINITY : fmax(w, d);
    }
    return w;
}

static void test_ops_parity(void) {
    static const int lens[] = { 1, 7, 256, 1536, 2563 };
    enum { M = 2563 };
    static float x[M], w[M], u[M], r[M], b[M];
    double e_rms = 0, e_sm = 0, e_sw = 0, e_ge = 0, e_ax = 0;
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        int n = lens[li];
        rng_seed(400 + li);
        fill_gauss(x, n, 3.0f);  fill_gauss(w, n, 1.0f);  fill_gauss(u, n, 1.0f);
        for (int wi = 0; wi < 2; wi++) {
            lm_kernels_ref.rmsnorm(r, x, wi ? w : NULL, n, 1e-6f);
            memcpy(b, x, sizeof(float) * n);
            lm_kernels_best->rmsnorm(b, b, wi ? w : NULL, n, 1e-6f);   // in place, as heads_prepare uses it
            e_rms = fmax(e_rms, op_err(b, r, n));
        }
        for (int s = 0; s < 2; s++) {                              // logits with sd 3 and 30
            for (int i = 0; i < n; i++) r[i] = b[i] = x[i] * (s ? 10.0f : 1.0f);
            if (n > 8) { r[3] = b[3] = -INFINITY; r[5] = b[5] = -1e30f; }   // masked positions
            lm_kernels_ref.softmax(r, n);  lm_kernels_best->softmax(b, n);
            e_sm = fmax(e_sm, op_err(b, r, n));
        }
        for (int i = 0; i < n; i++) b[i] = x[i] * 8.0f;          // gates in ~+-100: exp over/underflow
        if (n > 8) { b[1] = 95.0f; b[2] = -95.0f; b[4] = 88.5f; b[6] = -88.5f; }
        memcpy(w, b, sizeof(float) * n);
        lm_kernels_ref.swiglu(r, w, u, n);  lm_kernels_best->swiglu(b, w, u, n);
        e_sw = fmax(e_sw, op_err(b, r, n));
        for (int i = 0; i < n; i++) w[i] = x[i] * 4.0f;          // covers the +-10 pass-through
        lm_kernels_ref.gelu(r, w, n);  lm_kernels_best->gelu(b, w, n);
        e_ge = fmax(e_ge, op_err(b, r, n));
        lm_kernels_ref.geglu(r, w, u, n);  lm_kernels_best->geglu(b, w, u, n);
        e_ge = fmax(e_ge, op_err(b, r, n));
        static uint16_t h[M];                                      // attention's V rows: every f16 kind
        for (int i = 0; i < n; i++) h[i] = lm_f32_to_f16(u[i] * (i % 7 == 3 ? 1e-6f : 1.0f));
        if (n > 8) { h[2] = 0x7c00; h[5] = 0x8001; h[7] = 0x7bff; }
        for (int i = 0; i < n; i++) r[i] = b[i] = x[i];
        lm_kernels_ref.axpy_f16(r, 0.3f, h, n);  lm_kernels_best->axpy_f16(b, 0.3f, h, n);
        e_ax = fmax(e_ax, op_err(b, r, n));
        static int8_t c8[M];
        for (int i = 0; i < n; i++) c8[i] = (int8_t)((i * 37 + 11) % 256 - 128);
        lm_kernels_ref.axpy_i8(r, -1.7f, c8, n);  lm_kernels_best->axpy_i8(b, -1.7f, c8, n);
        e_ax = fmax(e_ax, op_err(b, r, n));
        for (int i = 0; i < n; i++) r[i] = (float)c8[i];           // the K dot of the int8 KV cache
        float d_ref = lm_kernels_ref.dot_f32_i8(n, c8, x), d_best = lm_kernels_best->dot_f32_i8(n, c8, x);
        e_ax = fmax(e_ax, op_err(&d_best, &d_ref, 1) + (d_ref != lm_kernels_ref.vec_dot[LM_TYPE_F32](n, r, x)));
    }
    printf("parity ops: rmsnorm %.3g, softmax %.3g, swiglu %.3g, gelu/geglu %.3g, axpy_f16/i8 %.3g\n", e_rms, e_sm, e_sw, e_ge, e_ax);
    CHECK(e_rms <= LM_TOL_RMSNORM);
    CHECK(e_sm <= LM_TOL_EXP_OPS);
    CHECK(e_sw <= LM_TOL_EXP_OPS);
    CHECK(e_ge <= LM_TOL_GELU);
    CHECK(e_ax == 0);
}

int main(void) {
    printf("kernels: best = %s\n", lm_kernels_best == &lm_kernels_ref ? "ref" : "simd128");
    test_q4_0_q4_1_q8_layout();
    test_q4_k_q5_k_layout();
    test_q6_k_layout();
    test_per_channel_layout();
    test_act16();
    test_quantize_ties();
    test_round_trips();
    test_vec_dot_ref_consistency();
    test_vec_dot_parity();
    test_gemm_parity();
    test_dot_pc();
    test_gemm_pc();
    test_half_specials();
    test_quantize_parity();
    test_ops_parity();
    return T_DONE();
}
