// sampler.c — llama.cpp's common sampler chain over a candidate array (API in sampler.h).
//
// Each stage is a small function over a cand_set {d, n, sorted}; stages only drop or reorder
// candidates. Picks are bit-identical on native and wasm because (1) the pick path uses only
// IEEE + - * / (exp is det_exp below, not libm), (2) every loop has a fixed order, and
// (3) candidates are totally ordered (logit desc, then id asc), so a tie never depends on
// which sort ran.
#include "sampler.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#if defined(__clang__)
// a fused a*b+c on one target but not the other would move picks (gcc's -std=c11 never fuses)
#pragma STDC FP_CONTRACT OFF
#endif

typedef struct { float logit; lm_token id; } cand;
typedef struct { cand *d; int32_t n; bool sorted; } cand_set;   // sorted: d[0..n) best-first

struct lm_sampler {
    lm_sampler_params p;
    int32_t   n_vocab;
    cand     *cur;        // [n_vocab] scratch, rebuilt from the logits on every sample
    int32_t  *count;      // [n_vocab] occurrences of each id in the penalty window
    lm_token *ring;       // [penalty_last_n] the window; NULL when penalty_last_n == 0
    int32_t   ring_len;   // valid entries: ring[0..ring_len)
    int32_t   ring_next;  // slot the next accepted token overwrites (the oldest once full)
    uint64_t  rng;        // xorshift64* state; never 0
};

lm_sampler_params lm_sampler_default_params(void) {
    return (lm_sampler_params){
        .temperature = 0.8f, .top_k = 40, .top_p = 0.95f, .min_p = 0.05f,
        .repeat_penalty = 1.0f, .presence_penalty = 0.0f, .frequency_penalty = 0.0f,
        .penalty_last_n = 64, .seed = 0,
    };
}

// ---- rng: xorshift64* seeded through splitmix64 (so small seeds still give mixed states) ----

static uint64_t rng_seed(uint64_t seed) {
    uint64_t z = (seed ? seed : LM_SAMPLER_DEFAULT_SEED) + 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return z ? z : 0x9E3779B97F4A7C15ULL;   // xorshift is stuck at 0
}

// Uniform in [0, 1): the top 53 bits scaled by 2^-53, exact in any IEEE double.
static double rng_uniform(uint64_t *state) {
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) * 0x1.0p-53;
}

// 2^(j/32), j = 0..31, correctly rounded (hex so that every compiler reads the same bits).
static const double EXP2_32[32] = {
    0x1.0000000000000p+0, 0x1.059b0d3158574p+0, 0x1.0b5586cf9890fp+0, 0x1.11301d0125b51p+0,
    0x1.172b83c7d517bp+0, 0x1.1d4873168b9aap+0, 0x1.2387a6e756238p+0, 0x1.29e9df51fdee1p+0,
    0x1.306fe0a31b715p+0, 0x1.371a7373aa9cbp+0, 0x1.3dea64c123422p+0, 0x1.44e086061892dp+0,
    0x1.4bfdad5362a27p+0, 0x1.5342b569d4f82p+0, 0x1.5ab07dd485429p+0, 0x1.6247eb03a5585p+0,
    0x1.6a09e667f3bcdp+0, 0x1.71f75e8ec5f74p+0, 0x1.7a11473eb0187p+0, 0x1.82589994cce13p+0,
    0x1.8ace5422aa0dbp+0, 0x1.93737b0cdc5e5p+0, 0x1.9c49182a3f090p+0, 0x1.a5503b23e255dp+0,
    0x1.ae89f995ad3adp+0, 0x1.b7f76f2fb5e47p+0, 0x1.c199bdd85529cp+0, 0x1.cb720dcef9069p+0,
    0x1.d5818dcfba487p+0, 0x1.dfc97337b9b5fp+0, 0x1.ea4afa2a490dap+0, 0x1.f50765b6e4540p+0,
};

// e^x for x <= 0 from + - * and the exact floor. libm's exp may differ by an ulp between
// glibc and Emscripten's musl, and one ulp can move a pick. It runs once or twice per
// candidate (262144 on Gemma), hence the table: x = (32m + j) ln2/32 + r with |r| <= ln2/64,
// e^x = 2^m * 2^(j/32) * e^r, e^r by Taylor to degree 6 (relative error ~3e-16 overall).
static double det_exp(double x) {
    if (!(x > -708.0)) return 0.0;        // also NaN; e^-708 is below any weight that matters
    double k = floor(x * (32 / 0.69314718055994530942) + 0.5);       // > -32700: 2^m normal
    // ln2/32 split in two (fdlibm's ln2_hi has 32 zero low bits, so k * hi is exact)
    double r = (x - k * (6.93147180369123816490e-01 / 32)) - k * (1.90821492927058770002e-10 / 32);
    double e = 1.0 + r * (1.0 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720))))));
    int32_t ki = (int32_t)k, j = ki & 31, m = (ki - j) / 32;        // ki = 32m + j, 0 <= j < 32
    uint64_t bits = (uint64_t)(1023 + m) << 52;                     // 2^m, a normal double
    double scale;
    memcpy(&scale, &bits, sizeof scale);
    return e * EXP2_32[j] * scale;
}

// ---- params, lifecycle, penalty window ----

// Float fields and their valid ranges: one row per field instead of an if chain.
static const struct {
    const char *name;
    size_t      off;
    float       lo, hi;
    bool        lo_open;     // lo itself is invalid
    const char *range;       // for the message
} FLOAT_PARAMS[] = {
    { "temperature",       offsetof(lm_sampler_params, temperature),       0.0f,     FLT_MAX, false, "[0, inf)" },
    { "top_p",             offsetof(lm_sampler_params, top_p),             0.0f,     1.0f,    true,  "(0, 1]" },
    { "min_p",             offsetof(lm_sampler_params, min_p),             0.0f,     1.0f,    false, "[0, 1]" },
    { "repeat_penalty",    offsetof(lm_sampler_params, repeat_penalty),    0.0f,     FLT_MAX, true,  "(0, inf)" },
    { "presence_penalty",  offsetof(lm_sampler_params, presence_penalty),  -FLT_MAX, FLT_MAX, false, "finite" },
    { "frequency_penalty", offsetof(lm_sampler_params, frequency_penalty), -FLT_MAX, FLT_MAX, false, "finite" },
};

static lm_status check_params(const lm_sampler_params *p, int32_t n_vocab) {
    if (n_vocab <= 0) return lm_fail(LM_INVALID_ARG, "sampler: n_vocab = %d must be > 0", (int)n_vocab);
    for (size_t i = 0; i < sizeof FLOAT_PARAMS / sizeof FLOAT_PARAMS[0]; i++) {
        float v;
        memcpy(&v, (const char *)p + FLOAT_PARAMS[i].off, sizeof v);
        bool above_lo = FLOAT_PARAMS[i].lo_open ? v > FLOAT_PARAMS[i].lo : v >= FLOAT_PARAMS[i].lo;
        if (!(above_lo && v <= FLOAT_PARAMS[i].hi))   // false for NaN too
            return lm_fail(LM_INVALID_ARG, "sampler: %s = %g must be in %s",
                           FLOAT_PARAMS[i].name, (double)v, FLOAT_PARAMS[i].range);
    }
    if (p->penalty_last_n < 0)
        return lm_fail(LM_INVALID_ARG, "sampler: penalty_last_n = %d must be >= 0", (int)p->penalty_last_n);
    return LM_OK;
}

lm_status lm_sampler_new(const lm_sampler_params *p, int32_t n_vocab, lm_sampler **out) {
    if (!out) return lm_fail(LM_INVALID_ARG, "sampler: out is NULL");
    *out = NULL;
    if (!p) return lm_fail(LM_INVALID_ARG, "sampler: params is NULL");
    lm_status st = check_params(p, n_vocab);
    if (st != LM_OK) return st;
    lm_sampler *s = calloc(1, sizeof *s);
    if (!s) return lm_fail(LM_NOMEM, "sampler: out of memory");
    s->p = *p;
    s->n_vocab = n_vocab;
    s->cur = calloc((size_t)n_vocab, sizeof *s->cur);   // calloc checks n * size for overflow
    s->count = calloc((size_t)n_vocab, sizeof *s->count);
    if (p->penalty_last_n > 0) s->ring = calloc((size_t)p->penalty_last_n, sizeof *s->ring);
    if (!s->cur || !s->count || (p->penalty_last_n > 0 && !s->ring)) {
        lm_sampler_free(s);
        return lm_fail(LM_NOMEM, "sampler: out of memory for n_vocab = %d, penalty_last_n = %d",
                       (int)n_vocab, (int)p->penalty_last_n);
    }
    s->rng = rng_seed(p->seed);
    *out = s;
    return LM_OK;
}

void lm_sampler_free(lm_sampler *s) {
    if (!s) return;
    free(s->cur);
    free(s->count);
    free(s->ring);
    free(s);
}

void lm_sampler_reset(lm_sampler *s) {
    if (!s) return;
    for (int32_t i = 0; i < s->ring_len; i++) s->count[s->ring[i]] = 0;   // O(window), not O(vocab)
    s->ring_len = 0;
    s->ring_next = 0;
    s->rng = rng_seed(s->p.seed);
}

lm_status lm_sampler_accept(lm_sampler *s, lm_token token) {
    if (!s) return lm_fail(LM_INVALID_ARG, "sampler: NULL sampler");
    if (token < 0 || token >= s->n_vocab)
        return lm_fail(LM_INVALID_ARG, "sampler: token %d outside [0, %d)", (int)token, (int)s->n_vocab);
    int32_t cap = s->p.penalty_last_n;
    if (cap == 0) return LM_OK;
    if (s->ring_len == cap) s->count[s->ring[s->ring_next]]--;   // the oldest leaves the window
    else s->ring_len++;
    s->ring[s->ring_next] = token;
    s->count[token]++;
    s->ring_next = (s->ring_next + 1) % cap;
    return LM_OK;
}

// ---- stages ----

// The total order every stage uses: higher logit first, then lower id.
static bool better(cand a, cand b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

static cand argmax(const cand_set *cs) {
    cand m = cs->d[0];
    for (int32_t i = 1; i < cs->n; i++)
        if (better(cs->d[i], m)) m = cs->d[i];
    return m;
}

static float max_logit(const cand_set *cs) {
    return cs->sorted ? cs->d[0].logit : argmax(cs).logit;
}

// Penalties on the id-indexed array (byid[t].id == t), once per distinct windowed token, in
// llama.cpp's order: repeat (divide positive, multiply non-positive), then count * frequency
// + presence. count[t] is negated while t is done so that repeats in the ring are skipped.
static void sampler_penalties(cand *byid, lm_sampler *s) {
    const lm_sampler_params *p = &s->p;
    if (p->repeat_penalty == 1.0f && p->frequency_penalty == 0.0f && p->presence_penalty == 0.0f) return;
    for (int32_t i = 0; i < s->ring_len; i++) {
        lm_token t = s->ring[i];
        int32_t c = s->count[t];
        if (c <= 0) continue;
        float *l = &byid[t].logit;
        if (*l <= 0.0f) *l *= p->repeat_penalty;
        else            *l /= p->repeat_penalty;
        *l -= (float)c * p->frequency_penalty + p->presence_penalty;
        s->count[t] = -c;
    }
    for (int32_t i = 0; i < s->ring_len; i++) {
        lm_token t = s->ring[i];
        if (s->count[t] < 0) s->count[t] = -s->count[t];
    }
}

// Restores a heap of n with the *worst* candidate at d[0], from index j down.
static void sift_worst_top(cand *d, int32_t n, int32_t j) {
    for (;;) {
        int32_t c = 2 * j + 1;
        if (c >= n) return;
        if (c + 1 < n && better(d[c], d[c + 1])) c++;   // the worse child
        if (!better(d[j], d[c])) return;
        cand t = d[j]; d[j] = d[c]; d[c] = t;
        j = c;
    }
}

// Keeps the k best, best-first: a k-sized heap over one pass (O(n log k)), then heap sort of
// the k. Runs in place: the heap lives in d[0..k), and slots past k are only read.
static void sampler_top_k(cand_set *cs, int32_t k) {
    if (k <= 0 || k >= cs->n) return;   // off, or keeps everyone
    cand *d = cs->d;
    if (!cs->sorted) {
        for (int32_t j = k / 2 - 1; j >= 0; j--) sift_worst_top(d, k, j);
        for (int32_t i = k; i < cs->n; i++)
            if (better(d[i], d[0])) { d[0] = d[i]; sift_worst_top(d, k, 0); }
        for (int32_t m = k - 1; m > 0; m--) {   // worst to the back each time: best-first
            cand t = d[0]; d[0] = d[m]; d[m] = t;
            sift_worst_top(d, m, 0);
        }
    }
    cs->n = k;
    cs->sorted = true;
}

// A best-on-top heap stored mirrored at the end of d[0..n): heap index j lives at d[n-1-j], so
// a heap of hn elements fills d[n-hn..n) and popping frees d[n-hn], the next output slot.
#define MIRROR(j) d[n - 1 - (j)]
static void sift_mirror(cand *d, int32_t n, int32_t hn, int32_t j) {
    for (;;) {
        int32_t c = 2 * j + 1;
        if (c >= hn) return;
        if (c + 1 < hn && better(MIRROR(c + 1), MIRROR(c))) c++;
        if (!better(MIRROR(c), MIRROR(j))) return;
        cand t = MIRROR(j); MIRROR(j) = MIRROR(c); MIRROR(c) = t;
        j = c;
    }
}

// Moves the m-th best candidate to d[m], given d[0..m) already popped (heap of n - m).
static void pop_mirror(cand *d, int32_t n, int32_t m) {
    cand top = MIRROR(0);
    MIRROR(0) = d[m];                 // the heap's last element, heap index n - m - 1
    sift_mirror(d, n, n - m - 1, 0);
    d[m] = top;
}
#undef MIRROR

// Keeps the shortest best-first prefix whose probability mass reaches p (at least one).
// Unsorted input is ordered lazily by popping a heap (O(n + m log n) for m kept), since with
// top-k off n can be the whole vocab and m is usually small.
static void sampler_top_p(cand_set *cs, float p) {
    if (p >= 1.0f || cs->n <= 1) return;
    double max = max_logit(cs), sum = 0.0;
    for (int32_t i = 0; i < cs->n; i++) sum += det_exp((double)cs->d[i].logit - max);
    if (!(sum > 0.0)) return;         // infinite logits: no meaningful mass to cut
    if (!cs->sorted)
        for (int32_t j = cs->n / 2 - 1; j >= 0; j--) sift_mirror(cs->d, cs->n, cs->n, j);
    double cum = 0.0;
    int32_t m = 0;
    while (m < cs->n) {
        if (!cs->sorted) pop_mirror(cs->d, cs->n, m);
        cum += det_exp((double)cs->d[m].logit - max) / sum;
        m++;
        if (cum >= p) break;
    }
    cs->n = m;
    cs->sorted = true;
}

// Keeps tokens with p_i >= p * p_max, i.e. e^(l_i - l_max) >= p; order is preserved.
static void sampler_min_p(cand_set *cs, float p) {
    if (p <= 0.0f) return;
    double max = max_logit(cs);
    if (!isfinite(max)) return;       // all -inf or a +inf: ratios are undefined
    int32_t m = 0;
    for (int32_t i = 0; i < cs->n; i++)
        if (det_exp((double)cs->d[i].logit - max) >= p) cs->d[m++] = cs->d[i];
    cs->n = m;                        // >= 1: the max has ratio 1
}

// Temperature and the draw: weights e^((l - l_max) / temp) in double, one uniform u, and the
// first candidate (in the current order) whose running weight exceeds u * sum.
static lm_token sampler_pick(const cand_set *cs, float temp, uint64_t *rng) {
    double max = max_logit(cs), sum = 0.0;
    for (int32_t i = 0; i < cs->n; i++) sum += det_exp(((double)cs->d[i].logit - max) / temp);
    if (!(sum > 0.0)) return argmax(cs).id;   // all -inf, or a +inf logit
    double u = rng_uniform(rng) * sum, cum = 0.0;
    lm_token last = cs->d[0].id;
    for (int32_t i = 0; i < cs->n; i++) {
        double w = det_exp(((double)cs->d[i].logit - max) / temp);
        cum += w;
        if (w > 0.0) last = cs->d[i].id;
        if (u < cum) return cs->d[i].id;
    }
    return last;                      // u * sum rounded up to sum
}

lm_token lm_sampler_sample(lm_sampler *s, const float *logits) {
    if (!s || !logits) return -1;
    cand_set cs = { s->cur, s->n_vocab, false };
    for (int32_t i = 0; i < s->n_vocab; i++)
        s->cur[i] = (cand){ isnan(logits[i]) ? -INFINITY : logits[i], i };
    sampler_penalties(s->cur, s);
    // Greedy skips the filters: each keeps the argmax (ties → lowest id), so they cannot change it.
    if (!(s->p.temperature > 0.0f)) return argmax(&cs).id;
    sampler_top_k(&cs, s->p.top_k);
    sampler_top_p(&cs, s->p.top_p);
    sampler_min_p(&cs, s->p.min_p);
    return sampler_pick(&cs, s->p.temperature, &s->rng);
}
