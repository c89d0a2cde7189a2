// json.h — a small bounds-checked JSON reader for the converters (config.json, safetensors
// headers, model.safetensors.index.json). The whole document is parsed into a flat node array;
// strings and numbers stay views into the caller's text (escapes decoded on demand).
//
//   js_doc d;
//   if (js_parse(text, len, &d)) puts(d.err);
//   int tc = js_get(&d, 0, "text_config");           // 0 = the root node; -1 = absent
//   for (int k = js_first(&d, tc); k >= 0; k = js_next(&d, js_next(&d, k)))   // object: key, value, ...
//   js_free(&d);
#ifndef LM_JSON_H
#define LM_JSON_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { JS_NULL, JS_FALSE, JS_TRUE, JS_NUM, JS_STR, JS_ARR, JS_OBJ } js_type;

typedef struct {
    js_type     type;
    int32_t     next;      // next sibling (array element, or object key -> its value -> next key); -1 = last
    int32_t     child;     // first child of an array/object; -1 = empty
    int32_t     n;         // children of an array; members (key+value pairs) of an object
    const char *s;         // string contents (between the quotes, escapes not decoded) or number text
    size_t      len;
} js_node;

typedef struct {
    js_node *nodes;        // owned; nodes[0] is the root
    int32_t  n, cap;
    char     err[128];     // parse error with its byte offset
} js_doc;

int  js_parse(const char *text, size_t len, js_doc *d);   // 0, or -1 with d->err set
void js_free(js_doc *d);

int  js_get(const js_doc *d, int obj, const char *key);   // value node of key in object obj; -1 if absent/not an object
int  js_first(const js_doc *d, int node);                 // first child (object: first key); -1 if none
int  js_next(const js_doc *d, int node);                  // next sibling; -1 at the end
bool js_is(const js_doc *d, int node, js_type t);         // false for node < 0
// Decodes string node into out (NUL-terminated); returns false if not a string or cap is too small.
bool js_str(const js_doc *d, int node, char *out, size_t cap);
bool js_str_eq(const js_doc *d, int node, const char *z);
// Numbers: false if node is not a number (or, for js_int, not an integer in range).
bool js_num(const js_doc *d, int node, double *out);
bool js_int(const js_doc *d, int node, int64_t *out);

#endif
