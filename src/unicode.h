// unicode.h — the little Unicode the tokenizers need: UTF-8 in both directions, code point
// classes for the pre-tokenizers, and GPT-2's byte <-> code point map. Internal.
#ifndef LM_UNICODE_H
#define LM_UNICODE_H
#include <stddef.h>
#include <stdint.h>

// Class flags of a code point (general category group, plus White_Space). Out-of-text
// positions are 0 in the pre-tokenizers, so every real code point has at least one bit.
enum {
    LM_UC_UNDEFINED  = 0x001,   // unassigned (Cn)
    LM_UC_NUMBER     = 0x002,   // \p{N}
    LM_UC_LETTER     = 0x004,   // \p{L}
    LM_UC_SEPARATOR  = 0x008,   // \p{Z}
    LM_UC_MARK       = 0x010,   // \p{M}
    LM_UC_PUNCT      = 0x020,   // \p{P}
    LM_UC_SYMBOL     = 0x040,   // \p{S}
    LM_UC_CONTROL    = 0x080,   // \p{C} other than Cn
    LM_UC_WHITESPACE = 0x100,   // \s (Unicode White_Space)
};

extern const char     lm_uc_version[];          // Unicode version of the tables, "14.0.0"
extern const uint16_t lm_uc_latin1[256];        // flags of U+0000..U+00FF
extern const uint32_t lm_uc_n_ranges;
extern const uint32_t lm_uc_range_start[];      // sorted run starts; the last run ends at U+10FFFF
extern const uint16_t lm_uc_range_flags[];

#define LM_UC_REPLACEMENT 0xFFFDu

// Flags of code point c (UNDEFINED for c > U+10FFFF).
uint16_t lm_uc_flags(uint32_t c);

// Byte length of the UTF-8 sequence a lead byte announces, judged by its top four bits only
// (0x0-0xB -> 1, 0xC-0xD -> 2, 0xE -> 3, 0xF -> 4): llama.cpp's rule for splitting symbols.
static inline size_t lm_utf8_lead_len(uint8_t b) { return b < 0xC0 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4; }

// Decodes one code point from s[0..n) the way llama.cpp's pre-tokenizer does: lead byte plus the
// announced continuation bytes, overlong forms and surrogates accepted. An invalid byte (a stray
// continuation, a short or broken sequence, F8..FF, or a value above U+10FFFF) yields U+FFFD and
// *adv = 1. n must be >= 1.
uint32_t lm_utf8_decode_lenient(const uint8_t *s, size_t n, size_t *adv);

// Strict decoder for display: a well-formed sequence -> its code point and length; otherwise
// returns -1 with *adv = the length of the maximal invalid subpart (WHATWG), or 0 when s[0..n)
// is a valid but incomplete prefix of a longer sequence.
int32_t lm_utf8_decode_strict(const uint8_t *s, size_t n, size_t *adv);

// Writes c (<= U+10FFFF) as UTF-8; returns the byte count (1..4).
int lm_utf8_encode(uint32_t c, uint8_t out[4]);

// GPT-2 byte-level BPE: each byte is shown as a printable code point (printable Latin-1 as
// itself, the other 68 bytes as U+0100..U+0143 in byte order).
uint32_t lm_gpt2_byte_to_cpt(uint8_t b);
int      lm_gpt2_cpt_to_byte(uint32_t c);        // -1 if c is not in the map

#endif
