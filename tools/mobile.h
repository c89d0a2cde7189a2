// mobile.h — GGUF-M tools (docs/FORMAT.md): the compressed-tensors converter (convert_ct.c), the
// PTQ quantizer and the upstream fallback writer (quantize.c), and their CLI subcommands.
#ifndef LM_MOBILE_H
#define LM_MOBILE_H
#include <stdbool.h>
#include "../src/status.h"

// Google's compressed-tensors checkpoint directory (config.json + model.safetensors or shards with
// model.safetensors.index.json) -> GGUF-M at out_path, codes and scales bit for bit. vocab_gguf
// (optional) is a GGUF whose tokenizer.* keys are copied. Errors name the tensor and the problem.
lm_status ct_convert(const char *dir, const char *out_path, const char *vocab_gguf);

typedef struct {
    const char *recipe;          // "e2b" (default), "q4", "i8"
    const char *overrides[32];   // "GLOB=TYPE" (fnmatch on GGUF tensor names; later ones win)
    int         n_overrides;
    const char *calib_text;      // calibration text file (needs the tokenizer), or
    const char *calib_tokens;    // a file of token ids (whitespace/comma separated)
    float       calib_pct;       // percentile of |x| giving the static scale (default 99.99)
    bool        no_output_scales;// calibrate input scales only
} mq_opts;

// PTQ of an F32/F16/BF16/Q8_0 (or mixed) GGUF into GGUF-M with a recipe and optional calibrated
// static activation scales.
lm_status mq_quantize(const char *in_path, const char *out_path, const mq_opts *o);
// GGUF-M -> upstream types llama.cpp reads: q4_c -> Q4_0, q2_c -> Q2_0, i8 -> Q8_0, every block's
// fp16 scale taken from its row (group) scale; side tensors and wq.* keys dropped.
lm_status mq_fallback(const char *in_path, const char *out_path);

// CLI subcommands (argv after the subcommand name); exit codes.
int cmd_convert_ct(int argc, char **argv);
int cmd_quantize(int argc, char **argv);

#endif
