// status.c — status names/strings from the X-macro list and the one error-detail buffer.
#include "status.h"
#include <stdarg.h>
#include <stdio.h>

static _Thread_local char errmsg[512];

lm_status lm_fail(lm_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errmsg, sizeof errmsg, fmt, ap);
    va_end(ap);
    return s;
}

const char *lm_errmsg(void) { return errmsg; }
void lm_clear_error(void) { errmsg[0] = 0; }

const char *lm_status_name(int s) {
    switch (s) {
#define X(name, val, str) case val: return #name;
        LM_STATUS_LIST(X)
#undef X
    }
    return "UNKNOWN";
}

const char *lm_status_str(int s) {
    switch (s) {
#define X(name, val, str) case val: return str;
        LM_STATUS_LIST(X)
#undef X
    }
    return "unknown status";
}
