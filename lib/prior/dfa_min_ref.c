/* The plain reference twin of dm_dfa_minimize (dfa_min.c): trim, Moore partition
 * refinement (every round re-signs every state with its successors' classes, as many
 * rounds as the longest shortest distinguishing word), class merging, breadth-first
 * numbering. Kept simple and unchanged so that tests can compare the fast version's
 * tables with it (both end in the same canonical form). */
#include <stdlib.h>
#include <string.h>

#include "dfa.h"

/* Hash map from a signature (array of int32) to a class id, rebuilt per round. */
typedef struct sig_map {
  int32_t *slot;  /* state id whose signature is stored, or -1 */
  size_t cap;
} sig_map;

static uint64_t hash_sig(const int32_t *v, int n) {
  uint64_t h = 0x9E3779B97F4A7C15ULL;
  for (int i = 0; i < n; i++) {
    h ^= (uint64_t)(uint32_t)v[i] + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
  }
  return h * 0xff51afd7ed558ccdULL;
}

/* Trim: states that cannot reach acceptance become dead (-1). Returns the map old
 * -> kept flag in alive[]; start (0) may be not alive (empty language). */
static int co_reachable(const dm_dfa *d, uint8_t *alive) {
  int n = d->nstates, k = d->nclasses;
  if (n <= 0) return DM_OK;
  /* reverse adjacency via counting */
  int32_t *cnt = calloc((size_t)n + 1, sizeof *cnt);
  if (!cnt) return DM_ENOMEM;
  size_t edges = 0;
  for (int s = 0; s < n; s++)
    for (int c = 0; c < k; c++) {
      int32_t t = d->next[(size_t)s * k + c];
      if (t >= 0) { cnt[t + 1]++; edges++; }
    }
  for (int i = 0; i < n; i++) cnt[i + 1] += cnt[i];
  int32_t *src = malloc((edges ? edges : 1) * sizeof *src);
  int32_t *fill = malloc(((size_t)n + 1) * sizeof *fill);
  int32_t *queue = malloc(((size_t)n + 1) * sizeof *queue);
  if (!src || !fill || !queue) {
    free(cnt); free(src); free(fill); free(queue);
    return DM_ENOMEM;
  }
  memcpy(fill, cnt, ((size_t)n + 1) * sizeof *fill);
  for (int s = 0; s < n; s++)
    for (int c = 0; c < k; c++) {
      int32_t t = d->next[(size_t)s * k + c];
      if (t >= 0) src[fill[t]++] = s;
    }
  int qh = 0, qt = 0;
  memset(alive, 0, (size_t)n);
  for (int s = 0; s < n; s++)
    if (d->accept[s]) { alive[s] = 1; queue[qt++] = s; }
  while (qh < qt) {
    int32_t t = queue[qh++];
    for (int32_t i = cnt[t]; i < cnt[t + 1]; i++) {
      int32_t s = src[i];
      if (!alive[s]) { alive[s] = 1; queue[qt++] = s; }
    }
  }
  free(cnt); free(src); free(fill); free(queue);
  return DM_OK;
}

int dm_dfa_minimize_reference(dm_dfa *d) {
  int n = d->nstates, k = d->nclasses;
  int rc = DM_ENOMEM;
  uint8_t *alive = calloc(n > 0 ? (size_t)n : 1, 1);
  int32_t *cls = malloc(((size_t)n + 1) * sizeof *cls);
  int32_t *ncls = malloc(((size_t)n + 1) * sizeof *ncls);
  int32_t *sig = malloc(((size_t)n + 1) * (size_t)(k + 1) * sizeof *sig);
  sig_map map = {0};
  int32_t *order = NULL, *newid = NULL, *nnext = NULL;
  uint8_t *nacc = NULL;
  if (!alive || !cls || !ncls || !sig) goto out;
  if (co_reachable(d, alive)) goto out;

  if (n == 0 || !alive[0]) {
    /* empty language: one non-accepting state, everything dead, one class */
    int32_t *nx = malloc(sizeof *nx);
    uint8_t *ac = calloc(1, 1);
    if (!nx || !ac) { free(nx); free(ac); goto out; }
    nx[0] = -1;
    free(d->next); free(d->accept);
    d->next = nx;
    d->accept = ac;
    d->nstates = 1;
    d->nclasses = 1;
    memset(d->class_of, 0, sizeof d->class_of);
    rc = DM_OK;
    goto out;
  }
  for (int s = 0; s < n; s++)
    for (int c = 0; c < k; c++) {
      int32_t *t = &d->next[(size_t)s * k + c];
      if (*t >= 0 && !alive[*t]) *t = -1;
    }

  /* Moore refinement over alive states; dead states get class -1. */
  int nclasses_prev = 0;
  for (int s = 0; s < n; s++) cls[s] = alive[s] ? d->accept[s] : -1;
  {
    int has0 = 0, has1 = 0;
    for (int s = 0; s < n; s++) if (alive[s]) { if (d->accept[s]) has1 = 1; else has0 = 1; }
    nclasses_prev = has0 + has1;
    if (!has0) for (int s = 0; s < n; s++) if (alive[s]) cls[s] = 0;
  }
  map.cap = 16;
  while (map.cap < (size_t)n * 2) map.cap *= 2;
  map.slot = malloc(map.cap * sizeof *map.slot);
  if (!map.slot) goto out;
  for (;;) {
    for (size_t i = 0; i < map.cap; i++) map.slot[i] = -1;
    int count = 0;
    for (int s = 0; s < n; s++) {
      if (!alive[s]) { ncls[s] = -1; continue; }
      int32_t *v = sig + (size_t)s * (k + 1);
      v[0] = cls[s];
      for (int c = 0; c < k; c++) {
        int32_t t = d->next[(size_t)s * k + c];
        v[c + 1] = t >= 0 ? cls[t] : -1;
      }
      size_t j = hash_sig(v, k + 1) & (map.cap - 1);
      for (;;) {
        int32_t o = map.slot[j];
        if (o < 0) {
          map.slot[j] = s;
          ncls[s] = count++;
          break;
        }
        if (memcmp(sig + (size_t)o * (k + 1), v, (size_t)(k + 1) * sizeof *v) == 0) {
          ncls[s] = ncls[o];
          break;
        }
        j = (j + 1) & (map.cap - 1);
      }
    }
    int32_t *tmp = cls; cls = ncls; ncls = tmp;
    if (count == nclasses_prev) break;
    nclasses_prev = count;
  }
  int m = nclasses_prev;

  /* Representative state per class; BFS from the start class for numbering. */
  order = malloc((size_t)m * sizeof *order);   /* new id -> old class */
  newid = malloc((size_t)m * sizeof *newid);   /* old class -> new id */
  int32_t *repr = malloc((size_t)m * sizeof *repr);
  if (!order || !newid || !repr) { free(repr); goto out; }
  for (int i = 0; i < m; i++) newid[i] = -1;
  for (int s = n - 1; s >= 0; s--) if (alive[s]) repr[cls[s]] = s;
  int head = 0, tail = 0;
  newid[cls[0]] = tail;
  order[tail++] = cls[0];
  while (head < tail) {
    int32_t s = repr[order[head++]];
    for (int c = 0; c < k; c++) {
      int32_t t = d->next[(size_t)s * k + c];
      if (t >= 0 && newid[cls[t]] < 0) {
        newid[cls[t]] = tail;
        order[tail++] = cls[t];
      }
    }
  }
  int nm = tail; /* reachable classes only */

  /* Merge byte classes whose columns are identical; number them by first byte. */
  uint64_t colhash[256];
  for (int c = 0; c < k; c++) {
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < nm; i++) {
      int32_t t = d->next[(size_t)repr[order[i]] * k + c];
      h = (h ^ (uint64_t)(uint32_t)(t >= 0 ? newid[cls[t]] : -1)) * 1099511628211ULL;
    }
    colhash[c] = h;
  }
  int ncol = 0;
  int col_of_old[256];
  int col_repr[256];
  uint8_t new_class_of[256];
  for (int c = 0; c < k; c++) col_of_old[c] = -1;
  for (int b = 0; b < 256; b++) {
    int c = d->class_of[b];
    if (col_of_old[c] < 0) {
      int found = -1;
      for (int j = 0; j < ncol && found < 0; j++) {
        int oc = col_repr[j];
        if (colhash[oc] != colhash[c]) continue;
        bool same = true;
        for (int i = 0; i < nm && same; i++) {
          int32_t s = repr[order[i]];
          int32_t t1 = d->next[(size_t)s * k + c], t2 = d->next[(size_t)s * k + oc];
          same = (t1 >= 0 ? newid[cls[t1]] : -1) == (t2 >= 0 ? newid[cls[t2]] : -1);
        }
        if (same) found = j;
      }
      if (found < 0) {
        found = ncol;
        col_repr[ncol++] = c;
      }
      col_of_old[c] = found;
    }
    new_class_of[b] = (uint8_t)col_of_old[c];
  }

  nnext = malloc((size_t)nm * (size_t)ncol * sizeof *nnext);
  nacc = malloc((size_t)nm);
  if (!nnext || !nacc) { free(repr); goto out; }
  for (int i = 0; i < nm; i++) {
    int32_t s = repr[order[i]];
    nacc[i] = d->accept[s];
    for (int j = 0; j < ncol; j++) {
      int32_t t = d->next[(size_t)s * k + col_repr[j]];
      nnext[(size_t)i * ncol + j] = t >= 0 ? newid[cls[t]] : -1;
    }
  }
  free(repr);
  free(d->next);
  free(d->accept);
  d->next = nnext;
  d->accept = nacc;
  nnext = NULL;
  nacc = NULL;
  d->nstates = nm;
  d->nclasses = ncol;
  memcpy(d->class_of, new_class_of, sizeof new_class_of);
  rc = DM_OK;
out:
  free(alive);
  free(cls);
  free(ncls);
  free(sig);
  free(map.slot);
  free(order);
  free(newid);
  free(nnext);
  free(nacc);
  return rc;
}
