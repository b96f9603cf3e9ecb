/* Weighted cross-entropy over selected rows, from logits. */
#include <math.h>
#include <stdio.h>

#include "ops.h"

// logits (R, V), targets (R), weights (R) -> loss (scalar), dlogits (R, V)
int dm_grad_cross_entropy(const float *logits, int R, int V, const int32_t *targets,
                          const float *weights, double *loss, float *dlogits, dm_error *err) {
  for (int r = 0; r < R; r++)
    if (targets[r] < 0 || targets[r] >= V) {
      char where[32];
      snprintf(where, sizeof where, "targets[%d]", r);
      return dm_error_set_named(err, DM_ERANGE, where,
                                "target %d of row %d is outside the vocabulary [0, %d)", targets[r], r, V);
    }
  double total = 0;
  for (int r = 0; r < R; r++) {
    const float *l = logits + (size_t)r * V;
    double w = weights ? weights[r] : 1.0, mx = -INFINITY, z = 0;
    for (int j = 0; j < V; j++)
      if (l[j] > mx) mx = l[j];
    for (int j = 0; j < V; j++) z += exp((double)l[j] - mx);
    double lse = mx + log(z);
    total += w * (lse - l[targets[r]]);
    if (dlogits) {
      float *d = dlogits + (size_t)r * V;
      for (int j = 0; j < V; j++) d[j] = (float)(w * exp((double)l[j] - lse));
      d[targets[r]] -= (float)w;
    }
  }
  if (loss) *loss = total;
  return DM_OK;
}
