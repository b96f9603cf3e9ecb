/* DFA minimisation: trim, partition refinement, class merging, BFS numbering.
 *
 * dm_dfa_minimize refines with Hopcroft's algorithm (O(m log n) over the m defined
 * transitions); dm_dfa_minimize_reference is its plain twin, Moore's rounds (each
 * round re-signs every state; as many rounds as the longest distinguishing word).
 * Both end in the same canonical form, so their results compare table for table. */
#include <stdlib.h>
#include <string.h>

#include "dfa.h"

/* Trim: states that cannot reach acceptance become dead (-1). Sets alive[s] to 1
 * for the states that can; start (0) may be not alive (empty language). */
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

/* The empty language: one non-accepting state, everything dead, one class. */
static int make_empty(dm_dfa *d) {
  int32_t *nx = malloc(sizeof *nx);
  uint8_t *ac = calloc(1, 1);
  if (!nx || !ac) { free(nx); free(ac); return DM_ENOMEM; }
  nx[0] = -1;
  free(d->next); free(d->accept);
  d->next = nx;
  d->accept = ac;
  d->nstates = 1;
  d->nclasses = 1;
  memset(d->class_of, 0, sizeof d->class_of);
  return DM_OK;
}

/* Trim (dead transitions to -1) and report whether the language is empty. */
static int trim(dm_dfa *d, uint8_t *alive, bool *empty) {
  int n = d->nstates, k = d->nclasses;
  int rc = co_reachable(d, alive);
  if (rc) return rc;
  *empty = n == 0 || !alive[0];
  if (*empty) return DM_OK;
  for (int s = 0; s < n; s++)
    for (int c = 0; c < k; c++) {
      int32_t *t = &d->next[(size_t)s * k + c];
      if (*t >= 0 && !alive[*t]) *t = -1;
    }
  return DM_OK;
}

/* Build the quotient from a partition cls[] of the trimmed states (cls[s] in
 * 0..m-1 for every state reachable from 0; -1 for states left out): number the
 * blocks breadth-first from the start's, merge byte classes whose columns are equal
 * (numbered by first byte), and replace d's tables. */
static int quotient(dm_dfa *d, const int32_t *cls, int m) {
  int n = d->nstates, k = d->nclasses;
  int32_t *order = malloc((size_t)m * sizeof *order);   /* new id -> old class */
  int32_t *newid = malloc((size_t)m * sizeof *newid);   /* old class -> new id */
  int32_t *repr = malloc((size_t)m * sizeof *repr);
  int32_t *nnext = NULL;
  uint8_t *nacc = NULL;
  int rc = DM_ENOMEM;
  if (!order || !newid || !repr) goto out;
  for (int i = 0; i < m; i++) newid[i] = -1;
  for (int s = n - 1; s >= 0; s--) if (cls[s] >= 0) repr[cls[s]] = s;
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
  if (!nnext || !nacc) goto out;
  for (int i = 0; i < nm; i++) {
    int32_t s = repr[order[i]];
    nacc[i] = d->accept[s];
    for (int j = 0; j < ncol; j++) {
      int32_t t = d->next[(size_t)s * k + col_repr[j]];
      nnext[(size_t)i * ncol + j] = t >= 0 ? newid[cls[t]] : -1;
    }
  }
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
  free(order);
  free(newid);
  free(repr);
  free(nnext);
  free(nacc);
  return rc;
}

/* ------------------------------------------------------------------ reference: Moore */

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

int dm_dfa_minimize_reference(dm_dfa *d) {
  int n = d->nstates, k = d->nclasses;
  int rc = DM_ENOMEM;
  uint8_t *alive = calloc(n > 0 ? (size_t)n : 1, 1);
  int32_t *cls = malloc(((size_t)n + 1) * sizeof *cls);
  int32_t *ncls = malloc(((size_t)n + 1) * sizeof *ncls);
  int32_t *sig = malloc(((size_t)n + 1) * (size_t)(k + 1) * sizeof *sig);
  sig_map map = {0};
  bool empty;
  if (!alive || !cls || !ncls || !sig) goto out;
  if ((rc = trim(d, alive, &empty)) != DM_OK) goto out;
  if (empty) { rc = make_empty(d); goto out; }
  rc = DM_ENOMEM;

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
  rc = quotient(d, cls, nclasses_prev);
out:
  free(alive);
  free(cls);
  free(ncls);
  free(sig);
  free(map.slot);
  return rc;
}

/* ------------------------------------------------------------------ Hopcroft */

/* A partition of the states 0..n-1 into blocks. elems holds the states grouped by
 * block; block b is elems[first[b] .. end[b]); its marked states are moved to the
 * front, elems[first[b] .. first[b] + marked[b]). */
typedef struct part {
  int32_t *elems, *pos, *blk;
  int32_t *first, *end, *marked;
  int32_t *touched;  /* blocks with a marked state */
  int ntouched, nblocks;
  int32_t *work;     /* blocks waiting to be used as splitters */
  int nwork;
} part;

static void part_mark(part *p, int32_t s) {
  int32_t b = p->blk[s], i = p->pos[s], j = p->first[b] + p->marked[b];
  if (i < j) return; /* already marked */
  int32_t o = p->elems[j];
  p->elems[j] = s; p->pos[s] = j;
  p->elems[i] = o; p->pos[o] = i;
  if (p->marked[b]++ == 0) p->touched[p->ntouched++] = b;
}

/* Split every touched block into its marked and unmarked states; the smaller part
 * becomes a new block and waits as a splitter (Hopcroft's "smaller half"). */
static void part_split(part *p) {
  while (p->ntouched) {
    int32_t b = p->touched[--p->ntouched];
    int32_t m = p->marked[b], size = p->end[b] - p->first[b];
    p->marked[b] = 0;
    if (m == size) continue;
    int32_t z = p->nblocks++;
    if (m <= size - m) { /* marked part is new */
      p->first[z] = p->first[b];
      p->end[z] = p->first[b] + m;
      p->first[b] += m;
    } else {
      p->first[z] = p->first[b] + m;
      p->end[z] = p->end[b];
      p->end[b] = p->first[b] + m;
    }
    p->marked[z] = 0;
    for (int32_t i = p->first[z]; i < p->end[z]; i++) p->blk[p->elems[i]] = z;
    p->work[p->nwork++] = z;
  }
}

int dm_dfa_minimize(dm_dfa *d) {
  int n = d->nstates, k = d->nclasses;
  int rc = DM_ENOMEM;
  size_t nn = n > 0 ? (size_t)n : 1;
  uint8_t *alive = calloc(nn, 1);
  int32_t *cls = malloc(nn * sizeof *cls);
  int32_t *state_of = malloc(nn * sizeof *state_of); /* partition index -> state */
  part p = {0};
  int32_t *rstart = NULL, *redge = NULL, *bucket_off = NULL, *bucket = NULL, *snap = NULL;
  bool empty;
  if (!alive || !cls || !state_of) goto out;
  if ((rc = trim(d, alive, &empty)) != DM_OK) goto out;
  if (empty) { rc = make_empty(d); goto out; }
  rc = DM_ENOMEM;

  /* the states reachable from the start (all alive after trimming), indexed 0..r-1
   * in discovery order; cls[s] holds the index meanwhile */
  for (int s = 0; s < n; s++) cls[s] = -1;
  int r = 0;
  cls[0] = 0;
  state_of[r++] = 0;
  for (int h = 0; h < r; h++) {
    const int32_t *row = d->next + (size_t)state_of[h] * k;
    for (int c = 0; c < k; c++)
      if (row[c] >= 0 && cls[row[c]] < 0) { cls[row[c]] = r; state_of[r++] = row[c]; }
  }

  /* reverse transitions grouped by target: (source index, class) pairs */
  rstart = calloc((size_t)r + 1, sizeof *rstart);
  if (!rstart) goto out;
  size_t m = 0;
  for (int i = 0; i < r; i++) {
    const int32_t *row = d->next + (size_t)state_of[i] * k;
    for (int c = 0; c < k; c++)
      if (row[c] >= 0) { rstart[cls[row[c]] + 1]++; m++; }
  }
  for (int i = 0; i < r; i++) rstart[i + 1] += rstart[i];
  redge = malloc((m ? m : 1) * 2 * sizeof *redge);
  bucket = malloc((m ? m : 1) * sizeof *bucket);
  bucket_off = malloc(((size_t)k + 1) * sizeof *bucket_off);
  snap = malloc((size_t)r * sizeof *snap);
  p.elems = malloc((size_t)r * sizeof *p.elems);
  p.pos = malloc((size_t)r * sizeof *p.pos);
  p.blk = malloc((size_t)r * sizeof *p.blk);
  p.first = malloc((size_t)r * sizeof *p.first);
  p.end = malloc((size_t)r * sizeof *p.end);
  p.marked = calloc((size_t)r, sizeof *p.marked);
  p.touched = malloc((size_t)r * sizeof *p.touched);
  p.work = malloc((size_t)r * sizeof *p.work);
  if (!redge || !bucket || !bucket_off || !snap || !p.elems || !p.pos || !p.blk || !p.first || !p.end ||
      !p.marked || !p.touched || !p.work)
    goto out;
  {
    int32_t *fill = snap; /* reused as the fill cursor */
    memcpy(fill, rstart, (size_t)r * sizeof *fill);
    for (int i = 0; i < r; i++) {
      const int32_t *row = d->next + (size_t)state_of[i] * k;
      for (int c = 0; c < k; c++)
        if (row[c] >= 0) {
          int32_t at = fill[cls[row[c]]]++;
          redge[2 * at] = i;
          redge[2 * at + 1] = c;
        }
    }
  }

  /* initial partition: one block, split by acceptance and then by which classes
   * have a transition (this stands for splitting by the dead state) */
  for (int i = 0; i < r; i++) { p.elems[i] = i; p.pos[i] = i; p.blk[i] = 0; }
  p.first[0] = 0;
  p.end[0] = r;
  p.nblocks = 1;
  for (int i = 0; i < r; i++)
    if (d->accept[state_of[i]]) part_mark(&p, i);
  part_split(&p);
  for (int c = 0; c < k; c++) {
    for (int i = 0; i < r; i++)
      if (d->next[(size_t)state_of[i] * k + c] >= 0) part_mark(&p, i);
    part_split(&p);
  }
  /* The partition is stable with respect to the dead state and to the set of all
   * states; every initial block but the largest then makes it stable with respect
   * to the largest as well. */
  p.nwork = 0;
  {
    int32_t largest = 0;
    for (int32_t b = 1; b < p.nblocks; b++)
      if (p.end[b] - p.first[b] > p.end[largest] - p.first[largest]) largest = b;
    for (int32_t b = 0; b < p.nblocks; b++)
      if (b != largest) p.work[p.nwork++] = b;
  }

  while (p.nwork) {
    int32_t a = p.work[--p.nwork];
    /* predecessors of the splitter, bucketed by class (a snapshot: the splitter
     * may itself split below, and its states are all used) */
    int32_t na = p.end[a] - p.first[a];
    memcpy(snap, p.elems + p.first[a], (size_t)na * sizeof *snap);
    for (int c = 0; c <= k; c++) bucket_off[c] = 0;
    for (int32_t i = 0; i < na; i++)
      for (int32_t e = rstart[snap[i]]; e < rstart[snap[i] + 1]; e++) bucket_off[redge[2 * e + 1] + 1]++;
    for (int c = 0; c < k; c++) bucket_off[c + 1] += bucket_off[c];
    int32_t total = bucket_off[k];
    if (!total) continue;
    for (int c = k; c > 0; c--) bucket_off[c] = bucket_off[c - 1];
    for (int32_t i = 0; i < na; i++)
      for (int32_t e = rstart[snap[i]]; e < rstart[snap[i] + 1]; e++)
        bucket[bucket_off[redge[2 * e + 1] + 1]++] = redge[2 * e];
    /* now bucket_off[c + 1] is the end of class c's bucket and bucket_off[c] its start */
    for (int c = 0; c < k; c++) {
      int32_t lo = bucket_off[c], hi = bucket_off[c + 1];
      if (lo == hi) continue;
      for (int32_t i = lo; i < hi; i++) part_mark(&p, bucket[i]);
      part_split(&p);
    }
  }

  for (int s = 0; s < n; s++) cls[s] = -1;
  for (int i = 0; i < r; i++) cls[state_of[i]] = p.blk[i];
  rc = quotient(d, cls, p.nblocks);
out:
  free(alive);
  free(cls);
  free(state_of);
  free(rstart);
  free(redge);
  free(bucket);
  free(bucket_off);
  free(snap);
  free(p.elems);
  free(p.pos);
  free(p.blk);
  free(p.first);
  free(p.end);
  free(p.marked);
  free(p.touched);
  free(p.work);
  return rc;
}
