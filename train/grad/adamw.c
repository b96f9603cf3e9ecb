/* AdamW (decoupled weight decay, bias correction) and global gradient clipping. */
#include <math.h>

#include "optim.h"

dm_adamw_params dm_adamw_default_params(void) {
  dm_adamw_params p = {0.9, 0.95, 1e-8, 0.1};
  return p;
}

// w, g, m, v (n)
void dm_adamw_step(const dm_adamw_params *p, long step, double lr, float *w, const float *g,
                   float *m, float *v, size_t n) {
  double b1 = p->beta1, b2 = p->beta2;
  double c1 = 1.0 - pow(b1, (double)step), c2 = 1.0 - pow(b2, (double)step);
  double decay = 1.0 - lr * p->weight_decay;
  for (size_t i = 0; i < n; i++) {
    double gi = g[i];
    double mi = b1 * m[i] + (1.0 - b1) * gi, vi = b2 * v[i] + (1.0 - b2) * gi * gi;
    m[i] = (float)mi;
    v[i] = (float)vi;
    double wi = w[i] * decay;
    wi -= lr * (mi / c1) / (sqrt(vi / c2) + p->eps);
    w[i] = (float)wi;
  }
}

// grads[i] (sizes[i]) for i < n -> scaled in place
double dm_grad_clip_global(float *const *grads, const size_t *sizes, int n, double max_norm) {
  double ss = 0;
  for (int i = 0; i < n; i++)
    for (size_t j = 0; j < sizes[i]; j++) ss += (double)grads[i][j] * grads[i][j];
  double norm = sqrt(ss);
  if (!isfinite(norm) || max_norm <= 0 || norm <= max_norm) return norm;
  float s = (float)(max_norm / norm);
  for (int i = 0; i < n; i++)
    for (size_t j = 0; j < sizes[i]; j++) grads[i][j] *= s;
  return norm;
}
