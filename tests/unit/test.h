/* test.h - a tiny test harness for gpuxc's C unit tests.
 *
 * A test file defines functions with TEST(name) and lists them in main with
 * RUN(name). A failed CHECK prints file:line and the expression and marks the
 * test failed; the process exits non-zero if any test failed. */
#ifndef GPUXC_TEST_H
#define GPUXC_TEST_H

#include <stdio.h>
#include <string.h>

static int test_failed_;
static int tests_failed_;
static int tests_run_;

#define TEST(name) static void name(void)

#define RUN(name)                                                   \
  do {                                                              \
    test_failed_ = 0;                                               \
    tests_run_++;                                                   \
    name();                                                         \
    if (test_failed_) {                                             \
      tests_failed_++;                                              \
      fprintf(stderr, "FAIL %s\n", #name);                          \
    } else {                                                        \
      fprintf(stderr, "ok   %s\n", #name);                          \
    }                                                               \
  } while (0)

#define CHECK(c)                                                              \
  do {                                                                        \
    if (!(c)) {                                                               \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);  \
      test_failed_ = 1;                                                       \
    }                                                                         \
  } while (0)

#define CHECK_EQ_INT(a, b)                                                          \
  do {                                                                              \
    long long a_ = (long long)(a), b_ = (long long)(b);                             \
    if (a_ != b_) {                                                                 \
      fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, \
              #a, #b, a_, b_);                                                      \
      test_failed_ = 1;                                                             \
    }                                                                               \
  } while (0)

#define CHECK_STR(a, b)                                                                 \
  do {                                                                                  \
    const char *a_ = (a), *b_ = (b);                                                    \
    if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                            \
      fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, \
              #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");                          \
      test_failed_ = 1;                                                                 \
    }                                                                                   \
  } while (0)

/* True if haystack contains needle. */
#define CHECK_CONTAINS(hay, needle)                                                        \
  do {                                                                                     \
    const char *h_ = (hay), *n_ = (needle);                                                \
    if (!h_ || !strstr(h_, n_)) {                                                          \
      fprintf(stderr, "%s:%d: expected \"%s\" in \"%s\"\n", __FILE__, __LINE__, n_,        \
              h_ ? h_ : "(null)");                                                         \
      test_failed_ = 1;                                                                    \
    }                                                                                      \
  } while (0)

#define TEST_MAIN_END()                                                          \
  do {                                                                           \
    fprintf(stderr, "%d/%d tests passed\n", tests_run_ - tests_failed_, tests_run_); \
    return tests_failed_ ? 1 : 0;                                                \
  } while (0)

#endif
