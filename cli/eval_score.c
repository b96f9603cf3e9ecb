/* dimple eval: reading an output as fields and comparing it with the ground truth. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

const char *dm_eval_trim(const char *s, size_t *len) {
  size_t n = strlen(s);
  while (n && is_space(*s)) s++, n--;
  while (n && is_space(s[n - 1])) n--;
  *len = n;
  return s;
}

int dm_eval_json_equal(const cJSON *a, const cJSON *b) {
  if (!a || !b) return a == b;
  if (cJSON_IsNumber(a) || cJSON_IsNumber(b))
    return cJSON_IsNumber(a) && cJSON_IsNumber(b) && a->valuedouble == b->valuedouble;
  if (cJSON_IsString(a) || cJSON_IsString(b))
    return cJSON_IsString(a) && cJSON_IsString(b) && strcmp(a->valuestring, b->valuestring) == 0;
  if (cJSON_IsBool(a) || cJSON_IsBool(b)) return cJSON_IsBool(a) && cJSON_IsBool(b) && cJSON_IsTrue(a) == cJSON_IsTrue(b);
  if (cJSON_IsNull(a) || cJSON_IsNull(b)) return cJSON_IsNull(a) && cJSON_IsNull(b);
  if (cJSON_IsArray(a) || cJSON_IsArray(b)) {
    if (!cJSON_IsArray(a) || !cJSON_IsArray(b) || cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) return 0;
    for (const cJSON *x = a->child, *y = b->child; x && y; x = x->next, y = y->next)
      if (!dm_eval_json_equal(x, y)) return 0;
    return 1;
  }
  if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
    if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) return 0;
    for (const cJSON *x = a->child; x; x = x->next) {
      const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
      if (!y || !dm_eval_json_equal(x, y)) return 0;
    }
    return 1;
  }
  return 0;
}

cJSON *dm_eval_parse(const char *text, int is_json, const cJSON *truth) {
  size_t n;
  const char *t = dm_eval_trim(text, &n);
  if (!n) return NULL;
  if (is_json) {
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(t, n, &end, 0);
    if (!v || !cJSON_IsObject(v) || end != t + n) {
      cJSON_Delete(v);
      return NULL;
    }
    return v;
  }
  if (!cJSON_IsObject(truth) || cJSON_GetArraySize(truth) != 1) return NULL;
  const cJSON *tv = truth->child;
  cJSON *v;
  if (cJSON_IsString(tv)) {
    char *s = malloc(n + 1);
    if (!s) return NULL;
    memcpy(s, t, n);
    s[n] = 0;
    v = cJSON_CreateString(s);
    free(s);
  } else {
    const char *end = NULL;
    v = cJSON_ParseWithLengthOpts(t, n, &end, 0);
    if (v && end != t + n) {
      cJSON_Delete(v);
      v = NULL;
    }
  }
  if (!v) return NULL;
  cJSON *o = cJSON_CreateObject();
  if (!o) {
    cJSON_Delete(v);
    return NULL;
  }
  cJSON_AddItemToObject(o, tv->string, v);
  return o;
}

int dm_eval_fields_match(const cJSON *truth, const cJSON *got, int *ok) {
  int all = 1, i = 0;
  for (const cJSON *f = truth ? truth->child : NULL; f; f = f->next, i++) {
    const cJSON *g = cJSON_IsObject(got) ? cJSON_GetObjectItemCaseSensitive(got, f->string) : NULL;
    int m = g && dm_eval_json_equal(f, g);
    if (ok) ok[i] = m;
    all &= m;
  }
  return got && cJSON_IsObject(got) ? all : 0;
}

int dm_eval_complete(const cJSON *truth, const cJSON *got, const char *text, const char *answer, int is_json) {
  if (!got) return 0;
  if (is_json) {
    for (const cJSON *f = truth ? truth->child : NULL; f; f = f->next)
      if (!cJSON_GetObjectItemCaseSensitive(got, f->string)) return 0;
    return 1;
  }
  size_t n, m;
  const char *t = dm_eval_trim(text, &n);
  const char *a = dm_eval_trim(answer ? answer : "", &m);
  return !(n < m && memcmp(t, a, n) == 0);
}
