// tensor.h — tensor types (ids match GGUF/ggml), block layouts and the type-traits table.
// Shapes in comments are C-order: [rows][cols], cols contiguous. GGUF dims are reversed
// (ne[0] = cols); gguf.c converts once.
#ifndef LM_TENSOR_H
#define LM_TENSOR_H
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    LM_TYPE_F32  = 0,
    LM_TYPE_F16  = 1,
    LM_TYPE_Q4_0 = 2,
    LM_TYPE_Q4_1 = 3,
    LM_TYPE_Q8_0 = 8,
    LM_TYPE_Q8_1 = 9,     // activation-only (dotted with Q4_1)
    LM_TYPE_Q4_K = 12,
    LM_TYPE_Q5_K = 13,
    LM_TYPE_Q6_K = 14,
    LM_TYPE_Q8_K = 15,    // activation-only (dotted with K-quants)
    LM_TYPE_I8   = 24,    // ggml's plain int8; GGUF-M per-channel weights (docs/FORMAT.md)
    LM_TYPE_BF16 = 30,
    LM_TYPE_Q2_C = 100,   // GGUF-M: 2-bit per-channel codes (our id; ggml's ids end at 42)
    LM_TYPE_Q4_C = 101,   // GGUF-M: 4-bit per-channel codes
    LM_TYPE_A16  = 102,   // activation-only, never in a file: int8 codes in int16 lanes, one scale per vector
    LM_TYPE_COUNT = 103,  // table size: every id up to 102 has a (possibly empty) row
} lm_type;

#define LM_QK   32        // small-block size (q4_0, q4_1, q8_0, q8_1)
#define LM_QK_K 256       // super-block size (k-quants)
#define LM_K_SCALE_SIZE 12

typedef struct { uint16_t d; uint8_t qs[LM_QK / 2]; } block_q4_0;
// | d:2 | qs:16 |  x[j] = d*((qs[j]&15)-8), x[j+16] = d*((qs[j]>>4)-8)
static_assert(sizeof(block_q4_0) == 18, "q4_0 layout");

typedef struct { uint16_t d, m; uint8_t qs[LM_QK / 2]; } block_q4_1;
// | d:2 | m:2 | qs:16 |  x = d*nib + m, nibble order as q4_0
static_assert(sizeof(block_q4_1) == 20, "q4_1 layout");

typedef struct { uint16_t d; int8_t qs[LM_QK]; } block_q8_0;
// | d:2 | qs:32 |  x = d*qs
static_assert(sizeof(block_q8_0) == 34, "q8_0 layout");

typedef struct { uint16_t d, s; int8_t qs[LM_QK]; } block_q8_1;
// | d:2 | s:2 | qs:32 |  s = d*sum(qs) (fp16)
static_assert(sizeof(block_q8_1) == 36, "q8_1 layout");

typedef struct { uint16_t d, dmin; uint8_t scales[LM_K_SCALE_SIZE]; uint8_t qs[LM_QK_K / 2]; } block_q4_k;
// | d:2 | dmin:2 | scales:12 (8 six-bit scales + 8 six-bit mins) | qs:128 |
// chunk c (64 elems): low nibbles of qs[32c..] with (sc,m)[2c], high nibbles with (sc,m)[2c+1];
// x = d*sc*nib - dmin*m
static_assert(sizeof(block_q4_k) == 144, "q4_k layout");

typedef struct { uint16_t d, dmin; uint8_t scales[LM_K_SCALE_SIZE]; uint8_t qh[LM_QK_K / 8]; uint8_t qs[LM_QK_K / 2]; } block_q5_k;
// as q4_k, plus fifth bits: chunk c low-nibble elems take bit 2c of qh[l], high-nibble elems bit 2c+1
static_assert(sizeof(block_q5_k) == 176, "q5_k layout");

typedef struct { uint8_t ql[LM_QK_K / 2]; uint8_t qh[LM_QK_K / 4]; int8_t scales[LM_QK_K / 16]; uint16_t d; } block_q6_k;
// | ql:128 | qh:64 | scales:16 (int8) | d:2 |  x = d*sc*(q6-32)
static_assert(sizeof(block_q6_k) == 210, "q6_k layout");

typedef struct { float d; int8_t qs[LM_QK_K]; int16_t bsums[LM_QK_K / 16]; } block_q8_k;
// | d:4 (f32) | qs:256 | bsums:32 (sums of 16 qs) |
static_assert(sizeof(block_q8_k) == 292, "q8_k layout");

// Per-channel types (GGUF-M, docs/FORMAT.md): no scale inside the row; each row r has an f32
// scale in the side tensor <base>.scale. The traits' to_float/from_float work on unit-scale
// values (w / s[r]); lm_tensor_row() applies the scale.
#define LM_QK2_C 64
typedef struct { uint8_t qs[LM_QK2_C / 4]; } block_q2_c;
// | qs:16 |  byte j holds elements j, 16+j, 32+j, 48+j in bits 1:0, 3:2, 5:4, 7:6; w = s*(code-2)
static_assert(sizeof(block_q2_c) == 16, "q2_c layout");

#define LM_QK4_C 32
typedef struct { uint8_t qs[LM_QK4_C / 2]; } block_q4_c;
// | qs:16 |  low nibble of byte j = element j, high nibble = element 16+j (q4_0's order); w = s*(code-8)
static_assert(sizeof(block_q4_c) == 16, "q4_c layout");
// i8: one int8 per element (block 1); w = s*q

typedef void (*lm_to_float_fn)(const void *src, float *dst, int64_t n);      // n % block == 0
typedef void (*lm_from_float_fn)(const float *src, void *dst, int64_t n);    // n % block == 0

typedef struct {
    const char      *name;          // lowercase GGUF name ("q4_0"); NULL = unsupported id
    int32_t          block_size;    // elements per block
    int32_t          type_size;     // bytes per block
    lm_type          vec_dot_type;  // what activations are quantized to before a dot (as ggml's CPU backend)
    lm_to_float_fn   to_float;      // dequantize (reference)
    lm_from_float_fn from_float;    // quantize (reference); NULL where no quantizer exists
    bool             per_channel;   // row scales live in <base>.scale (q2_c, q4_c, i8); see above
    int32_t          code_offset;   // per-channel: stored code = value + code_offset (q2_c 2, q4_c 8, i8 0)
} lm_type_traits;

const lm_type_traits *lm_type_traits_of(int type);   // NULL for ids without a supported row
const char *lm_type_name(int type);                  // "q4_0", or "type#N"
// Bytes of n elements of type t; -1 when n is not a whole number of blocks or t is unsupported.
int64_t lm_row_bytes(int type, int64_t n);

typedef struct {
    const void *data;        // view into the model buffer; never owned
    lm_type     type;
    int64_t     rows, cols;  // [rows][cols]; 1-D tensors have rows = 1
    int64_t     row_bytes;   // bytes per row
    // per-channel types only (else NULL / 0): f32 scales [rows][scale_groups], each covering
    // cols/scale_groups columns (1 group for every matmul weight; the PLE table has one per layer),
    // and the static int8 activation scales of the matmul (0 = none: dynamic input, no output requant)
    const float *scale;
    int32_t     scale_groups;
    float       in_scale, out_scale;
} lm_tensor;

// Row r of t as floats, scaled by its row (group) scales for per-channel types. dst[t->cols].
void lm_tensor_row(const lm_tensor *t, int64_t r, float *dst);

#endif
