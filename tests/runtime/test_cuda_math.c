/* The CUDA kernels' element and reduction logic (lib/runtime/cuda/kmath.h), run on the
 * CPU in the kernels' own index and reduction order, against the reference twins:
 * row statistics (block tree of 256 threads), the fused QKV epilogue (bias, RoPE
 * table, split into q/k/v with the cached-row mapping), attention (batched-GEMM
 * offsets with GQA, softmax merge, causal limits). Also device names and the CPU
 * dm_forward_stats. Needs no GPU: this is what CI checks of the CUDA code's logic;
 * the kernels themselves are compared on a GPU by tests/gpu/. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <dimple/runtime.h>

#include "cuda/kmath.h"
#include "kerneltest.h"
#include "model/internal.h"
#include "../checkmain.h"

/* ------------------------------------------------------------------ row statistics */

/* k_row_stats + block_stat of cu_kernels.cu, thread by thread. */
static dm_km_stat emulate_block_stat(const float *x, int V, const uint32_t *mask) {
  dm_km_stat th[DM_KM_THREADS], warp[DM_KM_THREADS / 32];
  for (int t = 0; t < DM_KM_THREADS; t++) {
    th[t] = dm_km_stat_init();
    for (int i = t; i < V; i += DM_KM_THREADS)
      if (dm_km_allowed(mask, i)) th[t] = dm_km_stat_add(th[t], x[i], i);
  }
  for (int w = 0; w < DM_KM_THREADS / 32; w++) {
    dm_km_stat *l = th + 32 * w;
    for (int o = 16; o > 0; o >>= 1) {
      dm_km_stat nl[32];
      for (int lane = 0; lane < 32; lane++) nl[lane] = lane + o < 32 ? dm_km_stat_merge(l[lane], l[lane + o]) : l[lane];
      memcpy(l, nl, sizeof nl);
    }
    warp[w] = l[0];
  }
  dm_km_stat l[32];
  for (int lane = 0; lane < 32; lane++) l[lane] = lane < DM_KM_THREADS / 32 ? warp[lane] : dm_km_stat_init();
  for (int o = 16; o > 0; o >>= 1) {
    dm_km_stat nl[32];
    for (int lane = 0; lane < 32; lane++) nl[lane] = lane + o < 32 ? dm_km_stat_merge(l[lane], l[lane + o]) : l[lane];
    memcpy(l, nl, sizeof nl);
  }
  return l[0];
}

static void check_stats_rows(const float *x, int R, int V, const uint32_t *allowed) {
  dm_row_stats *ref = malloc(sizeof *ref * (size_t)R);
  dm_row_stats_compute(x, R, V, allowed, ref);
  for (int r = 0; r < R; r++) {
    const uint32_t *mask = allowed ? allowed + (size_t)r * DM_ALLOWED_WORDS(V) : NULL;
    dm_row_stats g;
    dm_km_stat_finish(emulate_block_stat(x + (size_t)r * V, V, mask), &g.argmax, &g.max_prob, &g.margin, &g.entropy);
    ck_assert_int_eq(g.argmax, ref[r].argmax);
    ck_assert_msg(fabsf(g.max_prob - ref[r].max_prob) <= 1e-5f + 1e-4f * ref[r].max_prob, "row %d p1 %g vs %g", r,
                  g.max_prob, ref[r].max_prob);
    ck_assert_msg(fabsf(g.margin - ref[r].margin) <= 1e-5f + 1e-4f * ref[r].max_prob, "row %d margin %g vs %g", r,
                  g.margin, ref[r].margin);
    ck_assert_msg(fabsf(g.entropy - ref[r].entropy) <= 1e-4f * (1.0f + ref[r].entropy), "row %d entropy %g vs %g", r,
                  g.entropy, ref[r].entropy);
  }
  free(ref);
}

START_TEST(row_stats_tree) {
  int R = 6, V = 5003; /* V not a multiple of 32 or 256 */
  float *x = rvec((size_t)R * V);
  for (size_t i = 0; i < (size_t)R * V; i++) x[i] *= 8.0f;
  x[(size_t)1 * V + 4000] = 30.0f; /* a confident row */
  x[(size_t)2 * V + 17] = x[(size_t)2 * V + 4000] = 25.0f; /* a tie: lowest id wins, margin 0 */
  check_stats_rows(x, R, V, NULL);
  size_t W = DM_ALLOWED_WORDS(V);
  uint32_t *mask = calloc((size_t)R * W, sizeof *mask);
  for (int r = 0; r < R; r++)
    for (int i = 0; i < V; i++)
      if (r == 3 ? i == 4999 : r == 4 ? 0 : (frand() > 0.0f || i == 4000))
        mask[(size_t)r * W + (i >> 5)] |= 1u << (i & 31);
  check_stats_rows(x, R, V, mask);
  dm_row_stats s[6];
  dm_row_stats_compute(x, R, V, mask, s);
  ck_assert_int_eq(s[1].argmax, 4000);
  ck_assert_int_eq(s[3].argmax, 4999); /* one allowed token: p = 1, margin 1, entropy 0 */
  ck_assert_float_eq_tol(s[3].max_prob, 1.0f, 1e-6f);
  ck_assert_float_eq_tol(s[3].margin, 1.0f, 1e-6f);
  ck_assert_float_eq_tol(s[3].entropy, 0.0f, 1e-6f);
  ck_assert_int_eq(s[4].argmax, -1); /* none allowed */
  dm_row_stats_compute(x, R, V, NULL, s);
  ck_assert_int_eq(s[2].argmax, 17);
  ck_assert_float_eq_tol(s[2].margin, 0.0f, 1e-7f);
  free(mask);
  free(x);
}
END_TEST

START_TEST(row_stats_uniform) {
  /* uniform logits: p = 1/V, entropy log V */
  int V = 1000;
  float *x = calloc((size_t)V, sizeof *x);
  dm_row_stats s;
  dm_km_stat a = emulate_block_stat(x, V, NULL);
  dm_km_stat_finish(a, &s.argmax, &s.max_prob, &s.margin, &s.entropy);
  ck_assert_int_eq(s.argmax, 0);
  ck_assert_float_eq_tol(s.max_prob, 1.0f / V, 1e-7f);
  ck_assert_float_eq_tol(s.entropy, logf((float)V), 1e-4f);
  free(x);
}
END_TEST

/* ------------------------------------------------------------------ QKV epilogue */

/* k_qkv_post of cu_kernels.cu, thread by thread (f32 outputs). */
static void emulate_qkv_post(const float *y, const float *bias, int M, int H, int KV, int D, const float *cs, int Tq,
                             int q0, int Tdst, int off, float *q, float *k, float *v) {
  int hd = D / 2, W = (H + 2 * KV) * D;
  size_t n = (size_t)M * (H + 2 * KV) * hd;
  for (size_t i = 0; i < n; i++) {
    dm_km_qkv_idx ix = dm_km_qkv_split(i, H, KV, D);
    size_t col = (size_t)ix.hs * D + ix.j;
    float a = y[ix.r * W + col], b = y[ix.r * W + col + hd];
    if (bias) {
      a += bias[col];
      b += bias[col + hd];
    }
    int pos = q0 + (int)(ix.r % (size_t)Tq);
    if (ix.hs < H + KV) dm_km_rope_pair(&a, &b, cs[((size_t)pos * hd + ix.j) * 2], cs[((size_t)pos * hd + ix.j) * 2 + 1]);
    if (ix.hs < H) {
      size_t o = ix.r * (size_t)H * D + (size_t)ix.hs * D + ix.j;
      q[o] = a;
      q[o + hd] = b;
    } else {
      int kh = ix.hs < H + KV ? ix.hs - H : ix.hs - H - KV;
      float *dst = ix.hs < H + KV ? k : v;
      size_t o = dm_km_kv_row(ix.r, Tq, Tdst, off) * (size_t)KV * D + (size_t)kh * D + ix.j;
      dst[o] = a;
      dst[o + hd] = b;
    }
  }
}

static void check_qkv(int B, int T, int C, int H, int KV, int D, double theta) {
  int q0 = C, Tq = T - C, M = B * Tq, W = (H + 2 * KV) * D, hd = D / 2;
  float *y = rvec((size_t)M * W), *bias = rvec((size_t)W);
  float *cs = malloc(sizeof(float) * (size_t)T * D);
  for (int p = 0; p < T; p++)
    for (int j = 0; j < hd; j++) dm_km_rope_cs(p, j, D, theta, &cs[((size_t)p * hd + j) * 2], &cs[((size_t)p * hd + j) * 2 + 1]);
  float *q = calloc((size_t)M * H * D, sizeof(float));
  float *k = calloc((size_t)B * T * KV * D, sizeof(float)), *v = calloc((size_t)B * T * KV * D, sizeof(float));
  emulate_qkv_post(y, bias, M, H, KV, D, cs, Tq, q0, T, C, q, k, v);
  /* reference: bias, then dm_ref_rope at positions q0 + t */
  float *rq = malloc(sizeof(float) * (size_t)M * H * D), *rk = malloc(sizeof(float) * (size_t)M * KV * D);
  float *rv = malloc(sizeof(float) * (size_t)M * KV * D);
  int32_t *pos = malloc(sizeof(int32_t) * (size_t)M);
  for (int r = 0; r < M; r++) {
    pos[r] = q0 + r % Tq;
    for (int c = 0; c < W; c++) {
      float val = y[(size_t)r * W + c] + bias[c];
      if (c < H * D) rq[(size_t)r * H * D + c] = val;
      else if (c < (H + KV) * D) rk[(size_t)r * KV * D + c - H * D] = val;
      else rv[(size_t)r * KV * D + c - (H + KV) * D] = val;
    }
  }
  dm_ref_rope(rq, M, H, D, pos, theta);
  dm_ref_rope(rk, M, KV, D, pos, theta);
  ck_assert_double_le(maxdiff(q, rq, (size_t)M * H * D), 1e-6);
  for (int b = 0; b < B; b++) {
    size_t kvd = (size_t)KV * D;
    /* fresh rows land after the C cached ones of each sequence */
    ck_assert_double_le(maxdiff(k + ((size_t)b * T + C) * kvd, rk + (size_t)b * Tq * kvd, (size_t)Tq * kvd), 1e-6);
    ck_assert_double_le(maxdiff(v + ((size_t)b * T + C) * kvd, rv + (size_t)b * Tq * kvd, (size_t)Tq * kvd), 0.0);
    for (size_t i = 0; i < (size_t)C * kvd; i++) ck_assert(k[(size_t)b * T * kvd + i] == 0.0f); /* untouched */
  }
  free(y);
  free(bias);
  free(cs);
  free(q);
  free(k);
  free(v);
  free(rq);
  free(rk);
  free(rv);
  free(pos);
}

START_TEST(qkv_post_full_and_cached) {
  check_qkv(2, 9, 0, 4, 2, 8, 10000.0);   /* FULL / PREFILL */
  check_qkv(2, 11, 5, 4, 1, 16, 5e5);     /* CACHED: rows after the cache */
  check_qkv(1, 300, 17, 2, 2, 128, 1e6);  /* long positions, Dream-like theta */
}
END_TEST

/* ------------------------------------------------------------------ attention */

/* block_smax of cu_kernels.cu: warp trees (lane l takes lane l + o), then warp 0. */
static dm_km_smax emulate_block_smax(dm_km_smax *th) {
  dm_km_smax warp[DM_KM_THREADS / 32], l[32], nl[32];
  for (int w = 0; w < DM_KM_THREADS / 32; w++) {
    memcpy(l, th + 32 * w, sizeof l);
    for (int o = 16; o > 0; o >>= 1) {
      for (int lane = 0; lane < 32; lane++) nl[lane] = lane + o < 32 ? dm_km_smax_merge(l[lane], l[lane + o]) : l[lane];
      memcpy(l, nl, sizeof l);
    }
    warp[w] = l[0];
  }
  for (int lane = 0; lane < 32; lane++) {
    l[lane].m = -INFINITY;
    l[lane].s = 0.0f;
    if (lane < DM_KM_THREADS / 32) l[lane] = warp[lane];
  }
  for (int o = 16; o > 0; o >>= 1) {
    for (int lane = 0; lane < 32; lane++) nl[lane] = lane + o < 32 ? dm_km_smax_merge(l[lane], l[lane + o]) : l[lane];
    memcpy(l, nl, sizeof l);
  }
  return l[0];
}

/* The batched attention of cu_model.cu with the f32 path: per entry e (b, h),
 * S = scale Q K^T at the dm_km_att_offsets blocks, k_softmax (strided smax merge,
 * causal limit per row), O = P V. */
static void emulate_attention(const float *q, const float *k, const float *v, float *o, int B, int Tq, int Tk, int H,
                              int KV, int D, int q0, int causal) {
  int qd = H * D, kvd = KV * D;
  float scale = 1.0f / sqrtf((float)D);
  float *s = malloc(sizeof(float) * (size_t)Tq * Tk);
  for (int e = 0; e < B * H; e++) {
    dm_km_att_off of = dm_km_att_offsets(e, H, KV, D, Tq, Tk);
    for (int i = 0; i < Tq; i++)
      for (int j = 0; j < Tk; j++) {
        float acc = 0;
        for (int c = 0; c < D; c++) acc += q[of.q + (size_t)i * qd + c] * k[of.kv + (size_t)j * kvd + c];
        s[(size_t)i * Tk + j] = scale * acc;
      }
    for (int i = 0; i < Tq; i++) {
      int lim = dm_km_key_limit(i, q0, Tk, causal);
      dm_km_smax part[DM_KM_THREADS];
      for (int t = 0; t < DM_KM_THREADS; t++) {
        part[t].m = -INFINITY;
        part[t].s = 0.0f;
        for (int j = t; j < lim; j += DM_KM_THREADS) part[t].m = fmaxf(part[t].m, s[(size_t)i * Tk + j]);
        for (int j = t; j < lim; j += DM_KM_THREADS) part[t].s += expf(s[(size_t)i * Tk + j] - part[t].m);
      }
      dm_km_smax a = emulate_block_smax(part);
      for (int j = 0; j < Tk; j++) s[(size_t)i * Tk + j] = j < lim ? expf(s[(size_t)i * Tk + j] - a.m) / a.s : 0.0f;
    }
    for (int i = 0; i < Tq; i++)
      for (int c = 0; c < D; c++) {
        float acc = 0;
        for (int j = 0; j < Tk; j++) acc += s[(size_t)i * Tk + j] * v[of.kv + (size_t)j * kvd + c];
        o[of.o + (size_t)i * qd + c] = acc;
      }
  }
  free(s);
}

static void check_attention(int B, int Tq, int Tk, int H, int KV, int D, int q0, int causal) {
  int qd = H * D, kvd = KV * D;
  float *q = rvec((size_t)B * Tq * qd), *k = rvec((size_t)B * Tk * kvd), *v = rvec((size_t)B * Tk * kvd);
  for (size_t i = 0; i < (size_t)B * Tq * qd; i++) q[i] *= 3.0f;
  float *o = malloc(sizeof(float) * (size_t)B * Tq * qd), *r = malloc(sizeof(float) * (size_t)B * Tq * qd);
  emulate_attention(q, k, v, o, B, Tq, Tk, H, KV, D, q0, causal);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++)
      dm_ref_attention(q + (size_t)b * Tq * qd + (size_t)h * D, qd, k + (size_t)b * Tk * kvd + (size_t)(h / (H / KV)) * D,
                       v + (size_t)b * Tk * kvd + (size_t)(h / (H / KV)) * D, kvd, r + (size_t)b * Tq * qd + (size_t)h * D,
                       qd, Tq, Tk, D, q0, causal);
  ck_assert_double_le(maxdiff(o, r, (size_t)B * Tq * qd), 2e-5);
  free(q);
  free(k);
  free(v);
  free(o);
  free(r);
}

START_TEST(attention_offsets_softmax) {
  check_attention(2, 7, 7, 4, 2, 8, 0, 0);       /* full, GQA 2 */
  check_attention(2, 7, 7, 4, 4, 8, 0, 1);       /* causal */
  check_attention(1, 5, 300, 6, 2, 16, 295, 0);  /* cached: queries after 295 keys, > 256 keys per row */
  check_attention(2, 4, 9, 4, 1, 8, 5, 1);       /* cached + causal, MQA */
}
END_TEST

/* ------------------------------------------------------------------ names, CPU stats */

START_TEST(device_names) {
  int d, i;
  dm_error e;
  char buf[32];
  ck_assert_int_eq(dm_device_parse("cpu", &d, &i, &e), DM_OK);
  ck_assert_int_eq(d, DM_DEVICE_CPU);
  ck_assert_int_eq(dm_device_parse("cuda", &d, &i, &e), DM_OK);
  ck_assert_int_eq(d, DM_DEVICE_CUDA);
  ck_assert_int_eq(i, 0);
  ck_assert_int_eq(dm_device_parse("cuda:3", &d, &i, &e), DM_OK);
  ck_assert_int_eq(i, 3);
  ck_assert_str_eq(dm_device_name(d, i, buf, sizeof buf), "cuda:3");
  ck_assert_int_eq(dm_device_parse("auto", &d, &i, &e), DM_OK);
  ck_assert_int_eq(d, DM_DEVICE_AUTO);
  const char *bad[] = {"gpu", "cuda:", "cuda:x", "cuda:-1", "cuda3", "CPU", "", "cuda:1:2", "auto:"};
  for (unsigned n = 0; n < sizeof bad / sizeof bad[0]; n++) {
    dm_error_clear(&e);
    ck_assert_int_eq(dm_device_parse(bad[n], &d, &i, &e), DM_EINVAL);
    ck_assert_str_eq(e.where, bad[n]);
  }
}
END_TEST

START_TEST(forward_stats_cpu) {
  dm_model_shape sh = {DM_FAMILY_DREAM, DM_DTYPE_F32, 2, 32, 4, 2, 64, 300, 1e4, 0};
  dm_model_params p = dm_model_default_params();
  p.n_threads = 1;
  dm_model *m = NULL;
  dm_error e;
  ck_assert_int_eq(dm_model_new_random(&sh, 5, &p, &m, &e), DM_OK);
  int32_t ids[12], rows[6] = {0, 3, 0, 7, 0, 11};
  for (int i = 0; i < 12; i++) ids[i] = (i * 37) % 300;
  dm_forward_batch b = {1, 12, ids, 0, 3, rows, DM_FORWARD_FULL, 0, NULL};
  float lg[3 * 300];
  ck_assert_int_eq(dm_forward(m, &b, lg, &e), DM_OK);
  uint32_t mask[3 * DM_ALLOWED_WORDS(300)];
  memset(mask, 0, sizeof mask);
  for (int r = 0; r < 3; r++)
    for (int t = r; t < 300; t += 3) mask[r * DM_ALLOWED_WORDS(300) + (t >> 5)] |= 1u << (t & 31);
  dm_row_stats got[3], ref[3];
  ck_assert_int_eq(dm_forward_stats(m, &b, mask, got, &e), DM_OK);
  dm_row_stats_compute(lg, 3, 300, mask, ref);
  for (int r = 0; r < 3; r++) {
    ck_assert_int_eq(got[r].argmax, ref[r].argmax);
    ck_assert_int_eq(got[r].argmax % 3, r); /* an allowed token */
    float best = -INFINITY;
    for (int t = r; t < 300; t += 3)
      if (lg[r * 300 + t] > best) best = lg[r * 300 + t];
    ck_assert(lg[r * 300 + got[r].argmax] == best);
    ck_assert_float_eq(got[r].entropy, ref[r].entropy);
    /* prob_all: the allowed argmax under the softmax over all 300 tokens */
    double z = 0;
    float mx = -INFINITY;
    for (int t = 0; t < 300; t++) mx = lg[r * 300 + t] > mx ? lg[r * 300 + t] : mx;
    for (int t = 0; t < 300; t++) z += exp((double)lg[r * 300 + t] - mx);
    ck_assert_double_eq_tol(got[r].prob_all, exp((double)best - mx) / z, 1e-6);
    ck_assert(got[r].prob_all <= got[r].max_prob + 1e-7f);
  }
  dm_model_info mi;
  dm_model_info_get(m, &mi);
  ck_assert_int_eq(mi.device, DM_DEVICE_CPU);
  dm_model_free(m);
}
END_TEST

START_TEST(cuda_unavailable_is_an_error) {
  /* Asking for CUDA without a usable device fails cleanly; "auto" falls back to CPU. */
  int n = 0;
  dm_cuda_device_count(&n, NULL);
  if (n > 0) return; /* a GPU machine: tests/gpu/ covers this */
  dm_model_shape sh = {DM_FAMILY_LLADA, DM_DTYPE_BF16, 1, 16, 2, 2, 32, 50, 1e4, 0};
  dm_model_params p = dm_model_default_params();
  p.n_threads = 1;
  p.device = DM_DEVICE_CUDA;
  dm_model *m = NULL;
  dm_error e;
  dm_error_clear(&e);
  int rc = dm_model_new_random(&sh, 1, &p, &m, &e);
  ck_assert_ptr_null(m);
  ck_assert_msg(rc == DM_EUNSUPPORTED || rc == DM_EDEVICE, "rc %d", rc);
  ck_assert_msg(strstr(e.message, "built without CUDA") || strstr(e.message, "no CUDA device"), "%s", e.message);
  p.device = DM_DEVICE_AUTO;
  ck_assert_int_eq(dm_model_new_random(&sh, 1, &p, &m, &e), DM_OK);
  dm_model_info mi;
  dm_model_info_get(m, &mi);
  ck_assert_int_eq(mi.device, DM_DEVICE_CPU);
  dm_model_free(m);
}
END_TEST

int main(void) {
  Suite *s = suite_create("cuda_math");
  TCase *tc = tcase_create("kmath");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, row_stats_tree);
  tcase_add_test(tc, row_stats_uniform);
  tcase_add_test(tc, qkv_post_full_and_cached);
  tcase_add_test(tc, attention_offsets_softmax);
  tcase_add_test(tc, device_names);
  tcase_add_test(tc, forward_stats_cpu);
  tcase_add_test(tc, cuda_unavailable_is_an_error);
  suite_add_tcase(s, tc);
  return dm_test_failures(s) ? 1 : 0;
}
