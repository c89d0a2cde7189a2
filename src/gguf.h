// gguf.h — bounds-checked GGUF v2/v3 reader over untrusted bytes.
//
// gguf_parse() reads the header (metadata + tensor infos) from a prefix of the file. When the
// prefix is too short it returns LM_TRUNCATED and *need = the byte count it must see next time,
// so a streaming loader can grow its prefix, then plan memory from g.file_size before the
// weights arrive. Strings and values are views into the caller's buffer (not NUL-terminated).
#ifndef LM_GGUF_H
#define LM_GGUF_H
#include <stdbool.h>
#include <stdint.h>
#include "status.h"

enum {
    GGUF_U8 = 0, GGUF_I8 = 1, GGUF_U16 = 2, GGUF_I16 = 3, GGUF_U32 = 4, GGUF_I32 = 5,
    GGUF_F32 = 6, GGUF_BOOL = 7, GGUF_STRING = 8, GGUF_ARRAY = 9, GGUF_U64 = 10,
    GGUF_I64 = 11, GGUF_F64 = 12, GGUF_VTYPE_COUNT
};

#define GGUF_MAX_DIMS 4
#define GGUF_DEFAULT_ALIGNMENT 32

typedef struct { const char *ptr; uint64_t len; } gguf_str;

typedef struct {
    gguf_str       key;
    uint32_t       type;       // GGUF_* value type
    uint32_t       arr_type;   // element type when type == GGUF_ARRAY
    uint64_t       n;          // element count (1 for scalars)
    const uint8_t *data;       // first value byte (string/array: first element's length prefix)
} gguf_kv;

typedef struct {
    gguf_str name;
    uint32_t n_dims;
    int64_t  ne[GGUF_MAX_DIMS];   // ggml order: ne[0] = contiguous dimension; unused dims = 1
    uint32_t type;                // ggml type id
    uint64_t offset;              // relative to the data section
    uint64_t size;                // bytes
    const uint8_t *data;          // the tensor's bytes: in buf when all of them are there (gguf_parse),
                                  // in one of the pieces (gguf_parse_image); else NULL
} gguf_tensor_info;

typedef struct {
    uint32_t          version;
    uint64_t          n_kv, n_tensors;
    gguf_kv          *kv;          // owned [n_kv]
    gguf_tensor_info *tensors;     // owned [n_tensors]
    uint64_t          alignment;
    uint64_t          data_offset; // file offset of the data section
    uint64_t          file_size;   // bytes the whole file must have: data_offset + end of last tensor
    void             *kv_index;    // owned: sorted names for lookup
    void             *t_index;     // owned
    const uint8_t    *buf;         // the prefix parsed (tensor data valid only when len >= file_size)
    uint64_t          len;
    bool              partial;     // made from pieces (gguf_parse_image): a NULL data may be a table left outside
} gguf_file;

// Parses the header. On LM_TRUNCATED *need (if non-NULL) is the prefix length required to go on.
lm_status gguf_parse(const uint8_t *buf, uint64_t len, gguf_file *out, uint64_t *need);
void      gguf_free(gguf_file *g);                       // NULL-safe; frees the index arrays only

const gguf_kv          *gguf_find(const gguf_file *g, const char *key);          // NULL if absent
const gguf_tensor_info *gguf_find_tensor(const gguf_file *g, const char *name);  // NULL if absent
// The tensor's bytes, or NULL when they are not (all) there.
const uint8_t          *gguf_tensor_data(const gguf_file *g, const gguf_tensor_info *t);
// Rebuilds the tensor name index after g->tensors changed (shards merged); LM_CORRUPT on a duplicate.
lm_status               gguf_index_tensors(gguf_file *g);

bool gguf_str_eq(gguf_str s, const char *z);

// Typed getters: LM_MISSING_KEY when absent, LM_CORRUPT on a wrong type or out-of-range value.
// Integers accept any integer type whose value fits; floats accept f32/f64 and must be finite.
lm_status gguf_get_u32(const gguf_file *g, const char *key, uint32_t *out);
lm_status gguf_get_f32(const gguf_file *g, const char *key, float *out);
lm_status gguf_get_bool(const gguf_file *g, const char *key, bool *out);
lm_status gguf_get_str(const gguf_file *g, const char *key, gguf_str *out);

// Array element access (kv must be an array of scalars of the right kind; i < kv->n).
bool     gguf_arr_is_int(const gguf_kv *kv);
int64_t  gguf_arr_int(const gguf_kv *kv, uint64_t i);
double   gguf_arr_float(const gguf_kv *kv, uint64_t i);
// Walks a string array: *pos starts at 0 and advances; returns the next string. The array was
// validated at parse time, so this cannot run past the buffer.
gguf_str gguf_arr_next_str(const gguf_kv *kv, uint64_t *pos);

// Bytes of n elements of ggml type id `type` (all ids ggml defines, not only those we compute
// with); -1 if the id is unknown, n is not a whole number of blocks, or the bytes overflow int64.
int64_t gguf_type_bytes(uint32_t type, int64_t n);

#endif
