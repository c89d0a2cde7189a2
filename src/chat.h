// chat.h — internal: what chat.c reads out of a Jinja chat template. The public API
// (lm_chat_render and friends) is in lm.h.
#ifndef LM_CHAT_H
#define LM_CHAT_H
#include <stddef.h>
#include "lm.h"

typedef struct {
    lm_chat_format format;       // LM_CHAT_AUTO when not recognised
    bool no_system;              // the template raises on a system message (Gemma 2)
    bool always_gen_prompt;      // it appends the assistant header without add_generation_prompt
    bool no_bos;                 // it never writes bos_token
    bool think_newline;          // Gemma 4 (newer): "<|think|>\n" opens the system turn
    bool merge_model_turns;      // Gemma 4 (newer): consecutive assistant messages share one model turn
    const char *default_system;  // ChatML: the default system prompt as written in the template
    size_t default_system_len;   //   (a Jinja string literal body: escapes still in), len 0 if none
} lm_chat_template_info;

// Recognises a template's family and variant from its text. LM_UNSUPPORTED (with a message
// naming what was missing) when it is not a family chat.c renders.
lm_status lm_chat_analyze(const char *tmpl, size_t len, lm_chat_template_info *out);

#endif
