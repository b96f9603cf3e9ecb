/* The prefill cache: per layer the post-RoPE K/V of positions [0, C). */
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"
#include "../cuda/cuda_backend.h"

int dm_kvcache_new(const dm_model *m, dm_kvcache **out, dm_error *err) {
  *out = NULL;
  if (!m) return dm_error_set(err, DM_EINVAL, "no model");
  dm_kvcache *c = calloc(1, sizeof *c);
  if (c) {
    c->k = calloc((size_t)m->cfg.n_layers, sizeof *c->k);
    c->v = calloc((size_t)m->cfg.n_layers, sizeof *c->v);
  }
  if (!c || !c->k || !c->v) {
    if (c) {
      free(c->k);
      free(c->v);
    }
    free(c);
    return dm_error_set(err, DM_ENOMEM, "out of memory");
  }
  c->m = m;
  *out = c;
  return DM_OK;
}

void dm_kvcache_free(dm_kvcache *c) {
  if (!c) return;
  for (int l = 0; l < c->m->cfg.n_layers; l++) {
    free(c->k[l]);
    free(c->v[l]);
  }
  free(c->k);
  free(c->v);
  free(c->ids);
  dm_cuda_cache_free(c->cu);
  free(c);
}

void dm_kvcache_clear(dm_kvcache *c) {
  if (c) c->B = c->C = 0;
}

int dm_kvcache_len(const dm_kvcache *c, int *B) {
  if (B) *B = c ? c->B : 0;
  return c ? c->C : 0;
}

size_t dm_kvcache_bytes(const dm_kvcache *c) {
  if (!c) return 0;
  return 2 * (size_t)c->m->cfg.n_layers * c->cap * sizeof(float) + c->ids_cap * sizeof(int32_t) +
         dm_cuda_cache_bytes(c->cu);
}

/* Make room for B x C positions (contents undefined) and record the ids. host_kv 0:
 * the K/V live on a device (the CUDA backend reserves them); only the ids here. */
int dm_kvcache_reserve_(dm_kvcache *c, int B, int C, const int32_t *ids, int T, int host_kv, dm_error *err);
int dm_kvcache_reserve_(dm_kvcache *c, int B, int C, const int32_t *ids, int T, int host_kv, dm_error *err) {
  const dm_model_config *cf = &c->m->cfg;
  size_t need = (size_t)B * (size_t)C * (size_t)cf->n_kv_heads * (size_t)cf->head_dim;
  c->B = c->C = 0;
  if (host_kv && need > c->cap) {
    for (int l = 0; l < cf->n_layers; l++) {
      free(c->k[l]);
      free(c->v[l]);
      c->k[l] = malloc(need * sizeof(float));
      c->v[l] = malloc(need * sizeof(float));
      if (!c->k[l] || !c->v[l]) {
        for (int j = 0; j <= l; j++) {
          free(c->k[j]);
          free(c->v[j]);
          c->k[j] = c->v[j] = NULL;
        }
        c->cap = 0;
        return dm_error_set(err, DM_ENOMEM, "out of memory for the prefill cache");
      }
    }
    c->cap = need;
  }
  size_t nid = (size_t)B * (size_t)C;
  if (nid > c->ids_cap) {
    int32_t *ni = realloc(c->ids, nid * sizeof *ni);
    if (!ni) return dm_error_set(err, DM_ENOMEM, "out of memory");
    c->ids = ni;
    c->ids_cap = nid;
  }
  for (int b = 0; b < B; b++) memcpy(c->ids + (size_t)b * C, ids + (size_t)b * T, sizeof(int32_t) * (size_t)C);
  return DM_OK;
}
