/* The model-backed logits source: dm_forward with Dimple's prefill cache; only the
 * rows of masked positions go through the LM head. On CUDA it also offers fill_stats
 * (dm_forward_stats: the logits are reduced on the device). */
#include <stdlib.h>

#include <dimple/model.h>

#include "decode_int.h"

typedef struct model_src {
  dm_logits_source base;
  dm_model *m;
  dm_kvcache *cache;
  int prefill, shift;
  int32_t cache_len; /* C of the current decode; 0: not cached */
  int32_t *rows;
  int32_t rows_cap;
} model_src;

static void model_destroy(dm_logits_source *s) {
  model_src *ms = (model_src *)s;
  dm_kvcache_free(ms->cache);
  free(ms->rows);
  free(ms);
}

/* The forward batch of one decoder call: the rows of pos (shifted), the cache mode. */
static int model_batch(model_src *ms, const int32_t *seq, int32_t T, int32_t prompt_len, int call,
                       const int32_t *pos, int32_t n, dm_forward_batch *bp, dm_error *err) {
  if (n > ms->rows_cap) {
    int32_t *r = realloc(ms->rows, (size_t)n * 2 * sizeof *r);
    if (!r) return dm_error_set(err, DM_ENOMEM, "out of memory");
    ms->rows = r;
    ms->rows_cap = n;
  }
  for (int32_t i = 0; i < n; i++) {
    int32_t t = pos[i] - ms->shift; /* a shifted model predicts t+1 from row t */
    if (t < 0 || pos[i] >= T)
      return dm_error_set(err, DM_EINVAL, "position %d has no logits row (a shifted-logit model needs a prompt)",
                          (int)pos[i]);
    ms->rows[2 * i] = 0;
    ms->rows[2 * i + 1] = t;
  }
  dm_forward_batch b = {0};
  b.B = 1;
  b.T = T;
  b.ids = seq;
  b.n_rows = n;
  b.rows = ms->rows;
  b.mode = DM_FORWARD_FULL;
  int32_t C = prompt_len - ms->shift;
  if (ms->prefill && C >= 1) {
    if (call == 0) {
      dm_kvcache_clear(ms->cache);
      b.mode = DM_FORWARD_PREFILL;
      ms->cache_len = C;
    } else if (ms->cache_len == C) {
      b.mode = DM_FORWARD_CACHED;
    }
    b.cache_len = C;
    b.cache = ms->cache;
  }
  *bp = b;
  return DM_OK;
}

static int model_fill(dm_logits_source *s, const int32_t *seq, int32_t T, int32_t prompt_len, int call,
                      const int32_t *pos, int32_t n, float *out, dm_error *err) {
  model_src *ms = (model_src *)s;
  dm_forward_batch b;
  int rc = model_batch(ms, seq, T, prompt_len, call, pos, n, &b, err);
  return rc ? rc : dm_forward(ms->m, &b, out, err);
}

static int model_fill_stats(dm_logits_source *s, const int32_t *seq, int32_t T, int32_t prompt_len, int call,
                            const int32_t *pos, int32_t n, const uint32_t *allowed, dm_row_stats *out,
                            dm_error *err) {
  model_src *ms = (model_src *)s;
  dm_forward_batch b;
  int rc = model_batch(ms, seq, T, prompt_len, call, pos, n, &b, err);
  return rc ? rc : dm_forward_stats(ms->m, &b, allowed, out, err);
}

int dm_logits_source_model(dm_model *model, int prefill, int32_t mask_id, dm_logits_source **out, dm_error *err) {
  return dm_logits_source_model_stats(model, prefill, mask_id, DM_SOURCE_STATS_AUTO, out, err);
}

int dm_logits_source_model_stats(dm_model *model, int prefill, int32_t mask_id, int stats, dm_logits_source **out,
                                 dm_error *err) {
  *out = NULL;
  if (!model) return dm_error_set(err, DM_EINVAL, "no model");
  if (stats < DM_SOURCE_STATS_AUTO || stats > DM_SOURCE_STATS_ON)
    return dm_error_set(err, DM_EINVAL, "bad statistics mode %d", stats);
  dm_model_info info;
  dm_model_info_get(model, &info);
  int32_t mid = info.mask_id >= 0 ? info.mask_id : mask_id;
  if (mid < 0 || mid >= info.vocab)
    return dm_error_set(err, DM_EMODEL, "the model has no mask token id (config.json mask_token_id)");
  model_src *ms = calloc(1, sizeof *ms);
  if (!ms) return dm_error_set(err, DM_ENOMEM, "out of memory");
  ms->m = model;
  ms->prefill = prefill;
  ms->shift = info.logits_shift ? 1 : 0;
  ms->base.vocab = info.vocab;
  ms->base.mask_id = mid;
  ms->base.fill = model_fill;
  ms->base.destroy = model_destroy;
  /* on a device, the decoder gets row statistics and the logits stay there; on the
   * CPU the host logits path is as fast and keeps the re-pick of its picks */
  if (stats == DM_SOURCE_STATS_ON || (stats == DM_SOURCE_STATS_AUTO && info.device == DM_DEVICE_CUDA))
    ms->base.fill_stats = model_fill_stats;
  if (prefill) {
    int rc = dm_kvcache_new(model, &ms->cache, err);
    if (rc) {
      free(ms);
      return rc;
    }
  }
  *out = &ms->base;
  return DM_OK;
}
