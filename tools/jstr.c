// jstr.c — JSON string decode/encode for the CLI (see jstr.h).
#include "jstr.h"
#include "../src/unicode.h"
#include <stdint.h>
#include <stdlib.h>

static int hex4(const char *s, size_t left) {
    if (left < 4) return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

// One escape after the backslash at s[*i]; appends its UTF-8 to o. False if malformed.
static bool escape(const char *s, size_t len, size_t *i, char *o, size_t *k) {
    static const char FROM[] = "\"\\/bfnrt", TO[] = "\"\\/\b\f\n\r\t";
    char c = s[++*i];
    for (int j = 0; FROM[j]; j++) if (c == FROM[j]) { o[(*k)++] = TO[j]; return true; }
    if (c != 'u') return false;
    int u = hex4(s + *i + 1, len - *i - 1);
    if (u < 0) return false;
    *i += 4;
    uint32_t cp = (uint32_t)u;
    if (cp >= 0xD800 && cp < 0xDC00) {                  // high surrogate: join a following low one
        int lo = *i + 2 < len && s[*i + 1] == '\\' && s[*i + 2] == 'u' ? hex4(s + *i + 3, len - *i - 3) : -1;
        if (lo >= 0xDC00 && lo < 0xE000) { cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00); *i += 6; }
        else cp = LM_UC_REPLACEMENT;
    } else if (cp >= 0xDC00 && cp < 0xE000) cp = LM_UC_REPLACEMENT;
    *k += (size_t)lm_utf8_encode(cp, (uint8_t *)o + *k);
    return true;
}

bool jstr_decode(const char *s, size_t len, char **out, size_t *n) {
    char *o = malloc(len + 1);               // escapes never expand: "\uXXXX" (6) -> <= 3 bytes, pairs 12 -> 4
    if (!o) return false;
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\\') { o[k++] = s[i]; continue; }
        if (i + 1 >= len || !escape(s, len, &i, o, &k)) { free(o); return false; }
    }
    o[k] = 0;
    *out = o;
    *n = k;
    return true;
}

void jstr_write(FILE *f, const char *bytes, size_t n) {
    const uint8_t *p = (const uint8_t *)bytes;
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        size_t adv;
        int32_t c = lm_utf8_decode_strict(p + i, n - i, &adv);
        if (c < 0) { fputs("\xef\xbf\xbd", f); i += adv ? adv : n - i; continue; }
        if (c == '"' || c == '\\') fprintf(f, "\\%c", (char)c);
        else if (c == '\n') fputs("\\n", f);
        else if (c < 0x20 || c == 0x7F) fprintf(f, "\\u%04x", (unsigned)c);
        else fwrite(p + i, 1, adv, f);
        i += adv;
    }
    fputc('"', f);
}
