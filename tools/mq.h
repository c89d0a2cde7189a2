// mq.h — internals shared by the GGUF-M writers (quantize.c, calib.c, fallback.c): the input
// GGUF mapped and loaded by the engine, and one plan entry per input tensor.
#ifndef LM_MQ_H
#define LM_MQ_H
#include "mobile.h"
#include "gguf_write.h"
#include "../src/gguf.h"
#include "../src/lm.h"
#include "../src/tensor.h"

typedef struct {
    const gguf_tensor_info *ti;      // input tensor
    char     name[128], base[128];   // "blk.0.attn_q.weight", "blk.0.attn_q"
    lm_tensor src;                   // input view (with its row scales when the input is GGUF-M)
    lm_type  type;                   // output type
    bool     copy;                   // output = input bytes
    bool     table;                  // the PLE table: per-channel scales per (row, layer)
    int64_t  groups;                 // scale groups per row (per-channel outputs)
    float   *scale;                  // owned [rows * groups]
    float   *row, *unit;             // owned row scratch [cols]
    float    in_scale, out_scale;    // static activation scales (0 = none)
} mq_tensor;

typedef struct {
    void      *map;                  // the input file, mapped
    uint64_t   len;
    gguf_file  g;
    lm_model  *model;                // the input loaded by the engine (hyperparameters, calibration)
    mq_tensor *t;                    // owned [n], in the input's order
    int64_t    n;
    gguf_writer *w;
    int64_t    n_calib;              // calibration tokens run (0 = none)
    float      pct;
} mq_job;

lm_status   mq_open(mq_job *j, const char *path);
void        mq_close(mq_job *j);
lm_status   mq_write(mq_job *j, const char *path);          // gw_write to path (removed on failure)
const void *mq_data(const mq_job *j, const mq_tensor *t);    // the input tensor's bytes
mq_tensor  *mq_find(mq_job *j, const char *name);            // NULL if absent
// Runs the input model over the calibration tokens and sets in_scale/out_scale of every
// per-channel output tensor that the forward pass uses as a matmul weight.
lm_status   mq_calibrate(mq_job *j, const mq_opts *o);
// The recipe's weight type for a GGUF tensor name (quantize.c; also used by the trainer's QAT).
lm_type     mq_recipe_type(const char *recipe, const char *name, int n_layer_kv, int n_layer);
// Row scale of a per-channel type: amax / 127 for i8; for 2 and 4 bits the candidate of a 25-step
// grid minimizing the squared rounding error; 0 for an all-zero (or non-finite) row.
float       mq_best_scale(const float *x, int64_t n, lm_type type);

#endif
