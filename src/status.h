// status.h — the single list of status codes shared by C and JS (JS reads names via lm_status_name).
#ifndef LM_STATUS_H
#define LM_STATUS_H

#define LM_STATUS_LIST(X)                                                   \
    X(OK,                0, "ok")                                           \
    X(NOMEM,            -1, "out of memory")                                \
    X(TRUNCATED,        -2, "model file is truncated")                      \
    X(BAD_MAGIC,        -3, "not a GGUF file")                              \
    X(BAD_VERSION,      -4, "unsupported GGUF version")                     \
    X(CORRUPT,          -5, "malformed model file")                         \
    X(UNSUPPORTED_ARCH, -6, "unsupported model architecture")               \
    X(UNSUPPORTED_TYPE, -7, "unsupported tensor type")                      \
    X(MISSING_TENSOR,   -8, "required tensor is missing")                   \
    X(CTX_FULL,         -9, "context window is full")                       \
    X(INVALID_ARG,     -10, "invalid argument")                             \
    X(MISSING_KEY,     -11, "required metadata key is missing")             \
    X(BAD_SHAPE,       -12, "tensor shape contradicts the metadata")        \
    X(UNSUPPORTED,     -13, "unsupported model feature")                    \
    X(TOO_LARGE,       -14, "model or context too large")                   \
    X(IO,              -15, "i/o error")

typedef enum {
#define X(name, val, str) LM_##name = val,
    LM_STATUS_LIST(X)
#undef X
} lm_status;

// Records a printf-style detail message and returns s, so call sites stay one line:
//     return lm_fail(LM_CORRUPT, "tensor '%s': %u dims", name, n);
lm_status   lm_fail(lm_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
const char *lm_errmsg(void);          // last failure's detail; "" after lm_clear_error()
lm_status   lm_last_status(void);     // the status of that failure (for APIs that return counts)
void        lm_clear_error(void);
const char *lm_status_name(int s);    // "CTX_FULL": the string JS uses as LmError.code; "UNKNOWN" otherwise
const char *lm_status_str(int s);     // short human text for the code

#endif
