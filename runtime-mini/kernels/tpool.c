/* tpool.c - see tpool.h.
 *
 * A job is posted by bumping gen (release) after fn, arg, ntasks and next
 * are set; every worker takes part in every job, so active counts them out
 * and the caller returns only when it is 0, which also orders the tasks'
 * writes before the caller's next read. Tasks are claimed by an atomic
 * increment of next. Sleeping and waking go through mu; polling reads gen
 * and active atomically. */
#include "tpool.h"

#include <sched.h>
#include <time.h>
#include <unistd.h>

static uint64_t tp_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void tp_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/* Polls until *word differs from v (want_change) or equals v, for at most
 * RT_TP_SPIN_NS. Returns 1 if the condition came true. */
static int tp_poll(const void *word, unsigned long v, int want_change, int is_long) {
  uint64_t t0 = 0;
  for (int i = 0;; i++) {
    unsigned long now = is_long ? __atomic_load_n((const unsigned long *)word, __ATOMIC_ACQUIRE)
                                : (unsigned long)__atomic_load_n((const int *)word,
                                                                 __ATOMIC_ACQUIRE);
    if ((now != v) == want_change) return 1;
    tp_relax();
    if ((i & 63) == 63) {
      uint64_t t = tp_now_ns();
      if (!t0) t0 = t;
      if (t - t0 > RT_TP_SPIN_NS) return 0;
    }
  }
}

/* Runs tasks until none is left. */
static void tp_work(RtThreads *p) {
  for (;;) {
    int64_t t = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
    if (t >= p->ntasks) return;
    p->fn(p->arg, t);
  }
}

static void *tp_worker(void *arg) {
  RtThreads *p = (RtThreads *)arg;
  unsigned long seen = 0; /* gen when the pool started: a job may come before this runs */
  for (;;) {
    if (!tp_poll(&p->gen, seen, 1, 1)) {
      pthread_mutex_lock(&p->mu);
      while (p->gen == seen && !p->stop) {
        p->sleeping++;
        pthread_cond_wait(&p->wake, &p->mu);
        p->sleeping--;
      }
      pthread_mutex_unlock(&p->mu);
    }
    if (__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) return NULL;
    seen = __atomic_load_n(&p->gen, __ATOMIC_ACQUIRE);
    tp_work(p);
    if (__atomic_sub_fetch(&p->active, 1, __ATOMIC_ACQ_REL) == 0) {
      pthread_mutex_lock(&p->mu);
      if (p->waiting) pthread_cond_signal(&p->done);
      pthread_mutex_unlock(&p->mu);
    }
  }
}

RT_API int rt_cpu_count(void) {
#if defined(__linux__) && defined(CPU_COUNT)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
#endif
#ifdef _SC_NPROCESSORS_ONLN
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n > 0) return n > RT_TP_MAX ? RT_TP_MAX : (int)n;
#endif
  return 1;
}

RT_API int rt_tp_start(RtThreads *p, int nthreads) {
  p->nthreads = nthreads < 1 ? 1 : nthreads > RT_TP_MAX ? RT_TP_MAX : nthreads;
  p->started = 0;
  p->gen = 0;
  p->stop = p->sleeping = p->active = p->waiting = 0;
  p->fn = NULL;
  p->arg = NULL;
  p->ntasks = p->next = 0;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->wake, NULL);
  pthread_cond_init(&p->done, NULL);
  for (int i = 1; i < p->nthreads; i++) {
    if (pthread_create(&p->th[p->started], NULL, tp_worker, p) != 0) {
      p->nthreads = p->started + 1;
      return -1;
    }
    p->started++;
  }
  return 0;
}

RT_API void rt_tp_stop(RtThreads *p) {
  pthread_mutex_lock(&p->mu);
  __atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mu);
  for (int i = 0; i < p->started; i++) pthread_join(p->th[i], NULL);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->wake);
  pthread_cond_destroy(&p->done);
  p->started = 0;
  p->nthreads = 1;
}

RT_API int rt_tp_threads(const RtThreads *p) { return p ? p->nthreads : 1; }

RT_API void rt_tp_run(RtThreads *p, int64_t ntasks, RtTaskFn fn, void *arg) {
  if (ntasks <= 0) return;
  if (!p || p->started == 0 || ntasks == 1) {
    for (int64_t t = 0; t < ntasks; t++) fn(arg, t);
    return;
  }
  pthread_mutex_lock(&p->mu);
  p->fn = fn;
  p->arg = arg;
  p->ntasks = ntasks;
  p->next = 0;
  p->active = p->started;
  __atomic_store_n(&p->gen, p->gen + 1, __ATOMIC_RELEASE);
  if (p->sleeping) pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mu);
  tp_work(p);
  if (tp_poll(&p->active, 0, 0, 0)) return;
  pthread_mutex_lock(&p->mu);
  p->waiting = 1;
  while (__atomic_load_n(&p->active, __ATOMIC_ACQUIRE) != 0) pthread_cond_wait(&p->done, &p->mu);
  p->waiting = 0;
  pthread_mutex_unlock(&p->mu);
}
