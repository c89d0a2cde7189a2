// fileio.h — whole-file reads for the CLI commands.
#ifndef LM_FILEIO_H
#define LM_FILEIO_H
#include <stdint.h>

// The file's bytes in a malloc'd buffer with a NUL after the last byte (*len bytes without it);
// NULL with "path: reason" on stderr when it cannot be opened or read.
uint8_t *tool_read_file(const char *path, uint64_t *len);

#endif
