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

