/* The space filler of JSON slots: a value followed by any number of spaces. */
#include <stdlib.h>
#include <string.h>

#include "filler.h"

/* value followed by any number of spaces (the slot filler). So that dropping the
 * filler gives back the value exactly, values ending in a space are left out (no
 * JSON value in canonical form ends in one).
 *
 * Built directly as a product: a state is (q, f, g) with q the value automaton's
 * state (or dead), f "the last byte was a space" and g "a value not ending in a
 * space was read, then only spaces" (filler possible); accepting when q accepts and
 * f is false, or g. Then minimised. */
/* The common case needs no minimisation. When (A) no space leads into an accepting
 * state and (B) no accepting state reads a space (JSON values in canonical form), the
 * filler language is the value's automaton with a space edge from every accepting
 * state to a "spaces only" state T (T loops on spaces), where T is the value's
 * accepting sink (the state after a complete value, whose language is the empty
 * string) when it has one, else a new state. For a minimal value that is minimal
 * again: T is then the only state whose language is " *", and any two other states
 * keep a distinguishing suffix (it cannot end in a space, by A, nor continue with a
 * space after acceptance, by B). States are then numbered breadth-first from the
 * start in class order, which is dm_dfa_minimize's canonical numbering. Returns NULL
 * (and leaves value alone) when A or B fails, the language is empty, or memory runs
 * out: the product below handles those. test_filler compares tables with the
 * reference construction. */
static dm_dfa *fast_filler(const dm_dfa *v, const uint8_t *class_of, int nc, const int *vclass,
                           const int *is_space) {
  int sc = v->class_of[' '], n = v->nstates, sink = -1, any_accept = 0;
  for (int q = 0; q < n; q++) {
    const int32_t *row = v->next + (size_t)q * (size_t)v->nclasses;
    if (row[sc] >= 0 && (v->accept[q] || v->accept[row[sc]])) return NULL;
    if (!v->accept[q]) continue;
    any_accept = 1;
    int dead_end = 1;
    for (int c = 0; c < v->nclasses && dead_end; c++) dead_end = row[c] < 0;
    if (dead_end) sink = q;
  }
  if (!any_accept) return NULL;
  int total = sink >= 0 ? n : n + 1, T = sink >= 0 ? sink : n;
  int32_t *tmp = malloc((size_t)total * (size_t)nc * sizeof *tmp), *newid = malloc((size_t)total * sizeof *newid);
  int32_t *order = malloc((size_t)total * sizeof *order);
  dm_dfa *d = calloc(1, sizeof *d);
  if (d) {
    d->next = malloc((size_t)total * (size_t)nc * sizeof *d->next);
    d->accept = malloc((size_t)total);
  }
  if (!tmp || !newid || !order || !d || !d->next || !d->accept) {
    free(tmp);
    free(newid);
    free(order);
    dm_dfa_free(d);
    return NULL;
  }
  for (int q = 0; q < total; q++) {
    int32_t *row = tmp + (size_t)q * (size_t)nc;
    int acc = q == T || v->accept[q];
    for (int c = 0; c < nc; c++) {
      if (q == T) row[c] = is_space[c] ? T : (q < n ? v->next[(size_t)q * (size_t)v->nclasses + (size_t)vclass[c]] : -1);
      else if (is_space[c] && acc) row[c] = T;
      else row[c] = v->next[(size_t)q * (size_t)v->nclasses + (size_t)vclass[c]];
    }
  }
  /* breadth-first renumbering from the start, classes in order */
  for (int q = 0; q < total; q++) newid[q] = -1;
  int head = 0, tail = 0;
  newid[0] = tail;
  order[tail++] = 0;
  while (head < tail) {
    int32_t q = order[head], me = head++;
    d->accept[me] = (uint8_t)(q == T || v->accept[q]);
    for (int c = 0; c < nc; c++) {
      int32_t t = tmp[(size_t)q * (size_t)nc + (size_t)c];
      if (t >= 0 && newid[t] < 0) {
        newid[t] = tail;
        order[tail++] = t;
      }
      d->next[(size_t)me * (size_t)nc + (size_t)c] = t >= 0 ? newid[t] : -1;
    }
  }
  free(tmp);
  free(newid);
  free(order);
  d->nstates = tail;
  d->nclasses = nc;
  memcpy(d->class_of, class_of, 256);
  return d;
}

dm_dfa *dm_dfa_space_filler(dm_dfa *value, dm_error *err) {
  const dm_dfa *v = value;
  /* classes: the value's, with the space byte on its own */
  uint8_t class_of[256];
  int key_of[512], nc = 0;
  for (int i = 0; i < 512; i++) key_of[i] = -1;
  for (int b = 0; b < 256; b++) {
    int key = v->class_of[b] * 2 + (b == ' ');
    if (key_of[key] < 0) key_of[key] = nc++;
    class_of[b] = (uint8_t)key_of[key];
  }
  int vclass[256], is_space[256];
  for (int b = 0; b < 256; b++) {
    vclass[class_of[b]] = v->class_of[b];
    is_space[class_of[b]] = b == ' ';
  }
  dm_dfa *quick = fast_filler(v, class_of, nc, vclass, is_space);
  if (quick) {
    dm_dfa_free(value);
    return quick;
  }
  size_t ntrip = ((size_t)v->nstates + 1) * 4;
  int32_t *id = malloc(ntrip * sizeof *id), *queue = malloc(ntrip * sizeof *queue);
  dm_dfa *d = calloc(1, sizeof *d);
  if (d) {
    d->next = malloc(ntrip * (size_t)nc * sizeof *d->next);
    d->accept = malloc(ntrip);
  }
  if (!id || !queue || !d || !d->next || !d->accept) {
    free(id);
    free(queue);
    dm_dfa_free(d);
    dm_dfa_free(value);
    dm_error_set(err, DM_ENOMEM, "out of memory");
    return NULL;
  }
  for (size_t i = 0; i < ntrip; i++) id[i] = -1;
#define TRIP(q, f, g) ((size_t)((q) + 1) * 4 + (size_t)(f) * 2 + (size_t)(g))
  int32_t n = 0, head = 0;
  id[TRIP(0, 0, 0)] = n++;
  queue[0] = (int32_t)TRIP(0, 0, 0);
  while (head < n) {
    int32_t t = queue[head], me = head++;
    int32_t q = t / 4 - 1;
    int f = (t >> 1) & 1, g = t & 1;
    d->accept[me] = (uint8_t)((q >= 0 && v->accept[q] && !f) || g);
    for (int c = 0; c < nc; c++) {
      int32_t q2 = q >= 0 ? v->next[(size_t)q * (size_t)v->nclasses + (size_t)vclass[c]] : -1;
      /* f only matters where q2 accepts (acceptance and g read "q accepts and not
         f"): elsewhere it is left 0, which spares the minimisation the twins */
      int f2 = is_space[c] && q2 >= 0 && v->accept[q2];
      int g2 = is_space[c] && (g || (q >= 0 && v->accept[q] && !f));
      int32_t to = -1;
      if (q2 >= 0 || g2) {
        size_t k = TRIP(q2, f2, g2);
        if (id[k] < 0) {
          id[k] = n;
          queue[n++] = (int32_t)k;
        }
        to = id[k];
      }
      d->next[(size_t)me * (size_t)nc + (size_t)c] = to;
    }
  }
#undef TRIP
  free(id);
  free(queue);
  d->nstates = n;
  d->nclasses = nc;
  memcpy(d->class_of, class_of, 256);
  dm_dfa_free(value);
  if (dm_dfa_minimize(d)) {
    dm_dfa_free(d);
    dm_error_set(err, DM_ENOMEM, "out of memory");
    return NULL;
  }
  return d;
}

