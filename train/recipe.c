/* Training recipes: YAML over the defaults. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/prior/yamlfile.h"
#include "trainer.h"

void dm_trecipe_default(dm_trecipe *r) {
  memset(r, 0, sizeof *r);
  dm_tshape s = {6, 256, 4, 4, 768, 0, 10000.0, 1e-6};
  r->shape = s;
  r->seed = 1;
  r->batch_tokens = 4096;
  r->lr = 2e-3;
  r->min_lr = 2e-4;
  r->weight_decay = 0.1;
  r->clip = 1.0;
  r->warmup = 100;
  r->ar_steps = 500;
  r->diffusion_steps = 1500;
  r->eps = 1e-3;
  r->prior_format = 0.5;
  r->free_tokens = 64;
  r->max_len = 512;
  r->checkpoint_every = 250;
  r->log_every = 10;
}

typedef struct rctx {
  const char *path, *dir;
  dm_error *err;
} rctx;

static int num(rctx *c, const yaml_node_t *n, const char *key, double lo, double hi, double *out) {
  const char *s = dm_yaml_scalar(n);
  char *end = NULL;
  errno = 0;
  double v = s ? strtod(s, &end) : NAN;
  if (!s || end == s || *end || errno || !isfinite(v) || v < lo || v > hi)
    return dm_yaml_error_at(c->err, DM_ESPEC, c->path, n, "'%s' wants a number in [%g, %g], not '%s'", key, lo, hi,
                            s ? s : "(not a scalar)");
  *out = v;
  return DM_OK;
}

static int integer(rctx *c, const yaml_node_t *n, const char *key, double lo, double hi, long *out) {
  double v;
  int rc = num(c, n, key, lo, hi, &v);
  if (rc) return rc;
  if (v != floor(v)) return dm_yaml_error_at(c->err, DM_ESPEC, c->path, n, "'%s' wants a whole number", key);
  *out = (long)v;
  return DM_OK;
}

static int path_val(rctx *c, const yaml_node_t *n, const char *key, char *dst, size_t cap) {
  const char *s = dm_yaml_scalar(n);
  if (!s) return dm_yaml_error_at(c->err, DM_ESPEC, c->path, n, "'%s' wants a path", key);
  int w = (s[0] == '/' || !*c->dir) ? snprintf(dst, cap, "%s", s) : snprintf(dst, cap, "%s/%s", c->dir, s);
  if (w < 0 || (size_t)w >= cap) return dm_yaml_error_at(c->err, DM_ESPEC, c->path, n, "'%s' path too long", key);
  return DM_OK;
}

static int model_map(rctx *c, yaml_document_t *doc, const yaml_node_t *m, dm_trecipe *r) {
  if (m->type != YAML_MAPPING_NODE)
    return dm_yaml_error_at(c->err, DM_ESPEC, c->path, m, "'model' wants a mapping (layers, d_model, ...)");
  for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
    const yaml_node_t *k = yaml_document_get_node(doc, p->key), *v = yaml_document_get_node(doc, p->value);
    const char *key = dm_yaml_scalar(k);
    long x = 0;
    double f = 0;
    int rc;
    if (!key) return dm_yaml_error_at(c->err, DM_ESPEC, c->path, k, "keys are plain words");
    if (!strcmp(key, "layers")) rc = integer(c, v, key, 1, 256, &x), r->shape.n_layers = (int)x;
    else if (!strcmp(key, "d_model")) rc = integer(c, v, key, 2, 65536, &x), r->shape.d_model = (int)x;
    else if (!strcmp(key, "heads")) rc = integer(c, v, key, 1, 1024, &x), r->shape.n_heads = (int)x;
    else if (!strcmp(key, "kv_heads")) rc = integer(c, v, key, 1, 1024, &x), r->shape.n_kv_heads = (int)x;
    else if (!strcmp(key, "d_ff")) rc = integer(c, v, key, 1, 262144, &x), r->shape.d_ff = (int)x;
    else if (!strcmp(key, "rope_theta")) rc = num(c, v, key, 1, 1e9, &f), r->shape.rope_theta = f;
    else if (!strcmp(key, "rms_eps")) rc = num(c, v, key, 1e-12, 1e-2, &f), r->shape.rms_eps = f;
    else
      return dm_yaml_error_at(c->err, DM_ESPEC, c->path, k,
                              "unknown model key '%s' (known: layers, d_model, heads, kv_heads, d_ff, rope_theta, rms_eps)",
                              key);
    if (rc) return rc;
  }
  return DM_OK;
}

int dm_trecipe_load(const char *path, dm_trecipe *r, dm_error *err) {
  yaml_document_t doc;
  int rc = dm_yaml_load_file(path, "recipe", &doc, err);
  if (rc) return rc;
  char dir[2048];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = 0;
  else dir[0] = 0;
  rctx c = {path, dir, err};
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  if (!root || root->type != YAML_MAPPING_NODE) {
    rc = dm_yaml_error_at(err, DM_ESPEC, path, root, "a recipe is a mapping of settings");
    goto done;
  }
  for (yaml_node_pair_t *p = root->data.mapping.pairs.start; rc == DM_OK && p < root->data.mapping.pairs.top; p++) {
    const yaml_node_t *k = yaml_document_get_node(&doc, p->key), *v = yaml_document_get_node(&doc, p->value);
    const char *key = dm_yaml_scalar(k);
    long x = 0;
    double f = 0;
    if (!key) {
      rc = dm_yaml_error_at(err, DM_ESPEC, path, k, "keys are plain words");
      break;
    }
    if (!strcmp(key, "data")) rc = path_val(&c, v, key, r->data, sizeof r->data);
    else if (!strcmp(key, "tokenizer")) rc = path_val(&c, v, key, r->tokenizer, sizeof r->tokenizer);
    else if (!strcmp(key, "priors")) rc = path_val(&c, v, key, r->priors, sizeof r->priors);
    else if (!strcmp(key, "init_from")) rc = path_val(&c, v, key, r->init_from, sizeof r->init_from);
    else if (!strcmp(key, "out")) rc = path_val(&c, v, key, r->out, sizeof r->out);
    else if (!strcmp(key, "model")) rc = model_map(&c, &doc, v, r);
    else if (!strcmp(key, "seed")) rc = integer(&c, v, key, 0, 4294967295.0, &x), r->seed = (uint64_t)x;
    else if (!strcmp(key, "batch_tokens")) rc = integer(&c, v, key, 16, 1 << 22, &x), r->batch_tokens = (int)x;
    else if (!strcmp(key, "lr")) rc = num(&c, v, key, 0, 1, &r->lr);
    else if (!strcmp(key, "min_lr")) rc = num(&c, v, key, 0, 1, &r->min_lr);
    else if (!strcmp(key, "weight_decay")) rc = num(&c, v, key, 0, 10, &r->weight_decay);
    else if (!strcmp(key, "clip")) rc = num(&c, v, key, 0, 1e6, &r->clip);
    else if (!strcmp(key, "warmup")) rc = integer(&c, v, key, 0, 1e9, &r->warmup);
    else if (!strcmp(key, "ar_steps")) rc = integer(&c, v, key, 0, 1e9, &r->ar_steps);
    else if (!strcmp(key, "diffusion_steps")) rc = integer(&c, v, key, 0, 1e9, &r->diffusion_steps);
    else if (!strcmp(key, "eps")) rc = num(&c, v, key, 1e-6, 1, &r->eps);
    else if (!strcmp(key, "prior_format")) rc = num(&c, v, key, 0, 1, &r->prior_format);
    else if (!strcmp(key, "free_tokens")) rc = integer(&c, v, key, 1, 65536, &x), r->free_tokens = (int)x;
    else if (!strcmp(key, "max_len")) rc = integer(&c, v, key, 2, 1 << 20, &x), r->max_len = (int)x;
    else if (!strcmp(key, "checkpoint_every")) rc = integer(&c, v, key, 0, 1e9, &x), r->checkpoint_every = (int)x;
    else if (!strcmp(key, "log_every")) rc = integer(&c, v, key, 1, 1e9, &x), r->log_every = (int)x;
    else if (!strcmp(key, "threads")) rc = integer(&c, v, key, 0, 1024, &x), r->threads = (int)x;
    else if (!strcmp(key, "dtype")) {
      const char *s = dm_yaml_scalar(v);
      if (s && !strcmp(s, "f32")) r->bf16 = 0;
      else if (s && !strcmp(s, "bf16")) r->bf16 = 1;
      else rc = dm_yaml_error_at(err, DM_ESPEC, path, v, "'dtype' is f32 or bf16");
    } else
      rc = dm_yaml_error_at(err, DM_ESPEC, path, k, "unknown recipe key '%s' (see dimple train --help)", key);
    (void)f;
  }
  if (rc == DM_OK && r->ar_steps + r->diffusion_steps < 1)
    rc = dm_yaml_error_at(err, DM_ESPEC, path, root, "ar_steps + diffusion_steps must be at least 1");
done:
  yaml_document_delete(&doc);
  return rc;
}
