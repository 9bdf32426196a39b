/*
 * pool.c -- a fixed pool of worker threads running parallel-for jobs.
 *
 * sp_pool_run hands out task indexes through an atomic counter; the calling
 * thread works too, so a pool of N threads runs N-1 helpers. One job at a
 * time (the runtime runs one batch at a time); no lock on the task path.
 */
#include "runtime/runtime.h"

#include <pthread.h>
#include <stdatomic.h>

struct sp_pool {
    int n_threads; /* helper threads (threads - 1) */
    pthread_t *threads;
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    /* the current job */
    void (*fn)(void *, int);
    void *ud;
    int n;
    _Atomic int next;
    int active;   /* helpers still inside the current job */
    uint64_t gen; /* job generation, bumped per job */
    bool quit;
};

static void work(sp_pool *p)
{
    for (;;) {
        int i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n) break;
        p->fn(p->ud, i);
    }
}

static void *helper(void *arg)
{
    sp_pool *p = arg;
    uint64_t seen = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->quit && p->gen == seen)
            pthread_cond_wait(&p->wake, &p->lock);
        if (p->quit) break;
        seen = p->gen;
        pthread_mutex_unlock(&p->lock);
        work(p);
        pthread_mutex_lock(&p->lock);
        if (--p->active == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

sp_pool *sp_pool_create(int threads)
{
    sp_pool *p = sp_calloc(1, sizeof *p);
    if (!p) return NULL;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    p->n_threads = threads > 1 ? threads - 1 : 0;
    p->threads = sp_calloc((size_t)p->n_threads + 1, sizeof(pthread_t));
    for (int i = 0; i < p->n_threads; i++)
        if (pthread_create(&p->threads[i], NULL, helper, p) != 0) {
            p->n_threads = i;
            break;
        }
    return p;
}

void sp_pool_run(sp_pool *p, int n, void (*fn)(void *ud, int i), void *ud)
{
    if (n <= 0) return;
    if (p->n_threads == 0 || n == 1) {
        for (int i = 0; i < n; i++) fn(ud, i);
        return;
    }
    pthread_mutex_lock(&p->lock);
    p->fn = fn;
    p->ud = ud;
    p->n = n;
    atomic_store(&p->next, 0);
    p->active = p->n_threads;
    p->gen++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    work(p);
    pthread_mutex_lock(&p->lock);
    while (p->active > 0) pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
}

void sp_pool_destroy(sp_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->quit = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->n_threads; i++) pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    sp_free(p->threads);
    sp_free(p);
}
