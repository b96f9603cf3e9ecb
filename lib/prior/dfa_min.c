/* DFA minimisation: keep the states reachable from the start that can reach
 * acceptance, refine with Hopcroft's algorithm (O(m log n) over the m live
 * transitions), number the blocks breadth-first, merge byte classes with equal
 * columns. The plain twin (Moore's rounds) is dm_dfa_minimize_reference in
 * dfa_min_ref.c; both give the same tables. */
#include <stdlib.h>
#include <string.h>

#include "dfa.h"

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

/* A partition of the indices 0..r-1 into blocks. elems holds the indices grouped
 * by block; block b is elems[first[b] .. end[b]); its marked indices are moved to
 * the front, elems[first[b] .. first[b] + marked[b]). */
typedef struct part {
  int32_t *elems, *pos, *blk;
  int32_t *first, *end, *marked;
  int32_t *touched;  /* blocks with a marked index */
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

/* Split every touched block into its marked and unmarked indices; the smaller part
 * becomes a new block and waits as a splitter (Hopcroft's "smaller half": the
 * partition is already stable, or will be, with respect to the old block). */
static void part_split(part *p) {
  while (p->ntouched) {
    int32_t b = p->touched[--p->ntouched];
    int32_t m = p->marked[b], size = p->end[b] - p->first[b];
    p->marked[b] = 0;
    if (m == size) continue;
    int32_t z = p->nblocks++;
    if (m <= size - m) { /* the marked part is new */
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

/* Working memory of one minimisation; every array is owned and freed at the end. */
typedef struct min_ws {
  int32_t *idx;       /* state -> index among the reachable ones, or -1 */
  int32_t *state_of;  /* index -> state */
  int32_t *estart;    /* transitions of index i: ecls/etgt[estart[i] .. estart[i+1]) */
  int32_t *ecls, *etgt;
  int32_t *cnt, *touched_cls;
  uint8_t *alive;     /* per index: can reach acceptance */
  int32_t *rstart;    /* live transitions into index i: rsrc/rcls[rstart[i] .. rstart[i+1]) */
  int32_t *rsrc, *rcls;
  uint64_t *sig;      /* per index: acceptance, then the classes with a live transition */
  int32_t *hslot;     /* signature hash table: an index with that signature, or -1 */
  int32_t *bucket, *bucket_off, *snap;
  part p;
} min_ws;

static void ws_free(min_ws *w) {
  free(w->idx); free(w->state_of); free(w->alive);
  free(w->estart); free(w->ecls); free(w->etgt); free(w->cnt); free(w->touched_cls);
  free(w->rstart); free(w->rsrc); free(w->rcls);
  free(w->sig); free(w->hslot);
  free(w->bucket); free(w->bucket_off); free(w->snap);
  free(w->p.elems); free(w->p.pos); free(w->p.blk); free(w->p.first); free(w->p.end);
  free(w->p.marked); free(w->p.touched); free(w->p.work);
}

/* The quotient by the partition: blocks numbered breadth-first from the start's
 * block (transitions in class order), byte classes with equal columns merged and
 * numbered by their first byte. Replaces d's tables. */
static int quotient(dm_dfa *d, min_ws *w) {
  int k = d->nclasses;
  part *p = &w->p;
  int m = p->nblocks;
  int32_t *newid = malloc((size_t)m * sizeof *newid);  /* block -> new state */
  int32_t *order = malloc((size_t)m * sizeof *order);  /* new state -> block */
  int32_t *full = NULL, *nnext = NULL;
  uint8_t *nacc = NULL;
  int rc = DM_ENOMEM;
  if (!newid || !order) goto out;
  for (int i = 0; i < m; i++) newid[i] = -1;
  int head = 0, tail = 0;
  newid[p->blk[0]] = tail;
  order[tail++] = p->blk[0];
  /* rows of the quotient over the old classes, filled as the BFS goes */
  size_t cap = 256;
  full = malloc(cap * (size_t)(k ? k : 1) * sizeof *full);
  if (!full) goto out;
  while (head < tail) {
    int32_t b = order[head];
    int32_t i = p->elems[p->first[b]]; /* any state of the block */
    if ((size_t)head == cap) {
      cap *= 2;
      int32_t *nf = realloc(full, cap * (size_t)k * sizeof *nf);
      if (!nf) goto out;
      full = nf;
    }
    int32_t *out_row = full + (size_t)head * k;
    for (int c = 0; c < k; c++) out_row[c] = -1;
    for (int32_t e = w->estart[i]; e < w->estart[i + 1]; e++) {
      int32_t t = w->etgt[e];
      if (!w->alive[t]) continue;
      int32_t tb = p->blk[t];
      if (newid[tb] < 0) {
        newid[tb] = tail;
        order[tail++] = tb;
      }
      out_row[w->ecls[e]] = newid[tb];
    }
    head++;
  }
  int nm = tail;

  /* merge byte classes whose columns are identical; number them by first byte */
  uint64_t colhash[256];
  for (int c = 0; c < k; c++) colhash[c] = 1469598103934665603ULL;
  for (int i = 0; i < nm; i++) {
    const int32_t *row = full + (size_t)i * k;
    for (int c = 0; c < k; c++) colhash[c] = (colhash[c] ^ (uint64_t)(uint32_t)row[c]) * 1099511628211ULL;
  }
  int ncol = 0;
  int col_of_old[256];
  int col_repr[256];
  uint8_t new_class_of[256];
  for (int c = 0; c < k; c++) col_of_old[c] = -1;
  for (int byte = 0; byte < 256; byte++) {
    int c = d->class_of[byte];
    if (col_of_old[c] < 0) {
      int found = -1;
      for (int j = 0; j < ncol && found < 0; j++) {
        int oc = col_repr[j];
        if (colhash[oc] != colhash[c]) continue;
        bool same = true;
        for (int i = 0; i < nm && same; i++) same = full[(size_t)i * k + c] == full[(size_t)i * k + oc];
        if (same) found = j;
      }
      if (found < 0) {
        found = ncol;
        col_repr[ncol++] = c;
      }
      col_of_old[c] = found;
    }
    new_class_of[byte] = (uint8_t)col_of_old[c];
  }

  nnext = malloc((size_t)nm * (size_t)ncol * sizeof *nnext);
  nacc = malloc((size_t)nm);
  if (!nnext || !nacc) goto out;
  for (int i = 0; i < nm; i++) {
    nacc[i] = d->accept[w->state_of[p->elems[p->first[order[i]]]]];
    const int32_t *row = full + (size_t)i * k;
    for (int j = 0; j < ncol; j++) nnext[(size_t)i * ncol + j] = row[col_repr[j]];
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
  free(newid);
  free(order);
  free(full);
  free(nnext);
  free(nacc);
  return rc;
}

int dm_dfa_minimize(dm_dfa *d) {
  int n = d->nstates, k = d->nclasses;
  min_ws w = {0};
  part *p = &w.p;
  int rc = DM_ENOMEM;
  if (n <= 0) return make_empty(d);
  size_t nn = (size_t)n;
  w.idx = malloc(nn * sizeof *w.idx);
  w.state_of = malloc(nn * sizeof *w.state_of);
  w.alive = calloc(nn, 1);
  w.estart = malloc((nn + 1) * sizeof *w.estart);
  w.cnt = calloc((size_t)k + 1, sizeof *w.cnt);
  w.touched_cls = malloc(((size_t)k + 1) * sizeof *w.touched_cls);
  if (!w.idx || !w.state_of || !w.alive || !w.estart || !w.cnt || !w.touched_cls) goto out;

  /* 1. the states reachable from the start, indexed in discovery order, and their
   * transitions as a list grouped by source index (targets as indices) */
  for (int s = 0; s < n; s++) w.idx[s] = -1;
  int r = 0;
  w.idx[0] = 0;
  w.state_of[r++] = 0;
  size_t m = 0, ecap = 0;
  for (int h = 0; h < r; h++) {
    const int32_t *row = d->next + (size_t)w.state_of[h] * k;
    w.estart[h] = (int32_t)m;
    if (m + (size_t)k > ecap) {
      size_t cap = ecap ? ecap * 2 : (size_t)4 * (size_t)k + 1024;
      while (cap < m + (size_t)k) cap *= 2;
      int32_t *a = realloc(w.ecls, cap * sizeof *a);
      if (!a) goto out;
      w.ecls = a;
      a = realloc(w.etgt, cap * sizeof *a);
      if (!a) goto out;
      w.etgt = a;
      ecap = cap;
    }
    /* compact the defined transitions without a branch per entry (rows are sparse) */
    size_t m0 = m;
    for (int c = 0; c < k; c++) {
      int32_t t = row[c];
      w.ecls[m] = c;
      w.etgt[m] = t;
      m += t >= 0;
    }
    for (size_t e = m0; e < m; e++) {
      int32_t t = w.etgt[e];
      if (w.idx[t] < 0) { w.idx[t] = r; w.state_of[r++] = t; }
      w.etgt[e] = w.idx[t];
    }
  }
  w.estart[r] = (int32_t)m;

  /* 2. transitions reversed, grouped by target */
  w.rstart = calloc((size_t)r + 1, sizeof *w.rstart);
  w.rsrc = malloc((m ? m : 1) * sizeof *w.rsrc);
  w.rcls = malloc((m ? m : 1) * sizeof *w.rcls);
  w.snap = malloc((size_t)r * sizeof *w.snap);
  if (!w.rstart || !w.rsrc || !w.rcls || !w.snap) goto out;
  for (size_t e = 0; e < m; e++) w.rstart[w.etgt[e] + 1]++;
  for (int i = 0; i < r; i++) w.rstart[i + 1] += w.rstart[i];
  {
    int32_t *fill = w.snap; /* borrowed as the fill cursor */
    memcpy(fill, w.rstart, (size_t)r * sizeof *fill);
    for (int i = 0; i < r; i++)
      for (int32_t e = w.estart[i]; e < w.estart[i + 1]; e++) {
        int32_t at = fill[w.etgt[e]]++;
        w.rsrc[at] = i;
        w.rcls[at] = w.ecls[e];
      }
  }

  /* 3. which can reach acceptance (backwards from the accepting states) */
  {
    int32_t *queue = w.snap, qt = 0;
    for (int i = 0; i < r; i++)
      if (d->accept[w.state_of[i]]) { w.alive[i] = 1; queue[qt++] = i; }
    for (int32_t qh = 0; qh < qt; qh++) {
      int32_t t = queue[qh];
      for (int32_t e = w.rstart[t]; e < w.rstart[t + 1]; e++)
        if (!w.alive[w.rsrc[e]]) { w.alive[w.rsrc[e]] = 1; queue[qt++] = w.rsrc[e]; }
    }
  }
  if (!w.alive[0]) { rc = make_empty(d); goto out; }

  /* 4. the initial partition: states with the same acceptance and the same classes
   * of live transitions (transitions into states that can reach acceptance) share a
   * block; this is splitting by acceptance and by the dead state. The states that
   * cannot reach acceptance form a block of their own (nothing accepting, no live
   * transition); no live transition enters it, so it never splits anything. */
  int words = (k + 63) / 64;
  size_t sw = (size_t)words + 1;
  w.sig = calloc((size_t)r * sw, sizeof *w.sig);
  w.bucket_off = malloc(((size_t)k + 1) * sizeof *w.bucket_off);
  w.bucket = malloc((m ? m : 1) * sizeof *w.bucket);
  p->elems = malloc((size_t)r * sizeof *p->elems);
  p->pos = malloc((size_t)r * sizeof *p->pos);
  p->blk = malloc((size_t)r * sizeof *p->blk);
  p->first = malloc((size_t)r * sizeof *p->first);
  p->end = malloc((size_t)r * sizeof *p->end);
  p->marked = calloc((size_t)r, sizeof *p->marked);
  p->touched = malloc((size_t)r * sizeof *p->touched);
  p->work = malloc((size_t)r * sizeof *p->work);
  size_t hcap = 16;
  while (hcap < (size_t)r * 2) hcap *= 2;
  w.hslot = malloc(hcap * sizeof *w.hslot);
  if (!w.sig || !w.bucket_off || !w.bucket || !p->elems || !p->pos || !p->blk || !p->first || !p->end ||
      !p->marked || !p->touched || !p->work || !w.hslot)
    goto out;
  for (size_t j = 0; j < hcap; j++) w.hslot[j] = -1;
  p->nblocks = 0;
  for (int i = 0; i < r; i++) {
    uint64_t *sg = w.sig + (size_t)i * sw;
    sg[0] = d->accept[w.state_of[i]];
    for (int32_t e = w.estart[i]; e < w.estart[i + 1]; e++)
      if (w.alive[w.etgt[e]]) sg[1 + (w.ecls[e] >> 6)] |= 1ULL << (w.ecls[e] & 63);
    uint64_t h = 0x9E3779B97F4A7C15ULL;
    for (size_t q = 0; q < sw; q++) h = (h ^ sg[q]) * 0xff51afd7ed558ccdULL;
    size_t j = (h ^ (h >> 29)) & (hcap - 1);
    for (;;) {
      int32_t o = w.hslot[j];
      if (o < 0) {
        w.hslot[j] = i;
        p->blk[i] = p->nblocks++;
        break;
      }
      if (memcmp(w.sig + (size_t)o * sw, sg, sw * sizeof *sg) == 0) {
        p->blk[i] = p->blk[o];
        break;
      }
      j = (j + 1) & (hcap - 1);
    }
  }
  /* lay the blocks out in elems (counting sort by block) */
  for (int b = 0; b < p->nblocks; b++) p->end[b] = 0;
  for (int i = 0; i < r; i++) p->end[p->blk[i]]++;
  {
    int32_t at = 0;
    for (int b = 0; b < p->nblocks; b++) {
      p->first[b] = at;
      at += p->end[b];
      p->end[b] = p->first[b];
    }
  }
  for (int i = 0; i < r; i++) {
    int32_t b = p->blk[i];
    p->pos[i] = p->end[b];
    p->elems[p->end[b]++] = i;
  }
  /* This partition is stable with respect to the set of all states (a state has a
   * transition into it on c exactly when it has a live one). Using every block but
   * the largest as a splitter makes it stable with respect to the largest too. */
  p->nwork = 0;
  {
    int32_t largest = 0;
    for (int32_t b = 1; b < p->nblocks; b++)
      if (p->end[b] - p->first[b] > p->end[largest] - p->first[largest]) largest = b;
    for (int32_t b = 0; b < p->nblocks; b++)
      if (b != largest) p->work[p->nwork++] = b;
  }

  /* 6. Hopcroft: split by the predecessors of each waiting block, class by class */
  while (p->nwork) {
    int32_t a = p->work[--p->nwork];
    int32_t na = p->end[a] - p->first[a];
    if (!w.alive[p->elems[p->first[a]]]) continue; /* the dead block: no live transitions in */
    /* its predecessors bucketed by class, over the classes that occur only (before
     * any split: all the splitter's states count even if it splits itself) */
    const int32_t *sa = p->elems + p->first[a];
    int nt = 0;
    int32_t total = 0;
    for (int32_t i = 0; i < na; i++) {
      int32_t t = sa[i];
      for (int32_t e = w.rstart[t]; e < w.rstart[t + 1]; e++)
        if (w.cnt[w.rcls[e]]++ == 0) w.touched_cls[nt++] = w.rcls[e];
      total += w.rstart[t + 1] - w.rstart[t];
    }
    if (!total) continue;
    int32_t *off = w.bucket_off; /* per class: start of its bucket, then fill cursor */
    int32_t at = 0;
    for (int j = 0; j < nt; j++) {
      int c = w.touched_cls[j];
      off[c] = at;
      at += w.cnt[c];
    }
    for (int32_t i = 0; i < na; i++) {
      int32_t t = sa[i];
      for (int32_t e = w.rstart[t]; e < w.rstart[t + 1]; e++) w.bucket[off[w.rcls[e]]++] = w.rsrc[e];
    }
    for (int j = 0; j < nt; j++) {
      int c = w.touched_cls[j];
      int32_t hi = off[c], lo = hi - w.cnt[c];
      w.cnt[c] = 0;
      for (int32_t i = lo; i < hi; i++) part_mark(p, w.bucket[i]);
      part_split(p);
    }
  }

  rc = quotient(d, &w);
out:
  ws_free(&w);
  return rc;
}
