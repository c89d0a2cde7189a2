// gguf_write.h — GGUF v3 writer for the tools and tests (synthetic models, broken fixtures).
// Tensors are streamed to the file row by row at write time, so multi-GB models never sit in
// memory: each tensor is either raw bytes (copied) or a row generator quantized on the way out.
#ifndef LM_GGUF_WRITE_H
#define LM_GGUF_WRITE_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct gguf_writer gguf_writer;
// Fills row `row` (ne[0] floats) of a tensor; ctx is the pointer given to gw_tensor_gen.
typedef void (*gw_fill_fn)(void *ctx, int64_t row, float *out);
// Writes row `row` of a tensor as its final bytes (gguf_type_bytes(type, ne[0]) of them).
typedef void (*gw_bytes_fn)(void *ctx, int64_t row, uint8_t *out);

gguf_writer *gw_new(uint32_t alignment);   // NULL on allocation failure
void gw_free(gguf_writer *w);

void gw_u32(gguf_writer *w, const char *key, uint32_t v);
void gw_u64(gguf_writer *w, const char *key, uint64_t v);
void gw_i32(gguf_writer *w, const char *key, int32_t v);
void gw_f32(gguf_writer *w, const char *key, float v);
void gw_bool(gguf_writer *w, const char *key, bool v);
void gw_str(gguf_writer *w, const char *key, const char *v);
void gw_arr_i32(gguf_writer *w, const char *key, const int32_t *v, uint64_t n);
void gw_arr_f32(gguf_writer *w, const char *key, const float *v, uint64_t n);
void gw_arr_bool(gguf_writer *w, const char *key, const bool *v, uint64_t n);
void gw_arr_str(gguf_writer *w, const char *key, const char *const *v, uint64_t n);
// Appends raw bytes to the metadata section (tests use it to write hostile values).
void gw_raw_kv(gguf_writer *w, const void *bytes, uint64_t n);
// Copies one parsed key/value (src/gguf.h gguf_kv) verbatim; -1 for nested arrays.
int  gw_copy_kv(gguf_writer *w, const void *gguf_kv_ptr);

// ne in ggml order (ne[0] contiguous). The generated variant calls fill(ctx, row, buf) for each
// row and quantizes with the type's reference quantizer; ctx must live until gw_write.
void gw_tensor_raw(gguf_writer *w, const char *name, uint32_t type, int n_dims, const int64_t *ne, const void *data);
void gw_tensor_gen(gguf_writer *w, const char *name, uint32_t type, int n_dims, const int64_t *ne,
                   gw_fill_fn fill, void *ctx);

// Row-by-row raw bytes (already in the tensor's type); ctx must live until gw_write.
void gw_tensor_bytes(gguf_writer *w, const char *name, uint32_t type, int n_dims, const int64_t *ne,
                     gw_bytes_fn fill, void *ctx);
// Bytes of the data section so far (aligned): the data offset the next tensor added will get.
uint64_t gw_data_size(const gguf_writer *w);

int  gw_write(gguf_writer *w, FILE *f);   // 0 on success
// Serializes to a malloc'd buffer (small files only); 0 on success.
int  gw_write_mem(gguf_writer *w, uint8_t **buf, uint64_t *len);

#endif
