/* Row statistics of logits for a decoder (dm_row_stats_compute): the reference twin
 * of the CUDA reduction (cu_kernels.cu, k_row_stats), in double. */
#include <math.h>

#include <dimple/model.h>

static int allowed_bit(const uint32_t *mask, int i) {
  return !mask || ((mask[i >> 5] >> (i & 31)) & 1u);
}

// logits (n_rows, vocab), allowed (n_rows, DM_ALLOWED_WORDS(vocab)) or NULL -> out (n_rows)
void dm_row_stats_compute(const float *logits, int n_rows, int vocab, const uint32_t *allowed,
                          dm_row_stats *out) {
  for (int r = 0; r < n_rows; r++) {
    const float *x = logits + (size_t)r * vocab;
    const uint32_t *mask = allowed ? allowed + (size_t)r * DM_ALLOWED_WORDS(vocab) : NULL;
    int i1 = -1, n = 0;
    double v1 = -INFINITY, v2 = -INFINITY, m_all = -INFINITY;
    for (int i = 0; i < vocab; i++) {
      if (x[i] > m_all) m_all = x[i];
      if (!allowed_bit(mask, i)) continue;
      n++;
      if (x[i] > v1) {
        v2 = v1;
        v1 = x[i];
        i1 = i;
      } else if (x[i] > v2) {
        v2 = x[i];
      }
    }
    dm_row_stats *o = &out[r];
    if (n == 0) {
      o->argmax = -1;
      o->max_prob = o->margin = o->entropy = o->prob_all = 0.0f;
      continue;
    }
    double z = 0, t = 0, z_all = 0;
    for (int i = 0; i < vocab; i++) {
      z_all += exp((double)x[i] - m_all);
      if (!allowed_bit(mask, i)) continue;
      double e = exp((double)x[i] - v1);
      z += e;
      t += e * ((double)x[i] - v1);
    }
    double p1 = 1.0 / z, p2 = n > 1 ? exp(v2 - v1) / z : 0.0, h = log(z) - t / z;
    o->argmax = i1;
    o->max_prob = (float)p1;
    o->margin = (float)(p1 - p2);
    o->entropy = (float)(h > 0 ? h : 0);
    o->prob_all = (float)(exp(v1 - m_all) / z_all);
  }
}
