// unicode.c — UTF-8 codecs, code point classes, GPT-2 byte map. Tables live in unicode_data.c.
#include "unicode.h"

uint16_t lm_uc_flags(uint32_t c) {
    if (c < 256) return lm_uc_latin1[c];
    if (c > 0x10FFFF) return LM_UC_UNDEFINED;
    uint32_t lo = 0, hi = lm_uc_n_ranges;          // find the last run starting at or before c
    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if (lm_uc_range_start[mid] <= c) lo = mid; else hi = mid;
    }
    return lm_uc_range_flags[lo];
}

uint32_t lm_utf8_decode_lenient(const uint8_t *s, size_t n, size_t *adv) {
    uint8_t b = s[0];
    size_t need = b < 0x80 ? 1 : b < 0xC0 ? 0 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : b < 0xF8 ? 4 : 0;
    *adv = 1;
    if (need == 1) return b;
    if (need == 0 || need > n) return LM_UC_REPLACEMENT;
    uint32_t c = b & (0x7F >> need);
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80) return LM_UC_REPLACEMENT;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c > 0x10FFFF) return LM_UC_REPLACEMENT;   // llama.cpp throws here; we substitute
    *adv = need;
    return c;
}

int32_t lm_utf8_decode_strict(const uint8_t *s, size_t n, size_t *adv) {
    uint8_t b = s[0];
    *adv = 1;
    if (b < 0x80) return b;
    size_t need = b >= 0xC2 && b < 0xE0 ? 2 : b >= 0xE0 && b < 0xF0 ? 3 : b >= 0xF0 && b < 0xF5 ? 4 : 0;
    if (!need) return -1;
    // allowed range of the second byte excludes overlongs, surrogates and > U+10FFFF
    uint8_t lo = b == 0xE0 ? 0xA0 : b == 0xF0 ? 0x90 : 0x80;
    uint8_t hi = b == 0xED ? 0x9F : b == 0xF4 ? 0x8F : 0xBF;
    uint32_t c = b & (0x7F >> need);
    for (size_t i = 1; i < need; i++) {
        if (i >= n) { *adv = 0; return -1; }     // valid so far, incomplete
        uint8_t lo_i = i == 1 ? lo : 0x80, hi_i = i == 1 ? hi : 0xBF;
        if (s[i] < lo_i || s[i] > hi_i) { *adv = i; return -1; }
        c = (c << 6) | (s[i] & 0x3F);
    }
    *adv = need;
    return (int32_t)c;
}

int lm_utf8_encode(uint32_t c, uint8_t out[4]) {
    if (c < 0x80) { out[0] = (uint8_t)c; return 1; }
    if (c < 0x800) { out[0] = (uint8_t)(0xC0 | c >> 6); out[1] = (uint8_t)(0x80 | (c & 0x3F)); return 2; }
    if (c < 0x10000) {
        out[0] = (uint8_t)(0xE0 | c >> 12); out[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | c >> 18); out[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F)); out[3] = (uint8_t)(0x80 | (c & 0x3F));
    return 4;
}

// Bytes shown as themselves: '!'..'~', U+00A1..U+00AC, U+00AE..U+00FF. The rest, in byte
// order, become U+0100 + k: 0x00..0x20 (k 0..32), 0x7F..0xA0 (k 33..66), 0xAD (k 67).
static int printable(uint32_t b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); }

uint32_t lm_gpt2_byte_to_cpt(uint8_t b) {
    if (printable(b)) return b;
    if (b <= 0x20) return 0x100u + b;
    if (b <= 0xA0) return 0x100u + 33 + (b - 0x7Fu);
    return 0x100u + 67;                           // 0xAD
}

int lm_gpt2_cpt_to_byte(uint32_t c) {
    if (c < 0x100) return printable(c) ? (int)c : -1;
    if (c <= 0x100 + 32) return (int)(c - 0x100);
    if (c <= 0x100 + 66) return (int)(c - 0x100 - 33 + 0x7F);
    if (c == 0x100 + 67) return 0xAD;
    return -1;
}
