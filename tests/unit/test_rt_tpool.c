/* test_rt_tpool.c - the cpu target's thread pool: every task runs exactly
 * once per job, on more than one thread when there are several, across
 * many back-to-back jobs (polling) and jobs after the workers slept. */
#include <stdint.h>
#include <time.h>

#include "test.h"
#include "tpool.h"

#define NTASK 1000

typedef struct Job {
  int hits[NTASK];
  pthread_t who[NTASK];
} Job;

static void count_task(void *arg, int64_t t) {
  Job *j = (Job *)arg;
  __atomic_add_fetch(&j->hits[t], 1, __ATOMIC_RELAXED);
  j->who[t] = pthread_self();
}

static int each_once(const Job *j, int64_t n) {
  for (int64_t t = 0; t < n; t++)
    if (j->hits[t] != 1) return 0;
  return 1;
}

static int threads_used(const Job *j, int64_t n) {
  int k = 0;
  pthread_t seen[RT_TP_MAX];
  for (int64_t t = 0; t < n; t++) {
    int known = 0;
    for (int i = 0; i < k; i++) known |= pthread_equal(seen[i], j->who[t]);
    if (!known && k < RT_TP_MAX) seen[k++] = j->who[t];
  }
  return k;
}

static void slow_task(void *arg, int64_t t) {
  struct timespec ts = {0, 200000}; /* 0.2 ms: every thread gets some */
  nanosleep(&ts, NULL);
  count_task(arg, t);
}

TEST(serial_pool_and_null) {
  static Job j;
  RtThreads p;
  CHECK_EQ_INT(rt_tp_start(&p, 1), 0);
  CHECK_EQ_INT(rt_tp_threads(&p), 1);
  rt_tp_run(&p, NTASK, count_task, &j);
  CHECK(each_once(&j, NTASK));
  CHECK(threads_used(&j, NTASK) == 1);
  rt_tp_stop(&p);
  memset(&j, 0, sizeof j);
  rt_tp_run(NULL, 7, count_task, &j);
  CHECK(each_once(&j, 7));
  CHECK_EQ_INT(rt_tp_threads(NULL), 1);
}

TEST(every_task_once_on_several_threads) {
  static Job j;
  RtThreads p;
  CHECK_EQ_INT(rt_tp_start(&p, 4), 0);
  CHECK_EQ_INT(rt_tp_threads(&p), 4);
  rt_tp_run(&p, 64, slow_task, &j);
  CHECK(each_once(&j, 64));
  CHECK(threads_used(&j, 64) > 1);
  rt_tp_stop(&p);
}

TEST(back_to_back_and_after_sleep) {
  static Job j;
  RtThreads p;
  CHECK_EQ_INT(rt_tp_start(&p, 3), 0);
  for (int round = 0; round < 2000; round++) {
    int64_t n = 1 + round % 37;
    memset(j.hits, 0, sizeof j.hits);
    rt_tp_run(&p, n, count_task, &j);
    if (!each_once(&j, n)) {
      CHECK(each_once(&j, n));
      break;
    }
    if (round % 500 == 0) { /* let the workers fall asleep */
      struct timespec ts = {0, 5 * RT_TP_SPIN_NS};
      nanosleep(&ts, NULL);
    }
  }
  rt_tp_stop(&p);
  CHECK_EQ_INT(rt_tp_start(&p, 2), 0); /* a pool starts again after stop */
  memset(j.hits, 0, sizeof j.hits);
  rt_tp_run(&p, NTASK, count_task, &j);
  CHECK(each_once(&j, NTASK));
  rt_tp_stop(&p);
}

/* Jobs alternate between two functions and two argument blocks, with task
 * counts that change every time, on more threads than there are cores: a
 * worker that wakes late must never run a task of an old job with a new
 * job's function or argument, nor a task twice. */
static void other_task(void *arg, int64_t t) {
  Job *j = (Job *)arg;
  __atomic_add_fetch(&j->hits[t], 100, __ATOMIC_RELAXED);
}

TEST(late_workers_never_mix_jobs) {
  static Job a, b;
  RtThreads p;
  int bad = 0;
  CHECK_EQ_INT(rt_tp_start(&p, 6), 0);
  for (int round = 0; round < 20000 && !bad; round++) {
    int64_t n = 2 + round % 5;
    Job *j = round & 1 ? &b : &a;
    memset(j->hits, 0, sizeof j->hits);
    rt_tp_run(&p, n, round % 3 ? count_task : other_task, j);
    for (int64_t t = 0; t < NTASK; t++)
      if (j->hits[t] != (t >= n ? 0 : round % 3 ? 1 : 100)) bad = 1;
  }
  CHECK(!bad);
  rt_tp_stop(&p);
}

TEST(clamps_and_counts) {
  RtThreads p;
  CHECK_EQ_INT(rt_tp_start(&p, 0), 0);
  CHECK_EQ_INT(rt_tp_threads(&p), 1);
  rt_tp_stop(&p);
  CHECK(rt_cpu_count() >= 1);
}

int main(void) {
  RUN(serial_pool_and_null);
  RUN(every_task_once_on_several_threads);
  RUN(back_to_back_and_after_sleep);
  RUN(late_workers_never_mix_jobs);
  RUN(clamps_and_counts);
  TEST_MAIN_END();
}
