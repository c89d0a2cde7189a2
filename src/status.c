// status.c — status names/strings from the X-macro list and the one error-detail buffer.
#include "status.h"
#include <stdarg.h>
#include <stdio.h>

static _Thread_local char errmsg[512];
static _Thread_local lm_status last_status;

lm_status lm_fail(lm_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errmsg, sizeof errmsg, fmt, ap);
    va_end(ap);
    last_status = s;
    return s;
}

const char *lm_errmsg(void) { return errmsg; }
void lm_clear_error(void) { errmsg[0] = 0; last_status = LM_OK; }
lm_status lm_last_status(void) { return last_status; }

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
