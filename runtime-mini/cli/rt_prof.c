/* rt_prof.c - see rt_prof.h. */
#define _POSIX_C_SOURCE 200809L

#include "rt_prof.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt_json.h"

#define RT_PROF_TOP 15 /* slowest nodes in the summary */

static int64_t prof_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void rt_prof_init(rt_prof *p, const gpux_model_info *info) {
  memset(p, 0, sizeof *p);
  p->info = info;
}

void rt_prof_free(rt_prof *p) {
  free(p->s);
  memset(p, 0, sizeof *p);
}

static rt_prof_span *prof_push(rt_prof *p, int node) {
  if (p->n == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 1024;
    rt_prof_span *s = realloc(p->s, cap * sizeof *s);
    if (!s) {
      p->lost++;
      return NULL;
    }
    p->s = s;
    p->cap = cap;
  }
  p->s[p->n].node = node;
  p->s[p->n].t1 = -1;
  p->s[p->n].t0 = prof_now_ns();
  return &p->s[p->n++];
}

/* Closes the last span if it is node's and still open. */
static void prof_close(rt_prof *p, int node) {
  int64_t t = prof_now_ns();
  if (p->n && p->s[p->n - 1].node == node && p->s[p->n - 1].t1 < 0)
    p->s[p->n - 1].t1 = t;
  else
    p->lost++;
}

void rt_prof_hook(void *user, int node, int end) {
  rt_prof *p = (rt_prof *)user;
  if (!p->recording) return;
  if (node < 0 || node >= p->info->n_nodes) {
    p->lost++;
    return;
  }
  if (end) prof_close(p, node);
  else prof_push(p, node);
}

void rt_prof_run(rt_prof *p, int end) {
  if (!end) {
    /* the run's span is opened last, so that its node hooks come after it */
    p->recording = 1;
    prof_push(p, -1);
    return;
  }
  p->recording = 0;
  /* the run's span is the last one with node -1 */
  for (size_t i = p->n; i-- > 0;)
    if (p->s[i].node == -1) {
      p->s[i].t1 = prof_now_ns();
      p->runs++;
      return;
    }
  p->lost++;
}

static const gpux_node_info *prof_node(const rt_prof *p, int i) { return &p->info->nodes[i]; }

int rt_prof_write_trace(const rt_prof *p, const char *path, char *err, size_t errcap) {
  FILE *f = fopen(path, "w");
  int64_t base = p->n ? p->s[0].t0 : 0;
  int run = 0;
  if (!f) {
    snprintf(err, errcap, "%s", strerror(errno));
    return -1;
  }
  fprintf(f, "{\"traceEvents\": [");
  for (size_t i = 0; i < p->n; i++) {
    const rt_prof_span *s = &p->s[i];
    if (s->t1 < 0) continue;
    fprintf(f, "%s\n  {\"name\": ", i ? "," : "");
    if (s->node < 0) {
      fprintf(f, "\"run %d\", \"cat\": \"run\"", run++);
    } else {
      const gpux_node_info *n = prof_node(p, s->node);
      rt_json_write_string(f, n->name ? n->name : "");
      fprintf(f, ", \"cat\": ");
      rt_json_write_string(f, n->op ? n->op : "");
    }
    fprintf(f, ", \"ph\": \"X\", \"pid\": 1, \"tid\": 1, \"ts\": %.3f, \"dur\": %.3f",
            (double)(s->t0 - base) / 1e3, (double)(s->t1 - s->t0) / 1e3);
    if (s->node >= 0) {
      const gpux_node_info *n = prof_node(p, s->node);
      fprintf(f, ", \"args\": {\"index\": %d, \"op\": ", s->node);
      rt_json_write_string(f, n->op ? n->op : "");
      fprintf(f, ", \"shapes\": ");
      rt_json_write_string(f, n->shapes ? n->shapes : "");
      fprintf(f, "}");
    }
    fprintf(f, "}");
  }
  fprintf(f, "\n], \"displayTimeUnit\": \"ms\", \"otherData\": {\"model\": ");
  rt_json_write_string(f, p->info->name ? p->info->name : "");
  fprintf(f, ", \"target\": ");
  rt_json_write_string(f, p->info->target ? p->info->target : "");
  fprintf(f, ", \"runs\": %d}}\n", p->runs);
  if (ferror(f) | fclose(f)) {
    snprintf(err, errcap, "write error");
    return -1;
  }
  return 0;
}

typedef struct prof_row {
  const char *op;
  int node, nodes;
  double ns;
} prof_row;

static int prof_by_time(const void *a, const void *b) {
  const prof_row *x = (const prof_row *)a, *y = (const prof_row *)b;
  if (x->ns != y->ns) return x->ns < y->ns ? 1 : -1;
  return x->node - y->node; /* stable: the earlier node first */
}

void rt_prof_summary(const rt_prof *p, FILE *f) {
  int nn = p->info->n_nodes, nops = 0, runs = p->runs ? p->runs : 1;
  prof_row *node = calloc((size_t)nn + 1, sizeof *node), *op = calloc((size_t)nn + 1, sizeof *op);
  double run_ns = 0, in_nodes = 0;
  if (!node || !op) {
    free(node);
    free(op);
    fprintf(f, "profile: out of memory for the summary\n");
    return;
  }
  for (int i = 0; i < nn; i++) node[i].node = i, node[i].op = prof_node(p, i)->op;
  for (size_t i = 0; i < p->n; i++) {
    const rt_prof_span *s = &p->s[i];
    if (s->t1 < 0) continue;
    if (s->node < 0) run_ns += (double)(s->t1 - s->t0);
    else node[s->node].ns += (double)(s->t1 - s->t0), node[s->node].nodes = 1;
  }
  for (int i = 0; i < nn; i++) {
    int k;
    if (!node[i].nodes) continue;
    in_nodes += node[i].ns;
    for (k = 0; k < nops && strcmp(op[k].op ? op[k].op : "", node[i].op ? node[i].op : ""); k++) {
    }
    if (k == nops) op[nops].op = node[i].op, op[nops].node = i, nops++;
    op[k].ns += node[i].ns;
    op[k].nodes++;
  }
  qsort(op, (size_t)nops, sizeof *op, prof_by_time);
  qsort(node, (size_t)nn, sizeof *node, prof_by_time);
  fprintf(f, "profile: %d run%s of %s; %.3f ms per run, %.3f ms of it in nodes\n", p->runs,
          p->runs == 1 ? "" : "s", p->info->name ? p->info->name : "", run_ns / runs / 1e6,
          in_nodes / runs / 1e6);
  if (p->lost) fprintf(f, "profile: %d node timings lost\n", p->lost);
  fprintf(f, "%-24s %6s %11s %7s\n", "op", "nodes", "ms per run", "share");
  for (int k = 0; k < nops; k++)
    fprintf(f, "%-24s %6d %11.3f %6.1f%%\n", op[k].op ? op[k].op : "", op[k].nodes,
            op[k].ns / runs / 1e6, in_nodes > 0 ? 100.0 * op[k].ns / in_nodes : 0.0);
  fprintf(f, "slowest nodes:\n%11s %7s  node\n", "ms per run", "share");
  for (int k = 0; k < nn && k < RT_PROF_TOP && node[k].nodes; k++) {
    const gpux_node_info *n = prof_node(p, node[k].node);
    fprintf(f, "%11.3f %6.1f%%  [%d] '%s' %s: %s\n", node[k].ns / runs / 1e6,
            in_nodes > 0 ? 100.0 * node[k].ns / in_nodes : 0.0, node[k].node,
            n->name ? n->name : "", n->op ? n->op : "", n->shapes ? n->shapes : "");
  }
  free(node);
  free(op);
}
