// f16.h — IEEE half and bfloat16 conversions, bit-exact with ggml's CPU conversions
// (round to nearest even; F16C hardware semantics; bf16 keeps NaN quiet).
#ifndef LM_F16_H
#define LM_F16_H
#include <stdint.h>
#include <string.h>

static inline uint32_t lm_f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float lm_bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

static inline float lm_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    if (exp == 0x1f) return lm_bits_f32(sign | 0x7f800000u | (man << 13));
    if (exp == 0) {
        if (man == 0) return lm_bits_f32(sign);
        float v = (float)man * (1.0f / 16777216.0f);    // man * 2^-24
        return sign ? -v : v;
    }
    return lm_bits_f32(sign | ((exp + 112) << 23) | (man << 13));
}

static inline uint16_t lm_f32_to_f16(float f) {
    uint32_t x = lm_f32_bits(f), sign = (x >> 16) & 0x8000, ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) return (uint16_t)(sign | 0x7c00 | (ax > 0x7f800000u ? 0x200 : 0));
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00);            // rounds to >= 65520: inf
    if (ax < 0x38800000u) {                                             // subnormal or zero in f16
        if (ax < 0x33000000u) return (uint16_t)sign;                    // < 2^-25: rounds to 0
        uint32_t e = ax >> 23, m = (ax & 0x7fffff) | 0x800000, shift = 126 - e;  // 14..24
        uint32_t half = m >> shift, rem = m & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t m = ax + 0xc8000fffu + ((ax >> 13) & 1);                  // rebias 127->15 and round
    return (uint16_t)(sign | (m >> 13));
}

static inline float lm_bf16_to_f32(uint16_t h) { return lm_bits_f32((uint32_t)h << 16); }

static inline uint16_t lm_f32_to_bf16(float f) {
    uint32_t u = lm_f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 64);   // quiet NaN
    return (uint16_t)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
}

static inline float lm_round_f16(float f) { return lm_f16_to_f32(lm_f32_to_f16(f)); }

#endif
