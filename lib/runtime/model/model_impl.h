/* The model and cache structs, shared by model_load.c, forward.c and kvcache.c. */
#ifndef DM_MODEL_IMPL_H
#define DM_MODEL_IMPL_H

#include "internal.h"

typedef struct dm_layer {
  float *attn_norm, *ffn_norm; /* (d) f32 copies */
  float *bq, *bk, *bv;         /* f32 copies or NULL */
  dm_wmat wq, wk, wv, wo;      /* (H*D, d), (KV*D, d), (KV*D, d), (d, H*D) */
  dm_wmat wg, wu, wd;          /* (ff, d), (ff, d), (d, ff) */
} dm_layer;

struct dm_model {
  dm_model_config cfg;
  dm_st_set set;
  dm_pool *pool;
  int n_threads;
  dm_wmat emb, head; /* (emb_rows, d), (vocab, d) */
  float *norm_f;     /* (d) */
  dm_layer *layers;
  dm_dtype dtype;
  uint64_t n_params, weight_bytes;
  int n_skipped;
  int use_ref;       /* reference kernels */
  int amx;           /* BF16 matrices on AMX tiles */
  int small;         /* small-M kernel for M <= 64 */
  void *owned_image; /* in-memory safetensors image (random models) */
  int device;        /* DM_DEVICE_CPU or DM_DEVICE_CUDA (resolved from the params) */
  int device_index;  /* CUDA ordinal */
  struct dm_cuda_model *cuda; /* the weights on the device (CUDA), else NULL */
};

struct dm_kvcache {
  const dm_model *m;
  int B, C;          /* filled shape; C = 0: empty */
  size_t cap;        /* floats allocated per layer per K or V */
  float **k, **v;    /* per layer (B, C, KV*D) */
  int32_t *ids;      /* (B, C) the ids the cache was computed from */
  size_t ids_cap;
  struct dm_cuda_cache *cu; /* K/V on the device (a CUDA model's cache), else NULL */
};

#endif
