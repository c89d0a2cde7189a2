// t.h — tiny C test harness. Each test file is one program; main() ends with T_DONE(),
// which prints "N passed, N failed" and returns non-zero on failure.
#ifndef T_H
#define T_H
#include <math.h>
#include <stdio.h>

static int t_pass, t_fail;

#define CHECK(cond) do { if (cond) t_pass++; else { t_fail++; \
    fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_EQ(a, b) do { long long _a = (long long)(a), _b = (long long)(b); if (_a == _b) t_pass++; else { t_fail++; \
    fprintf(stderr, "%s:%d: %s == %s failed: %lld vs %lld\n", __FILE__, __LINE__, #a, #b, _a, _b); } } while (0)
#define CHECK_NEAR(a, b, tol) do { double _a = (a), _b = (b); if (fabs(_a - _b) <= (tol)) t_pass++; else { t_fail++; \
    fprintf(stderr, "%s:%d: |%s - %s| <= %g failed: %.9g vs %.9g\n", __FILE__, __LINE__, #a, #b, (double)(tol), _a, _b); } } while (0)
#define T_DONE() (printf("%d passed, %d failed\n", t_pass, t_fail), t_fail != 0)

#endif
