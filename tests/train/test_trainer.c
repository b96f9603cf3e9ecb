/* The model trainer's pieces (issue 7): the whole training step's gradient against
 * central finite differences of its own loss, for every parameter of a tiny model,
 * causal and bidirectional; the saved checkpoint loaded by the runtime gives the
 * trainer's logits; checkpoints round-trip (and a mismatched one is refused naming
 * the tensor); epochs cover every example once within the batch size; batches put
 * the loss rows at the shifted positions, with the masks and weights of the recipe. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TEST_RNG_SEED 0x747261696e657273ull
#include "../testrng.h"
#include "../checkmain.h"

#include <dimple/model.h>

#include "tdata.h"
#include "tmodel.h"

enum { B = 2, T = 7, R = 8 };
static const dm_tshape SHAPE = {2, 16, 4, 2, 24, 40, 10000.0, 1e-6};

typedef struct fixture {
  dm_tmodel *m;
  dm_tstep *ws;
  int32_t ids[B * T], rows[2 * R], targets[R];
  float weights[R];
} fixture;

static void fixture_make(fixture *f, uint64_t seed) {
  ck_assert_int_eq(dm_tmodel_new(&SHAPE, seed, &f->m, NULL), DM_OK);
  /* larger weights than the init so every path carries gradient */
  for (size_t i = 0; i < f->m->n; i++) f->m->w[i] *= 4.0f;
  ck_assert_int_eq(dm_tstep_new(f->m, B * T, R, 2, &f->ws, NULL), DM_OK);
  for (int i = 0; i < B * T; i++) f->ids[i] = (int32_t)(rnd() % SHAPE.vocab);
  for (int r = 0; r < R; r++) {
    f->rows[2 * r] = r % B;
    f->rows[2 * r + 1] = (int32_t)(rnd() % T);
    f->targets[r] = (int32_t)(rnd() % SHAPE.vocab);
    f->weights[r] = 0.5f + (float)(rnd() % 100) / 100.0f;
  }
}
static void fixture_free(fixture *f) {
  dm_tstep_free(f->ws);
  dm_tmodel_free(f->m);
}
static double loss_of(fixture *f, int causal) {
  dm_tbatch b = {B, T, f->ids, causal, R, f->rows, f->targets, f->weights};
  double loss = 0;
  ck_assert_int_eq(dm_tstep_run(f->ws, f->m, &b, &loss, NULL), DM_OK);
  return loss;
}

/* max over parameters of |g - fd|, over max |fd| */
static double grad_err(fixture *f, int causal, const float *g) {
  double worst = 0, fdmax = 0;
  for (size_t i = 0; i < f->m->n; i++) {
    float w0 = f->m->w[i];
    double h = 2e-3 * (fabs(w0) > 0.1 ? fabs(w0) : 0.1);
    f->m->w[i] = (float)(w0 + h);
    double lp = loss_of(f, causal);
    f->m->w[i] = (float)(w0 - h);
    double lm = loss_of(f, causal);
    f->m->w[i] = w0;
    double hp = (double)(float)(w0 + h) - w0, hm = w0 - (double)(float)(w0 - h);
    double fd = (lp - lm) / (hp + hm);
    double e = fabs(g[i] - fd);
    if (fabs(fd) > fdmax) fdmax = fabs(fd);
    if (e > worst) {
      worst = e;
      if (getenv("TRAINER_DEBUG")) {
        int ti = 0;
        while (ti + 1 < f->m->n_tensors && f->m->t[ti + 1].off <= i) ti++;
        printf("  %s[%zu]: analytic %.6g fd %.6g (w %.4g)\n", f->m->t[ti].name, i - f->m->t[ti].off, g[i], fd, w0);
      }
    }
  }
  return worst / fdmax;
}

static void step_case(int causal) {
  fixture f;
  fixture_make(&f, 11 + causal);
  memset(f.m->g, 0, sizeof(float) * f.m->n);
  loss_of(&f, causal);
  float *g = malloc(sizeof(float) * f.m->n), *gw = malloc(sizeof(float) * f.m->n);
  memcpy(g, f.m->g, sizeof(float) * f.m->n);
  /* the gradient of the other attention mask, to show the check can fail */
  memset(f.m->g, 0, sizeof(float) * f.m->n);
  loss_of(&f, !causal);
  memcpy(gw, f.m->g, sizeof(float) * f.m->n);
  double e = grad_err(&f, causal, g), ew = grad_err(&f, causal, gw);
  printf("training step (%s): %zu parameters, max err %.2e (other mask's gradient: %.2e)\n",
         causal ? "causal" : "bidirectional", f.m->n, e, ew);
  ck_assert_msg(e < 5e-3, "gradient error %g", e);
  ck_assert_msg(ew > 0.5, "the wrong gradient passed (%g)", ew);
  free(g);
  free(gw);
  fixture_free(&f);
}
START_TEST(step_gradient_bidirectional) { step_case(0); }
END_TEST
START_TEST(step_gradient_causal) { step_case(1); }
END_TEST

static void tmpdir(char *buf, size_t cap) {
  snprintf(buf, cap, "/tmp/dimple-trainer-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(buf));
}
static void rmdir_all(const char *d) {
  const char *names[] = {"model.safetensors", "config.json", "generation_config.json", "trainer_state.safetensors"};
  char p[512];
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    snprintf(p, sizeof p, "%s/%s", d, names[i]);
    remove(p);
  }
  rmdir(d);
}

START_TEST(runtime_parity) {
  for (int causal = 0; causal < 2; causal++) {
    fixture f;
    fixture_make(&f, 21);
    loss_of(&f, causal);
    char dir[64];
    tmpdir(dir, sizeof dir);
    dm_tspecial sp = {37, 38, 38, 39};
    ck_assert_int_eq(dm_tmodel_save(f.m, &sp, 0, dir, NULL), DM_OK);
    dm_model_params mp = dm_model_default_params();
    mp.reference_kernels = 1;
    mp.n_threads = 1;
    dm_model *rm = NULL;
    dm_error err;
    dm_error_clear(&err);
    ck_assert_msg(dm_model_load(dir, &mp, &rm, &err) == DM_OK, "%s", err.message);
    dm_model_info info;
    dm_model_info_get(rm, &info);
    ck_assert_int_eq(info.logits_shift, 1);
    ck_assert_int_eq(info.tied_embeddings, 1);
    ck_assert_int_eq(info.mask_id, 39);
    ck_assert_int_eq(info.eos_id, 38);
    float *lg = malloc(sizeof(float) * R * SHAPE.vocab);
    dm_forward_batch fb = {B, T, f.ids, causal, R, f.rows, DM_FORWARD_FULL, 0, NULL};
    ck_assert_int_eq(dm_forward(rm, &fb, lg, NULL), DM_OK);
    const float *tl = dm_tstep_logits(f.ws);
    double md = 0, mx = 0;
    for (int i = 0; i < R * SHAPE.vocab; i++) {
      md = fmax(md, fabs(lg[i] - tl[i]));
      mx = fmax(mx, fabs(lg[i]));
    }
    printf("runtime parity (%s): max |logit diff| %.2e of max |logit| %.2f\n", causal ? "causal" : "bidirectional",
           md, mx);
    ck_assert(mx > 0.1);
    ck_assert(md < 1e-4 * (1 + mx));
    free(lg);
    dm_model_free(rm);
    rmdir_all(dir);
    fixture_free(&f);
  }
}
END_TEST

START_TEST(checkpoint_roundtrip) {
  fixture f;
  fixture_make(&f, 31);
  for (size_t i = 0; i < f.m->n; i++) f.m->m[i] = (float)i * 1e-3f, f.m->v[i] = (float)i * 1e-4f;
  char dir[64];
  tmpdir(dir, sizeof dir);
  dm_tspecial sp = {37, 38, 38, 39};
  ck_assert_int_eq(dm_tmodel_save(f.m, &sp, 0, dir, NULL), DM_OK);
  ck_assert_int_eq(dm_tmodel_save_moments(f.m, dir, NULL), DM_OK);
  dm_tmodel *g = NULL;
  ck_assert_int_eq(dm_tmodel_load(dir, 1, &g, NULL), DM_OK);
  ck_assert_uint_eq(g->n, f.m->n);
  ck_assert(memcmp(g->w, f.m->w, sizeof(float) * g->n) == 0);
  ck_assert(memcmp(g->m, f.m->m, sizeof(float) * g->n) == 0);
  ck_assert(memcmp(g->v, f.m->v, sizeof(float) * g->n) == 0);
  dm_tmodel_free(g);
  /* a config that disagrees with the tensors: the error names the first tensor off */
  dm_tshape other = SHAPE;
  other.d_ff = 32;
  dm_tmodel *o = NULL;
  ck_assert_int_eq(dm_tmodel_new(&other, 1, &o, NULL), DM_OK);
  char cfgdir[64];
  tmpdir(cfgdir, sizeof cfgdir);
  ck_assert_int_eq(dm_tmodel_save(o, &sp, 0, cfgdir, NULL), DM_OK);
  char a[128], b[128];
  snprintf(a, sizeof a, "%s/config.json", cfgdir);
  snprintf(b, sizeof b, "%s/config.json", dir);
  ck_assert_int_eq(rename(a, b), 0);
  dm_error err;
  dm_error_clear(&err);
  ck_assert_int_eq(dm_tmodel_load(dir, 0, &g, &err), DM_ETENSOR);
  ck_assert_ptr_null(g);
  ck_assert_msg(strstr(err.where, "model.layers.0.mlp.gate_proj.weight") != NULL, "where: %s", err.where);
  dm_tmodel_free(o);
  rmdir_all(cfgdir);
  rmdir_all(dir);
  fixture_free(&f);
}
END_TEST

/* A hand-made data set: example i has prompt 3 + i % 4, response 5 + i % 3. */
static dm_tdata *fake_data(int n) {
  dm_tdata *d = calloc(1, sizeof *d);
  d->ex = calloc((size_t)n, sizeof *d->ex);
  d->n = n;
  d->eos = 1;
  d->mask = 2;
  for (int i = 0; i < n; i++) {
    dm_texample *x = &d->ex[i];
    x->prompt = 3 + i % 4;
    x->n = x->prompt + 5 + i % 3;
    x->ar_end = x->prompt + 3;
    x->ids = malloc(sizeof(int32_t) * (size_t)x->n);
    for (int t = 0; t < x->n; t++) x->ids[t] = t >= x->ar_end ? 1 : 10 + (i * 7 + t) % 50;
    if (x->n > d->max_n) d->max_n = x->n;
  }
  return d;
}

START_TEST(epochs_and_batches) {
  dm_tdata *d = fake_data(203);
  for (long ep = 0; ep < 3; ep++) {
    dm_tepoch e;
    ck_assert_int_eq(dm_tepoch_make(d, 64, 5, ep, &e, NULL), DM_OK);
    int *seen = calloc((size_t)d->n, sizeof(int));
    for (int bi = 0; bi < e.n_batches; bi++) {
      int mx = 0;
      for (int j = 0; j < e.count[bi]; j++) {
        int x = e.order[e.start[bi] + j];
        seen[x]++;
        if (d->ex[x].n > mx) mx = d->ex[x].n;
      }
      ck_assert_int_ge(e.count[bi], 1);
      ck_assert_int_le(e.count[bi] * mx, 64);
    }
    for (int i = 0; i < d->n; i++) ck_assert_int_eq(seen[i], 1);
    free(seen);
    /* AR batch: rows at t-1 for t in [prompt, ar_end), targets the tokens there */
    dm_tbatchbuf bb;
    memset(&bb, 0, sizeof bb);
    ck_assert_int_eq(dm_tbatch_build(d, &e, 0, 0, 1e-3, 9, &bb, NULL), DM_OK);
    int want = 0, longest_ar = 0;
    for (int j = 0; j < bb.B; j++) {
      const dm_texample *x = &d->ex[e.order[e.start[0] + j]];
      want += x->ar_end - x->prompt;
      if (x->ar_end > longest_ar) longest_ar = x->ar_end;
    }
    ck_assert_int_eq(bb.R, want);
    ck_assert_int_eq(bb.T, longest_ar); /* cut after the longest answer + EOS */
    for (int r = 0; r < bb.R; r++) {
      int b = bb.rows[2 * r], t = bb.rows[2 * r + 1] + 1;
      const dm_texample *x = &d->ex[e.order[e.start[0] + b]];
      ck_assert(t >= x->prompt && t < x->ar_end);
      ck_assert_int_eq(bb.targets[r], x->ids[t]);
      ck_assert_int_eq(bb.ids[b * bb.T + t], x->ids[t]); /* nothing masked */
      ck_assert(fabsf(bb.weights[r] - 1.0f / (float)want) < 1e-7f);
    }
    /* diffusion batch: masked positions carry the mask id and their rows; prompts
     * never masked; padding beyond an example is EOS; weight = 1/(t * total) >= 1/total */
    ck_assert_int_eq(dm_tbatch_build(d, &e, 1, 1, 1e-3, 10 + ep, &bb, NULL), DM_OK);
    long total = 0;
    for (int j = 0; j < bb.B; j++) total += bb.T - d->ex[e.order[e.start[1] + j]].prompt;
    ck_assert_int_ge(bb.R, bb.B);
    int *masked = calloc((size_t)bb.B * bb.T, sizeof(int));
    for (int r = 0; r < bb.R; r++) {
      int b = bb.rows[2 * r], t = bb.rows[2 * r + 1] + 1;
      const dm_texample *x = &d->ex[e.order[e.start[1] + b]];
      ck_assert(t >= x->prompt && t < bb.T);
      ck_assert_int_eq(bb.ids[b * bb.T + t], d->mask);
      ck_assert_int_eq(bb.targets[r], t < x->n ? x->ids[t] : d->eos);
      ck_assert(bb.weights[r] >= 1.0f / (float)total * 0.999f);
      masked[b * bb.T + t] = 1;
    }
    for (int b = 0; b < bb.B; b++) {
      const dm_texample *x = &d->ex[e.order[e.start[1] + b]];
      for (int t = 0; t < bb.T; t++)
        if (!masked[b * bb.T + t]) ck_assert_int_eq(bb.ids[b * bb.T + t], t < x->n ? x->ids[t] : d->eos);
    }
    free(masked);
    dm_tbatchbuf_free(&bb);
    dm_tepoch_free(&e);
  }
  /* a batch smaller than the longest example is refused */
  dm_tepoch e;
  dm_error err;
  dm_error_clear(&err);
  ck_assert_int_eq(dm_tepoch_make(d, 8, 5, 0, &e, &err), DM_EINVAL);
  dm_tdata_free(d);
}
END_TEST

/* Over many diffusion batches the mask ratio averages E[t] = (1 + eps) / 2. */
START_TEST(mask_ratio) {
  dm_tdata *d = fake_data(400);
  dm_tepoch e;
  ck_assert_int_eq(dm_tepoch_make(d, 4096, 3, 0, &e, NULL), DM_OK);
  dm_tbatchbuf bb;
  memset(&bb, 0, sizeof bb);
  double masked = 0, resp = 0;
  for (int k = 0; k < 200; k++) {
    ck_assert_int_eq(dm_tbatch_build(d, &e, k % e.n_batches, 1, 0.1, (uint64_t)k, &bb, NULL), DM_OK);
    masked += bb.R;
    resp += (double)bb.resp_tokens;
  }
  double ratio = masked / resp;
  printf("diffusion mask ratio %.4f (expected about %.4f)\n", ratio, 0.55);
  ck_assert(fabs(ratio - 0.55) < 0.03);
  dm_tbatchbuf_free(&bb);
  dm_tepoch_free(&e);
  dm_tdata_free(d);
}
END_TEST

static Suite *trainer_suite(void) {
  Suite *s = suite_create("trainer");
  TCase *t = tcase_create("step");
  tcase_set_timeout(t, 120);
  tcase_add_test(t, step_gradient_bidirectional);
  tcase_add_test(t, step_gradient_causal);
  tcase_add_test(t, runtime_parity);
  tcase_add_test(t, checkpoint_roundtrip);
  suite_add_tcase(s, t);
  TCase *d = tcase_create("data");
  tcase_add_test(d, epochs_and_batches);
  tcase_add_test(d, mask_ratio);
  suite_add_tcase(s, d);
  return s;
}

int main(void) { return dm_test_failures(trainer_suite()) ? EXIT_FAILURE : EXIT_SUCCESS; }
