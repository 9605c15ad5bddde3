/* str.c - see str.h. */
#include <string.h>

#include "str.h"

/* Only memcpy and memset of libc: the others by hand. */
static int str_eq(const char *a, const char *b, int64_t n) {
  int64_t i;
  for (i = 0; i < n; i++)
    if (a[i] != b[i]) return 0;
  return 1;
}

static void rx_move(void *dst, const void *src, size_t n) { /* memmove */
  unsigned char *d = (unsigned char *)dst;
  const unsigned char *q = (const unsigned char *)src;
  size_t i;
  if (d < q)
    for (i = 0; i < n; i++) d[i] = q[i];
  else
    for (i = n; i > 0; i--) d[i - 1] = q[i - 1];
}

static int64_t str_len(const char *s, int64_t w) {
  int64_t n = 0;
  while (n < w && s[n]) n++;
  return n;
}

/* The offset of output element i's operand, given its strides. */
static int64_t str_offset(int64_t i, int64_t rank, const int64_t *dims, const int64_t *st) {
  int64_t off = 0, d;
  for (d = rank - 1; d >= 0; d--) {
    off += (i % dims[d]) * st[d];
    i /= dims[d];
  }
  return off;
}

RT_API void rt_str_concat(const RtStrConcat *p, const char *a, const char *b, char *y) {
  int64_t i;
  for (i = 0; i < p->n; i++) {
    const char *x1 = a + str_offset(i, p->rank, p->dims, p->sa) * p->wa;
    const char *x2 = b + str_offset(i, p->rank, p->dims, p->sb) * p->wb;
    int64_t l1 = str_len(x1, p->wa), l2 = str_len(x2, p->wb);
    char *o = y + i * p->wy;
    memset(o, 0, (size_t)p->wy);
    memcpy(o, x1, (size_t)l1);
    memcpy(o + l1, x2, (size_t)l2);
  }
}

RT_API void rt_str_equal(const RtStrEqual *p, const char *a, const char *b, uint8_t *y) {
  int64_t i;
  for (i = 0; i < p->n; i++) {
    const char *x1 = a + str_offset(i, p->rank, p->dims, p->sa) * p->wa;
    const char *x2 = b + str_offset(i, p->rank, p->dims, p->sb) * p->wb;
    int64_t l1 = str_len(x1, p->wa), l2 = str_len(x2, p->wb);
    y[i] = l1 == l2 && str_eq(x1, x2, l1);
  }
}

/* ---- StringSplit ---- */

static int str_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Calls back for each piece of s (len bytes); returns the count. With out,
 * piece j goes to out + j * w. */
static int64_t str_pieces(const RtStrSplit *p, const char *s, int64_t len, const char *delim,
                          char *out) {
  int64_t count = 0, i = 0, start, splits = 0;
  if (!p->dlen) { /* runs of whitespace */
    while (i < len) {
      while (i < len && str_space(s[i])) i++;
      if (i >= len) break;
      start = i;
      if (p->maxsplit >= 0 && splits >= p->maxsplit) {
        int64_t end = len;
        while (end > start && str_space(s[end - 1])) end--;
        i = end;
      } else {
        while (i < len && !str_space(s[i])) i++;
        splits++;
      }
      if (out) memcpy(out + count * p->w, s + start, (size_t)(i - start));
      count++;
      if (i >= len) break;
    }
    return count;
  }
  start = 0;
  for (i = 0; i + p->dlen <= len;) {
    if ((p->maxsplit < 0 || splits < p->maxsplit) && str_eq(s + i, delim, p->dlen)) {
      if (out) memcpy(out + count * p->w, s + start, (size_t)(i - start));
      count++;
      splits++;
      i += p->dlen;
      start = i;
    } else {
      i++;
    }
  }
  if (out) memcpy(out + count * p->w, s + start, (size_t)(len - start));
  return count + 1;
}

RT_API void rt_str_split(const RtStrSplit *p, const char *x, const void *delim, char *y,
                         int64_t *z, int64_t *y_shape) {
  int64_t i, k = 0, d;
  for (i = 0; i < p->n; i++) {
    const char *s = x + i * p->w;
    int64_t len = str_len(s, p->w);
    z[i] = len ? str_pieces(p, s, len, (const char *)delim, NULL) : (p->dlen ? 1 : 0);
    if (z[i] > k) k = z[i];
  }
  memset(y, 0, (size_t)(p->n * k * p->w));
  for (i = 0; i < p->n; i++) {
    const char *s = x + i * p->w;
    int64_t len = str_len(s, p->w);
    if (len) str_pieces(p, s, len, (const char *)delim, y + i * k * p->w);
  }
  for (d = 0; d < p->rank_x; d++) y_shape[d] = p->dims[d];
  y_shape[p->rank_x] = k;
}

/* ---- StringNormalizer ---- */

static char str_lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }
static char str_upper(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c; }

static int str_same(const char *a, int64_t la, const char *b, int64_t lb, int fold) {
  int64_t i;
  if (la != lb) return 0;
  for (i = 0; i < la; i++)
    if (fold ? str_lower(a[i]) != str_lower(b[i]) : a[i] != b[i]) return 0;
  return 1;
}

RT_API void rt_str_normalize(const RtStrNormalize *p, const char *x, const char *stop, char *y,
                             int64_t *shape) {
  int64_t i, j, k = 0;
  size_t w = p->w > 0 ? (size_t)p->w : 1;
  for (i = 0; i < p->n; i++) {
    const char *s = x + i * p->w;
    int64_t len = str_len(s, p->w), drop = 0;
    for (j = 0; j < p->nstop && !drop; j++)
      drop = str_same(s, len, stop + j * p->sw, str_len(stop + j * p->sw, p->sw),
                      !p->case_sensitive);
    if (drop) continue;
    char *o = y + k * p->w;
    memset(o, 0, w);
    for (j = 0; j < len; j++)
      o[j] = p->case_change == 1 ? str_lower(s[j]) : p->case_change == 2 ? str_upper(s[j]) : s[j];
    k++;
  }
  if (!k) { /* all dropped: one empty string */
    memset(y, 0, w);
    k = 1;
  }
  shape[0] = p->two_d ? 1 : k;
  if (p->two_d) shape[1] = k;
}

/* ---- RegexFullMatch: a backtracking matcher over compiled instructions,
 * memoizing (instruction, position) states so that it runs in
 * O(instructions * length). ---- */

enum {
  RX_CHAR, /* a: code point */
  RX_ANY,  /* any code point but \n */
  RX_CLASS, /* a: first range in the program's range list, b: count, c: negated */
  RX_SPLIT, /* try pc + a, then pc + b */
  RX_JMP,   /* pc + a */
  RX_BOL,
  RX_EOL,
  RX_WORDB, /* a: 1 for \b, 0 for \B */
  RX_MATCH
};

#define RX_MAX_PROG 2048
#define RX_MAX_RANGES 512

typedef struct RxInst {
  int op, a, b, c;
} RxInst;

typedef struct Rx {
  RxInst prog[RX_MAX_PROG];
  int n;
  uint32_t lo[RX_MAX_RANGES], hi[RX_MAX_RANGES];
  int nranges;
  const unsigned char *p, *end;
  const char *err;
} Rx;

/* The code point at *s (UTF-8, invalid bytes as themselves), advancing it. */
static uint32_t rx_utf8(const unsigned char **s, const unsigned char *end) {
  const unsigned char *q = *s;
  uint32_t c = *q;
  int k = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;
  int i;
  if (k <= 0 || end - q <= k) {
    *s = q + 1;
    return c;
  }
  c &= k == 1 ? 0x1f : k == 2 ? 0x0f : 0x07;
  for (i = 1; i <= k; i++) {
    if ((q[i] & 0xc0) != 0x80) {
      *s = q + 1;
      return *q;
    }
    c = c << 6 | (q[i] & 0x3f);
  }
  *s = q + k + 1;
  return c;
}

static int rx_emit(Rx *r, int op, int a, int b, int c) {
  if (r->n >= RX_MAX_PROG) {
    r->err = "the pattern is too long";
    return -1;
  }
  r->prog[r->n].op = op;
  r->prog[r->n].a = a;
  r->prog[r->n].b = b;
  r->prog[r->n].c = c;
  return r->n++;
}

static int rx_range(Rx *r, uint32_t lo, uint32_t hi) {
  if (r->nranges >= RX_MAX_RANGES) {
    r->err = "too many character classes";
    return -1;
  }
  r->lo[r->nranges] = lo;
  r->hi[r->nranges++] = hi;
  return 0;
}

/* The ranges of \d \w \s (upper case: their complements are not ranges;
 * the caller negates). */
static int rx_class_escape(Rx *r, unsigned char e) {
  switch (e | 0x20) {
  case 'd': return rx_range(r, '0', '9');
  case 's':
    return rx_range(r, '\t', '\n') || rx_range(r, '\f', '\r') || rx_range(r, ' ', ' ');
  case 'w':
    return rx_range(r, '0', '9') || rx_range(r, 'A', 'Z') || rx_range(r, 'a', 'z') ||
           rx_range(r, '_', '_');
  default: return 1;
  }
}

/* An escaped literal: \n \t \r \f \v, punctuation. -1 if unknown. */
static int rx_escaped(unsigned char e) {
  switch (e) {
  case 'n': return '\n';
  case 't': return '\t';
  case 'r': return '\r';
  case 'f': return '\f';
  case 'v': return '\v';
  default:
    if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9')) return -1;
    return e;
  }
}

/* Moves prog[from, n) up by k places (relative jumps inside stay valid). */
static int rx_insert(Rx *r, int from, int k) {
  if (r->n + k > RX_MAX_PROG) {
    r->err = "the pattern is too long";
    return -1;
  }
  rx_move(&r->prog[from + k], &r->prog[from], sizeof(RxInst) * (size_t)(r->n - from));
  r->n += k;
  return 0;
}

/* Appends a copy of prog[from, to). */
static int rx_copy(Rx *r, int from, int to) {
  int len = to - from;
  if (r->n + len > RX_MAX_PROG) {
    r->err = "the pattern is too long";
    return -1;
  }
  rx_move(&r->prog[r->n], &r->prog[from], sizeof(RxInst) * (size_t)len);
  r->n += len;
  return 0;
}

static int rx_alt(Rx *r, int depth);

static int rx_class(Rx *r) {
  int neg = 0, first = r->nranges, any = 0;
  if (r->p < r->end && *r->p == '^') neg = 1, r->p++;
  while (r->p < r->end && (*r->p != ']' || !any)) {
    uint32_t lo;
    any = 1;
    if (*r->p == '\\') {
      if (++r->p >= r->end) break;
      unsigned char e = *r->p++;
      if ((e | 0x20) == 'd' || (e | 0x20) == 's' || (e | 0x20) == 'w') {
        if (e >= 'A' && e <= 'Z') {
          r->err = "negated classes (\\D \\S \\W) inside [...] are not supported";
          return -1;
        }
        if (rx_class_escape(r, e)) return -1;
        continue;
      }
      int c = rx_escaped(e);
      if (c < 0) {
        r->err = "unknown escape in a class";
        return -1;
      }
      lo = (uint32_t)c;
    } else {
      lo = rx_utf8(&r->p, r->end);
    }
    uint32_t hi = lo;
    if (r->p + 1 < r->end && *r->p == '-' && r->p[1] != ']') {
      r->p++;
      if (*r->p == '\\') {
        r->p++;
        int c = r->p < r->end ? rx_escaped(*r->p++) : -1;
        if (c < 0) {
          r->err = "bad range in a class";
          return -1;
        }
        hi = (uint32_t)c;
      } else {
        hi = rx_utf8(&r->p, r->end);
      }
      if (hi < lo) {
        r->err = "a range out of order in a class";
        return -1;
      }
    }
    if (rx_range(r, lo, hi)) return -1;
  }
  if (r->p >= r->end) {
    r->err = "missing ']'";
    return -1;
  }
  r->p++;
  return rx_emit(r, RX_CLASS, first, r->nranges - first, neg) < 0 ? -1 : 0;
}

static int rx_atom(Rx *r, int depth) {
  unsigned char c = *r->p;
  if (c == '(') {
    r->p++;
    if (r->p + 1 < r->end && r->p[0] == '?' && r->p[1] == ':') r->p += 2;
    else if (r->p < r->end && r->p[0] == '?') {
      r->err = "only (?:...) groups are supported";
      return -1;
    }
    if (rx_alt(r, depth + 1)) return -1;
    if (r->p >= r->end || *r->p != ')') {
      r->err = "missing ')'";
      return -1;
    }
    r->p++;
    return 0;
  }
  if (c == '[') {
    r->p++;
    return rx_class(r);
  }
  if (c == '.') {
    r->p++;
    return rx_emit(r, RX_ANY, 0, 0, 0) < 0 ? -1 : 0;
  }
  if (c == '^' || c == '$') {
    r->p++;
    return rx_emit(r, c == '^' ? RX_BOL : RX_EOL, 0, 0, 0) < 0 ? -1 : 0;
  }
  if (c == '\\') {
    if (++r->p >= r->end) {
      r->err = "a trailing '\\'";
      return -1;
    }
    unsigned char e = *r->p++;
    if (e == 'b' || e == 'B') return rx_emit(r, RX_WORDB, e == 'b', 0, 0) < 0 ? -1 : 0;
    if ((e | 0x20) == 'd' || (e | 0x20) == 's' || (e | 0x20) == 'w') {
      int first = r->nranges;
      if (rx_class_escape(r, e)) return -1;
      return rx_emit(r, RX_CLASS, first, r->nranges - first, e >= 'A' && e <= 'Z') < 0 ? -1 : 0;
    }
    int v = rx_escaped(e);
    if (v < 0) {
      r->err = "unknown escape";
      return -1;
    }
    return rx_emit(r, RX_CHAR, v, 0, 0) < 0 ? -1 : 0;
  }
  if (c == '*' || c == '+' || c == '?' || c == '{' || c == ')' || c == '|') {
    r->err = "a quantifier or ')' with nothing before it";
    return -1;
  }
  return rx_emit(r, RX_CHAR, (int)rx_utf8(&r->p, r->end), 0, 0) < 0 ? -1 : 0;
}

static int rx_number(Rx *r, int *v) {
  int n = 0, digits = 0;
  while (r->p < r->end && *r->p >= '0' && *r->p <= '9' && n < 100000) {
    n = n * 10 + (*r->p++ - '0');
    digits++;
  }
  *v = n;
  return digits ? 0 : -1;
}

/* Applies a quantifier to prog[start, n). */
static int rx_quantify(Rx *r, int start) {
  int len = r->n - start, lo, hi, i;
  unsigned char q = *r->p++;
  if (q == '*' || q == '?') {
    if (rx_insert(r, start, 1)) return -1;
    r->prog[start].op = RX_SPLIT;
    r->prog[start].a = 1;
    r->prog[start].b = len + (q == '*' ? 2 : 1);
    if (q == '*' && rx_emit(r, RX_JMP, -(len + 1), 0, 0) < 0) return -1;
  } else if (q == '+') {
    if (rx_emit(r, RX_SPLIT, -len, 1, 0) < 0) return -1;
  } else { /* {m}, {m,}, {m,n} */
    if (rx_number(r, &lo)) {
      r->err = "bad {m,n}";
      return -1;
    }
    hi = lo;
    if (r->p < r->end && *r->p == ',') {
      r->p++;
      if (r->p < r->end && *r->p == '}') hi = -1;
      else if (rx_number(r, &hi) || hi < lo) {
        r->err = "bad {m,n}";
        return -1;
      }
    }
    if (r->p >= r->end || *r->p != '}') {
      r->err = "missing '}'";
      return -1;
    }
    r->p++;
    if (lo > 1000 || hi > 1000) {
      r->err = "repetition counts over 1000";
      return -1;
    }
    /* lo copies, then hi - lo optional copies (or a star) */
    for (i = 1; i < lo; i++)
      if (rx_copy(r, start, start + len)) return -1;
    if (hi < 0) {
      int s = r->n;
      if (rx_copy(r, start, start + len) || rx_insert(r, s, 1)) return -1;
      r->prog[s].op = RX_SPLIT, r->prog[s].a = 1, r->prog[s].b = len + 2;
      if (rx_emit(r, RX_JMP, -(len + 1), 0, 0) < 0) return -1;
    } else {
      for (i = lo; i < hi; i++) {
        int s = r->n;
        if (rx_copy(r, start, start + len) || rx_insert(r, s, 1)) return -1;
        r->prog[s].op = RX_SPLIT, r->prog[s].a = 1, r->prog[s].b = len + 1;
      }
    }
    if (lo == 0) { /* drop the first copy */
      rx_move(&r->prog[start], &r->prog[start + len], sizeof(RxInst) * (size_t)(r->n - start - len));
      r->n -= len;
    }
  }
  if (r->p < r->end && *r->p == '?') r->p++; /* lazy: the same for a full match */
  return 0;
}

static int rx_seq(Rx *r, int depth) {
  while (r->p < r->end && *r->p != '|' && *r->p != ')') {
    int start = r->n;
    if (rx_atom(r, depth)) return -1;
    while (r->p < r->end && (*r->p == '*' || *r->p == '+' || *r->p == '?' || *r->p == '{'))
      if (rx_quantify(r, start)) return -1;
  }
  return 0;
}

static int rx_alt(Rx *r, int depth) {
  int start = r->n;
  if (depth > 100) {
    r->err = "groups nested too deep";
    return -1;
  }
  if (rx_seq(r, depth)) return -1;
  while (r->p < r->end && *r->p == '|') {
    int la = r->n - start, jmp;
    r->p++;
    if (rx_insert(r, start, 1)) return -1;
    jmp = rx_emit(r, RX_JMP, 0, 0, 0);
    if (jmp < 0) return -1;
    r->prog[start].op = RX_SPLIT, r->prog[start].a = 1, r->prog[start].b = la + 2;
    if (rx_seq(r, depth)) return -1;
    r->prog[jmp].a = r->n - jmp;
  }
  return 0;
}

static int rx_build(Rx *r, const char *pat, int64_t plen) {
  memset(r, 0, sizeof *r);
  r->p = (const unsigned char *)pat;
  r->end = r->p + plen;
  if (rx_alt(r, 0)) return -1;
  if (r->p < r->end) {
    r->err = "unbalanced ')'";
    return -1;
  }
  return rx_emit(r, RX_MATCH, 0, 0, 0) < 0 ? -1 : 0;
}

RT_API int64_t rt_regex_compile(const char *pat, int64_t plen, char *err, int64_t errlen) {
  static Rx r; /* large; compile time only */
  if (rx_build(&r, pat, plen)) {
    int64_t i;
    for (i = 0; err && i + 1 < errlen && r.err[i]; i++) err[i] = r.err[i];
    if (err && errlen > 0) err[i] = 0;
    return -1;
  }
  return r.n;
}

/* The visited bits, plus the backtracking stack of (pc, position). */
RT_API int64_t rt_regex_scratch(int64_t prog_len, int64_t w) {
  int64_t states = prog_len * (w + 1);
  return (int64_t)sizeof(Rx) + (states + 7) / 8 + states * 2 * (int64_t)sizeof(int32_t) + 64;
}

static int rx_word(const unsigned char *s, int64_t len, int64_t i) {
  unsigned char c;
  if (i < 0 || i >= len) return 0;
  c = s[i];
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int rx_in_class(const Rx *r, const RxInst *in, uint32_t c) {
  int k, hit = 0;
  for (k = 0; k < in->b && !hit; k++) hit = c >= r->lo[in->a + k] && c <= r->hi[in->a + k];
  return hit != in->c;
}

static int rx_run(const Rx *r, const unsigned char *s, int64_t len, unsigned char *seen,
                  int32_t *stack) {
  int64_t top = 0, states = (int64_t)r->n * (len + 1);
  memset(seen, 0, (size_t)((states + 7) / 8));
  stack[top++] = 0;
  stack[top++] = 0;
  while (top) {
    int32_t pos = stack[--top], pc = stack[--top];
    for (;;) {
      int64_t st = (int64_t)pc * (len + 1) + pos;
      const RxInst *in = &r->prog[pc];
      if (seen[st >> 3] & (1u << (st & 7))) break;
      seen[st >> 3] |= (unsigned char)(1u << (st & 7));
      if (in->op == RX_MATCH) {
        if (pos == len) return 1;
        break;
      }
      if (in->op == RX_JMP) {
        pc += in->a;
        continue;
      }
      if (in->op == RX_SPLIT) {
        stack[top++] = pc + in->b;
        stack[top++] = pos;
        pc += in->a;
        continue;
      }
      if (in->op == RX_BOL || in->op == RX_EOL) {
        if (in->op == RX_BOL ? pos != 0 : pos != len) break;
        pc++;
        continue;
      }
      if (in->op == RX_WORDB) {
        if ((rx_word(s, len, pos - 1) != rx_word(s, len, pos)) != in->a) break;
        pc++;
        continue;
      }
      if (pos >= len) break;
      {
        const unsigned char *q = s + pos;
        uint32_t c = rx_utf8(&q, s + len);
        int ok = in->op == RX_CHAR ? c == (uint32_t)in->a
                 : in->op == RX_ANY ? c != '\n'
                                    : rx_in_class(r, in, c);
        if (!ok) break;
        pos = (int32_t)(q - s);
        pc++;
      }
    }
  }
  return 0;
}

RT_API void rt_regex_full_match(const RtRegexMatch *p, const char *x, const void *pat,
                                uint8_t *y, void *scratch) {
  Rx *r = (Rx *)scratch;
  int64_t i, states = p->prog_len * (p->w + 1);
  unsigned char *seen = (unsigned char *)scratch + sizeof(Rx);
  int32_t *stack = (int32_t *)(void *)(seen + ((states + 7) / 8 + 7) / 8 * 8);
  if (rx_build(r, (const char *)pat, p->plen)) { /* checked at compile time */
    memset(y, 0, (size_t)p->n);
    return;
  }
  for (i = 0; i < p->n; i++) {
    const char *s = x + i * p->w;
    y[i] = (uint8_t)rx_run(r, (const unsigned char *)s, str_len(s, p->w), seen, stack);
  }
}

/* ---- LabelEncoder ---- */

static int le_equal(const RtLabelEncode *p, const void *x, int64_t i, const void *keys, int64_t k) {
  switch (p->key_type) {
  case 8: {
    const char *a = (const char *)x + i * p->kw, *b = (const char *)keys + k * p->kw;
    return str_same(a, str_len(a, p->kw), b, str_len(b, p->kw), 0);
  }
  case 1: {
    float a = ((const float *)x)[i], b = ((const float *)keys)[k];
    return a == b || (a != a && b != b);
  }
  case 6: return ((const int32_t *)x)[i] == ((const int32_t *)keys)[k];
  case 5: return ((const int16_t *)x)[i] == ((const int16_t *)keys)[k];
  default: return ((const int64_t *)x)[i] == ((const int64_t *)keys)[k];
  }
}

static void le_put(const RtLabelEncode *p, void *y, int64_t i, const void *src, int64_t k) {
  switch (p->value_type) {
  case 8: memcpy((char *)y + i * p->vw, (const char *)src + k * p->vw, (size_t)p->vw); break;
  case 1: ((float *)y)[i] = ((const float *)src)[k]; break;
  case 6: ((int32_t *)y)[i] = ((const int32_t *)src)[k]; break;
  case 5: ((int16_t *)y)[i] = ((const int16_t *)src)[k]; break;
  default: ((int64_t *)y)[i] = ((const int64_t *)src)[k]; break;
  }
}

RT_API void rt_label_encode(const RtLabelEncode *p, const void *x, const void *keys,
                            const void *values, const void *dflt, void *y) {
  int64_t i, k;
  for (i = 0; i < p->n; i++) {
    for (k = 0; k < p->nkeys && !le_equal(p, x, i, keys, k); k++) continue;
    if (k < p->nkeys) le_put(p, y, i, values, k);
    else le_put(p, y, i, dflt, 0);
  }
}
