/* tpool.c - see tpool.h.
 *
 * The caller posts job n by filling job[n & 1] and then storing
 * claim = n << 32 (release). A thread claims task i of job n by a CAS of
 * claim from (n, i) to (n, i + 1), and only while i < ntasks; each task
 * that ran adds one to finished, and the caller returns when finished
 * reaches ntasks (acquire: the tasks' writes are seen). A worker that wakes
 * up late reads a job that may have been replaced, but its CAS then fails
 * because claim moved on: job[n & 1] is written again only for job n + 2,
 * after claim left n. Every access to claim, job and finished is a
 * sequentially consistent atomic, so that argument holds in the C memory
 * model too. Sleeping and waking go through mu. */
#include "tpool.h"

#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TP_LD(x) __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define TP_ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)

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

/* Polls until claim's job number differs from n, for at most
 * RT_TP_SPIN_NS. Returns 1 if it did. */
static int tp_poll_job(RtThreads *p, uint64_t n) {
  uint64_t t0 = 0;
  for (int i = 0;; i++) {
    if (TP_LD(p->claim) >> 32 != n) return 1;
    tp_relax();
    if ((i & 63) == 63) {
      uint64_t t = tp_now_ns();
      if (!t0) t0 = t;
      if (t - t0 > RT_TP_SPIN_NS) return 0;
    }
  }
}

/* Polls until finished reaches n, for at most RT_TP_SPIN_NS. */
static int tp_poll_done(RtThreads *p, int64_t n) {
  uint64_t t0 = 0;
  for (int i = 0;; i++) {
    if (TP_LD(p->finished) == n) return 1;
    tp_relax();
    if ((i & 63) == 63) {
      uint64_t t = tp_now_ns();
      if (!t0) t0 = t;
      if (t - t0 > RT_TP_SPIN_NS) return 0;
    }
  }
}

/* Claims and runs tasks of the job claim holds until it has none left or
 * another job replaced it. */
static void tp_work(RtThreads *p) {
  uint64_t c = TP_LD(p->claim);
  for (;;) {
    RtTpJob *j = &p->job[(c >> 32) & 1];
    RtTaskFn fn = TP_LD(j->fn);
    void *arg = TP_LD(j->arg);
    int64_t n = TP_LD(j->ntasks), t = (int64_t)(c & 0xffffffffu);
    if (t >= n) return;
    if (!__atomic_compare_exchange_n(&p->claim, &c, c + 1, 0, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST))
      continue; /* c now holds the current claim */
    fn(arg, t);
    if (__atomic_add_fetch(&p->finished, 1, __ATOMIC_SEQ_CST) == n) {
      pthread_mutex_lock(&p->mu);
      if (p->waiting) pthread_cond_signal(&p->done);
      pthread_mutex_unlock(&p->mu);
      return;
    }
    c++;
  }
}

static void *tp_worker(void *arg) {
  RtThreads *p = (RtThreads *)arg;
  uint64_t seen = 0; /* the last job looked at; job 0 is never posted */
  for (;;) {
    if (!tp_poll_job(p, seen)) {
      pthread_mutex_lock(&p->mu);
      while (TP_LD(p->claim) >> 32 == seen && !p->stop) {
        p->sleeping++;
        pthread_cond_wait(&p->wake, &p->mu);
        p->sleeping--;
      }
      pthread_mutex_unlock(&p->mu);
    }
    if (TP_LD(p->stop)) return NULL;
    seen = TP_LD(p->claim) >> 32;
    tp_work(p);
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
  memset(p, 0, sizeof *p);
  p->nthreads = nthreads < 1 ? 1 : nthreads > RT_TP_MAX ? RT_TP_MAX : nthreads;
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
  if (!p || p->started == 0 || ntasks == 1 || ntasks > INT32_MAX) {
    for (int64_t t = 0; t < ntasks; t++) fn(arg, t);
    return;
  }
  pthread_mutex_lock(&p->mu);
  uint64_t n = (TP_LD(p->claim) >> 32) + 1;
  RtTpJob *j = &p->job[n & 1];
  TP_ST(j->fn, fn);
  TP_ST(j->arg, arg);
  TP_ST(j->ntasks, ntasks);
  TP_ST(p->finished, 0);
  TP_ST(p->claim, n << 32);
  if (p->sleeping) pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mu);
  tp_work(p);
  if (tp_poll_done(p, ntasks)) return;
  pthread_mutex_lock(&p->mu);
  p->waiting = 1;
  while (TP_LD(p->finished) != ntasks) pthread_cond_wait(&p->done, &p->mu);
  p->waiting = 0;
  pthread_mutex_unlock(&p->mu);
}
