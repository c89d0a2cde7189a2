// ops_ref.c — scalar reference element-wise ops: rmsnorm, softmax, GELU (ggml's fp16 table), SiLU.
#include "kernels.h"
#include "../f16.h"
#include <math.h>

void rmsnorm_ref(float *y, const float *x, const float *w, int n, float eps) {
    double ss = 0.0;
    for (int i = 0; i < n; i++) ss += (double)x[i] * (double)x[i];
    float mean = (float)(ss / n), scale = 1.0f / sqrtf(mean + eps);
    for (int i = 0; i < n; i++) y[i] = w ? x[i] * scale * w[i] : x[i] * scale;
}

void softmax_ref(float *x, int n) {
    float max = -INFINITY;
    for (int i = 0; i < n; i++) max = x[i] > max ? x[i] : max;
    double sum = 0.0;
    for (int i = 0; i < n; i++) { x[i] = expf(x[i] - max); sum += x[i]; }
    float inv = (float)(1.0 / sum);
    for (int i = 0; i < n; i++) x[i] *= inv;
}

// ggml's CPU GELU: input rounded to fp16, looked up in a table of fp16 results, with
// exact pass-through beyond +-10. The table is filled once on first use (128 KiB).
static uint16_t gelu_table[65536];
static int gelu_ready;

static float gelu_f32(float x) {
    const float sqrt_2_over_pi = 0.79788456080286535587989211986876f, coef_a = 0.044715f;
    return 0.5f * x * (1.0f + tanhf(sqrt_2_over_pi * x * (1.0f + coef_a * x * x)));
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
    for (int i = 0; i < n; i++) y[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}
