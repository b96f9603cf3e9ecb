/* Code point sets for regex classes: add, normalise, negate (internal). */
#include <stdlib.h>

#include "re_class.h"

int dm_cpset_add(dm_cpset *s, uint32_t lo, uint32_t hi) {
  if (lo > hi) return DM_OK;
  if (s->n == s->cap) {
    int cap = s->cap ? s->cap * 2 : 8;
    dm_cp_range *r = realloc(s->r, (size_t)cap * sizeof *r);
    if (!r) return DM_ENOMEM;
    s->r = r;
    s->cap = cap;
  }
  s->r[s->n].lo = lo;
  s->r[s->n].hi = hi;
  s->n++;
  return DM_OK;
}

int dm_cpset_add_set(dm_cpset *s, const dm_cpset *t) {
  for (int i = 0; i < t->n; i++) {
    int rc = dm_cpset_add(s, t->r[i].lo, t->r[i].hi);
    if (rc) return rc;
  }
  return DM_OK;
}

static int cmp_range(const void *a, const void *b) {
  const dm_cp_range *x = a, *y = b;
  return x->lo < y->lo ? -1 : x->lo > y->lo;
}

void dm_cpset_normalize(dm_cpset *s) {
  if (s->n == 0) return;
  qsort(s->r, (size_t)s->n, sizeof *s->r, cmp_range);
  int w = 0;
  for (int i = 1; i < s->n; i++) {
    if (s->r[i].lo <= s->r[w].hi + 1) {
      if (s->r[i].hi > s->r[w].hi) s->r[w].hi = s->r[i].hi;
    } else {
      s->r[++w] = s->r[i];
    }
  }
  s->n = w + 1;
}

int dm_cpset_negate(dm_cpset *s) {
  dm_cpset_normalize(s);
  dm_cpset out = {0};
  uint32_t next = 0;
  for (int i = 0; i < s->n; i++) {
    if (s->r[i].lo > next && dm_cpset_add(&out, next, s->r[i].lo - 1)) goto oom;
    next = s->r[i].hi + 1;
  }
  if (next <= DM_CP_MAX && dm_cpset_add(&out, next, DM_CP_MAX)) goto oom;
  free(s->r);
  *s = out;
  return DM_OK;
oom:
  free(out.r);
  return DM_ENOMEM;
}

void dm_cpset_free(dm_cpset *s) {
  free(s->r);
  s->r = NULL;
  s->n = s->cap = 0;
}
