/* config.json / generation_config.json of the three families. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "internal.h"

typedef struct cfgctx {
  const cJSON *root, *gen;
  const char *source;
  dm_error *err;
} cfgctx;

static int bad(cfgctx *c, const char *field, const char *what) {
  dm_error_set_named(c->err, DM_EMODEL, field, "%s", what);
  dm_error_set_source(c->err, c->source);
  return DM_EMODEL;
}

/* Integer field in [lo, hi]; def < lo... means required. */
static int get_int(cfgctx *c, const char *field, int required, long def, long lo, long hi,
                   int *out) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(c->root, field);
  if (!j || cJSON_IsNull(j)) {
    if (required) return bad(c, field, "required integer field is missing");
    *out = (int)def;
    return DM_OK;
  }
  if (!cJSON_IsNumber(j) || j->valuedouble != floor(j->valuedouble))
    return bad(c, field, "must be an integer");
  if (j->valuedouble < (double)lo || j->valuedouble > (double)hi) {
    char m[128];
    snprintf(m, sizeof m, "value %.0f out of range [%ld, %ld]", j->valuedouble, lo, hi);
    return bad(c, field, m);
  }
  *out = (int)j->valuedouble;
  return DM_OK;
}

static int get_num(cfgctx *c, const char *field, double def, double lo, double hi, double *out) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(c->root, field);
  if (!j || cJSON_IsNull(j)) {
    *out = def;
    return DM_OK;
  }
  if (!cJSON_IsNumber(j) || !(j->valuedouble > lo) || !(j->valuedouble <= hi))
    return bad(c, field, "must be a positive number in range");
  *out = j->valuedouble;
  return DM_OK;
}

static int get_bool(cfgctx *c, const char *field, int def, int *out) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(c->root, field);
  if (!j || cJSON_IsNull(j)) {
    *out = def;
    return DM_OK;
  }
  if (!cJSON_IsBool(j)) return bad(c, field, "must be true or false");
  *out = cJSON_IsTrue(j);
  return DM_OK;
}

/* A special token id: config first, then generation_config; a list takes its first
 * element. -1 when absent. */
static int get_special(cfgctx *c, const char *field, int32_t def, int32_t *out) {
  const cJSON *src[2] = {c->root, c->gen};
  *out = def;
  for (int i = 0; i < 2; i++) {
    if (!src[i]) continue;
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(src[i], field);
    if (!j || cJSON_IsNull(j)) continue;
    if (cJSON_IsArray(j)) j = cJSON_GetArrayItem(j, 0);
    if (!cJSON_IsNumber(j) || j->valuedouble < 0 || j->valuedouble > 2147483647.0 ||
        j->valuedouble != floor(j->valuedouble)) {
      if (i == 1) {
        dm_error_set_named(c->err, DM_EMODEL, field, "must be a token id");
        dm_error_set_source(c->err, "generation_config.json");
        return DM_EMODEL;
      }
      return bad(c, field, "must be a token id");
    }
    *out = (int32_t)j->valuedouble;
    return DM_OK;
  }
  return DM_OK;
}

/* Fields whose non-default value changes the maths in ways we do not implement. */
static int refuse_if(cfgctx *c, const char *field, int truthy_is_bad) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(c->root, field);
  if (!j || cJSON_IsNull(j)) return DM_OK;
  int truthy = cJSON_IsTrue(j) || (cJSON_IsNumber(j) && j->valuedouble != 0) ||
               cJSON_IsObject(j) || cJSON_IsString(j);
  if (truthy == truthy_is_bad) {
    dm_error_set_named(c->err, DM_EMODEL, field, "this setting is not supported");
    dm_error_set_source(c->err, c->source);
    return DM_EMODEL;
  }
  return DM_OK;
}

#define TRY(x)              \
  do {                      \
    int rc_ = (x);          \
    if (rc_) return rc_;    \
  } while (0)

static int parse_llada(cfgctx *c, dm_model_config *m) {
  TRY(get_int(c, "d_model", 1, 0, 1, 1 << 20, &m->d_model));
  TRY(get_int(c, "n_heads", 1, 0, 1, 1 << 14, &m->n_heads));
  TRY(get_int(c, "n_kv_heads", 0, m->n_heads, 1, 1 << 14, &m->n_kv_heads));
  TRY(get_int(c, "n_layers", 1, 0, 1, 1 << 12, &m->n_layers));
  TRY(get_int(c, "mlp_hidden_size", 1, 0, 1, 1 << 22, &m->d_ff));
  TRY(get_int(c, "vocab_size", 1, 0, 1, 1 << 24, &m->vocab));
  TRY(get_int(c, "embedding_size", 0, m->vocab, 1, 1 << 24, &m->emb_rows));
  if (m->emb_rows < m->vocab) return bad(c, "embedding_size", "smaller than vocab_size");
  /* LLaDA's logits have embedding_size columns. */
  m->vocab = m->emb_rows;
  TRY(get_num(c, "rope_theta", 10000.0, 0.0, 1e12, &m->rope_theta));
  TRY(get_num(c, "rms_norm_eps", 1e-5, 0.0, 1.0, &m->rms_eps));
  TRY(get_bool(c, "weight_tying", 0, &m->tied));
  TRY(get_bool(c, "include_bias", 0, &m->qkv_bias));
  if (m->qkv_bias) return refuse_if(c, "include_bias", 1);
  TRY(get_bool(c, "include_qkv_bias", 0, &m->qkv_bias));
  const cJSON *bt = cJSON_GetObjectItemCaseSensitive(c->root, "block_type");
  if (bt && !(cJSON_IsString(bt) && strcmp(bt->valuestring, "llama") == 0))
    return bad(c, "block_type", "only \"llama\" blocks are supported");
  const cJSON *lt = cJSON_GetObjectItemCaseSensitive(c->root, "layer_norm_type");
  if (lt && !(cJSON_IsString(lt) && strcmp(lt->valuestring, "rms") == 0))
    return bad(c, "layer_norm_type", "only \"rms\" is supported");
  TRY(refuse_if(c, "alibi", 1));
  TRY(refuse_if(c, "rope", 0));
  TRY(refuse_if(c, "input_emb_norm", 1));
  TRY(refuse_if(c, "attention_layer_norm", 1));
  TRY(refuse_if(c, "scale_logits", 1));
  TRY(refuse_if(c, "clip_qkv", 1));
  TRY(get_special(c, "mask_token_id", 126336, &m->mask_id));
  TRY(get_special(c, "eos_token_id", -1, &m->eos_id));
  TRY(get_special(c, "pad_token_id", -1, &m->pad_id));
  TRY(get_special(c, "bos_token_id", -1, &m->bos_id));
  return DM_OK;
}

static int parse_qwen2(cfgctx *c, dm_model_config *m) {
  TRY(get_int(c, "hidden_size", 1, 0, 1, 1 << 20, &m->d_model));
  TRY(get_int(c, "num_attention_heads", 1, 0, 1, 1 << 14, &m->n_heads));
  TRY(get_int(c, "num_key_value_heads", 0, m->n_heads, 1, 1 << 14, &m->n_kv_heads));
  TRY(get_int(c, "num_hidden_layers", 1, 0, 1, 1 << 12, &m->n_layers));
  TRY(get_int(c, "intermediate_size", 1, 0, 1, 1 << 22, &m->d_ff));
  TRY(get_int(c, "vocab_size", 1, 0, 1, 1 << 24, &m->vocab));
  m->emb_rows = m->vocab;
  TRY(get_num(c, "rope_theta", 10000.0, 0.0, 1e12, &m->rope_theta));
  TRY(get_num(c, "rms_norm_eps", 1e-6, 0.0, 1.0, &m->rms_eps));
  TRY(get_bool(c, "tie_word_embeddings", 0, &m->tied));
  m->qkv_bias = 1;
  /* rope_scaling: only none, or Qwen2-VL's "mrope"/"default" (plain RoPE for text). */
  const cJSON *rs = cJSON_GetObjectItemCaseSensitive(c->root, "rope_scaling");
  if (rs && !cJSON_IsNull(rs)) {
    const cJSON *ty = cJSON_IsObject(rs) ? cJSON_GetObjectItemCaseSensitive(rs, "type") : NULL;
    if (!ty && cJSON_IsObject(rs)) ty = cJSON_GetObjectItemCaseSensitive(rs, "rope_type");
    if (!cJSON_IsString(ty) || !(strcmp(ty->valuestring, "default") == 0 ||
                                 (m->family == DM_FAMILY_DIMPLE && strcmp(ty->valuestring, "mrope") == 0)))
      return bad(c, "rope_scaling", "this setting is not supported (only none, \"default\" or, for dimple, \"mrope\")");
  }
  TRY(refuse_if(c, "use_sliding_window", 1));
  const cJSON *act = cJSON_GetObjectItemCaseSensitive(c->root, "hidden_act");
  if (act && !(cJSON_IsString(act) && strcmp(act->valuestring, "silu") == 0))
    return bad(c, "hidden_act", "only \"silu\" is supported");
  TRY(get_special(c, "mask_token_id", 151666, &m->mask_id));
  TRY(get_special(c, "eos_token_id", -1, &m->eos_id));
  TRY(get_special(c, "pad_token_id", -1, &m->pad_id));
  TRY(get_special(c, "bos_token_id", -1, &m->bos_id));
  if (m->family == DM_FAMILY_DIMPLE) {
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(c->root, "mrope_section");
    if (!ms) {
      if (cJSON_IsObject(rs)) ms = cJSON_GetObjectItemCaseSensitive(rs, "mrope_section");
    }
    if (ms) {
      if (!cJSON_IsArray(ms) || cJSON_GetArraySize(ms) != 3)
        return bad(c, "mrope_section", "must be a list of 3 integers");
      for (int i = 0; i < 3; i++) {
        const cJSON *x = cJSON_GetArrayItem(ms, i);
        if (!cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble > 65536 ||
            x->valuedouble != floor(x->valuedouble))
          return bad(c, "mrope_section", "must be a list of 3 non-negative integers");
        m->mrope[i] = (int)x->valuedouble;
      }
    }
  }
  return DM_OK;
}

int dm_config_parse(const char *text, size_t len, const char *gen_text, size_t gen_len,
                    const char *source, dm_model_config *m, dm_error *err) {
  memset(m, 0, sizeof *m);
  cJSON *root = cJSON_ParseWithLength(text, len);
  if (!root || !cJSON_IsObject(root)) {
    const char *ep = root ? NULL : cJSON_GetErrorPtr();
    size_t at = (ep && ep >= text && ep <= text + len) ? (size_t)(ep - text) : 0;
    cJSON_Delete(root);
    dm_error_set_at(err, DM_EMODEL, text, len, at, "config is not a JSON object");
    dm_error_set_source(err, source);
    return DM_EMODEL;
  }
  cJSON *gen = NULL;
  if (gen_text) {
    gen = cJSON_ParseWithLength(gen_text, gen_len);
    if (!gen || !cJSON_IsObject(gen)) {
      cJSON_Delete(gen);
      cJSON_Delete(root);
      dm_error_set(err, DM_EMODEL, "generation_config.json is not a JSON object");
      dm_error_set_source(err, "generation_config.json");
      return DM_EMODEL;
    }
  }
  cfgctx c = {root, gen, source, err};
  int rc;
  const cJSON *mt = cJSON_GetObjectItemCaseSensitive(root, "model_type");
  if (!cJSON_IsString(mt)) {
    rc = bad(&c, "model_type", "missing or not a string");
  } else {
    snprintf(m->model_type, sizeof m->model_type, "%s", mt->valuestring);
    if (strcmp(mt->valuestring, "llada") == 0) {
      m->family = DM_FAMILY_LLADA;
      rc = parse_llada(&c, m);
    } else if (strcmp(mt->valuestring, "Dream") == 0) {
      m->family = DM_FAMILY_DREAM;
      rc = parse_qwen2(&c, m);
    } else if (strcmp(mt->valuestring, "dimple") == 0) {
      m->family = DM_FAMILY_DIMPLE;
      rc = parse_qwen2(&c, m);
    } else {
      char msg[128];
      snprintf(msg, sizeof msg, "unknown model_type \"%.40s\" (known: llada, Dream, dimple)",
               mt->valuestring);
      rc = bad(&c, "model_type", msg);
    }
  }
  if (rc == DM_OK) {
    if (m->d_model % m->n_heads != 0)
      rc = bad(&c, "n_heads", "hidden size is not a multiple of the number of heads");
    else if (m->n_heads % m->n_kv_heads != 0)
      rc = bad(&c, "n_kv_heads", "number of heads is not a multiple of the KV heads");
    else {
      m->head_dim = m->d_model / m->n_heads;
      if (m->head_dim % 2 != 0) rc = bad(&c, "n_heads", "head dimension must be even");
    }
  }
  if (rc == DM_OK && m->family == DM_FAMILY_DIMPLE && (m->mrope[0] | m->mrope[1] | m->mrope[2]) &&
      m->mrope[0] + m->mrope[1] + m->mrope[2] != m->head_dim / 2)
    rc = bad(&c, "mrope_section", "sections must sum to head_dim / 2");
  cJSON_Delete(gen);
  cJSON_Delete(root);
  return rc;
}
