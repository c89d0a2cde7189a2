// test_sampler.c — the sampler chain: goldens for fixed seeds, greedy equivalences, ties,
// penalties, filter supports checked against a qsort reference, and the empirical
// distribution against softmax.
#include <stdlib.h>
#include <string.h>

#include "../src/sampler.h"
#include "t.h"

// Test-side logits: xorshift64 → uniform floats in [lo, hi) (independent of the sampler's rng).
static void fill_logits(float *l, int32_t n, uint64_t seed, float lo, float hi) {
    uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
    for (int32_t i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        l[i] = lo + (hi - lo) * (float)((double)(x >> 11) * 0x1.0p-53);
    }
}

static lm_sampler *make(lm_sampler_params p, int32_t n_vocab) {
    lm_sampler *s = NULL;
    lm_status st = lm_sampler_new(&p, n_vocab, &s);
    CHECK_EQ(st, LM_OK);
    if (st != LM_OK) { fprintf(stderr, "lm_sampler_new: %s\n", lm_errmsg()); exit(1); }
    return s;
}

static lm_sampler_params sampling_only(float temperature) {   // every filter and penalty off
    lm_sampler_params p = lm_sampler_default_params();
    p.temperature = temperature; p.top_k = 0; p.top_p = 1.0f; p.min_p = 0.0f;
    return p;
}

static lm_token ref_argmax(const float *l, int32_t n) {
    lm_token best = 0;
    for (int32_t i = 1; i < n; i++) if (l[i] > l[best]) best = i;
    return best;
}

static void test_defaults(void) {
    lm_sampler_params p = lm_sampler_default_params();
    CHECK_NEAR(p.temperature, 0.8, 1e-7); CHECK_EQ(p.top_k, 40); CHECK_NEAR(p.top_p, 0.95, 1e-7);
    CHECK_NEAR(p.min_p, 0.05, 1e-7); CHECK_NEAR(p.repeat_penalty, 1.0, 0);
    CHECK_NEAR(p.presence_penalty, 0.0, 0); CHECK_NEAR(p.frequency_penalty, 0.0, 0);
    CHECK_EQ(p.penalty_last_n, 64); CHECK_EQ(p.seed, 0);
}

// Draws n tokens from a fresh sampler; for goldens and determinism checks.
static void draw(lm_sampler_params p, const float *l, int32_t n_vocab, lm_token *out, int n) {
    lm_sampler *s = make(p, n_vocab);
    for (int i = 0; i < n; i++) out[i] = lm_sampler_sample(s, l);
    lm_sampler_free(s);
}

// Goldens recorded once from this implementation (and checked identical under the wasm build);
// they pin the rng, the chain order and the candidate order. A change here changes every
// user's seeded output: review it like an API change.
static void test_goldens(void) {
    enum { N = 32, G = 12, NB = 1000 };
    float l[N];
    fill_logits(l, N, 7, -2.0f, 2.0f);
    lm_token got[G];

    lm_sampler_params p = lm_sampler_default_params();   // top-k 40 > N: top-p heap, min-p, temp
    p.seed = 42;
    static const lm_token want_default[G] = { 24, 3, 9, 14, 2, 3, 14, 2, 17, 26, 14, 9 };
    draw(p, l, N, got, G);
    for (int i = 0; i < G; i++) CHECK_EQ(got[i], want_default[i]);

    p.top_k = 5;                                          // the k-heap path
    static const lm_token want_k5[G] = { 13, 14, 14, 24, 0, 14, 24, 0, 9, 0, 24, 14 };
    draw(p, l, N, got, G);
    for (int i = 0; i < G; i++) CHECK_EQ(got[i], want_k5[i]);

    p = sampling_only(1.0f);                              // plain softmax draw, id order
    p.seed = 0;
    static const lm_token want_seed0[G] = { 23, 17, 2, 9, 5, 20, 13, 0, 13, 3, 28, 24 };
    draw(p, l, N, got, G);
    for (int i = 0; i < G; i++) CHECK_EQ(got[i], want_seed0[i]);
    p.seed = LM_SAMPLER_DEFAULT_SEED;                     // 0 stands for the default seed
    draw(p, l, N, got, G);
    for (int i = 0; i < G; i++) CHECK_EQ(got[i], want_seed0[i]);

    float *big = malloc(NB * sizeof *big);
    fill_logits(big, NB, 11, -3.0f, 3.0f);
    p = lm_sampler_default_params();
    p.top_k = 0; p.top_p = 0.9f; p.seed = 1234;           // top-p over an unsorted vocab
    static const lm_token want_big[G] = { 742, 68, 37, 301, 820, 979, 734, 383, 226, 354, 401, 295 };
    draw(p, big, NB, got, G);
    for (int i = 0; i < G; i++) CHECK_EQ(got[i], want_big[i]);
    free(big);
}

static void test_determinism(void) {
    enum { N = 64, G = 40 };
    float l[N];
    fill_logits(l, N, 3, -1.0f, 1.0f);
    lm_sampler_params p = sampling_only(1.0f);
    p.seed = 99;
    lm_token a[G], b[G];
    draw(p, l, N, a, G);
    draw(p, l, N, b, G);
    CHECK(memcmp(a, b, sizeof a) == 0);                   // same seed, same tokens

    lm_sampler *s = make(p, N);                           // reset repeats the first run
    for (int i = 0; i < G; i++) b[i] = lm_sampler_sample(s, l);
    lm_sampler_reset(s);
    for (int i = 0; i < G; i++) CHECK_EQ(lm_sampler_sample(s, l), b[i]);
    lm_sampler_free(s);

    p.seed = 100;
    draw(p, l, N, b, G);
    CHECK(memcmp(a, b, sizeof a) != 0);                   // another seed, another run

    float copy[N];                                        // logits are only read
    memcpy(copy, l, sizeof l);
    p.repeat_penalty = 1.5f; p.presence_penalty = 0.5f; p.frequency_penalty = 0.25f;
    s = make(p, N);
    for (int i = 0; i < 10; i++) CHECK_EQ(lm_sampler_accept(s, lm_sampler_sample(s, l)), LM_OK);
    CHECK(memcmp(copy, l, sizeof l) == 0);
    lm_sampler_free(s);
}

// Greedy equivalences on many random rows: temperature 0, top_k 1, tiny top_p, min_p 1.
static void test_greedy_equivalents(void) {
    enum { N = 500, ROWS = 20 };
    float l[N];
    lm_sampler_params pg = sampling_only(0.0f);
    lm_sampler_params pk = sampling_only(1.0f); pk.top_k = 1;
    lm_sampler_params pp = sampling_only(1.0f); pp.top_p = 1e-6f;
    lm_sampler_params pm = sampling_only(1.0f); pm.min_p = 1.0f;
    lm_sampler *g = make(pg, N), *k = make(pk, N), *tp = make(pp, N), *mp = make(pm, N);
    for (int r = 0; r < ROWS; r++) {
        fill_logits(l, N, 100 + (uint64_t)r, -5.0f, 5.0f);   // continuous: no tie at the max
        lm_token want = ref_argmax(l, N);
        CHECK_EQ(lm_sampler_sample(g, l), want);
        CHECK_EQ(lm_sampler_sample(k, l), want);
        CHECK_EQ(lm_sampler_sample(tp, l), want);
        CHECK_EQ(lm_sampler_sample(mp, l), want);
    }
    lm_sampler_free(g); lm_sampler_free(k); lm_sampler_free(tp); lm_sampler_free(mp);
}

// Ties at the max go to the lowest id wherever one token is forced.
static void test_ties(void) {
    const float l[6] = { 1.0f, 3.0f, 2.0f, 3.0f, 3.0f, -1.0f };
    lm_sampler_params pg = sampling_only(0.0f);
    lm_sampler_params pk = sampling_only(1.0f); pk.top_k = 1;
    lm_sampler_params pp = sampling_only(1.0f); pp.top_p = 1e-6f;
    lm_sampler *g = make(pg, 6), *k = make(pk, 6), *tp = make(pp, 6);
    for (int i = 0; i < 50; i++) {
        CHECK_EQ(lm_sampler_sample(g, l), 1);
        CHECK_EQ(lm_sampler_sample(k, l), 1);
        CHECK_EQ(lm_sampler_sample(tp, l), 1);
    }
    lm_sampler_free(g); lm_sampler_free(k); lm_sampler_free(tp);

    lm_sampler_params p2 = sampling_only(1.0f);           // top_k 2 keeps ids 1 and 3 of the tie
    p2.top_k = 2;
    lm_sampler *s = make(p2, 6);
    int seen[6] = { 0 };
    for (int i = 0; i < 400; i++) seen[lm_sampler_sample(s, l)]++;
    CHECK(seen[1] > 0 && seen[3] > 0);
    CHECK_EQ(seen[0] + seen[2] + seen[4] + seen[5], 0);
    lm_sampler_free(s);

    const float nan_first[3] = { NAN, 0.5f, 0.25f };       // NaN counts as -inf
    s = make(pg, 3);
    CHECK_EQ(lm_sampler_sample(s, nan_first), 1);
    lm_sampler_free(s);
}

// ---- filter supports against a qsort reference ----

static const float *g_sort_logits;   // qsort has no context argument
static int by_rank(const void *a, const void *b) {   // logit desc, then id asc: the sampler's order
    lm_token x = *(const lm_token *)a, y = *(const lm_token *)b;
    float lx = g_sort_logits[x], ly = g_sort_logits[y];
    if (lx != ly) return lx > ly ? -1 : 1;
    return (x > y) - (x < y);
}

// Marks in keep[] the tokens top_k then top_p then min_p should leave (float64 softmax).
static int32_t ref_support(const float *l, int32_t n, int32_t k, double top_p, double min_p, char *keep) {
    if (n <= 0) return 0;
    lm_token *order = malloc((size_t)n * sizeof *order);
    for (int32_t i = 0; i < n; i++) order[i] = i;
    g_sort_logits = l;
    qsort(order, (size_t)n, sizeof *order, by_rank);
    int32_t m = (k > 0 && k < n) ? k : n;
    double max = l[order[0]], sum = 0.0, cum = 0.0;
    for (int32_t i = 0; i < m; i++) sum += exp(l[order[i]] - max);
    int32_t mp = m;
    for (int32_t i = 0; i < m && top_p < 1.0; i++) {
        cum += exp(l[order[i]] - max) / sum;
        if (cum >= top_p) { mp = i + 1; break; }
    }
    memset(keep, 0, (size_t)n);
    int32_t kept = 0;
    for (int32_t i = 0; i < mp; i++)
        if (exp(l[order[i]] - max) >= min_p) { keep[order[i]] = 1; kept++; }
    free(order);
    return kept;
}

static void check_support(const float *l, int32_t n, lm_sampler_params p, int draws) {
    char *keep = malloc((size_t)n);
    int32_t kept = ref_support(l, n, p.top_k, p.top_p, p.min_p, keep);
    CHECK(kept >= 1);
    lm_sampler *s = make(p, n);
    int outside = 0;
    for (int i = 0; i < draws; i++) {
        lm_token t = lm_sampler_sample(s, l);
        if (t < 0 || t >= n || !keep[t]) outside++;
    }
    CHECK_EQ(outside, 0);
    lm_sampler_free(s);
    free(keep);
}

static void test_supports(void) {
    // probabilities .5 .3 .15 .05: top_p .75 → {0,1}; min_p .35 → {0,1}; min_p .29 → {0,1,2}
    const float l[4] = { logf(0.5f), logf(0.3f), logf(0.15f), logf(0.05f) };
    struct { int32_t k; float top_p, min_p; int want[4]; } rows[] = {
        { 0, 0.75f, 0.0f,  { 1, 1, 0, 0 } },
        { 0, 1.0f,  0.35f, { 1, 1, 0, 0 } },
        { 0, 1.0f,  0.29f, { 1, 1, 1, 0 } },
        { 3, 1.0f,  0.0f,  { 1, 1, 1, 0 } },
        { 0, 0.85f, 0.0f,  { 1, 1, 1, 0 } },
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        lm_sampler_params p = sampling_only(1.0f);
        p.top_k = rows[r].k; p.top_p = rows[r].top_p; p.min_p = rows[r].min_p;
        lm_sampler *s = make(p, 4);
        int seen[4] = { 0 };
        for (int i = 0; i < 4000; i++) seen[lm_sampler_sample(s, l)]++;
        for (int i = 0; i < 4; i++) CHECK_EQ(seen[i] > 0, rows[r].want[i]);
        lm_sampler_free(s);
    }

    // larger rows with many ties (logits on a coarse grid) against the reference
    enum { N = 3000 };
    float *big = malloc(N * sizeof *big);
    fill_logits(big, N, 5, -4.0f, 4.0f);
    for (int32_t i = 0; i < N; i++) big[i] = floorf(big[i] * 4.0f) / 4.0f;
    const struct { int32_t k; float top_p, min_p; } cfg[] = {
        { 50, 1.0f, 0.0f }, { 0, 0.5f, 0.0f }, { 0, 0.9f, 0.0f }, { 0, 1.0f, 0.2f },
        { 200, 0.7f, 0.1f }, { 40, 0.95f, 0.05f }, { 1, 1.0f, 0.0f },
    };
    for (size_t c = 0; c < sizeof cfg / sizeof cfg[0]; c++) {
        lm_sampler_params p = sampling_only(1.0f);
        p.top_k = cfg[c].k; p.top_p = cfg[c].top_p; p.min_p = cfg[c].min_p; p.seed = 7 + c;
        check_support(big, N, p, 300);
    }
    free(big);
}

// ---- penalties ----

static lm_token greedy_after(lm_sampler_params p, const float *l, int32_t n, const lm_token *hist, int nh) {
    p.temperature = 0.0f;
    lm_sampler *s = make(p, n);
    for (int i = 0; i < nh; i++) CHECK_EQ(lm_sampler_accept(s, hist[i]), LM_OK);
    lm_token t = lm_sampler_sample(s, l);
    lm_sampler_free(s);
    return t;
}

static void test_penalties(void) {
    const float pos[3] = { 1.0f, 0.9f, 0.1f }, neg[3] = { -0.5f, -0.6f, -2.0f };
    const lm_token once[1] = { 0 }, thrice[3] = { 0, 0, 0 }, four[4] = { 0, 0, 0, 0 };
    lm_sampler_params p = sampling_only(0.0f);
    CHECK_EQ(greedy_after(p, pos, 3, once, 1), 0);                // all off: history ignored

    p.repeat_penalty = 1.5f;                                       // 1.0 / 1.5 < 0.9
    CHECK_EQ(greedy_after(p, pos, 3, once, 1), 1);
    CHECK_EQ(greedy_after(p, neg, 3, once, 1), 1);                 // -0.5 * 1.5 < -0.6
    p.repeat_penalty = 1.05f;                                      // once per distinct token:
    CHECK_EQ(greedy_after(p, pos, 3, thrice, 3), 0);               // 1/1.05 > .9 (1/1.05^3 is not)
    p.repeat_penalty = 0.5f;                                       // < 1 rewards repeats
    CHECK_EQ(greedy_after(p, pos, 3, (const lm_token[]){ 1 }, 1), 1);   // .9 / .5 = 1.8 > 1
    CHECK_EQ(greedy_after(p, neg, 3, (const lm_token[]){ 1 }, 1), 1);   // -.6 * .5 = -.3 > -.5

    p = sampling_only(0.0f);
    p.presence_penalty = 0.15f;                                    // 1.0 - .15 = .85 < .9
    CHECK_EQ(greedy_after(p, pos, 3, thrice, 3), 1);
    p.presence_penalty = 0.05f;                                    // .95 > .9, however often
    CHECK_EQ(greedy_after(p, pos, 3, four, 4), 0);

    p = sampling_only(0.0f);
    p.frequency_penalty = 0.03f;                                   // 1 - 3*.03 = .91 > .9
    CHECK_EQ(greedy_after(p, pos, 3, thrice, 3), 0);
    CHECK_EQ(greedy_after(p, pos, 3, four, 4), 1);                 // 1 - 4*.03 = .88 < .9

    p.penalty_last_n = 2;                                          // the window forgets
    CHECK_EQ(greedy_after(p, pos, 3, (const lm_token[]){ 0, 0, 0, 0, 2, 2 }, 6), 0);
    CHECK_EQ(greedy_after(p, pos, 3, (const lm_token[]){ 2, 2, 0, 0, 0, 0 }, 6), 0);   // 2 of 4 counted
    p.penalty_last_n = 0;                                          // no window at all
    CHECK_EQ(greedy_after(p, pos, 3, four, 4), 0);

    // reset empties the window
    p = sampling_only(0.0f);
    p.repeat_penalty = 2.0f;
    lm_sampler *s = make(p, 3);
    CHECK_EQ(lm_sampler_accept(s, 0), LM_OK);
    CHECK_EQ(lm_sampler_sample(s, pos), 1);
    lm_sampler_reset(s);
    CHECK_EQ(lm_sampler_sample(s, pos), 0);
    lm_sampler_free(s);

    // sampled: a repeated token's frequency drops (p 0.5 → softmax(0.5 ln .5 ...) ≈ 0.33)
    const float l[2] = { 0.0f, 0.0f };
    p = sampling_only(1.0f);
    p.frequency_penalty = 0.7f;
    s = make(p, 2);
    CHECK_EQ(lm_sampler_accept(s, 0), LM_OK);
    int zeros = 0;
    for (int i = 0; i < 4000; i++) zeros += lm_sampler_sample(s, l) == 0;
    CHECK_NEAR(zeros / 4000.0, 1.0 / (1.0 + exp(0.7)), 0.03);     // ≈ 0.332; 4 sigma ≈ 0.03
    lm_sampler_free(s);
}

// ---- distribution ----

// Pearson chi-square of n draws at temp against softmax(l / temp_expected). With K = 8 categories (7 degrees of
// freedom) a correct sampler exceeds 24.32 with probability 0.001; the seed is fixed, so the
// check is deterministic and only a broken softmax/pick moves it past the bound.
static double chi_square(const float *l, float temp, float temp_expected, int n, uint64_t seed) {
    enum { K = 8 };
    lm_sampler_params p = sampling_only(temp);
    p.seed = seed;
    lm_sampler *s = make(p, K);
    int obs[K] = { 0 };
    for (int i = 0; i < n; i++) obs[lm_sampler_sample(s, l)]++;
    lm_sampler_free(s);
    double w[K], sum = 0.0, chi = 0.0;
    for (int i = 0; i < K; i++) sum += w[i] = exp((double)l[i] / temp_expected);
    for (int i = 0; i < K; i++) {
        double e = n * w[i] / sum;
        chi += (obs[i] - e) * (obs[i] - e) / e;
    }
    return chi;
}

static void test_distribution(void) {
    const float l[8] = { 1.0f, 0.5f, 0.0f, -0.5f, 2.0f, 1.5f, -1.0f, 0.25f };
    const double bound = 24.32;   // chi-square, 7 dof, p = 0.001
    double c1 = chi_square(l, 1.0f, 1.0f, 20000, 1), c2 = chi_square(l, 1.0f, 1.0f, 20000, 2);
    double c05 = chi_square(l, 0.5f, 0.5f, 20000, 3), c2t = chi_square(l, 2.0f, 2.0f, 20000, 4);
    printf("chi-square (20000 draws, 7 dof): T=1 %.2f %.2f, T=0.5 %.2f, T=2 %.2f (bound %.2f)\n",
           c1, c2, c05, c2t, bound);
    CHECK(c1 < bound); CHECK(c2 < bound); CHECK(c05 < bound); CHECK(c2t < bound);
    // and the check has teeth: T=1 draws are far outside the bound for the T=1.2 distribution
    double wrong = chi_square(l, 1.0f, 1.2f, 20000, 1);
    printf("chi-square of T=1 draws against T=1.2: %.1f\n", wrong);
    CHECK(wrong > 10.0 * bound);
}

// ---- argument checks ----

static void test_invalid(void) {
    lm_sampler_params d = lm_sampler_default_params(), p;
    lm_sampler *s = (lm_sampler *)&d;   // must be overwritten with NULL
#define BAD(field, value) do { p = d; p.field = value; s = (lm_sampler *)&d;                       \
        CHECK_EQ(lm_sampler_new(&p, 100, &s), LM_INVALID_ARG); CHECK(s == NULL);               \
        CHECK(strstr(lm_errmsg(), #field) != NULL); } while (0)
    BAD(temperature, -0.1f);  BAD(temperature, NAN);  BAD(temperature, INFINITY);
    BAD(top_p, 0.0f);         BAD(top_p, 1.01f);      BAD(top_p, NAN);    BAD(top_p, -1.0f);
    BAD(min_p, -0.01f);       BAD(min_p, 1.5f);       BAD(min_p, NAN);
    BAD(repeat_penalty, 0.0f); BAD(repeat_penalty, -1.0f); BAD(repeat_penalty, NAN);
    BAD(repeat_penalty, INFINITY);
    BAD(presence_penalty, NAN);  BAD(presence_penalty, INFINITY);
    BAD(frequency_penalty, NAN); BAD(frequency_penalty, -INFINITY);
    BAD(penalty_last_n, -1);
#undef BAD
    CHECK_EQ(lm_sampler_new(&d, 0, &s), LM_INVALID_ARG);
    CHECK(strstr(lm_errmsg(), "n_vocab") != NULL);
    CHECK_EQ(lm_sampler_new(&d, -5, &s), LM_INVALID_ARG);
    CHECK_EQ(lm_sampler_new(NULL, 10, &s), LM_INVALID_ARG);
    CHECK_EQ(lm_sampler_new(&d, 10, NULL), LM_INVALID_ARG);

    p = d;                          // edges that are valid
    p.temperature = 0.0f; p.top_p = 1.0f; p.min_p = 1.0f; p.top_k = -3; p.penalty_last_n = 0;
    p.presence_penalty = -1.0f; p.frequency_penalty = -1.0f; p.repeat_penalty = 0.01f;
    CHECK_EQ(lm_sampler_new(&p, 1, &s), LM_OK);
    const float one = 0.0f;
    CHECK_EQ(lm_sampler_sample(s, &one), 0);
    CHECK_EQ(lm_sampler_accept(s, 1), LM_INVALID_ARG);
    CHECK_EQ(lm_sampler_accept(s, -1), LM_INVALID_ARG);
    CHECK_EQ(lm_sampler_accept(s, 0), LM_OK);
    CHECK_EQ(lm_sampler_sample(NULL, &one), -1);
    CHECK_EQ(lm_sampler_sample(s, NULL), -1);
    CHECK_EQ(lm_sampler_accept(NULL, 0), LM_INVALID_ARG);
    lm_sampler_free(s);
    lm_sampler_free(NULL);
    lm_sampler_reset(NULL);
}

// ---- a Gemma-sized vocab ----

static void test_big_vocab(void) {
    enum { N = 262144 };
    float *l = malloc(N * sizeof *l);
    fill_logits(l, N, 21, -10.0f, 10.0f);
    lm_sampler_params p = lm_sampler_default_params();
    p.seed = 5;
    lm_sampler *s = make(p, N);
    for (int i = 0; i < 20; i++) {                   // top-k 40: the pick is among the 40 best
        lm_token t = lm_sampler_sample(s, l);
        CHECK(t >= 0 && t < N);
        if (t < 0 || t >= N) break;
        int32_t above = 0;
        for (int32_t j = 0; j < N; j++) above += l[j] > l[t];
        CHECK(above < 40);
    }
    lm_sampler_free(s);

    p.repeat_penalty = 1.1f; p.frequency_penalty = 0.1f;   // with a full penalty window
    s = make(p, N);
    for (int i = 0; i < 100; i++) {
        lm_token t = lm_sampler_sample(s, l);
        CHECK(t >= 0 && t < N);
        CHECK_EQ(lm_sampler_accept(s, t), LM_OK);
    }
    lm_sampler_free(s);
    p.repeat_penalty = 1.0f; p.frequency_penalty = 0.0f;

    p.top_k = 0;                                     // top-p over all 262144 (heap path)
    check_support(l, N, p, 20);
    p.top_p = 1.0f; p.min_p = 0.0f;                  // plain softmax over all of them
    lm_sampler *s2 = make(p, N);
    for (int i = 0; i < 5; i++) { lm_token t = lm_sampler_sample(s2, l); CHECK(t >= 0 && t < N); }
    lm_sampler_free(s2);
    free(l);
}

int main(void) {
    test_defaults();
    test_goldens();
    test_determinism();
    test_greedy_equivalents();
    test_ties();
    test_supports();
    test_penalties();
    test_distribution();
    test_invalid();
    test_big_vocab();
    return T_DONE();
}
