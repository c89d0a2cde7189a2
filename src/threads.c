// threads.c — the worker pool (pthreads). Jobs are numbered; a worker runs each new job once.
#include "threads.h"
#include <pthread.h>
#include <stdlib.h>

struct lm_pool {
    int n;                          // threads that run jobs, including the caller
    pthread_t *tid;                 // [n - 1]
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    lm_pool_fn fn;
    void *arg;
    unsigned long job;              // incremented per job; workers wait for a change
    int pending;                    // workers still running the current job
    int quit;
};

typedef struct { lm_pool *p; int ith; } worker_arg;

static void *worker(void *v) {
    worker_arg *w = v;
    lm_pool *p = w->p;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->job == seen && !p->quit) pthread_cond_wait(&p->go, &p->mu);
        if (p->quit) break;
        seen = p->job;
        lm_pool_fn fn = p->fn;
        void *arg = p->arg;
        pthread_mutex_unlock(&p->mu);
        fn(arg, w->ith, p->n);
        pthread_mutex_lock(&p->mu);
        if (--p->pending == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    free(w);
    return NULL;
}

lm_status lm_pool_new(int n, lm_pool **out) {
    *out = NULL;
    if (n < 1 || n > 256) return lm_fail(LM_INVALID_ARG, "thread count %d is out of range (1..256)", n);
    lm_pool *p = calloc(1, sizeof *p);
    if (!p || !(p->tid = calloc((size_t)n, sizeof *p->tid))) { free(p); return lm_fail(LM_NOMEM, "thread pool"); }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    p->n = 1;
    for (int i = 1; i < n; i++) {          // stop at the first thread that cannot be created
        worker_arg *w = malloc(sizeof *w);
        if (!w) break;
        *w = (worker_arg){ p, i };
        if (pthread_create(&p->tid[i - 1], NULL, worker, w)) { free(w); break; }
        p->n++;
    }
    *out = p;
    return LM_OK;
}

void lm_pool_free(lm_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n - 1; i++) pthread_join(p->tid[i], NULL);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p->tid);
    free(p);
}

int lm_pool_size(const lm_pool *p) { return p->n; }

void lm_pool_run(lm_pool *p, lm_pool_fn fn, void *arg) {
    if (p->n == 1) { fn(arg, 0, 1); return; }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->arg = arg;
    p->pending = p->n - 1;
    p->job++;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    fn(arg, 0, p->n);
    pthread_mutex_lock(&p->mu);
    while (p->pending > 0) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
