// safetensors.c — checkpoint directory reader (see safetensors.h). Native tools only (mmap).
#define _POSIX_C_SOURCE 200809L   // strdup, mmap
#include "safetensors.h"
#include "json.h"
#include "../src/f16.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct { const char *name; int size; } DTYPES[ST_DTYPE_COUNT] = {
    [ST_F32] = { "F32", 4 }, [ST_F16] = { "F16", 2 }, [ST_BF16] = { "BF16", 2 }, [ST_F64] = { "F64", 8 },
    [ST_I8] = { "I8", 1 },   [ST_U8] = { "U8", 1 },   [ST_I16] = { "I16", 2 },   [ST_I32] = { "I32", 4 },
    [ST_I64] = { "I64", 8 }, [ST_BOOL] = { "BOOL", 1 },
};

const char *st_dtype_name(st_dtype t) { return t < ST_DTYPE_COUNT ? DTYPES[t].name : "?"; }
int st_dtype_size(st_dtype t) { return t < ST_DTYPE_COUNT ? DTYPES[t].size : 0; }

char *st_read_text(const char *path, uint64_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) { lm_fail(LM_IO, "%s: cannot open", path); return NULL; }
    char *buf = NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n >= 0 && n < (1L << 28) && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
        fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = 0;
        *len = (uint64_t)n;
    } else {
        free(buf);
        buf = NULL;
        lm_fail(LM_IO, "%s: cannot read (or larger than 256 MB)", path);
    }
    fclose(f);
    return buf;
}

void *st_map_file(const char *path, uint64_t *len) {
    int fd = open(path, O_RDONLY);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) || sb.st_size < 8) {
        if (fd >= 0) close(fd);
        lm_fail(LM_IO, "%s: cannot open (or shorter than 8 bytes)", path);
        return NULL;
    }
    void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) { lm_fail(LM_IO, "%s: mmap failed", path); return NULL; }
    *len = (uint64_t)sb.st_size;
    return p;
}

void st_unmap_file(void *p, uint64_t len) { if (p) munmap(p, (size_t)len); }

static int map_file(st_checkpoint *ck, const char *path) {
    for (int i = 0; i < ck->n_files; i++) if (!strcmp(ck->files[i], path)) return i;
    struct stat sb;
    uint64_t flen = 0;
    void *p = st_map_file(path, &flen);
    if (!p) return -1;
    sb.st_size = (off_t)flen;
    int k = ck->n_files++;
    ck->files = realloc(ck->files, (size_t)ck->n_files * sizeof *ck->files);
    ck->maps = realloc(ck->maps, (size_t)ck->n_files * sizeof *ck->maps);
    ck->map_len = realloc(ck->map_len, (size_t)ck->n_files * sizeof *ck->map_len);
    if (!ck->files || !ck->maps || !ck->map_len) { munmap(p, (size_t)sb.st_size); return lm_fail(LM_NOMEM, "shard table"), -1; }
    ck->files[k] = strdup(path);
    ck->maps[k] = p;
    ck->map_len[k] = (uint64_t)sb.st_size;
    return k;
}

// One header entry -> st_tensor (checked against the data region [0, data_len)).
static lm_status parse_entry(const js_doc *d, int key, int val, const uint8_t *data, uint64_t data_len,
                             const char *path, st_tensor *t) {
    char name[256], dt[16];
    if (!js_str(d, key, name, sizeof name)) return lm_fail(LM_CORRUPT, "%s: tensor name too long or invalid", path);
    int jd = js_get(d, val, "dtype"), js = js_get(d, val, "shape"), jo = js_get(d, val, "data_offsets");
    if (!js_str(d, jd, dt, sizeof dt) || !js_is(d, js, JS_ARR) || !js_is(d, jo, JS_ARR) || d->nodes[jo].n != 2)
        return lm_fail(LM_CORRUPT, "%s: tensor '%s': needs dtype, shape and data_offsets", path, name);
    t->dtype = ST_DTYPE_COUNT;
    for (int i = 0; i < ST_DTYPE_COUNT; i++) if (!strcmp(dt, DTYPES[i].name)) t->dtype = (st_dtype)i;
    if (t->dtype == ST_DTYPE_COUNT) return lm_fail(LM_UNSUPPORTED_TYPE, "%s: tensor '%s': dtype %s is not supported", path, name, dt);
    if (d->nodes[js].n > 4) return lm_fail(LM_CORRUPT, "%s: tensor '%s': %d dims", path, name, d->nodes[js].n);
    t->n_dims = d->nodes[js].n;
    t->n = 1;
    int e = js_first(d, js);
    for (int i = 0; i < t->n_dims; i++, e = js_next(d, e)) {
        if (!js_int(d, e, &t->shape[i]) || t->shape[i] < 0 || (t->shape[i] && t->n > ((int64_t)1 << 40) / t->shape[i]))
            return lm_fail(LM_CORRUPT, "%s: tensor '%s': bad shape", path, name);
        t->n *= t->shape[i];
    }
    int64_t b, en;
    if (!js_int(d, js_first(d, jo), &b) || !js_int(d, js_next(d, js_first(d, jo)), &en) || b < 0 || en < b ||
        (uint64_t)en > data_len)
        return lm_fail(LM_CORRUPT, "%s: tensor '%s': data_offsets outside the %llu-byte data region", path, name,
                       (unsigned long long)data_len);
    if (en - b != t->n * DTYPES[t->dtype].size)
        return lm_fail(LM_CORRUPT, "%s: tensor '%s': %lld bytes for %lld %s elements", path, name, (long long)(en - b),
                       (long long)t->n, dt);
    t->data = data + b;
    t->name = strdup(name);
    return t->name ? LM_OK : lm_fail(LM_NOMEM, "tensor name");
}

// Adds every tensor of the shard at path (or only those the index assigns to it, when idx is set).
static lm_status load_shard(st_checkpoint *ck, const char *path) {
    int k = map_file(ck, path);
    if (k < 0) return LM_IO;
    const uint8_t *base = ck->maps[k];
    uint64_t hlen, flen = ck->map_len[k];
    memcpy(&hlen, base, 8);
    if (hlen > flen - 8) return lm_fail(LM_TRUNCATED, "%s: header of %llu bytes in a %llu-byte file", path,
                                        (unsigned long long)hlen, (unsigned long long)flen);
    js_doc d;
    if (js_parse((const char *)base + 8, hlen, &d)) {
        lm_status s = lm_fail(LM_CORRUPT, "%s: header: %s", path, d.err);
        js_free(&d);
        return s;
    }
    lm_status s = js_is(&d, 0, JS_OBJ) ? LM_OK : lm_fail(LM_CORRUPT, "%s: header is not an object", path);
    for (int key = js_first(&d, 0); !s && key >= 0; key = js_next(&d, js_next(&d, key))) {
        if (js_str_eq(&d, key, "__metadata__")) continue;
        st_tensor *nt = realloc(ck->t, (size_t)(ck->n + 1) * sizeof *nt);
        if (!nt) { s = lm_fail(LM_NOMEM, "tensor table"); break; }
        ck->t = nt;
        memset(&ck->t[ck->n], 0, sizeof *ck->t);
        ck->t[ck->n].shard = k;
        s = parse_entry(&d, key, js_next(&d, key), base + 8 + hlen, flen - 8 - hlen, path, &ck->t[ck->n]);
        if (!s) ck->n++;
    }
    js_free(&d);
    return s;
}

static int cmp_tensor(const void *a, const void *b) { return strcmp(((const st_tensor *)a)->name, ((const st_tensor *)b)->name); }

const st_tensor *st_find(const st_checkpoint *ck, const char *name) {
    st_tensor key = { .name = (char *)name };
    return ck->n ? bsearch(&key, ck->t, (size_t)ck->n, sizeof *ck->t, cmp_tensor) : NULL;
}

// Every weight_map entry must name a shard in dir, and that shard must hold the tensor.
static lm_status load_index(st_checkpoint *ck, const char *dir, const char *index_path) {
    uint64_t len;
    char *text = st_read_text(index_path, &len), path[4096], file[512], name[256];
    if (!text) return LM_IO;
    js_doc d;
    lm_status s = js_parse(text, len, &d) ? lm_fail(LM_CORRUPT, "%s: %s", index_path, d.err) : LM_OK;
    int wm = s ? -1 : js_get(&d, 0, "weight_map");
    if (!s && !js_is(&d, wm, JS_OBJ)) s = lm_fail(LM_CORRUPT, "%s: no weight_map object", index_path);
    for (int k = js_first(&d, wm); !s && k >= 0; k = js_next(&d, js_next(&d, k))) {
        if (!js_str(&d, js_next(&d, k), file, sizeof file) || strchr(file, '/') || file[0] == '.')
            { s = lm_fail(LM_CORRUPT, "%s: weight_map entry with a bad file name", index_path); break; }
        snprintf(path, sizeof path, "%s/%s", dir, file);
        bool loaded = false;
        for (int i = 0; i < ck->n_files; i++) loaded |= !strcmp(ck->files[i], path);
        if (!loaded) s = load_shard(ck, path);
    }
    if (!s) qsort(ck->t, (size_t)ck->n, sizeof *ck->t, cmp_tensor);
    for (int k = js_first(&d, wm); !s && k >= 0; k = js_next(&d, js_next(&d, k))) {
        js_str(&d, k, name, sizeof name);
        js_str(&d, js_next(&d, k), file, sizeof file);
        const st_tensor *t = st_find(ck, name);
        if (!t || strcmp(strrchr(ck->files[t->shard], '/') + 1, file))
            s = lm_fail(LM_MISSING_TENSOR, "%s: maps '%s' to %s, which does not hold it", index_path, name, file);
    }
    js_free(&d);
    free(text);
    return s;
}

lm_status st_open(const char *dir, st_checkpoint *ck) {
    memset(ck, 0, sizeof *ck);
    char path[4096];
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
    struct stat sb;
    lm_status s;
    if (stat(path, &sb) == 0) s = load_index(ck, dir, path);
    else {
        snprintf(path, sizeof path, "%s/model.safetensors", dir);
        if (!(s = load_shard(ck, path))) qsort(ck->t, (size_t)ck->n, sizeof *ck->t, cmp_tensor);
    }
    for (int64_t i = 1; !s && i < ck->n; i++)
        if (!strcmp(ck->t[i - 1].name, ck->t[i].name)) s = lm_fail(LM_CORRUPT, "%s: tensor '%s' appears twice", dir, ck->t[i].name);
    if (s) st_close(ck);
    return s;
}

void st_close(st_checkpoint *ck) {
    for (int64_t i = 0; i < ck->n; i++) free(ck->t[i].name);
    for (int i = 0; i < ck->n_files; i++) { munmap(ck->maps[i], (size_t)ck->map_len[i]); free(ck->files[i]); }
    free(ck->t); free(ck->files); free(ck->maps); free(ck->map_len);
    memset(ck, 0, sizeof *ck);
}

bool st_get_f32(const st_tensor *t, int64_t i, float *out) {
    const uint8_t *p = t->data + i * DTYPES[t->dtype].size;
    uint16_t h;
    double dv;
    switch (t->dtype) {   // one switch over the file's element encodings
    case ST_F32: memcpy(out, p, 4); return true;
    case ST_F16: memcpy(&h, p, 2); *out = lm_f16_to_f32(h); return true;
    case ST_BF16: memcpy(&h, p, 2); *out = lm_bf16_to_f32(h); return true;
    case ST_F64: memcpy(&dv, p, 8); *out = (float)dv; return true;
    default: return false;
    }
}

bool st_get_i64(const st_tensor *t, int64_t i, int64_t *out) {
    const uint8_t *p = t->data + i * DTYPES[t->dtype].size;
    int8_t i8; int16_t i16; int32_t i32;
    switch (t->dtype) {
    case ST_I8: memcpy(&i8, p, 1); *out = i8; return true;
    case ST_U8: case ST_BOOL: *out = *p; return true;
    case ST_I16: memcpy(&i16, p, 2); *out = i16; return true;
    case ST_I32: memcpy(&i32, p, 4); *out = i32; return true;
    case ST_I64: memcpy(out, p, 8); return true;
    default: return false;
    }
}
