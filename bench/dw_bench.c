/* dw_bench.c - the cpu target's depthwise conv and pools (cpu_dw.c,
 * cpu_pool.c) against the portable kernels (rt_conv_f32, rt_maxpool_f32,
 * rt_reduce_f32) on MobileNetV2's depthwise layers and ResNet-50's pools.
 * Built and run by bench/dw_bench.sh.
 *
 *   dw_bench [--rounds R] [--ms T] [--only TEXT]
 *
 * Each round times, one after the other, the portable kernel, ours on one
 * thread and ours on two (each sample repeats its kernel for about T ms,
 * 20 by default, on the same buffers: the data are as warm as the caches
 * keep them). The table shows each one's median over R rounds (9 by
 * default), as time per call and as GB/s of the bytes a call must move
 * (input, output and weights once each), and the speed-up over the
 * portable kernel; the last column is memcpy's GB/s over the same bytes
 * (half read, half written), timed in the same rounds, as the yardstick of
 * what the memory delivers. Last, the cost of an empty rt_tp_run on the
 * two threads: the floor under the two-thread times (on a machine whose
 * other core is busy it is a scheduler's time slice). --only keeps the layers whose name contains
 * TEXT. The machine may be shared: alternating the kernels and taking medians keeps the comparison
 * fair. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu_dw.h"
#include "cpu_pool.h"
#include "rt_kernels.h"
#include "tpool.h"

enum { K_DW, K_MAXPOOL, K_GAP };

typedef struct Layer {
  const char *name;
  int kind;
  int64_t c, hw, k, stride, pad;
} Layer;

static const Layer LAYERS[] = {
    {"mbv2 dw 32x112x112 s1", K_DW, 32, 112, 3, 1, 1},
    {"mbv2 dw 96x112x112 s2", K_DW, 96, 112, 3, 2, 1},
    {"mbv2 dw 144x56x56 s1", K_DW, 144, 56, 3, 1, 1},
    {"mbv2 dw 144x56x56 s2", K_DW, 144, 56, 3, 2, 1},
    {"mbv2 dw 192x28x28 s1", K_DW, 192, 28, 3, 1, 1},
    {"mbv2 dw 192x28x28 s2", K_DW, 192, 28, 3, 2, 1},
    {"mbv2 dw 384x14x14 s1", K_DW, 384, 14, 3, 1, 1},
    {"mbv2 dw 576x14x14 s1", K_DW, 576, 14, 3, 1, 1},
    {"mbv2 dw 576x14x14 s2", K_DW, 576, 14, 3, 2, 1},
    {"mbv2 dw 960x7x7 s1", K_DW, 960, 7, 3, 1, 1},
    {"r50 maxpool 64x112x112 3/2", K_MAXPOOL, 64, 112, 3, 2, 1},
    {"r50 gap 2048x7x7", K_GAP, 2048, 7, 7, 1, 0},
    {"mbv2 gap 1280x7x7", K_GAP, 1280, 7, 7, 1, 0},
};

typedef struct Bufs {
  const Layer *l;
  RtConv conv;
  RtPool pool;
  RtReduce red;
  RtCpuGlobalPool gp;
  float *x, *w, *b, *y, *scratch;
  char *cpy_src, *cpy_dst;
  int64_t bytes;
} Bufs;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *filled(int64_t n) {
  float *a = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
  for (int64_t i = 0; i < n; i++) a[i] = (float)((i * 7919) % 1000) / 500.0f - 1.0f;
  return a;
}

static Bufs setup(const Layer *l) {
  Bufs s;
  int64_t out = (l->hw + 2 * l->pad - l->k) / l->stride + 1, nx = l->c * l->hw * l->hw;
  memset(&s, 0, sizeof s);
  s.l = l;
  if (l->kind == K_DW) {
    RtConv *p = &s.conv;
    p->n = 1, p->c = p->m = p->group = l->c;
    p->in[0] = p->out[0] = p->k[0] = p->stride[0] = p->dil[0] = 1;
    p->in[1] = p->in[2] = l->hw, p->out[1] = p->out[2] = out, p->k[1] = p->k[2] = l->k;
    p->stride[1] = p->stride[2] = l->stride, p->dil[1] = p->dil[2] = 1;
    p->pad_begin[1] = p->pad_begin[2] = l->pad;
    p->act = RT_ACT_CLIP, p->alpha = 0.0f, p->beta = 6.0f; /* BN folded, then ReLU6 */
    s.w = filled(l->c * l->k * l->k), s.b = filled(l->c);
    s.bytes = 4 * (nx + l->c * out * out + l->c * (l->k * l->k + 1));
  } else if (l->kind == K_MAXPOOL) {
    RtPool *p = &s.pool;
    p->n = 1, p->c = l->c;
    p->in[0] = p->out[0] = p->k[0] = p->stride[0] = p->dil[0] = 1;
    p->in[1] = p->in[2] = l->hw, p->out[1] = p->out[2] = out, p->k[1] = p->k[2] = l->k;
    p->stride[1] = p->stride[2] = l->stride, p->dil[1] = p->dil[2] = 1;
    p->pad_begin[1] = p->pad_begin[2] = p->pad_end[1] = p->pad_end[2] = l->pad;
    s.bytes = 4 * (nx + l->c * out * out);
  } else {
    s.red.out_rank = 1, s.red.out_dims[0] = l->c, s.red.out_strides[0] = l->hw * l->hw;
    s.red.red_rank = 1, s.red.red_dims[0] = l->hw * l->hw, s.red.red_strides[0] = 1;
    s.red.op = RT_RED_MEAN;
    s.gp.n = 1, s.gp.c = l->c, s.gp.spatial = l->hw * l->hw;
    out = 1;
    s.bytes = 4 * (nx + l->c);
  }
  s.x = filled(nx);
  s.y = filled(l->c * out * out);
  s.scratch = filled(l->kind == K_DW ? rt_conv_scratch_f32(&s.conv) : 0);
  s.cpy_src = malloc((size_t)s.bytes / 2 + 1), s.cpy_dst = malloc((size_t)s.bytes / 2 + 1);
  memset(s.cpy_src, 1, (size_t)s.bytes / 2 + 1), memset(s.cpy_dst, 2, (size_t)s.bytes / 2 + 1);
  return s;
}

/* impl 0: the portable kernel; 1: ours on tp; 2: memcpy of the bytes. */
static void call(const Bufs *s, int impl, RtThreads *tp) {
  if (impl == 2) {
    memcpy(s->cpy_dst, s->cpy_src, (size_t)s->bytes / 2);
    return;
  }
  switch (s->l->kind) {
    case K_DW:
      if (impl)
        rt_cpu_dw_f32(&s->conv, s->x, s->w, s->b, NULL, s->y, tp);
      else
        rt_conv_f32(&s->conv, s->x, s->w, s->b, s->y, s->scratch);
      break;
    case K_MAXPOOL:
      if (impl)
        rt_cpu_maxpool_f32(&s->pool, s->x, s->y, tp);
      else
        rt_maxpool_f32(&s->pool, s->x, s->y);
      break;
    default:
      if (impl)
        rt_cpu_global_avgpool_f32(&s->gp, s->x, NULL, NULL, s->y, tp);
      else
        rt_reduce_f32(&s->red, s->x, s->y);
      break;
  }
}

/* Seconds per call, over about ms milliseconds of calls. */
static double sample(const Bufs *s, int impl, RtThreads *tp, double ms) {
  int64_t reps = 0;
  double t0 = now_s(), t;
  call(s, impl, tp); /* warm */
  t0 = now_s();
  do {
    call(s, impl, tp);
    reps++;
    t = now_s();
  } while (t - t0 < ms * 1e-3);
  return (t - t0) / (double)reps;
}

static void nop_task(void *arg, int64_t t) { (void)arg, (void)t; }

/* Seconds per empty rt_tp_run of 32 tasks on tp, over about ms ms. */
static double sample_pool(RtThreads *tp, double ms) {
  int64_t reps = 0;
  double t0 = now_s(), t;
  do {
    rt_tp_run(tp, 32, nop_task, NULL);
    reps++;
    t = now_s();
  } while (t - t0 < ms * 1e-3);
  return (t - t0) / (double)reps;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_d);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv) {
  int rounds = 9;
  double ms = 20.0;
  const char *only = "";
  RtThreads one, two;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--rounds") == 0) rounds = atoi(argv[i + 1]);
    if (strcmp(argv[i], "--ms") == 0) ms = atof(argv[i + 1]);
    if (strcmp(argv[i], "--only") == 0) only = argv[i + 1];
  }
  if (rounds < 1 || rounds > 99) rounds = 9;
  rt_tp_start(&one, 1);
  rt_tp_start(&two, 2);
  printf(
      "| layer | MB moved | portable us | GB/s | ours 1t us | GB/s | x | ours 2t us | GB/s | x "
      "| memcpy GB/s |\n");
  printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (size_t li = 0; li < sizeof LAYERS / sizeof LAYERS[0]; li++) {
    Bufs s;
    double tp[99], t1[99], t2[99], tc[99], mp, m1, m2, mc, gb;
    if (!strstr(LAYERS[li].name, only)) continue;
    s = setup(&LAYERS[li]);
    gb = (double)s.bytes * 1e-9;
    for (int r = 0; r < rounds; r++) {
      tp[r] = sample(&s, 0, NULL, ms);
      t1[r] = sample(&s, 1, &one, ms);
      t2[r] = sample(&s, 1, &two, ms);
      tc[r] = sample(&s, 2, NULL, ms);
    }
    mp = median(tp, rounds), m1 = median(t1, rounds), m2 = median(t2, rounds);
    mc = median(tc, rounds);
    printf("| %s | %.2f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |\n",
           s.l->name, (double)s.bytes * 1e-6, mp * 1e6, gb / mp, m1 * 1e6, gb / m1, mp / m1,
           m2 * 1e6, gb / m2, mp / m2, gb / mc);
    fflush(stdout);
    free(s.x), free(s.w), free(s.b), free(s.y), free(s.scratch), free(s.cpy_src), free(s.cpy_dst);
  }
  {
    double tp[99];
    for (int r = 0; r < rounds; r++) tp[r] = sample_pool(&two, ms);
    printf("\nempty rt_tp_run (32 tasks) on 2 threads: %.1f us\n", median(tp, rounds) * 1e6);
  }
  rt_tp_stop(&one);
  rt_tp_stop(&two);
  return 0;
}
