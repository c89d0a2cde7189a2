// sampler.h — picks the next token from a row of logits with llama.cpp's common chain:
// penalties → top-k → top-p → min-p → temperature → seeded random pick.
//
//   lm_sampler_params sp = lm_sampler_default_params();
//   sp.temperature = 0.7f;  sp.seed = 42;
//   lm_sampler *s;
//   if (lm_sampler_new(&sp, n_vocab, &s) != LM_OK) puts(lm_errmsg());
//   for (int i = 0; i < n_gen; i++) {
//       lm_token t = lm_sampler_sample(s, lm_logits(c, 0));   // logits are only read
//       lm_sampler_accept(s, t);                               // feeds the penalty window
//       lm_decode(c, &t, 1);
//   }
//   lm_sampler_free(s);
//
// The same params, seed and logits give the same tokens on every platform (native and wasm):
// the rng is an in-file xorshift64* and the pick path uses no libm transcendental functions.
#ifndef LM_SAMPLER_H
#define LM_SAMPLER_H
#include <stdint.h>
#include "status.h"

typedef int32_t lm_token;             // the same typedef as lm.h (C11 allows the repeat)
typedef struct lm_sampler lm_sampler; // opaque; owns its candidate scratch ([n_vocab]) and rng

// The seed a params.seed of 0 stands for, so that "no seed given" is still reproducible.
#define LM_SAMPLER_DEFAULT_SEED 0x2545F4914F6CDD1DULL

typedef struct {
    float    temperature;       // >= 0; 0 = greedy (argmax of the penalized logits, ties → lowest id)
    int32_t  top_k;             // keep the k most likely; <= 0 = off
    float    top_p;             // (0, 1]; keep the smallest best-first set with mass >= top_p; 1 = off
    float    min_p;             // [0, 1]; drop tokens with p < min_p * p_max; 0 = off
    float    repeat_penalty;    // > 0; 1 = off. A windowed logit l becomes l > 0 ? l / r : l * r
    float    presence_penalty;  // subtracted once from each token present in the window; 0 = off
    float    frequency_penalty; // subtracted count times (occurrences in the window); 0 = off
    int32_t  penalty_last_n;    // window length in accepted tokens; >= 0; 0 = no penalties
    uint64_t seed;              // rng seed; 0 = LM_SAMPLER_DEFAULT_SEED
} lm_sampler_params;

// temperature 0.8, top_k 40, top_p 0.95, min_p 0.05, penalties off, penalty_last_n 64, seed 0.
lm_sampler_params lm_sampler_default_params(void);

// Validates p (LM_INVALID_ARG with the offending field named in lm_errmsg()) and allocates a
// sampler for rows of n_vocab logits (about 12 bytes per vocab entry). *out is NULL on failure.
lm_status lm_sampler_new(const lm_sampler_params *p, int32_t n_vocab, lm_sampler **out);
void      lm_sampler_free(lm_sampler *s);    // NULL-safe

// Empties the penalty window and reseeds the rng: the sampler then repeats its first run.
void      lm_sampler_reset(lm_sampler *s);

// Records token in the penalty window (the last penalty_last_n accepted tokens).
// LM_INVALID_ARG if token is outside [0, n_vocab).
lm_status lm_sampler_accept(lm_sampler *s, lm_token token);

// Picks a token from logits ([n_vocab], not modified; NaN counts as -inf). Does not accept it.
// No allocation. Returns -1 only if s or logits is NULL.
lm_token  lm_sampler_sample(lm_sampler *s, const float *logits);

#endif
