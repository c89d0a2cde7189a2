// kquant.h — helpers shared by the q4_k/q5_k formats: the 12-byte packing of 8 six-bit
// (scale, min) pairs, and the sub-block quantizer used by our simple weight quantizers.
#ifndef LM_KQUANT_H
#define LM_KQUANT_H
#include <math.h>
#include <stdint.h>

// bytes 0-3: sc[0..3] | top2(sc[4..7])<<6; bytes 4-7: m[0..3] | top2(m[4..7])<<6;
// bytes 8-11: low4(sc[4..7]) | low4(m[4..7])<<4
static inline void kq_get_scale_min(int j, const uint8_t *q, uint8_t *sc, uint8_t *m) {
    if (j < 4) {
        *sc = q[j] & 63;
        *m  = q[j + 4] & 63;
    } else {
        *sc = (uint8_t)((q[j + 4] & 15) | ((q[j - 4] >> 6) << 4));
        *m  = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

static inline void kq_pack_scale_min(const uint8_t sc[8], const uint8_t m[8], uint8_t *q) {
    for (int j = 0; j < 4; j++) {
        q[j]     = (uint8_t)(sc[j] | ((sc[j + 4] >> 4) << 6));
        q[j + 4] = (uint8_t)(m[j]  | ((m[j + 4] >> 4) << 6));
        q[j + 8] = (uint8_t)((sc[j + 4] & 15) | ((m[j + 4] & 15) << 4));
    }
}

// Asymmetric quantization of 8 sub-blocks of 32 to levels 0..nmax with 6-bit scales/mins.
// Writes the codes to L[256], the packed scales, and the two super-block factors.
static inline void kq_quantize_asym(const float *x, int nmax, uint8_t L[256], uint8_t packed[12],
                                    float *d_out, float *dmin_out) {
    float scale[8], min[8], max_scale = 0.0f, max_min = 0.0f;
    for (int j = 0; j < 8; j++) {
        float lo = 0.0f, hi = 0.0f;
        for (int l = 0; l < 32; l++) { float v = x[32*j + l]; lo = v < lo ? v : lo; hi = v > hi ? v : hi; }
        scale[j] = (hi - lo) / nmax;  min[j] = -lo;
        max_scale = fmaxf(max_scale, scale[j]);  max_min = fmaxf(max_min, min[j]);
    }
    float d = max_scale / 63.0f, dmin = max_min / 63.0f;
    uint8_t sc[8], m[8];
    for (int j = 0; j < 8; j++) {
        int is = d > 0 ? (int)lrintf(scale[j] / d) : 0, im = dmin > 0 ? (int)lrintf(min[j] / dmin) : 0;
        sc[j] = (uint8_t)(is > 63 ? 63 : is);  m[j] = (uint8_t)(im > 63 ? 63 : im);
        float ds = d * sc[j], dm = dmin * m[j];
        for (int l = 0; l < 32; l++) {
            int q = ds > 0 ? (int)lrintf((x[32*j + l] + dm) / ds) : 0;
            L[32*j + l] = (uint8_t)(q < 0 ? 0 : q > nmax ? nmax : q);
        }
    }
    kq_pack_scale_min(sc, m, packed);
    *d_out = d;  *dmin_out = dmin;
}

#endif
