// checkpoint.c — training state on disk: configuration, QAT scales, step, seed, weights and AdamW
// moments. A local artifact for resuming (same build), not an exchange format: the structs are
// stored as they are in memory, with their sizes checked on load. Written to PATH.tmp, then renamed.
#define _POSIX_C_SOURCE 200809L   // rename is C; snprintf sizes
#include "train.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char MAGIC[8] = "PLMCKPT1";

typedef struct {
    uint32_t config_size, quant_size;
    int32_t  step;
    uint64_t seed;
    int64_t  n_params;
} ckpt_header;

bool tr_ckpt_save(const char *path, const tr_model *m, const tr_state *s) {
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    ckpt_header h;
    memset(&h, 0, sizeof h);   // padding bytes too: the same state gives the same file
    h.config_size = sizeof(tr_config);  h.quant_size = sizeof(tr_quant);  h.step = s->step;  h.seed = s->seed;  h.n_params = m->n_params;
    size_t n = (size_t)m->n_params;
    bool ok = f && fwrite(MAGIC, 1, 8, f) == 8 && fwrite(&h, sizeof h, 1, f) == 1 && fwrite(&s->c, sizeof s->c, 1, f) == 1 &&
              fwrite(&s->q, sizeof s->q, 1, f) == 1 && fwrite(s->w, sizeof(float), n, f) == n &&
              fwrite(s->m, sizeof(float), n, f) == n && fwrite(s->v, sizeof(float), n, f) == n;
    if (f && fclose(f)) ok = false;
    if (ok && rename(tmp, path)) ok = false;
    if (!ok) { fprintf(stderr, "train: cannot write checkpoint %s\n", path); remove(tmp); }
    return ok;
}

bool tr_ckpt_load(const char *path, tr_model *m, tr_state *s) {
    FILE *f = fopen(path, "rb");
    char magic[8];
    ckpt_header h;
    memset(s, 0, sizeof *s);
    bool ok = f && fread(magic, 1, 8, f) == 8 && !memcmp(magic, MAGIC, 8) && fread(&h, sizeof h, 1, f) == 1 &&
              h.config_size == sizeof(tr_config) && h.quant_size == sizeof(tr_quant) &&
              fread(&s->c, sizeof s->c, 1, f) == 1 && fread(&s->q, sizeof s->q, 1, f) == 1 && tr_model_init(m, &s->c) &&
              m->n_params == h.n_params;
    size_t n = ok ? (size_t)h.n_params : 0;
    if (ok) {
        s->w = malloc(n * sizeof(float)); s->m = malloc(n * sizeof(float)); s->v = malloc(n * sizeof(float));
        ok = s->w && s->m && s->v && fread(s->w, sizeof(float), n, f) == n && fread(s->m, sizeof(float), n, f) == n &&
             fread(s->v, sizeof(float), n, f) == n;
    }
    if (f) fclose(f);
    if (!ok) {
        fprintf(stderr, "train: %s is not a checkpoint of this build\n", path);
        free(s->w); free(s->m); free(s->v);
        memset(s, 0, sizeof *s);
        return false;
    }
    s->step = h.step;  s->seed = h.seed;
    return true;
}
