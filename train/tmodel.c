/* The trained model's parameters: layout, initialisation, checkpoints. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tmodel.h"

#include "model/splitmix.h"

static uint64_t splitmix(uint64_t *s) { return dm_splitmix64(s); }
static double unif(uint64_t *s) { return ((double)(splitmix(s) >> 11) + 0.5) / 9007199254740992.0; }

static void add_t(dm_tmodel *m, int *i, size_t *off, int rows, int cols, int decay, const char *fmt, int l) {
  dm_ttensor *t = &m->t[(*i)++];
  snprintf(t->name, sizeof t->name, fmt, l);
  t->rows = rows;
  t->cols = cols;
  t->numel = (size_t)rows * (size_t)(cols ? cols : 1);
  t->off = *off;
  t->decay = decay;
  *off += (t->numel + 15) / 16 * 16; /* 64-byte aligned tensors */
}

static int layout(dm_tmodel *m, dm_error *err) {
  const dm_tshape *s = &m->s;
  if (s->n_layers < 1 || s->d_model < 2 || s->n_heads < 1 || s->n_kv_heads < 1 || s->d_ff < 1 ||
      s->vocab < 2 || s->d_model % s->n_heads || s->n_heads % s->n_kv_heads ||
      (s->d_model / s->n_heads) % 2 || s->n_layers > 256 || s->d_model > 65536 || s->d_ff > 262144 ||
      s->vocab > (1 << 24))
    return dm_error_set(err, DM_EINVAL,
                        "bad model shape: layers %d, d_model %d, heads %d, kv_heads %d, d_ff %d, vocab %d "
                        "(d_model must be a multiple of heads with an even head size, heads a multiple of kv_heads)",
                        s->n_layers, s->d_model, s->n_heads, s->n_kv_heads, s->d_ff, s->vocab);
  m->head_dim = s->d_model / s->n_heads;
  int d = s->d_model, qd = s->n_heads * m->head_dim, kvd = s->n_kv_heads * m->head_dim, ff = s->d_ff;
  m->n_tensors = 2 + s->n_layers * DM_TL_COUNT;
  m->t = calloc((size_t)m->n_tensors, sizeof *m->t);
  if (!m->t) return dm_error_set(err, DM_ENOMEM, "out of memory");
  int i = 0;
  size_t off = 0;
  add_t(m, &i, &off, s->vocab, d, 1, "model.embed_tokens.weight", 0);
  for (int l = 0; l < s->n_layers; l++) {
    add_t(m, &i, &off, d, 0, 0, "model.layers.%d.input_layernorm.weight", l);
    add_t(m, &i, &off, qd, d, 1, "model.layers.%d.self_attn.q_proj.weight", l);
    add_t(m, &i, &off, qd, 0, 0, "model.layers.%d.self_attn.q_proj.bias", l);
    add_t(m, &i, &off, kvd, d, 1, "model.layers.%d.self_attn.k_proj.weight", l);
    add_t(m, &i, &off, kvd, 0, 0, "model.layers.%d.self_attn.k_proj.bias", l);
    add_t(m, &i, &off, kvd, d, 1, "model.layers.%d.self_attn.v_proj.weight", l);
    add_t(m, &i, &off, kvd, 0, 0, "model.layers.%d.self_attn.v_proj.bias", l);
    add_t(m, &i, &off, d, qd, 1, "model.layers.%d.self_attn.o_proj.weight", l);
    add_t(m, &i, &off, d, 0, 0, "model.layers.%d.post_attention_layernorm.weight", l);
    add_t(m, &i, &off, ff, d, 1, "model.layers.%d.mlp.gate_proj.weight", l);
    add_t(m, &i, &off, ff, d, 1, "model.layers.%d.mlp.up_proj.weight", l);
    add_t(m, &i, &off, d, ff, 1, "model.layers.%d.mlp.down_proj.weight", l);
  }
  add_t(m, &i, &off, d, 0, 0, "model.norm.weight", 0);
  m->n = off;
  m->w = calloc(off, sizeof(float));
  m->g = calloc(off, sizeof(float));
  m->m = calloc(off, sizeof(float));
  m->v = calloc(off, sizeof(float));
  if (!m->w || !m->g || !m->m || !m->v)
    return dm_error_set(err, DM_ENOMEM, "out of memory for %zu parameters", off);
  return DM_OK;
}

void dm_tmodel_free(dm_tmodel *m) {
  if (!m) return;
  free(m->t);
  free(m->w);
  free(m->g);
  free(m->m);
  free(m->v);
  free(m);
}

int dm_tmodel_new(const dm_tshape *s, uint64_t seed, dm_tmodel **out, dm_error *err) {
  *out = NULL;
  dm_tmodel *m = calloc(1, sizeof *m);
  if (!m) return dm_error_set(err, DM_ENOMEM, "out of memory");
  m->s = *s;
  if (m->s.rope_theta <= 0) m->s.rope_theta = 10000.0;
  if (m->s.rms_eps <= 0) m->s.rms_eps = 1e-6;
  int rc = layout(m, err);
  if (rc) {
    dm_tmodel_free(m);
    return rc;
  }
  uint64_t st = seed ^ 0x5eedf00dull;
  double out_scale = 1.0 / sqrt(2.0 * s->n_layers);
  for (int i = 0; i < m->n_tensors; i++) {
    const dm_ttensor *t = &m->t[i];
    float *w = m->w + t->off;
    if (t->cols == 0) {
      int is_norm = strstr(t->name, "norm") != NULL;
      for (size_t j = 0; j < t->numel; j++) w[j] = is_norm ? 1.0f : 0.0f;
      continue;
    }
    double sd = 0.02;
    if (strstr(t->name, "o_proj") || strstr(t->name, "down_proj")) sd *= out_scale;
    for (size_t j = 0; j < t->numel; j++) { /* Box-Muller */
      double u1 = unif(&st), u2 = unif(&st);
      w[j] = (float)(sd * sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
    }
  }
  *out = m;
  return DM_OK;
}

/* ------------------------------------------------------------------ files */

static int write_json(const char *dir, const char *name, cJSON *j, dm_error *err) {
  char path[4096], tmp[4200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  char *txt = cJSON_Print(j);
  if (!txt) return dm_error_set(err, DM_ENOMEM, "out of memory");
  FILE *f = fopen(tmp, "wb");
  int ok = f && fputs(txt, f) >= 0 && fputc('\n', f) != EOF;
  if (f && fclose(f) != 0) ok = 0;
  free(txt);
  if (!ok || rename(tmp, path) != 0) {
    remove(tmp);
    return dm_error_set(err, DM_EIO, "cannot write %s", path);
  }
  return DM_OK;
}

/* A safetensors file of the tensors (names[i], shape, data of numel[i] floats), as
 * F32 or BF16. */
static int write_st(const char *path, int n, const char *const *names, const int (*shape)[2],
                    const float *const *data, const size_t *numel, int bf16, dm_error *err) {
  cJSON *hdr = cJSON_CreateObject();
  if (!hdr) return dm_error_set(err, DM_ENOMEM, "out of memory");
  size_t es = bf16 ? 2 : 4, off = 0;
  for (int i = 0; i < n; i++) {
    cJSON *e = cJSON_AddObjectToObject(hdr, names[i]);
    if (!e) break;
    cJSON_AddStringToObject(e, "dtype", bf16 ? "BF16" : "F32");
    double shp[2] = {shape[i][0], shape[i][1]};
    cJSON_AddItemToObject(e, "shape", cJSON_CreateDoubleArray(shp, shape[i][1] ? 2 : 1));
    double offs[2] = {(double)off, (double)(off + numel[i] * es)};
    cJSON_AddItemToObject(e, "data_offsets", cJSON_CreateDoubleArray(offs, 2));
    off += numel[i] * es;
  }
  char *h = cJSON_PrintUnformatted(hdr);
  cJSON_Delete(hdr);
  if (!h) return dm_error_set(err, DM_ENOMEM, "out of memory");
  size_t hl = strlen(h), padded = (hl + 7) / 8 * 8;
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "wb");
  int ok = f != NULL;
  if (ok) {
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)(((uint64_t)padded >> (8 * i)) & 0xff);
    ok = fwrite(len8, 1, 8, f) == 8 && fwrite(h, 1, hl, f) == hl;
    for (size_t i = hl; ok && i < padded; i++) ok = fputc(' ', f) != EOF;
    for (int i = 0; ok && i < n; i++) {
      if (!bf16) {
        ok = fwrite(data[i], sizeof(float), numel[i], f) == numel[i];
        continue;
      }
      for (size_t j = 0; ok && j < numel[i]; j++) {
        uint16_t b = dm_f32_to_bf16(data[i][j]);
        ok = fwrite(&b, 2, 1, f) == 1;
      }
    }
  }
  if (f && fclose(f) != 0) ok = 0;
  free(h);
  if (!ok || rename(tmp, path) != 0) {
    remove(tmp);
    return dm_error_set(err, DM_EIO, "cannot write %s", path);
  }
  return DM_OK;
}

int dm_tmodel_save(const dm_tmodel *m, const dm_tspecial *sp, int bf16, const char *dir, dm_error *err) {
  int n = m->n_tensors;
  const char **names = malloc(sizeof *names * (size_t)n);
  int (*shape)[2] = malloc(sizeof *shape * (size_t)n);
  const float **data = malloc(sizeof *data * (size_t)n);
  size_t *numel = malloc(sizeof *numel * (size_t)n);
  int rc = names && shape && data && numel ? DM_OK : dm_error_set(err, DM_ENOMEM, "out of memory");
  for (int i = 0; rc == DM_OK && i < n; i++) {
    const dm_ttensor *t = &m->t[i];
    names[i] = t->name;
    shape[i][0] = t->rows;
    shape[i][1] = t->cols;
    data[i] = m->w + t->off;
    numel[i] = t->numel;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/model.safetensors", dir);
  if (rc == DM_OK) rc = write_st(path, n, names, (const int(*)[2])shape, data, numel, bf16, err);
  free(names);
  free(shape);
  free(data);
  free(numel);
  if (rc) return rc;
  const dm_tshape *s = &m->s;
  cJSON *c = cJSON_CreateObject(), *g = cJSON_CreateObject();
  if (!c || !g) {
    cJSON_Delete(c);
    cJSON_Delete(g);
    return dm_error_set(err, DM_ENOMEM, "out of memory");
  }
  const char *arch[] = {"DreamModel"};
  cJSON_AddItemToObject(c, "architectures", cJSON_CreateStringArray(arch, 1));
  cJSON_AddStringToObject(c, "model_type", "Dream");
  cJSON_AddNumberToObject(c, "hidden_size", s->d_model);
  cJSON_AddNumberToObject(c, "intermediate_size", s->d_ff);
  cJSON_AddNumberToObject(c, "num_hidden_layers", s->n_layers);
  cJSON_AddNumberToObject(c, "num_attention_heads", s->n_heads);
  cJSON_AddNumberToObject(c, "num_key_value_heads", s->n_kv_heads);
  cJSON_AddNumberToObject(c, "vocab_size", s->vocab);
  cJSON_AddStringToObject(c, "hidden_act", "silu");
  cJSON_AddNumberToObject(c, "rms_norm_eps", s->rms_eps);
  cJSON_AddNumberToObject(c, "rope_theta", s->rope_theta);
  cJSON_AddNullToObject(c, "rope_scaling");
  cJSON_AddBoolToObject(c, "tie_word_embeddings", 1);
  cJSON_AddNumberToObject(c, "max_position_embeddings", 4096);
  cJSON_AddNumberToObject(c, "attention_dropout", 0.0);
  cJSON_AddBoolToObject(c, "use_sliding_window", 0);
  cJSON_AddBoolToObject(c, "use_cache", 0);
  cJSON_AddStringToObject(c, "torch_dtype", bf16 ? "bfloat16" : "float32");
  cJSON_AddNumberToObject(c, "bos_token_id", sp->bos);
  cJSON_AddNumberToObject(c, "eos_token_id", sp->eos);
  cJSON_AddNumberToObject(c, "pad_token_id", sp->pad);
  cJSON_AddNumberToObject(c, "mask_token_id", sp->mask);
  cJSON_AddNumberToObject(g, "bos_token_id", sp->bos);
  cJSON_AddNumberToObject(g, "eos_token_id", sp->eos);
  cJSON_AddNumberToObject(g, "pad_token_id", sp->pad);
  cJSON_AddNumberToObject(g, "mask_token_id", sp->mask);
  cJSON_AddNumberToObject(g, "temperature", 0.0);
  cJSON_AddNumberToObject(g, "max_new_tokens", 64);
  rc = write_json(dir, "config.json", c, err);
  if (rc == DM_OK) rc = write_json(dir, "generation_config.json", g, err);
  cJSON_Delete(c);
  cJSON_Delete(g);
  return rc;
}

int dm_tmodel_save_moments(const dm_tmodel *m, const char *dir, dm_error *err) {
  const char *names[2] = {"adam.m", "adam.v"};
  int shape[2][2] = {{(int)m->n, 0}, {(int)m->n, 0}};
  const float *data[2] = {m->m, m->v};
  size_t numel[2] = {m->n, m->n};
  char path[4096];
  snprintf(path, sizeof path, "%s/trainer_state.safetensors", dir);
  return write_st(path, 2, names, (const int(*)[2])shape, data, numel, 0, err);
}

static int load_tensor(const dm_st_file *f, const char *name, float *dst, size_t numel, int rows, int cols,
                       dm_error *err) {
  const dm_st_tensor *t = dm_st_find(f, name);
  if (!t) return dm_error_set_named(err, DM_ETENSOR, name, "tensor missing from %s", f->path);
  int want_dims = cols ? 2 : 1;
  if (t->ndim != want_dims || t->shape[0] != rows || (cols && t->shape[1] != cols))
    return dm_error_set_named(err, DM_ETENSOR, name, "tensor has the wrong shape for the config (want %d x %d)",
                              rows, cols);
  if (t->dtype != DM_ST_F32 && t->dtype != DM_ST_BF16)
    return dm_error_set_named(err, DM_EDTYPE, name, "tensor dtype %s: the trainer resumes from F32 or BF16",
                              dm_st_dtype_name(t->dtype));
  dm_convert_row(t->data, (dm_dtype)t->dtype, 0, numel, dst);
  return DM_OK;
}

int dm_tmodel_load(const char *dir, int moments, dm_tmodel **out, dm_error *err) {
  *out = NULL;
  char path[4096], gpath[4096];
  snprintf(path, sizeof path, "%s/config.json", dir);
  snprintf(gpath, sizeof gpath, "%s/generation_config.json", dir);
  char *txt = NULL, *gtxt = NULL;
  size_t len = 0, glen = 0;
  int rc = dm_read_text_file(path, &txt, &len, err);
  if (rc) return rc;
  dm_error gerr = {0};
  if (dm_read_text_file(gpath, &gtxt, &glen, &gerr)) gtxt = NULL;
  dm_model_config cfg;
  rc = dm_config_parse(txt, len, gtxt, glen, path, &cfg, err);
  free(txt);
  free(gtxt);
  if (rc) return rc;
  if (cfg.family != DM_FAMILY_DREAM || !cfg.tied || !cfg.qkv_bias)
  {
    dm_error_set_source(err, path);
    return dm_error_set(err, DM_EUNSUPPORTED,
                        "the trainer resumes Dream-layout models with tied embeddings and q/k/v biases only");
  }
  dm_tshape s = {cfg.n_layers, cfg.d_model, cfg.n_heads, cfg.n_kv_heads, cfg.d_ff, cfg.vocab, cfg.rope_theta, cfg.rms_eps};
  dm_tmodel *m = calloc(1, sizeof *m);
  if (!m) return dm_error_set(err, DM_ENOMEM, "out of memory");
  m->s = s;
  rc = layout(m, err);
  dm_st_file *f = NULL;
  if (rc == DM_OK) {
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    rc = dm_st_open(path, &f, err);
  }
  for (int i = 0; rc == DM_OK && i < m->n_tensors; i++) {
    const dm_ttensor *t = &m->t[i];
    rc = load_tensor(f, t->name, m->w + t->off, t->numel, t->rows, t->cols, err);
  }
  dm_st_file_free(f);
  f = NULL;
  if (rc == DM_OK && moments) {
    snprintf(path, sizeof path, "%s/trainer_state.safetensors", dir);
    rc = dm_st_open(path, &f, err);
    if (rc == DM_OK) rc = load_tensor(f, "adam.m", m->m, m->n, (int)m->n, 0, err);
    if (rc == DM_OK) rc = load_tensor(f, "adam.v", m->v, m->n, (int)m->n, 0, err);
    dm_st_file_free(f);
  }
  if (rc) {
    dm_tmodel_free(m);
    return rc;
  }
  *out = m;
  return DM_OK;
}
