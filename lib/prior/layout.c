/* Canvas layouts: JSON Schemas (fixed structure + value slots) and regexes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"
#include "filler.h"
#include "json_canon.h"
#include "schema.h"
#include "template.h"

/* ------------------------------------------------------------------ helpers */

typedef struct layout {
  dm_canvas *c;
  dm_schema_compiler *sc;
  const dm_canvas_params *p;
  const cJSON *root;
  dm_buf fixed;     /* fixed text waiting to be tokenized */
  dm_error *err;
  char ptr[1024];   /* schema pointer of the current node */
  char inst[1024];  /* instance pointer: the slot name */
} layout;

static int flush_fixed(layout *L) {
  if (L->fixed.oom) return dm_error_set(L->err, DM_ENOMEM, "out of memory");
  int rc = dm_canvas_add_fixed(L->c, L->fixed.s ? L->fixed.s : "", L->fixed.n, L->err);
  L->fixed.n = 0;
  return rc;
}

static const char *const layout_ignored[] = {"title", "description", "$comment", "examples", "default",
                                             "$schema", "$id", "$defs", "definitions", "deprecated",
                                             "readOnly", "writeOnly", "$anchor"};

/* An object whose text structure is fixed: type object, listed properties all
 * required, nothing else allowed, no other constraint. */
static bool structural_object(const layout *L, const cJSON *s) {
  if (!cJSON_IsObject(s)) return false;
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(s, "type");
  const cJSON *props = cJSON_GetObjectItemCaseSensitive(s, "properties");
  const cJSON *req = cJSON_GetObjectItemCaseSensitive(s, "required");
  const cJSON *addl = cJSON_GetObjectItemCaseSensitive(s, "additionalProperties");
  if (!cJSON_IsString(type) || strcmp(type->valuestring, "object") != 0) return false;
  if (!cJSON_IsObject(props) || !props->child || !cJSON_IsArray(req)) return false;
  if (addl ? !cJSON_IsFalse(addl) : L->p->schema.spec_mode) return false;
  for (const cJSON *m = s->child; m; m = m->next) {
    const char *k = m->string;
    if (!strcmp(k, "type") || !strcmp(k, "properties") || !strcmp(k, "required") ||
        !strcmp(k, "additionalProperties") || !strncmp(k, "x-dimple-", 9))
      continue;
    bool ign = false;
    for (size_t i = 0; i < sizeof layout_ignored / sizeof layout_ignored[0]; i++) ign |= !strcmp(k, layout_ignored[i]);
    if (!ign) return false;
  }
  for (const cJSON *p = props->child; p; p = p->next) {
    bool r = false;
    for (const cJSON *q = req->child; q; q = q->next) r |= cJSON_IsString(q) && !strcmp(q->valuestring, p->string);
    if (!r) return false;
  }
  /* every required name is a listed property (else no instance exists: a slot says so) */
  for (const cJSON *q = req->child; q; q = q->next)
    if (!cJSON_IsString(q) || !cJSON_GetObjectItemCaseSensitive(props, q->valuestring)) return false;
  return true;
}

static size_t push_ptr(char *buf, size_t cap, const char *key) {
  size_t old = strlen(buf), n = old;
  if (n + 1 < cap) buf[n++] = '/';
  for (const char *k = key; *k && n + 3 < cap; k++) {
    if (*k == '~') { buf[n++] = '~'; buf[n++] = '0'; }
    else if (*k == '/') { buf[n++] = '~'; buf[n++] = '1'; }
    else buf[n++] = *k;
  }
  buf[n] = 0;
  return old;
}

static int slot_budget(layout *L, const cJSON *s, int *budget) {
  *budget = 0;
  const cJSON *t = cJSON_IsObject(s) ? cJSON_GetObjectItemCaseSensitive(s, "x-dimple-tokens") : NULL;
  if (!t) return DM_OK;
  if (!cJSON_IsNumber(t) || t->valuedouble < 1 || t->valuedouble > 4096 || t->valuedouble != (int)t->valuedouble) {
    char where[1100];
    snprintf(where, sizeof where, "%s/x-dimple-tokens", L->ptr);
    return dm_error_set_named(L->err, DM_ESPEC, where, "\"x-dimple-tokens\" must be an integer from 1 to 4096");
  }
  *budget = (int)t->valuedouble;
  return DM_OK;
}

static int default_budget(layout *L, const cJSON *s) {
  const cJSON *type = cJSON_IsObject(s) ? cJSON_GetObjectItemCaseSensitive(s, "type") : NULL;
  if (cJSON_IsString(type) && !strcmp(type->valuestring, "string")) return L->p->string_tokens;
  return L->p->value_tokens;
}

static int lay(layout *L, const cJSON *s) {
  /* follow a lone $ref */
  if (cJSON_IsObject(s) && cJSON_GetArraySize(s) == 1) {
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(s, "$ref");
    if (cJSON_IsString(ref) && ref->valuestring[0] == '#' && ref->valuestring[1] == '/') {
      /* resolved by the compiler for slots; for structure, look it up here */
      const cJSON *cur = L->root;
      char tok[512];
      const char *p = ref->valuestring + 1;
      while (cur && *p == '/') {
        p++;
        size_t n = 0;
        while (*p && *p != '/' && n + 1 < sizeof tok) {
          if (p[0] == '~' && p[1] == '0') { tok[n++] = '~'; p += 2; }
          else if (p[0] == '~' && p[1] == '1') { tok[n++] = '/'; p += 2; }
          else tok[n++] = *p++;
        }
        tok[n] = 0;
        cur = cJSON_IsObject(cur) ? cJSON_GetObjectItemCaseSensitive(cur, tok) : NULL;
      }
      if (cur && structural_object(L, cur)) return lay(L, cur);
    }
  }
  if (structural_object(L, s)) {
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(s, "properties");
    const dm_keyrank *kr = dm_schema_compiler_keyrank(L->sc);
    dm_buf_put(&L->fixed, "{", 1);
    bool first = true;
    for (int r = 0; r < kr->n; r++) { /* canonical member order */
      const cJSON *ps = cJSON_GetObjectItemCaseSensitive(props, kr->keys[r]);
      if (!ps) continue;
      if (!first) dm_buf_put(&L->fixed, ",", 1);
      first = false;
      dm_canon_string(&L->fixed, kr->keys[r], strlen(kr->keys[r]));
      dm_buf_put(&L->fixed, ":", 1);
      size_t o1 = push_ptr(L->ptr, sizeof L->ptr, "properties");
      size_t o2 = push_ptr(L->ptr, sizeof L->ptr, kr->keys[r]);
      size_t oi = push_ptr(L->inst, sizeof L->inst, kr->keys[r]);
      int rc = lay(L, ps);
      L->ptr[o2] = 0;
      L->ptr[o1] = 0;
      L->inst[oi] = 0;
      if (rc) return rc;
    }
    dm_buf_put(&L->fixed, "}", 1);
    return DM_OK;
  }
  /* a value slot */
  int budget;
  int rc = slot_budget(L, s, &budget);
  if (rc) return rc;
  dm_dfa *value = NULL;
  rc = dm_schema_compiler_run(L->sc, s, L->ptr, &value, L->err);
  if (rc) return rc;
  dm_dfa *lang = dm_dfa_space_filler(value, L->err);
  if (!lang) return L->err ? L->err->code : DM_ENOMEM;
  if ((rc = flush_fixed(L))) { dm_dfa_free(lang); return rc; }
  return dm_canvas_add_slot(L->c, L->inst[0] ? L->inst : "/", lang, 1, budget, default_budget(L, s), L->err);
}

int dm_canvas_from_schema(dm_prior_env *env, const char *json, size_t len, const dm_canvas_params *params,
                          dm_canvas **out, dm_error *err) {
  *out = NULL;
  dm_canvas_params defaults = dm_canvas_default_params();
  if (!params) params = &defaults;
  const char *end = NULL;
  cJSON *doc = cJSON_ParseWithLengthOpts(json, len, &end, 0);
  if (!doc) {
    size_t at = end && end >= json ? (size_t)(end - json) : 0;
    return dm_error_set_at(err, DM_ESYNTAX, json, len, at, "schema is not valid JSON");
  }
  layout L;
  memset(&L, 0, sizeof L);
  L.p = params;
  L.root = doc;
  L.err = err;
  int rc = dm_schema_compiler_new(doc, &params->schema, &L.sc, err);
  if (!rc) rc = dm_canvas_new_empty(env, &L.c) ? dm_error_set(err, DM_ENOMEM, "out of memory") : DM_OK;
  if (!rc) rc = lay(&L, doc);
  if (!rc) rc = flush_fixed(&L);
  if (!rc) rc = dm_canvas_finish(L.c, err);
  dm_buf_free(&L.fixed);
  dm_schema_compiler_free(L.sc);
  cJSON_Delete(doc);
  if (rc) {
    dm_canvas_free(L.c);
    return rc;
  }
  *out = L.c;
  return DM_OK;
}

int dm_canvas_from_regex(dm_prior_env *env, const char *pattern, size_t len, const dm_canvas_params *params,
                         dm_canvas **out, dm_error *err) {
  *out = NULL;
  dm_canvas_params defaults = dm_canvas_default_params();
  if (!params) params = &defaults;
  dm_dfa *d = NULL;
  int rc = dm_dfa_from_pattern(pattern, len, params->schema.max_states, &d, err);
  if (rc) return rc;
  dm_canvas *c = NULL;
  if (dm_canvas_new_empty(env, &c)) {
    dm_dfa_free(d);
    return dm_error_set(err, DM_ENOMEM, "out of memory");
  }
  rc = dm_canvas_add_slot(c, "regex", d, 2, params->max_tokens, 64, err);
  if (!rc) rc = dm_canvas_finish(c, err);
  if (rc) {
    dm_canvas_free(c);
    return rc;
  }
  *out = c;
  return DM_OK;
}

int dm_canvas_from_template(dm_prior_env *env, const char *text, size_t len, const dm_canvas_params *params,
                            dm_canvas **out, dm_error *err) {
  *out = NULL;
  dm_canvas_params defaults = dm_canvas_default_params();
  if (!params) params = &defaults;
  dm_template t;
  int rc = dm_template_parse(text, len, params->grammar_dir, &t, err);
  if (rc) return rc;
  dm_canvas *c = NULL;
  if (dm_canvas_new_empty(env, &c)) {
    dm_template_free(&t);
    return dm_error_set(err, DM_ENOMEM, "out of memory");
  }
  for (int i = 0; i < t.n && !rc; i++) {
    const dm_tpart *p = &t.parts[i];
    if (p->kind == DM_TPART_TEXT) {
      rc = dm_canvas_add_fixed(c, p->text, p->len, err);
      continue;
    }
    dm_dfa *d = NULL;
    rc = dm_template_slot_dfa(p, &d, err);
    if (rc) break;
    int filler = p->exact ? 0 : i == t.n - 1 ? 2 : 1;
    int32_t maxb = dm_dfa_max_length(d);
    int def = maxb >= 0 && maxb < params->slot_tokens ? maxb : params->slot_tokens;
    if (filler == 1) {
      d = dm_dfa_space_filler(d, err);
      if (!d) { rc = err ? err->code : DM_ENOMEM; break; }
    }
    rc = dm_canvas_add_slot(c, p->text, d, filler, p->budget, def, err);
    if (rc && err && err->pos_kind == DM_POS_NAME) {
      /* point at the slot in the template text */
      char msg[DM_ERROR_MSG_MAX];
      snprintf(msg, sizeof msg, "slot \"%.60s\": %.400s", p->text, err->message);
      dm_error_set_at(err, rc, text, len, p->offset, "%s", msg);
    }
  }
  if (!rc) rc = dm_canvas_finish(c, err);
  dm_template_free(&t);
  if (rc) {
    dm_canvas_free(c);
    return rc;
  }
  *out = c;
  return DM_OK;
}
