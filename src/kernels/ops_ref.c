// ops_ref.c — scalar reference element-wise ops: rmsnorm, softmax, GELU (ggml's fp16 table), SiLU.
#include "kernels.h"
#include "../f16.h"
#include <math.h>

// Sum of squares in double (as ggml), in the canonical order shared with rmsnorm_simd128: groups
// of 4 elements feed 4 double accumulators, combined as (a0 + a2) + (a1 + a3), then the tail.
void rmsnorm_ref(float *y, const float *x, const float *w, int n, float eps) {
    double a[4] = {0, 0, 0, 0}, ss;
    int i = 0;
    for (; i + 4 <= n; i += 4)
        for (int k = 0; k < 4; k++) a[k] += (double)x[i + k] * (double)x[i + k];
    ss = (a[0] + a[2]) + (a[1] + a[3]);
    for (; i < n; i++) ss += (double)x[i] * (double)x[i];
    float mean = (float)(ss / n), scale = 1.0f / sqrtf(mean + eps);
    for (int i = 0; i < n; i++) y[i] = w ? x[i] * scale * w[i] : x[i] * scale;
}

// exp by lm_exp_poly; the sum in double in the canonical order shared with softmax_simd128:
// each group of 4 adds ((double)e0 + e2) + ((double)e1 + e3), then the tail one by one.
void softmax_ref(float *x, int n) {
    float max = -INFINITY;
    for (int i = 0; i < n; i++) max = x[i] > max ? x[i] : max;
    double sum = 0.0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        for (int k = 0; k < 4; k++) x[i + k] = lm_exp_poly(x[i + k] - max);
        sum += ((double)x[i] + (double)x[i + 2]) + ((double)x[i + 1] + (double)x[i + 3]);
    }
    for (; i < n; i++) { x[i] = lm_exp_poly(x[i] - max); sum += x[i]; }
    float inv = (float)(1.0 / sum);
    for (int j = 0; j < n; j++) x[j] *= inv;
}

// ggml's CPU GELU: input rounded to fp16, looked up in a table of fp16 results, with
// exact pass-through beyond +-10. The table is filled once on first use (128 KiB).
static uint16_t gelu_table[65536];
static int gelu_ready;

static float gelu_f32(float x) {
    const float sqrt_2_over_pi = 0.79788456080286535587989211986876f, coef_a = 0.044715f;
    // tanh in double, rounded: libm tanhf may differ by an ulp between glibc and musl
    return 0.5f * x * (1.0f + (float)tanh((double)(sqrt_2_over_pi * x * (1.0f + coef_a * x * x))));
}

static void gelu_table_init(void) {
    for (int i = 0; i < 65536; i++) gelu_table[i] = lm_f32_to_f16(gelu_f32(lm_f16_to_f32((uint16_t)i)));
    gelu_ready = 1;
}

static inline float gelu_one(float x) {
    if (x <= -10.0f) return 0.0f;
    if (x >= 10.0f) return x;
    return lm_f16_to_f32(gelu_table[lm_f32_to_f16(x)]);
}

void gelu_ref(float *y, const float *x, int n) {
    if (!gelu_ready) gelu_table_init();
    for (int i = 0; i < n; i++) y[i] = gelu_one(x[i]);
}

void geglu_ref(float *y, const float *g, const float *u, int n) {
    if (!gelu_ready) gelu_table_init();
    for (int i = 0; i < n; i++) y[i] = gelu_one(g[i]) * u[i];
}

void swiglu_ref(float *y, const float *g, const float *u, int n) {
    for (int i = 0; i < n; i++) y[i] = g[i] / (1.0f + lm_exp_poly(-g[i])) * u[i];
}
