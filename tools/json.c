// json.c — recursive-descent JSON reader (RFC 8259 subset: no duplicate-key detection).
// Input is untrusted (checkpoint files): every read is bounds-checked and nesting is limited.
#include "json.h"
#include "jstr.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JS_MAX_DEPTH 64

typedef struct { const char *p; size_t pos, len; js_doc *d; int depth; } js_parser;

static int fail(js_parser *ps, const char *what) {
    snprintf(ps->d->err, sizeof ps->d->err, "%s at byte %zu", what, ps->pos);
    return -1;
}

static void skip_ws(js_parser *ps) {
    while (ps->pos < ps->len && strchr(" \t\r\n", ps->p[ps->pos]) && ps->p[ps->pos]) ps->pos++;
}

static int new_node(js_parser *ps, js_type t) {
    js_doc *d = ps->d;
    if (d->n == d->cap) {
        int32_t cap = d->cap ? d->cap * 2 : 64;
        js_node *nn = realloc(d->nodes, (size_t)cap * sizeof *nn);
        if (!nn) return -1;
        d->nodes = nn;
        d->cap = cap;
    }
    d->nodes[d->n] = (js_node){ t, -1, -1, 0, NULL, 0 };
    return d->n++;
}

static int parse_value(js_parser *ps);

static int parse_string(js_parser *ps) {
    size_t start = ++ps->pos;   // past the opening quote
    while (ps->pos < ps->len && ps->p[ps->pos] != '"') {
        unsigned char ch = (unsigned char)ps->p[ps->pos];
        if (ch < 0x20) return fail(ps, "control character in string");
        ps->pos += ch == '\\' ? 2 : 1;
    }
    if (ps->pos >= ps->len) return fail(ps, "unterminated string");
    int n = new_node(ps, JS_STR);
    if (n < 0) return fail(ps, "out of memory");
    ps->d->nodes[n].s = ps->p + start;
    ps->d->nodes[n].len = ps->pos - start;
    ps->pos++;
    return n;
}

static int parse_number(js_parser *ps) {
    size_t start = ps->pos;
    while (ps->pos < ps->len && strchr("+-0123456789.eE", ps->p[ps->pos]) && ps->p[ps->pos]) ps->pos++;
    if (ps->pos == start || ps->pos - start > 64) return fail(ps, "bad number");
    int n = new_node(ps, JS_NUM);
    if (n < 0) return fail(ps, "out of memory");
    ps->d->nodes[n].s = ps->p + start;
    ps->d->nodes[n].len = ps->pos - start;
    double v;
    if (!js_num(ps->d, n, &v)) return fail(ps, "bad number");
    return n;
}

// Array or object: children linked through .next; objects alternate key and value nodes.
static int parse_container(js_parser *ps, bool obj) {
    if (++ps->depth > JS_MAX_DEPTH) return fail(ps, "nesting too deep");
    int n = new_node(ps, obj ? JS_OBJ : JS_ARR), last = -1;
    if (n < 0) return fail(ps, "out of memory");
    ps->pos++;
    skip_ws(ps);
    if (ps->pos < ps->len && ps->p[ps->pos] == (obj ? '}' : ']')) { ps->pos++; ps->depth--; return n; }
    for (;;) {
        skip_ws(ps);
        int k = -1;
        if (obj) {
            if (ps->pos >= ps->len || ps->p[ps->pos] != '"') return fail(ps, "expected a key");
            if ((k = parse_string(ps)) < 0) return -1;
            skip_ws(ps);
            if (ps->pos >= ps->len || ps->p[ps->pos] != ':') return fail(ps, "expected ':'");
            ps->pos++;
        }
        int v = parse_value(ps);
        if (v < 0) return -1;
        int first = k >= 0 ? k : v;
        if (k >= 0) ps->d->nodes[k].next = v;
        if (last < 0) ps->d->nodes[n].child = first; else ps->d->nodes[last].next = first;
        last = v;
        ps->d->nodes[n].n++;
        skip_ws(ps);
        if (ps->pos >= ps->len) return fail(ps, "unterminated container");
        char ch = ps->p[ps->pos++];
        if (ch == (obj ? '}' : ']')) break;
        if (ch != ',') return fail(ps, "expected ',' or a closing bracket");
    }
    ps->depth--;
    return n;
}

static int parse_word(js_parser *ps, const char *w, js_type t) {
    size_t l = strlen(w);
    if (ps->len - ps->pos < l || memcmp(ps->p + ps->pos, w, l)) return fail(ps, "unexpected character");
    ps->pos += l;
    int n = new_node(ps, t);
    return n < 0 ? fail(ps, "out of memory") : n;
}

static int parse_value(js_parser *ps) {
    skip_ws(ps);
    if (ps->pos >= ps->len) return fail(ps, "unexpected end");
    switch (ps->p[ps->pos]) {
    case '{': return parse_container(ps, true);
    case '[': return parse_container(ps, false);
    case '"': return parse_string(ps);
    case 't': return parse_word(ps, "true", JS_TRUE);
    case 'f': return parse_word(ps, "false", JS_FALSE);
    case 'n': return parse_word(ps, "null", JS_NULL);
    default:  return parse_number(ps);
    }
}

int js_parse(const char *text, size_t len, js_doc *d) {
    memset(d, 0, sizeof *d);
    js_parser ps = { text, 0, len, d, 0 };
    if (parse_value(&ps) < 0) return -1;
    skip_ws(&ps);
    if (ps.pos != len) return fail(&ps, "trailing characters");
    return 0;
}

void js_free(js_doc *d) {
    free(d->nodes);
    d->nodes = NULL;
    d->n = d->cap = 0;
}

bool js_is(const js_doc *d, int node, js_type t) { return node >= 0 && node < d->n && d->nodes[node].type == t; }
int js_first(const js_doc *d, int node) { return node >= 0 && node < d->n ? d->nodes[node].child : -1; }
int js_next(const js_doc *d, int node) { return node >= 0 && node < d->n ? d->nodes[node].next : -1; }

int js_get(const js_doc *d, int obj, const char *key) {
    if (!js_is(d, obj, JS_OBJ)) return -1;
    for (int k = js_first(d, obj); k >= 0; k = js_next(d, js_next(d, k)))
        if (js_str_eq(d, k, key)) return js_next(d, k);
    return -1;
}

bool js_str(const js_doc *d, int node, char *out, size_t cap) {
    char *s;
    size_t n;
    if (!js_is(d, node, JS_STR) || cap == 0 || !jstr_decode(d->nodes[node].s, d->nodes[node].len, &s, &n)) return false;
    bool ok = n < cap;
    if (ok) memcpy(out, s, n + 1);
    free(s);
    return ok;
}

bool js_str_eq(const js_doc *d, int node, const char *z) {
    if (!js_is(d, node, JS_STR)) return false;
    const js_node *n = &d->nodes[node];
    if (!memchr(n->s, '\\', n->len)) return n->len == strlen(z) && !memcmp(n->s, z, n->len);
    char buf[512];
    return js_str(d, node, buf, sizeof buf) && !strcmp(buf, z);
}

bool js_num(const js_doc *d, int node, double *out) {
    if (!js_is(d, node, JS_NUM)) return false;
    char buf[72], *end;
    memcpy(buf, d->nodes[node].s, d->nodes[node].len);
    buf[d->nodes[node].len] = 0;
    *out = strtod(buf, &end);
    return *end == 0;
}

bool js_int(const js_doc *d, int node, int64_t *out) {
    double v;
    if (!js_num(d, node, &v) || v != (double)(int64_t)v || v < -9.0e15 || v > 9.0e15) return false;
    *out = (int64_t)v;
    return true;
}
