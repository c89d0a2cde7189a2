// threads.h — a small worker pool for splitting matmul rows across threads. The caller is
// thread 0; the others sleep on a condition variable between jobs (no busy waiting). Every
// output element is computed by exactly one thread with the same code, so results never depend
// on the thread count. Where threads cannot be created (a wasm build without pthreads) the
// pool runs everything on the caller.
#ifndef LM_THREADS_H
#define LM_THREADS_H
#include "status.h"

typedef struct lm_pool lm_pool;
typedef void (*lm_pool_fn)(void *arg, int ith, int nth);

// Creates a pool of up to n threads (n >= 1, counting the caller); *out is never NULL on LM_OK.
lm_status lm_pool_new(int n, lm_pool **out);
void      lm_pool_free(lm_pool *p);            // NULL-safe; joins the threads
int       lm_pool_size(const lm_pool *p);      // threads actually running jobs (>= 1)
// Runs fn(arg, ith, nth) for ith = 0..nth-1 (0 on the caller) and returns when all are done.
void      lm_pool_run(lm_pool *p, lm_pool_fn fn, void *arg);

#endif
