/* Equivalent states of two automata (see dfa.h, dm_dfa_equiv_map): the pairs the
 * two reach together from their starts, and the pairs from which they can tell a
 * difference, propagated backwards. */
#include <stdlib.h>
#include <string.h>

#include "dfa.h"

typedef struct pairtab {
  int64_t *key;   /* cap slots: b << 32 | d, or -1 */
  int32_t *id;    /* cap slots */
  size_t cap;
} pairtab;

static uint64_t pair_hash(int64_t k) { return (uint64_t)k * 0x9E3779B97F4A7C15ULL >> 17; }

int dm_dfa_equiv_map(const dm_dfa *b, const dm_dfa *d, int32_t max_pairs, int32_t *map_b, int32_t *map_d) {
  for (int32_t i = 0; i < b->nstates; i++) map_b[i] = -1;
  for (int32_t i = 0; i < d->nstates; i++) map_d[i] = -1;
  if (!b->nstates || !d->nstates || max_pairs < 1) return DM_OK;
  /* joint classes: the distinct (class in b, class in d) of the bytes */
  int jb[256], jd[256], nj = 0;
  {
    uint16_t seen[256 * 256 / 16]; /* a bit per (cb, cd) */
    memset(seen, 0, sizeof seen);
    for (int x = 0; x < 256; x++) {
      int cb = b->class_of[x], cd = d->class_of[x], bit = cb * 256 + cd;
      if ((seen[bit >> 4] >> (bit & 15)) & 1) continue;
      seen[bit >> 4] = (uint16_t)(seen[bit >> 4] | (1u << (bit & 15)));
      jb[nj] = cb;
      jd[nj++] = cd;
    }
  }
  pairtab t = {0};
  t.cap = 1024;
  while (t.cap < (size_t)max_pairs * 2) t.cap *= 2;
  t.key = malloc(t.cap * sizeof *t.key);
  t.id = malloc(t.cap * sizeof *t.id);
  int32_t *pb = malloc((size_t)max_pairs * sizeof *pb), *pd = malloc((size_t)max_pairs * sizeof *pd);
  uint8_t *bad = calloc((size_t)max_pairs, 1);
  size_t cape = (size_t)max_pairs * 4, ne = 0;
  int32_t *esrc = malloc(cape * sizeof *esrc), *edst = malloc(cape * sizeof *edst);
  int32_t *off = NULL, *pred = NULL, *queue = NULL;
  int rc = DM_ENOMEM;
  if (!t.key || !t.id || !pb || !pd || !bad || !esrc || !edst) goto out;
  for (size_t i = 0; i < t.cap; i++) t.key[i] = -1;
  int32_t np = 0;
  /* the pairs reached together, breadth first; a pair is bad when acceptance
     differs or a byte leads on from one state and dies from the other */
  {
    int64_t k0 = 0;
    size_t s = pair_hash(k0) & (t.cap - 1);
    t.key[s] = k0;
    t.id[s] = 0;
    pb[0] = pd[0] = 0;
    np = 1;
  }
  for (int32_t i = 0; i < np; i++) {
    int32_t x = pb[i], y = pd[i];
    if (b->accept[x] != d->accept[y]) bad[i] = 1;
    const int32_t *rx = b->next + (size_t)x * (size_t)b->nclasses, *ry = d->next + (size_t)y * (size_t)d->nclasses;
    for (int j = 0; j < nj; j++) {
      int32_t x2 = rx[jb[j]], y2 = ry[jd[j]];
      if (x2 < 0 && y2 < 0) continue;
      if (x2 < 0 || y2 < 0) {
        bad[i] = 1;
        continue;
      }
      int64_t k = (int64_t)x2 << 32 | y2;
      size_t s = pair_hash(k) & (t.cap - 1);
      while (t.key[s] >= 0 && t.key[s] != k) s = (s + 1) & (t.cap - 1);
      int32_t to;
      if (t.key[s] == k) {
        to = t.id[s];
      } else {
        if (np == max_pairs) { /* too far apart: no map */
          rc = DM_OK;
          np = 0;
          goto out;
        }
        t.key[s] = k;
        t.id[s] = to = np;
        pb[np] = x2;
        pd[np++] = y2;
      }
      if (ne == cape) {
        cape *= 2;
        int32_t *a = realloc(esrc, cape * sizeof *a);
        if (!a) goto out;
        esrc = a;
        int32_t *c = realloc(edst, cape * sizeof *c);
        if (!c) goto out;
        edst = c;
      }
      esrc[ne] = i;
      edst[ne++] = to;
    }
  }
  /* a pair that leads to a bad pair is bad: backwards over the edges */
  off = calloc((size_t)np + 1, sizeof *off);
  pred = malloc((ne ? ne : 1) * sizeof *pred);
  queue = malloc((size_t)np * sizeof *queue);
  if (!off || !pred || !queue) goto out;
  for (size_t e = 0; e < ne; e++) off[edst[e] + 1]++;
  for (int32_t i = 0; i < np; i++) off[i + 1] += off[i];
  {
    int32_t *fill = malloc(((size_t)np + 1) * sizeof *fill);
    if (!fill) goto out;
    memcpy(fill, off, ((size_t)np + 1) * sizeof *fill);
    for (size_t e = 0; e < ne; e++) pred[fill[edst[e]]++] = esrc[e];
    free(fill);
  }
  int32_t qh = 0, qt = 0;
  for (int32_t i = 0; i < np; i++)
    if (bad[i]) queue[qt++] = i;
  while (qh < qt) {
    int32_t i = queue[qh++];
    for (int32_t e = off[i]; e < off[i + 1]; e++)
      if (!bad[pred[e]]) {
        bad[pred[e]] = 1;
        queue[qt++] = pred[e];
      }
  }
  /* good pairs: equal languages; a state with two partners (an automaton that is
     not minimal) is left unmapped */
  for (int32_t i = 0; i < np; i++) {
    if (bad[i]) continue;
    int32_t x = pb[i], y = pd[i];
    map_b[x] = map_b[x] == -1 || map_b[x] == y ? y : -2;
    map_d[y] = map_d[y] == -1 || map_d[y] == x ? x : -2;
  }
  for (int32_t i = 0; i < b->nstates; i++)
    if (map_b[i] < -1) map_b[i] = -1;
  for (int32_t i = 0; i < d->nstates; i++)
    if (map_d[i] < -1) map_d[i] = -1;
  rc = DM_OK;
out:
  if (rc || !np) { /* no map */
    for (int32_t i = 0; i < b->nstates; i++) map_b[i] = -1;
    for (int32_t i = 0; i < d->nstates; i++) map_d[i] = -1;
  }
  free(t.key);
  free(t.id);
  free(pb);
  free(pd);
  free(bad);
  free(esrc);
  free(edst);
  free(off);
  free(pred);
  free(queue);
  return rc;
}
