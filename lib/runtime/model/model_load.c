/* Loading a model directory: config, safetensors set, binding tensors by name with
 * their expected shapes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model_impl.h"
#include <dimple/runtime.h>

#include "../cuda/cuda_backend.h"


dm_model_params dm_model_default_params(void) {
  dm_model_params p;
  memset(&p, 0, sizeof p);
  p.n_threads = 0;
  p.amx = 1;
  p.no_small_kernel = 0;
  p.device = DM_DEVICE_CPU;
  p.device_index = 0;
  return p;
}

const char *dm_model_family_name(dm_model_family f) {
  switch (f) {
    case DM_FAMILY_LLADA: return "llada";
    case DM_FAMILY_DREAM: return "Dream";
    case DM_FAMILY_DIMPLE: return "dimple";
  }
  return "?";
}

const char *dm_dtype_name(dm_dtype d) {
  switch (d) {
    case DM_DTYPE_F32: return "F32";
    case DM_DTYPE_BF16: return "BF16";
    case DM_DTYPE_F16: return "F16";
  }
  return "?";
}

typedef struct binder {
  dm_model *m;
  const char *dir;
  char *used; /* per entry of set.all */
  dm_error *err;
} binder;

static const char *tensor_file(binder *b, const dm_st_tensor *t) {
  return b->m->set.files[t->file]->path;
}

/* Find `name` with the given 1-D or 2-D shape (cols 0: 1-D) and a computable dtype. */
static int bind(binder *b, const char *name, int rows, int cols, const dm_st_tensor **out) {
  const dm_st_tensor *t = dm_st_set_find(&b->m->set, name);
  if (!t) {
    char src[4096];
    snprintf(src, sizeof src, "%s/%s", b->dir,
             b->m->set.n_files > 1 ? "model.safetensors.index.json" : "model.safetensors");
    dm_error_set_named(b->err, DM_ETENSOR, name, "tensor is missing");
    dm_error_set_source(b->err, src);
    return DM_ETENSOR;
  }
  if (t->dtype != DM_ST_F32 && t->dtype != DM_ST_BF16 && t->dtype != DM_ST_F16) {
    dm_error_set_named(b->err, DM_EDTYPE, name, "dtype %s is not supported (F32, BF16, F16 are)",
                       dm_st_dtype_name(t->dtype));
    dm_error_set_source(b->err, tensor_file(b, t));
    return DM_EDTYPE;
  }
  int want_nd = cols ? 2 : 1;
  if (t->ndim != want_nd || t->shape[0] != rows || (cols && t->shape[1] != cols)) {
    char got[128] = "";
    size_t n = 0;
    for (int i = 0; i < t->ndim && n < sizeof got - 24; i++)
      n += (size_t)snprintf(got + n, sizeof got - n, "%s%lld", i ? ", " : "", (long long)t->shape[i]);
    char want[64];
    if (cols)
      snprintf(want, sizeof want, "%d, %d", rows, cols);
    else
      snprintf(want, sizeof want, "%d", rows);
    dm_error_set_named(b->err, DM_ETENSOR, name, "shape [%s] does not match the config's [%s]", got,
                       want);
    dm_error_set_source(b->err, tensor_file(b, t));
    return DM_ETENSOR;
  }
  /* mark used */
  for (int i = 0; i < b->m->set.n_all; i++)
    if (b->m->set.all[i] == t) b->used[i] = 1;
  b->m->n_params += t->numel;
  b->m->weight_bytes += t->end - t->begin;
  *out = t;
  return DM_OK;
}

static int bind_mat(binder *b, const char *name, int rows, int cols, dm_wmat *w) {
  const dm_st_tensor *t;
  int rc = bind(b, name, rows, cols, &t);
  if (rc) return rc;
  w->data = t->data;
  w->dtype = (dm_dtype)t->dtype;
  w->rows = rows;
  w->cols = cols;
  return DM_OK;
}

/* A vector copied to f32 (norm weights, biases): tiny. */
static int bind_vec(binder *b, const char *name, int n, float **out) {
  const dm_st_tensor *t;
  int rc = bind(b, name, n, 0, &t);
  if (rc) return rc;
  *out = malloc(sizeof(float) * (size_t)n);
  if (!*out) return dm_error_set(b->err, DM_ENOMEM, "out of memory");
  dm_convert_row(t->data, (dm_dtype)t->dtype, 0, (size_t)n, *out);
  return DM_OK;
}

#define TRY(x)            \
  do {                    \
    rc = (x);             \
    if (rc) goto done;    \
  } while (0)

static int bind_all(binder *b) {
  dm_model *m = b->m;
  dm_model_config *c = &m->cfg;
  int d = c->d_model, qd = c->n_heads * c->head_dim, kvd = c->n_kv_heads * c->head_dim, ff = c->d_ff;
  int llada = c->family == DM_FAMILY_LLADA;
  const char *pre = llada ? "model.transformer." : "model.";
  char nm[256];
  int rc = DM_OK;
  m->layers = calloc((size_t)c->n_layers, sizeof *m->layers);
  if (!m->layers) return dm_error_set(b->err, DM_ENOMEM, "out of memory");
  snprintf(nm, sizeof nm, "%s%s", pre, llada ? "wte.weight" : "embed_tokens.weight");
  TRY(bind_mat(b, nm, c->emb_rows, d, &m->emb));
  for (int l = 0; l < c->n_layers; l++) {
    dm_layer *L = &m->layers[l];
    char p[96];
    if (llada) {
      snprintf(p, sizeof p, "model.transformer.blocks.%d.", l);
#define N(s) (snprintf(nm, sizeof nm, "%s%s", p, s), nm)
      TRY(bind_vec(b, N("attn_norm.weight"), d, &L->attn_norm));
      TRY(bind_mat(b, N("q_proj.weight"), qd, d, &L->wq));
      TRY(bind_mat(b, N("k_proj.weight"), kvd, d, &L->wk));
      TRY(bind_mat(b, N("v_proj.weight"), kvd, d, &L->wv));
      if (c->qkv_bias) {
        TRY(bind_vec(b, N("q_proj.bias"), qd, &L->bq));
        TRY(bind_vec(b, N("k_proj.bias"), kvd, &L->bk));
        TRY(bind_vec(b, N("v_proj.bias"), kvd, &L->bv));
      }
      TRY(bind_mat(b, N("attn_out.weight"), d, qd, &L->wo));
      TRY(bind_vec(b, N("ff_norm.weight"), d, &L->ffn_norm));
      TRY(bind_mat(b, N("ff_proj.weight"), ff, d, &L->wg));
      TRY(bind_mat(b, N("up_proj.weight"), ff, d, &L->wu));
      TRY(bind_mat(b, N("ff_out.weight"), d, ff, &L->wd));
    } else {
      snprintf(p, sizeof p, "model.layers.%d.", l);
      TRY(bind_vec(b, N("input_layernorm.weight"), d, &L->attn_norm));
      TRY(bind_mat(b, N("self_attn.q_proj.weight"), qd, d, &L->wq));
      TRY(bind_mat(b, N("self_attn.k_proj.weight"), kvd, d, &L->wk));
      TRY(bind_mat(b, N("self_attn.v_proj.weight"), kvd, d, &L->wv));
      TRY(bind_vec(b, N("self_attn.q_proj.bias"), qd, &L->bq));
      TRY(bind_vec(b, N("self_attn.k_proj.bias"), kvd, &L->bk));
      TRY(bind_vec(b, N("self_attn.v_proj.bias"), kvd, &L->bv));
      TRY(bind_mat(b, N("self_attn.o_proj.weight"), d, qd, &L->wo));
      TRY(bind_vec(b, N("post_attention_layernorm.weight"), d, &L->ffn_norm));
      TRY(bind_mat(b, N("mlp.gate_proj.weight"), ff, d, &L->wg));
      TRY(bind_mat(b, N("mlp.up_proj.weight"), ff, d, &L->wu));
      TRY(bind_mat(b, N("mlp.down_proj.weight"), d, ff, &L->wd));
#undef N
    }
  }
  snprintf(nm, sizeof nm, "%s%s", pre, llada ? "ln_f.weight" : "norm.weight");
  TRY(bind_vec(b, nm, d, &m->norm_f));
  if (c->tied) {
    m->head = m->emb;
    m->head.rows = c->vocab;
  } else {
    TRY(bind_mat(b, llada ? "model.transformer.ff_out.weight" : "lm_head.weight", c->vocab, d, &m->head));
  }
  m->dtype = m->layers[0].wq.dtype;
done:
  return rc;
}

/* Resolve the device of the params and, for CUDA, upload the weights. */
static int dm_model_place_(dm_model *m, int device, int index, int precision, dm_error *err) {
  m->device = DM_DEVICE_CPU;
  m->device_index = 0;
  if (device == DM_DEVICE_CPU) return DM_OK;
  if (device != DM_DEVICE_CUDA && device != DM_DEVICE_AUTO)
    return dm_error_set(err, DM_EINVAL, "unknown device kind %d", device);
  if (index < 0) return dm_error_set(err, DM_EINVAL, "bad CUDA device ordinal %d", index);
  if (device == DM_DEVICE_AUTO) {
    int n = 0;
    dm_error why;
    dm_error_clear(&why);
    dm_cuda_device_count(&n, &why);
    if (n <= index) {
      dm_log(DM_LOG_INFO, "device auto: using the CPU (%s)",
             why.message[0] ? why.message : "the CUDA device does not exist");
      return DM_OK;
    }
  }
  if (precision < DM_PRECISION_AUTO || precision > DM_PRECISION_NATIVE)
    return dm_error_set(err, DM_EINVAL, "unknown CUDA precision %d", precision);
  int f32 = precision == DM_PRECISION_F32;
  if (precision == DM_PRECISION_AUTO) {
    dm_model_info mi;
    dm_model_info_get(m, &mi);
    f32 = mi.n_params < DM_PRECISION_AUTO_F32_PARAMS;
    dm_log(DM_LOG_INFO, "CUDA precision auto: %s (%.3g B parameters, %s 1 B)", f32 ? "f32" : "native",
           (double)mi.n_params / 1e9, f32 ? "under" : "at least");
  }
  int rc = dm_cuda_model_new(m, index, f32, &m->cuda, err);
  if (rc) return rc;
  m->device = DM_DEVICE_CUDA;
  m->device_index = index;
  return DM_OK;
}

/* Bind the tensors of m->set, start the threads. On failure m is left for the caller
 * to free. */
int dm_model_finish_(dm_model *m, const char *dir, const dm_model_params *params, dm_error *err);
int dm_model_finish_(dm_model *m, const char *dir, const dm_model_params *params, dm_error *err) {
  dm_model_params pr = params ? *params : dm_model_default_params();
  binder b = {m, dir, NULL, err};
  int rc = DM_OK;
  b.used = calloc((size_t)(m->set.n_all ? m->set.n_all : 1), 1);
  rc = b.used ? bind_all(&b) : dm_error_set(err, DM_ENOMEM, "out of memory");
  if (rc == DM_OK) {
    int vis = 0, other = 0;
    const char *first = NULL;
    for (int i = 0; i < m->set.n_all; i++) {
      if (b.used[i]) continue;
      const char *n = m->set.all[i]->name;
      if (strncmp(n, "visual.", 7) == 0 || strncmp(n, "img_projector.", 14) == 0)
        vis++;
      else if (other++ == 0)
        first = n;
    }
    m->n_skipped = vis + other;
    if (vis)
      dm_log(DM_LOG_INFO, "%s: %d vision tensors (visual.*, img_projector.*) not loaded: text-only",
             dir, vis);
    if (other)
      dm_log(DM_LOG_WARN, "%s: %d tensors not used by the %s layout (first: %s)", dir, other,
             m->cfg.model_type, first);
  }
  free(b.used);
  if (rc == DM_OK) {
    long nc = sysconf(_SC_NPROCESSORS_ONLN);
    m->n_threads = pr.n_threads > 0 ? pr.n_threads : (nc > 0 ? (int)nc : 1);
    if (m->n_threads > 256) m->n_threads = 256;
    m->use_ref = pr.reference_kernels != 0;
    m->amx = pr.amx && !m->use_ref && dm_amx_available();
    m->small = !pr.no_small_kernel;
    dm_blas_single_thread();
    if (dm_pool_new(m->n_threads, &m->pool) != DM_OK) rc = dm_error_set(err, DM_ENOMEM, "cannot start threads");
  }
  if (rc == DM_OK) rc = dm_model_place_(m, pr.device, pr.device_index, pr.precision, err);
  return rc;
}

int dm_model_load(const char *dir, const dm_model_params *params, dm_model **out, dm_error *err) {
  *out = NULL;
  if (!dir) return dm_error_set(err, DM_EINVAL, "no model directory");
  dm_model *m = calloc(1, sizeof *m);
  if (!m) return dm_error_set(err, DM_ENOMEM, "out of memory");
  char path[4096], gpath[4096];
  snprintf(path, sizeof path, "%s/config.json", dir);
  snprintf(gpath, sizeof gpath, "%s/generation_config.json", dir);
  char *text = NULL, *gtext = NULL;
  size_t len = 0, glen = 0;
  int rc = dm_read_text_file(path, &text, &len, err);
  struct stat st;
  if (rc == DM_OK && stat(gpath, &st) == 0) rc = dm_read_text_file(gpath, &gtext, &glen, err);
  if (rc == DM_OK) rc = dm_config_parse(text, len, gtext, glen, path, &m->cfg, err);
  if (rc && gtext && err && strcmp(err->source, "generation_config.json") == 0)
    dm_error_set_source(err, gpath);
  free(text);
  free(gtext);
  if (rc == DM_OK) rc = dm_st_set_open(dir, &m->set, err);
  if (rc == DM_OK) rc = dm_model_finish_(m, dir, params, err);
  if (rc) {
    dm_model_free(m);
    return rc;
  }
  *out = m;
  return DM_OK;
}

void dm_model_free(dm_model *m) {
  if (!m) return;
  if (m->layers) {
    for (int l = 0; l < m->cfg.n_layers; l++) {
      dm_layer *L = &m->layers[l];
      free(L->attn_norm);
      free(L->ffn_norm);
      free(L->bq);
      free(L->bk);
      free(L->bv);
    }
    free(m->layers);
  }
  free(m->norm_f);
  dm_cuda_model_free(m->cuda);
  dm_pool_free(m->pool);
  dm_st_set_close(&m->set);
  free(m->owned_image);
  free(m);
}

void dm_model_info_get(const dm_model *m, dm_model_info *o) {
  memset(o, 0, sizeof *o);
  const dm_model_config *c = &m->cfg;
  o->family = c->family;
  o->model_type = c->model_type;
  o->dtype = m->dtype;
  o->n_layers = c->n_layers;
  o->d_model = c->d_model;
  o->n_heads = c->n_heads;
  o->n_kv_heads = c->n_kv_heads;
  o->head_dim = c->head_dim;
  o->d_ff = c->d_ff;
  o->vocab = c->vocab;
  o->rope_theta = c->rope_theta;
  o->rms_eps = c->rms_eps;
  o->tied_embeddings = c->tied;
  o->logits_shift = c->family != DM_FAMILY_LLADA;
  o->mask_id = c->mask_id;
  o->eos_id = c->eos_id;
  o->pad_id = c->pad_id;
  o->bos_id = c->bos_id;
  o->n_params = m->n_params;
  o->weight_bytes = m->weight_bytes;
  o->n_files = m->set.n_files;
  o->n_threads = m->n_threads;
  o->n_skipped = m->n_skipped;
  o->amx = m->amx && m->dtype == DM_DTYPE_BF16 && !m->cuda;
  o->device = m->device;
  o->device_index = m->device_index;
  o->device_bytes = dm_cuda_model_bytes(m->cuda);
}
