// safetensors.h — read-only view of a Hugging Face checkpoint directory: model.safetensors, or
// the shards named by model.safetensors.index.json. Files are memory-mapped; every header field is
// checked (offsets inside the file, byte counts matching dtype x shape, names unique across shards).
//
// Safetensors file: u64 LE header length N, N bytes of JSON {"name": {"dtype": "BF16",
// "shape": [r, c], "data_offsets": [begin, end]}, ..., "__metadata__": {...}}, then the data
// region; offsets are relative to the data region.
#ifndef LM_SAFETENSORS_H
#define LM_SAFETENSORS_H
#include <stdbool.h>
#include <stdint.h>
#include "../src/status.h"

typedef enum { ST_F32, ST_F16, ST_BF16, ST_F64, ST_I8, ST_U8, ST_I16, ST_I32, ST_I64, ST_BOOL, ST_DTYPE_COUNT } st_dtype;

typedef struct {
    char          *name;       // owned
    st_dtype       dtype;
    int            n_dims;     // 0 (scalar) .. 4
    int64_t        shape[4];   // C order (shape[n_dims-1] contiguous)
    int64_t        n;          // elements
    const uint8_t *data;       // view into the mapped shard
    int            shard;      // index into st_checkpoint.files
} st_tensor;

typedef struct {
    st_tensor *t;              // owned [n], sorted by name
    int64_t    n;
    char     **files;          // owned shard paths
    void     **maps;           // mmap'd shards
    uint64_t  *map_len;
    int        n_files;
} st_checkpoint;

// Opens dir/model.safetensors.index.json (sharded) or dir/model.safetensors. On failure returns
// a status with lm_errmsg() naming the file and the problem.
lm_status st_open(const char *dir, st_checkpoint *ck);
void      st_close(st_checkpoint *ck);
const st_tensor *st_find(const st_checkpoint *ck, const char *name);   // NULL if absent
const char *st_dtype_name(st_dtype t);
int         st_dtype_size(st_dtype t);
// Element i of a float tensor (F32/F16/BF16/F64) as float; false for other dtypes.
bool        st_get_f32(const st_tensor *t, int64_t i, float *out);
// Element i of an integer tensor (I8/U8/I16/I32/I64/BOOL); false for other dtypes.
bool        st_get_i64(const st_tensor *t, int64_t i, int64_t *out);
// Maps a whole file read-only (any size); NULL with lm_errmsg set. Unmap with st_unmap_file.
void       *st_map_file(const char *path, uint64_t *len);
void        st_unmap_file(void *p, uint64_t len);
// Reads a whole (small) file into a NUL-terminated malloc'd buffer; NULL with lm_errmsg set.
char       *st_read_text(const char *path, uint64_t *len);

#endif
