/* Warmup + cosine learning-rate schedule: a pure function of the step. */
#include <math.h>

#include "optim.h"

double dm_lr_at(const dm_lr_schedule *s, long step) {
  if (step < 0) step = 0;
  if (step < s->warmup) return s->peak * (double)step / (double)s->warmup;
  if (step >= s->total) return s->min;
  double f = (double)(step - s->warmup) / (double)(s->total - s->warmup);
  return s->min + (s->peak - s->min) * 0.5 * (1.0 + cos(M_PI * f));
}
