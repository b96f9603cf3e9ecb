/* Random-weight models built in memory, in the family's exact tensor layout: the
 * image is a real safetensors file in a buffer, parsed and bound by the same code
 * as a checkpoint on disk. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "model_impl.h"
#include "splitmix.h"

int dm_model_finish_(dm_model *m, const char *dir, const dm_model_params *params, dm_error *err);

typedef struct spec {
  char name[96];
  int rows, cols; /* cols 0: vector */
  int kind;       /* 0 matrix, 1 norm (ones), 2 bias */
} spec;

static uint64_t splitmix(uint64_t *s) { return dm_splitmix64(s); }

/* The k-th draw (k >= 1) of the splitmix sequence started at seed: what the k-th
 * call of splitmix(&s) returns, so chunks can be filled in parallel. */
static uint64_t splitmix_at(uint64_t seed, uint64_t k) {
  uint64_t s = seed + (k - 1) * 0x9e3779b97f4a7c15ull;
  return splitmix(&s);
}

/* A chunk of one tensor's elements to fill. */
typedef struct fill_chunk {
  uint8_t *p;          /* first byte of the chunk */
  size_t n;            /* elements */
  uint64_t k0;         /* draw index of its first element (kind != 1) */
  float scale;
  int kind;            /* 0 matrix, 1 norm (ones), 2 bias */
  int es;              /* bytes per element: 4 (F32) or 2 */
  dm_dtype dtype;
} fill_chunk;

typedef struct fill_job {
  const fill_chunk *c;
  size_t n_chunks;
  uint64_t seed;
  int n_threads, index;
} fill_job;

static void fill_one(const fill_chunk *c, uint64_t seed) {
  uint8_t *p = c->p;
  for (size_t j = 0; j < c->n; j++) {
    float f;
    if (c->kind == 1) {
      f = 1.0f;
    } else {
      uint64_t r = splitmix_at(seed, c->k0 + j);
      f = ((float)(r >> 40) * (1.0f / 16777216.0f) * 2.0f - 1.0f) * c->scale;
    }
    if (c->es == 4) {
      memcpy(p, &f, 4);
      p += 4;
    } else {
      uint16_t h = c->dtype == DM_DTYPE_BF16 ? dm_f32_to_bf16(f) : dm_f32_to_f16(f);
      memcpy(p, &h, 2);
      p += 2;
    }
  }
}

static void *fill_thread(void *arg) {
  const fill_job *j = arg;
  for (size_t i = (size_t)j->index; i < j->n_chunks; i += (size_t)j->n_threads) fill_one(&j->c[i], j->seed);
  return NULL;
}

/* Fill the chunks on up to n_threads threads (1: in this thread). */
static void fill_all(const fill_chunk *c, size_t n_chunks, uint64_t seed, int n_threads) {
  if (n_threads > 64) n_threads = 64;
  if ((size_t)n_threads > n_chunks) n_threads = (int)n_chunks;
  pthread_t th[64];
  fill_job jobs[64];
  int started = 0;
  for (int t = 1; t < n_threads; t++) {
    jobs[t] = (fill_job){c, n_chunks, seed, n_threads, t};
    if (pthread_create(&th[t], NULL, fill_thread, &jobs[t]) != 0) break;
    started = t;
  }
  if (started < n_threads - 1) { /* could not start them all: do it here alone */
    for (int t = 1; t <= started; t++) pthread_join(th[t], NULL);
    for (size_t i = 0; i < n_chunks; i++) fill_one(&c[i], seed);
    return;
  }
  jobs[0] = (fill_job){c, n_chunks, seed, n_threads, 0};
  fill_thread(&jobs[0]);
  for (int t = 1; t < n_threads; t++) pthread_join(th[t], NULL);
}

static int list_specs(const dm_model_config *c, spec *out) {
  int n = 0, d = c->d_model, qd = c->n_heads * c->head_dim, kvd = c->n_kv_heads * c->head_dim;
  int ff = c->d_ff, llada = c->family == DM_FAMILY_LLADA;
#define ADD(r, cc, k, ...)                                          \
  do {                                                              \
    if (out) {                                                      \
      snprintf(out[n].name, sizeof out[n].name, __VA_ARGS__);       \
      out[n].rows = (r);                                            \
      out[n].cols = (cc);                                           \
      out[n].kind = (k);                                            \
    }                                                               \
    n++;                                                            \
  } while (0)
  if (llada) {
    ADD(c->emb_rows, d, 0, "model.transformer.wte.weight");
    for (int l = 0; l < c->n_layers; l++) {
      const char *p = "model.transformer.blocks.";
      ADD(d, 0, 1, "%s%d.attn_norm.weight", p, l);
      ADD(qd, d, 0, "%s%d.q_proj.weight", p, l);
      ADD(kvd, d, 0, "%s%d.k_proj.weight", p, l);
      ADD(kvd, d, 0, "%s%d.v_proj.weight", p, l);
      ADD(d, qd, 0, "%s%d.attn_out.weight", p, l);
      ADD(d, 0, 1, "%s%d.ff_norm.weight", p, l);
      ADD(ff, d, 0, "%s%d.ff_proj.weight", p, l);
      ADD(ff, d, 0, "%s%d.up_proj.weight", p, l);
      ADD(d, ff, 0, "%s%d.ff_out.weight", p, l);
    }
    ADD(d, 0, 1, "model.transformer.ln_f.weight");
    if (!c->tied) ADD(c->vocab, d, 0, "model.transformer.ff_out.weight");
  } else {
    ADD(c->vocab, d, 0, "model.embed_tokens.weight");
    for (int l = 0; l < c->n_layers; l++) {
      const char *p = "model.layers.";
      ADD(d, 0, 1, "%s%d.input_layernorm.weight", p, l);
      ADD(qd, d, 0, "%s%d.self_attn.q_proj.weight", p, l);
      ADD(qd, 0, 2, "%s%d.self_attn.q_proj.bias", p, l);
      ADD(kvd, d, 0, "%s%d.self_attn.k_proj.weight", p, l);
      ADD(kvd, 0, 2, "%s%d.self_attn.k_proj.bias", p, l);
      ADD(kvd, d, 0, "%s%d.self_attn.v_proj.weight", p, l);
      ADD(kvd, 0, 2, "%s%d.self_attn.v_proj.bias", p, l);
      ADD(d, qd, 0, "%s%d.self_attn.o_proj.weight", p, l);
      ADD(d, 0, 1, "%s%d.post_attention_layernorm.weight", p, l);
      ADD(ff, d, 0, "%s%d.mlp.gate_proj.weight", p, l);
      ADD(ff, d, 0, "%s%d.mlp.up_proj.weight", p, l);
      ADD(d, ff, 0, "%s%d.mlp.down_proj.weight", p, l);
    }
    ADD(d, 0, 1, "model.norm.weight");
    if (!c->tied) ADD(c->vocab, d, 0, "lm_head.weight");
  }
#undef ADD
  return n;
}

int dm_model_new_random(const dm_model_shape *s, uint64_t seed, const dm_model_params *params,
                        dm_model **out, dm_error *err) {
  *out = NULL;
  if (!s || s->n_layers < 1 || s->d_model < 2 || s->n_heads < 1 || s->n_kv_heads < 1 ||
      s->d_ff < 1 || s->vocab < 1 || s->d_model % s->n_heads || s->n_heads % s->n_kv_heads ||
      (s->d_model / s->n_heads) % 2 || (int)s->dtype < 0 || (int)s->dtype > 2)
    return dm_error_set(err, DM_EINVAL, "bad model shape");
  dm_model *m = calloc(1, sizeof *m);
  if (!m) return dm_error_set(err, DM_ENOMEM, "out of memory");
  dm_model_config *c = &m->cfg;
  c->family = s->family;
  snprintf(c->model_type, sizeof c->model_type, "%s", dm_model_family_name(s->family));
  c->n_layers = s->n_layers;
  c->d_model = s->d_model;
  c->n_heads = s->n_heads;
  c->n_kv_heads = s->n_kv_heads;
  c->head_dim = s->d_model / s->n_heads;
  c->d_ff = s->d_ff;
  c->vocab = c->emb_rows = s->vocab;
  c->rope_theta = s->rope_theta > 0 ? s->rope_theta : 10000.0;
  c->rms_eps = 1e-6;
  c->tied = s->tied;
  c->qkv_bias = s->family != DM_FAMILY_LLADA;
  c->mask_id = c->eos_id = c->pad_id = c->bos_id = -1;

  int n = list_specs(c, NULL);
  spec *sp = calloc((size_t)n, sizeof *sp);
  cJSON *hdr = cJSON_CreateObject();
  int rc = (sp && hdr) ? DM_OK : DM_ENOMEM;
  size_t es = s->dtype == DM_DTYPE_F32 ? 4 : 2, off = 0;
  if (rc == DM_OK) {
    list_specs(c, sp);
    for (int i = 0; i < n && rc == DM_OK; i++) {
      size_t numel = (size_t)sp[i].rows * (size_t)(sp[i].cols ? sp[i].cols : 1);
      size_t sz = numel * (sp[i].kind == 0 ? es : 4); /* vectors in F32 */
      cJSON *e = cJSON_CreateObject();
      if (!e) { rc = DM_ENOMEM; break; }
      cJSON_AddItemToObject(hdr, sp[i].name, e);
      cJSON_AddStringToObject(e, "dtype", sp[i].kind == 0 ? dm_dtype_name(s->dtype) : "F32");
      double shp[2] = {sp[i].rows, sp[i].cols};
      cJSON_AddItemToObject(e, "shape", cJSON_CreateDoubleArray(shp, sp[i].cols ? 2 : 1));
      double offs[2] = {(double)off, (double)(off + sz)};
      cJSON_AddItemToObject(e, "data_offsets", cJSON_CreateDoubleArray(offs, 2));
      off += sz;
    }
  }
  char *htxt = rc == DM_OK ? cJSON_PrintUnformatted(hdr) : NULL;
  cJSON_Delete(hdr);
  uint8_t *img = NULL;
  size_t hl = 0;
  if (rc == DM_OK && htxt) {
    hl = (strlen(htxt) + 7) / 8 * 8;
    img = malloc(8 + hl + off);
  }
  if (!img) rc = DM_ENOMEM;
  if (rc == DM_OK) {
    for (int i = 0; i < 8; i++) img[i] = (uint8_t)((uint64_t)hl >> (8 * i));
    memset(img + 8, ' ', hl);
    memcpy(img + 8, htxt, strlen(htxt));
    uint8_t *p = img + 8 + hl;
    /* chunks of <= 1M elements; draw k numbers the random values in file order */
    const size_t CH = (size_t)1 << 20;
    size_t n_chunks = 0;
    for (int i = 0; i < n; i++) {
      size_t numel = (size_t)sp[i].rows * (size_t)(sp[i].cols ? sp[i].cols : 1);
      n_chunks += (numel + CH - 1) / CH;
    }
    fill_chunk *ch = calloc(n_chunks ? n_chunks : 1, sizeof *ch);
    if (!ch) rc = DM_ENOMEM;
    uint64_t k = 1;
    size_t ci = 0;
    for (int i = 0; i < n && rc == DM_OK; i++) {
      size_t numel = (size_t)sp[i].rows * (size_t)(sp[i].cols ? sp[i].cols : 1);
      float scale = sp[i].kind == 0 ? 1.0f / sqrtf((float)(sp[i].cols ? sp[i].cols : 1)) : 0.02f;
      if (i == 0) scale = 1.0f; /* embeddings */
      int esz = (sp[i].kind != 0 || es == 4) ? 4 : 2;
      for (size_t o0 = 0; o0 < numel; o0 += CH) {
        fill_chunk *fc = &ch[ci++];
        fc->p = p + o0 * (size_t)esz;
        fc->n = numel - o0 < CH ? numel - o0 : CH;
        fc->k0 = sp[i].kind == 1 ? 0 : k + o0;
        fc->scale = scale;
        fc->kind = sp[i].kind;
        fc->es = esz;
        fc->dtype = s->dtype;
      }
      p += numel * (size_t)esz;
      if (sp[i].kind != 1) k += numel;
    }
    if (rc == DM_OK) {
      long nc = sysconf(_SC_NPROCESSORS_ONLN);
      int nt = params && params->n_threads > 0 ? params->n_threads : (nc > 0 ? (int)nc : 1);
      fill_all(ch, ci, seed, nt);
    }
    free(ch);
  }
  free(htxt);
  free(sp);
  if (rc) {
    free(img);
    free(m);
    return dm_error_set(err, DM_ENOMEM, "out of memory for a random model");
  }
  m->owned_image = img;
  dm_st_file *f = NULL;
  rc = dm_st_parse(img, 8 + hl + off, "(random model)", &f, err);
  if (rc == DM_OK) rc = dm_st_set_adopt(&m->set, f, err);
  if (rc == DM_OK) rc = dm_model_finish_(m, "(random model)", params, err);
  if (rc) {
    dm_model_free(m);
    return rc;
  }
  *out = m;
  return DM_OK;
}
