/* Canonical serialization of JSON values. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dimple/status.h>

#include "json_canon.h"
#include "json_escape.h"
#include "json_lang.h"

void dm_buf_put(dm_buf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap < b->n + n + 1) cap *= 2;
    char *ns = realloc(b->s, cap);
    if (!ns) { b->oom = 1; return; }
    b->s = ns;
    b->cap = cap;
  }
  if (n) memcpy(b->s + b->n, s, n);
  b->n += n;
  b->s[b->n] = 0;
}

void dm_buf_puts(dm_buf *b, const char *s) { dm_buf_put(b, s, strlen(s)); }

void dm_buf_free(dm_buf *b) {
  free(b->s);
  memset(b, 0, sizeof *b);
}

static int kr_add(dm_keyrank *kr, const char *k) {
  if (dm_keyrank_find(kr, k) >= 0) return DM_OK;
  if (kr->n == kr->cap) {
    int cap = kr->cap ? kr->cap * 2 : 16;
    char **nk = realloc(kr->keys, (size_t)cap * sizeof *nk);
    if (!nk) return DM_ENOMEM;
    kr->keys = nk;
    kr->cap = cap;
  }
  kr->keys[kr->n] = strdup(k);
  if (!kr->keys[kr->n]) return DM_ENOMEM;
  kr->n++;
  return DM_OK;
}

/* Every member name of objects inside a literal value (const, enum). */
static int kr_literal(dm_keyrank *kr, const cJSON *v) {
  for (const cJSON *m = v->child; m; m = m->next) {
    if (cJSON_IsObject(v) && kr_add(kr, m->string)) return DM_ENOMEM;
    if ((cJSON_IsObject(m) || cJSON_IsArray(m)) && kr_literal(kr, m)) return DM_ENOMEM;
  }
  return DM_OK;
}

static int kr_walk(dm_keyrank *kr, const cJSON *v) {
  if (cJSON_IsObject(v)) {
    for (const cJSON *m = v->child; m; m = m->next) {
      if (m->string && (strcmp(m->string, "const") == 0 || strcmp(m->string, "enum") == 0)) {
        if ((cJSON_IsObject(m) || cJSON_IsArray(m)) && kr_literal(kr, m)) return DM_ENOMEM;
        continue;
      }
      if (m->string && (strcmp(m->string, "properties") == 0 || strcmp(m->string, "dependentRequired") == 0 ||
                        strcmp(m->string, "dependentSchemas") == 0) && cJSON_IsObject(m)) {
        for (const cJSON *p = m->child; p; p = p->next) {
          if (kr_add(kr, p->string)) return DM_ENOMEM;
          if (strcmp(m->string, "dependentRequired") == 0 && cJSON_IsArray(p))
            for (const cJSON *q = p->child; q; q = q->next)
              if (cJSON_IsString(q) && kr_add(kr, q->valuestring)) return DM_ENOMEM;
        }
      } else if (m->string && strcmp(m->string, "required") == 0 && cJSON_IsArray(m)) {
        for (const cJSON *p = m->child; p; p = p->next)
          if (cJSON_IsString(p) && kr_add(kr, p->valuestring)) return DM_ENOMEM;
      }
      if (kr_walk(kr, m)) return DM_ENOMEM;
    }
  } else if (cJSON_IsArray(v)) {
    for (const cJSON *m = v->child; m; m = m->next)
      if (kr_walk(kr, m)) return DM_ENOMEM;
  }
  return DM_OK;
}

int dm_keyrank_build(dm_keyrank *kr, const cJSON *schema) {
  memset(kr, 0, sizeof *kr);
  return schema ? kr_walk(kr, schema) : DM_OK;
}

int dm_keyrank_find(const dm_keyrank *kr, const char *key) {
  for (int i = 0; i < kr->n; i++)
    if (strcmp(kr->keys[i], key) == 0) return i;
  return -1;
}

void dm_keyrank_free(dm_keyrank *kr) {
  for (int i = 0; i < kr->n; i++) free(kr->keys[i]);
  free(kr->keys);
  memset(kr, 0, sizeof *kr);
}

void dm_canon_number(dm_buf *b, double v) {
  char tmp[512];
  if (!isfinite(v)) { dm_buf_puts(b, "null"); return; }
  if (v == 0) { dm_buf_puts(b, "0"); return; }
  if (v == floor(v)) {
    snprintf(tmp, sizeof tmp, "%.0f", v);
    dm_buf_puts(b, tmp);
    return;
  }
  dm_decimal d;
  if (dm_decimal_from_double(v, &d) == DM_OK) {
    snprintf(tmp, sizeof tmp, "%s%lld%s%s", d.neg ? "-" : "", (long long)d.ipart, d.frac[0] ? "." : "", d.frac);
    dm_buf_puts(b, tmp);
    return;
  }
  /* tiny or huge non-integers: plain decimal with enough digits to round-trip */
  int p = 1;
  for (; p <= 40; p++) {
    snprintf(tmp, sizeof tmp, "%.*e", p, v);
    if (strtod(tmp, NULL) == v) break;
  }
  int exp10 = 0;
  const char *e = strchr(tmp, 'e');
  if (e) exp10 = atoi(e + 1);
  int frac_digits = p - exp10 > 0 ? p - exp10 : 0;
  if (frac_digits > 400) frac_digits = 400;
  char *big = malloc(1024);
  if (!big) { b->oom = 1; return; }
  snprintf(big, 1024, "%.*f", frac_digits, v);
  size_t n = strlen(big);
  while (n > 0 && big[n - 1] == '0') big[--n] = 0;
  if (n > 0 && big[n - 1] == '.') big[--n] = 0;
  dm_buf_puts(b, big);
  free(big);
}

void dm_canon_string(dm_buf *b, const char *s, size_t n) {
  dm_buf_put(b, "\"", 1);
  size_t run = 0;
  for (size_t i = 0; i < n; i++) {
    char tmp[8];
    const char *esc = dm_json_escape_byte((uint8_t)s[i], tmp);
    if (esc) {
      dm_buf_put(b, s + run, i - run);
      dm_buf_puts(b, esc);
      run = i + 1;
    }
  }
  dm_buf_put(b, s + run, n - run);
  dm_buf_put(b, "\"", 1);
}

static int cmp_rank(const void *a, const void *b) {
  const int *x = a, *y = b;
  return x[0] != y[0] ? (x[0] < y[0] ? -1 : 1) : (x[1] < y[1] ? -1 : x[1] > y[1]);
}

int dm_canon_value(dm_buf *b, const cJSON *v, const dm_keyrank *kr) {
  if (cJSON_IsNull(v)) dm_buf_puts(b, "null");
  else if (cJSON_IsTrue(v)) dm_buf_puts(b, "true");
  else if (cJSON_IsFalse(v)) dm_buf_puts(b, "false");
  else if (cJSON_IsNumber(v)) dm_canon_number(b, v->valuedouble);
  else if (cJSON_IsString(v)) dm_canon_string(b, v->valuestring, strlen(v->valuestring));
  else if (cJSON_IsArray(v)) {
    dm_buf_put(b, "[", 1);
    for (const cJSON *m = v->child; m; m = m->next) {
      if (m != v->child) dm_buf_put(b, ",", 1);
      dm_canon_value(b, m, kr);
    }
    dm_buf_put(b, "]", 1);
  } else if (cJSON_IsObject(v)) {
    int n = cJSON_GetArraySize(v);
    int (*order)[2] = malloc((size_t)(n ? n : 1) * sizeof *order);
    const cJSON **mem = malloc((size_t)(n ? n : 1) * sizeof *mem);
    if (!order || !mem) { free(order); free(mem); b->oom = 1; return DM_ENOMEM; }
    int i = 0;
    for (const cJSON *m = v->child; m; m = m->next, i++) {
      int r = kr ? dm_keyrank_find(kr, m->string) : -1;
      order[i][0] = r >= 0 ? r : (kr ? kr->n : 0); /* unranked after ranked, document order */
      order[i][1] = i;
      mem[i] = m;
    }
    qsort(order, (size_t)n, sizeof *order, cmp_rank);
    dm_buf_put(b, "{", 1);
    for (i = 0; i < n; i++) {
      const cJSON *m = mem[order[i][1]];
      if (i) dm_buf_put(b, ",", 1);
      dm_canon_string(b, m->string, strlen(m->string));
      dm_buf_put(b, ":", 1);
      dm_canon_value(b, m, kr);
    }
    dm_buf_put(b, "}", 1);
    free(order);
    free(mem);
  } else {
    dm_buf_puts(b, "null");
  }
  return b->oom ? DM_ENOMEM : DM_OK;
}
