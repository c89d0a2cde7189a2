// fileio.c — whole-file reads for the CLI commands (see fileio.h).
#include "fileio.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint8_t *tool_read_file(const char *path, uint64_t *len) {
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "%s: %s\n", path, strerror(errno)); return NULL; }
    uint8_t *buf = NULL;
    long n = -1;
    if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET) && (buf = malloc((size_t)n + 1)) &&
        fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = 0;
        *len = (uint64_t)n;
    } else {
        free(buf);
        buf = NULL;
        fprintf(stderr, "%s: read failed\n", path);
    }
    fclose(f);
    return buf;
}
