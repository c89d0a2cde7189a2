// jstr.h — JSON string values for the CLI's tokenizer commands: decoding with every escape
// (surrogate pairs joined, lone surrogates -> U+FFFD, \u0000 kept) and writing any bytes as a
// JSON string (invalid UTF-8 -> U+FFFD, as a JavaScript TextDecoder would show it).
#ifndef LM_JSTR_H
#define LM_JSTR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

// Decodes the body of a JSON string literal (between the quotes) into a malloc'd buffer
// (*out, NUL-terminated, *n bytes without the NUL). False on a bad escape or out of memory.
bool jstr_decode(const char *s, size_t len, char **out, size_t *n);
// Writes bytes[0..n) as a quoted JSON string.
void jstr_write(FILE *f, const char *bytes, size_t n);

#endif
