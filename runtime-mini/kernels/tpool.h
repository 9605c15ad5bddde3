/* tpool.h - the thread pool of the cpu target (tpool.c): a fixed set of
 * pthreads started once, onto which a kernel spreads its tasks.
 *
 *   RtThreads pool;
 *   rt_tp_start(&pool, 4);              4 threads: the caller and 3 workers
 *   rt_tp_run(&pool, ntasks, fn, arg);  fn(arg, t) for t in [0, ntasks)
 *   rt_tp_stop(&pool);
 *
 * rt_tp_run returns when every task has run; the caller runs tasks too.
 * Tasks are handed out one at a time in order, so a kernel splits its work
 * into a few tasks per thread and each task must not depend on another.
 * The pool allocates nothing: its state is the struct (in the model's
 * context). A pool of one thread, or a NULL pool, runs the tasks in the
 * caller. rt_tp_run is not reentrant: one job at a time per pool, and a
 * task must not call rt_tp_run on its own pool.
 *
 * The caller returns once every task has run, without waiting for
 * workers that took none (one descheduled by the OS costs nothing then).
 *
 * Waiting: after a job, a worker polls for the next one for about
 * RT_TP_SPIN_NS and then sleeps on a condition variable, so a pool that
 * is idle costs nothing and back-to-back kernels do not pay a wake-up
 * each; the caller likewise polls briefly for the last task to finish. */
#ifndef RT_TPOOL_H
#define RT_TPOOL_H

#include <pthread.h>

#include "rt_kernels.h"

#define RT_TP_MAX 64 /* threads, the caller included (GPUX_MAX_THREADS) */
#ifndef RT_TP_SPIN_NS
#define RT_TP_SPIN_NS 100000 /* 0.1 ms */
#endif

typedef void (*RtTaskFn)(void *arg, int64_t task);

typedef struct RtTpJob {
  RtTaskFn fn;
  void *arg;
  int64_t ntasks;
} RtTpJob;

typedef struct RtThreads {
  int nthreads; /* the caller included; 1 runs everything in the caller */
  int started;  /* workers started */
  pthread_t th[RT_TP_MAX];
  pthread_mutex_t mu;
  pthread_cond_t wake; /* a job or stop for the workers */
  pthread_cond_t done; /* the last task of the job finished */
  uint64_t claim;      /* job number << 32 | the next task to hand out */
  RtTpJob job[2];      /* job n is job[n & 1] */
  int64_t finished;    /* tasks of the current job that have run */
  int stop;
  int sleeping; /* workers waiting on wake */
  int waiting;  /* the caller waits on done */
} RtThreads;

/* Starts nthreads - 1 workers (nthreads is clamped to [1, RT_TP_MAX]).
 * Returns 0, or -1 if a thread could not be started (the pool then runs
 * with the threads it got). */
RT_API int rt_tp_start(RtThreads *p, int nthreads);
/* Stops and joins the workers; the pool may be started again. */
RT_API void rt_tp_stop(RtThreads *p);
/* Runs fn(arg, t) for every t in [0, ntasks) on the pool's threads. */
RT_API void rt_tp_run(RtThreads *p, int64_t ntasks, RtTaskFn fn, void *arg);
/* Threads the pool runs on (1 for NULL). */
RT_API int rt_tp_threads(const RtThreads *p);
/* Logical CPUs this process may run on (sched affinity), at least 1. */
RT_API int rt_cpu_count(void);

#endif
