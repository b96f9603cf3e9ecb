/* A small persistent thread pool: dm_pool_run hands out task indices through an
 * atomic counter; the calling thread works too. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "internal.h"

struct dm_pool {
  int n;                 /* threads including the caller */
  pthread_t *th;
  pthread_mutex_t mu;
  pthread_cond_t go, done;
  unsigned long gen;     /* bumped for each run */
  int stop;
  int busy;              /* workers still in the current run */
  dm_pool_fn fn;
  void *ctx;
  int n_tasks;
  atomic_int next;
};

typedef struct worker_arg {
  dm_pool *p;
  int index;
} worker_arg;

static void work(dm_pool *p, int index) {
  for (;;) {
    int t = atomic_fetch_add(&p->next, 1);
    if (t >= p->n_tasks) break;
    p->fn(t, index, p->ctx);
  }
}

static void *worker(void *arg) {
  worker_arg wa = *(worker_arg *)arg;
  free(arg);
  dm_pool *p = wa.p;
  unsigned long seen = 0;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->stop && p->gen == seen) pthread_cond_wait(&p->go, &p->mu);
    if (p->stop) break;
    seen = p->gen;
    pthread_mutex_unlock(&p->mu);
    work(p, wa.index);
    pthread_mutex_lock(&p->mu);
    if (--p->busy == 0) pthread_cond_signal(&p->done);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

int dm_pool_new(int n_threads, dm_pool **out) {
  *out = NULL;
  if (n_threads < 1) n_threads = 1;
  dm_pool *p = calloc(1, sizeof *p);
  if (!p) return DM_ENOMEM;
  p->n = n_threads;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->go, NULL);
  pthread_cond_init(&p->done, NULL);
  atomic_init(&p->next, 0);
  p->th = calloc((size_t)n_threads, sizeof *p->th);
  if (!p->th) {
    dm_pool_free(p);
    return DM_ENOMEM;
  }
  for (int i = 1; i < n_threads; i++) {
    worker_arg *wa = malloc(sizeof *wa);
    if (!wa) {
      p->n = i;
      dm_pool_free(p);
      return DM_ENOMEM;
    }
    wa->p = p;
    wa->index = i;
    if (pthread_create(&p->th[i], NULL, worker, wa) != 0) {
      free(wa);
      p->n = i;
      dm_pool_free(p);
      return DM_ENOMEM;
    }
  }
  *out = p;
  return DM_OK;
}

void dm_pool_free(dm_pool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->stop = 1;
  pthread_cond_broadcast(&p->go);
  pthread_mutex_unlock(&p->mu);
  for (int i = 1; i < p->n; i++)
    if (p->th) pthread_join(p->th[i], NULL);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->go);
  pthread_cond_destroy(&p->done);
  free(p->th);
  free(p);
}

int dm_pool_size(const dm_pool *p) { return p ? p->n : 1; }

void dm_pool_run(dm_pool *p, int n_tasks, dm_pool_fn fn, void *ctx) {
  if (n_tasks <= 0) return;
  if (!p || p->n == 1 || n_tasks == 1) {
    for (int t = 0; t < n_tasks; t++) fn(t, 0, ctx);
    return;
  }
  pthread_mutex_lock(&p->mu);
  p->fn = fn;
  p->ctx = ctx;
  p->n_tasks = n_tasks;
  atomic_store(&p->next, 0);
  p->busy = p->n - 1;
  p->gen++;
  pthread_cond_broadcast(&p->go);
  pthread_mutex_unlock(&p->mu);
  work(p, 0);
  pthread_mutex_lock(&p->mu);
  while (p->busy > 0) pthread_cond_wait(&p->done, &p->mu);
  pthread_mutex_unlock(&p->mu);
}
