/* The training loop: data, model, phases, optimizer, progress, checkpoints. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <dimple/model.h>
#include <dimple/tokenizer.h>

#include "grad/optim.h"
#include "tdata.h"
#include "trainer.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int copy_file(const char *from, const char *to, dm_error *err) {
  FILE *a = fopen(from, "rb");
  if (!a) return dm_error_set(err, DM_ENOENT, "cannot open %s", from);
  FILE *b = fopen(to, "wb");
  if (!b) {
    fclose(a);
    return dm_error_set(err, DM_EIO, "cannot write %s", to);
  }
  char buf[65536];
  size_t n;
  int ok = 1;
  while (ok && (n = fread(buf, 1, sizeof buf, a)) > 0) ok = fwrite(buf, 1, n, b) == n;
  fclose(a);
  if (fclose(b) != 0) ok = 0;
  return ok ? DM_OK : dm_error_set(err, DM_EIO, "cannot write %s", to);
}

static int write_state(const char *dir, long step, double loss, const dm_trecipe *r, dm_error *err) {
  cJSON *j = cJSON_CreateObject();
  if (!j) return dm_error_set(err, DM_ENOMEM, "out of memory");
  cJSON_AddNumberToObject(j, "step", (double)step);
  cJSON_AddNumberToObject(j, "seed", (double)r->seed);
  cJSON_AddNumberToObject(j, "ar_steps", (double)r->ar_steps);
  cJSON_AddNumberToObject(j, "diffusion_steps", (double)r->diffusion_steps);
  cJSON_AddNumberToObject(j, "batch_tokens", r->batch_tokens);
  cJSON_AddNumberToObject(j, "loss", loss);
  char *t = cJSON_Print(j);
  cJSON_Delete(j);
  if (!t) return dm_error_set(err, DM_ENOMEM, "out of memory");
  char path[4200], tmp[4300];
  snprintf(path, sizeof path, "%s/trainer_state.json", dir);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  int ok = f && fputs(t, f) >= 0;
  if (f && fclose(f) != 0) ok = 0;
  free(t);
  if (!ok || rename(tmp, path) != 0) return dm_error_set(err, DM_EIO, "cannot write %s", path);
  return DM_OK;
}

static int read_state(const char *dir, const dm_trecipe *r, long *step, dm_error *err) {
  char path[4200];
  snprintf(path, sizeof path, "%s/trainer_state.json", dir);
  FILE *f = fopen(path, "r");
  if (!f) return dm_error_set(err, DM_ENOENT, "nothing to resume: %s is missing", path);
  char buf[4096];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  cJSON *j = cJSON_Parse(buf);
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "step"), *sd = cJSON_GetObjectItemCaseSensitive(j, "seed");
  const cJSON *bt = cJSON_GetObjectItemCaseSensitive(j, "batch_tokens");
  int rc = DM_OK;
  if (!cJSON_IsNumber(s) || !cJSON_IsNumber(sd) || !cJSON_IsNumber(bt) || s->valuedouble < 0)
    rc = dm_error_set_named(err, DM_EFORMAT, "step", "%s: not a trainer state", path);
  else if ((uint64_t)sd->valuedouble != r->seed || bt->valueint != r->batch_tokens)
    rc = dm_error_set(err, DM_EINVAL, "%s was written with another seed or batch_tokens than this recipe's", path);
  else
    *step = (long)s->valuedouble;
  cJSON_Delete(j);
  return rc;
}

typedef struct loop {
  const dm_trecipe *r;
  dm_tdata *data;
  dm_tmodel *m;
  dm_tstep *ws;
  dm_tspecial sp;
  dm_tepoch ep;
  long epoch, batch_base; /* batches before the current epoch */
  FILE *log;
} loop;

/* The batch of a global batch index (epochs in sequence). */
static int locate(loop *L, long gi, int *bi, dm_error *err) {
  if (gi < L->batch_base) { /* only forward moves are expected; restart otherwise */
    dm_tepoch_free(&L->ep);
    L->epoch = -1;
    L->batch_base = 0;
  }
  while (L->epoch < 0 || gi >= L->batch_base + L->ep.n_batches) {
    if (L->epoch >= 0) L->batch_base += L->ep.n_batches;
    dm_tepoch_free(&L->ep);
    L->epoch++;
    int rc = dm_tepoch_make(L->data, L->r->batch_tokens, L->r->seed, L->epoch, &L->ep, err);
    if (rc) return rc;
  }
  *bi = (int)(gi - L->batch_base);
  return DM_OK;
}

static int save_all(loop *L, long step, double loss, int final, dm_error *err) {
  const dm_trecipe *r = L->r;
  int rc = dm_tmodel_save(L->m, &L->sp, final && r->bf16, r->out, err);
  if (rc == DM_OK && !(final && r->bf16)) rc = dm_tmodel_save_moments(L->m, r->out, err);
  if (rc == DM_OK) rc = write_state(r->out, step, loss, r, err);
  return rc;
}

int dm_train_run(const dm_trecipe *r, int resume, dm_tprogress_fn fn, void *ctx, dm_tsummary *sum, dm_error *err) {
  dm_tsummary local;
  if (!sum) sum = &local;
  memset(sum, 0, sizeof *sum);
  if (!r->data[0] || !r->tokenizer[0] || !r->out[0])
    return dm_error_set(err, DM_EINVAL, "the recipe needs data, tokenizer and out");
  struct stat st;
  if (mkdir(r->out, 0777) != 0 && errno != EEXIST) return dm_error_set(err, DM_EIO, "cannot create %s", r->out);
  if (stat(r->out, &st) != 0 || !S_ISDIR(st.st_mode))
    return dm_error_set(err, DM_EINVAL, "out %s is not a folder", r->out);
  loop L;
  memset(&L, 0, sizeof L);
  L.r = r;
  L.epoch = -1;
  dm_tokenizer *tok = NULL;
  dm_tbatchbuf bb;
  memset(&bb, 0, sizeof bb);
  int rc = dm_tokenizer_load(r->tokenizer, &tok, err);
  if (rc) return rc;
  L.sp.eos = dm_tokenizer_special_id(tok, DM_SPECIAL_EOS);
  L.sp.mask = dm_tokenizer_special_id(tok, DM_SPECIAL_MASK);
  L.sp.pad = dm_tokenizer_special_id(tok, DM_SPECIAL_PAD);
  L.sp.bos = dm_tokenizer_special_id(tok, DM_SPECIAL_BOS);
  if (L.sp.pad < 0) L.sp.pad = L.sp.eos;
  if (L.sp.bos < 0) L.sp.bos = L.sp.eos;
  dm_tdata_params dp = {r->priors[0] ? r->priors : NULL, NULL, r->prior_format, r->free_tokens, r->max_len, r->seed};
  rc = dm_tdata_load(r->data, tok, &dp, &L.data, err);
  dm_tshape shape = r->shape;
  if (shape.vocab <= 0) shape.vocab = dm_tokenizer_vocab_size(tok);
  long step0 = 0;
  if (rc == DM_OK && resume) {
    rc = read_state(r->out, r, &step0, err);
    if (rc == DM_OK) rc = dm_tmodel_load(r->out, 1, &L.m, err);
    if (rc == DM_OK && (L.m->s.n_layers != shape.n_layers || L.m->s.d_model != shape.d_model ||
                        L.m->s.vocab != shape.vocab || L.m->s.d_ff != shape.d_ff))
      rc = dm_error_set(err, DM_EINVAL, "the checkpoint in %s has another shape than the recipe's model", r->out);
  } else if (rc == DM_OK && r->init_from[0]) {
    rc = dm_tmodel_load(r->init_from, 0, &L.m, err);
    if (rc == DM_OK && (L.m->s.n_layers != shape.n_layers || L.m->s.d_model != shape.d_model ||
                        L.m->s.vocab != shape.vocab || L.m->s.d_ff != shape.d_ff ||
                        L.m->s.n_heads != shape.n_heads || L.m->s.n_kv_heads != shape.n_kv_heads))
      rc = dm_error_set(err, DM_EINVAL, "init_from %s has another shape than the recipe's model", r->init_from);
  } else if (rc == DM_OK) {
    rc = dm_tmodel_new(&shape, r->seed, &L.m, err);
  }
  /* tokenizer files beside the weights: the folder is a model the runtime loads */
  for (int i = 0; rc == DM_OK && i < 2; i++) {
    const char *nm = i ? "tokenizer_config.json" : "tokenizer.json";
    char a[4200], b[4200];
    snprintf(a, sizeof a, "%s/%s", r->tokenizer, nm);
    snprintf(b, sizeof b, "%s/%s", r->out, nm);
    if (strcmp(a, b) != 0) rc = copy_file(a, b, err);
  }
  int max_tokens = r->batch_tokens > (L.data ? L.data->max_n : 0) ? r->batch_tokens : L.data->max_n;
  if (rc == DM_OK) rc = dm_tstep_new(L.m, max_tokens, max_tokens, r->threads, &L.ws, err);
  double peak = 0;
  if (rc == DM_OK) {
    dm_blas_single_thread(); /* the peak is probed at each report (below) */
    char lp[4200];
    snprintf(lp, sizeof lp, "%s/train_log.jsonl", r->out);
    L.log = fopen(lp, resume ? "a" : "w");
    if (!L.log) rc = dm_error_set(err, DM_EIO, "cannot write %s", lp);
  }
  long total = r->ar_steps + r->diffusion_steps;
  dm_lr_schedule sched = {r->lr, r->min_lr, r->warmup, total > r->warmup ? total : r->warmup + 1};
  dm_adamw_params ap = dm_adamw_default_params();
  float **gp = NULL;
  size_t *gs = NULL;
  if (rc == DM_OK) {
    gp = malloc(sizeof *gp * (size_t)L.m->n_tensors);
    gs = malloc(sizeof *gs * (size_t)L.m->n_tensors);
    if (!gp || !gs) rc = dm_error_set(err, DM_ENOMEM, "out of memory");
    for (int i = 0; gp && gs && i < L.m->n_tensors; i++) {
      gp[i] = L.m->g + L.m->t[i].off;
      gs[i] = L.m->t[i].numel;
    }
  }
  if (L.data) {
    sum->examples = L.data->n;
    sum->tokens = L.data->tokens;
    sum->prior_fmt = L.data->prior_fmt;
    sum->prior_fail = L.data->prior_fail;
    sum->skipped_long = L.data->skipped_long;
  }
  if (L.m) sum->n_params = L.m->n;
  double t_start = now_s(), t_rep = t_start, loss_acc = 0, flops_acc = 0, tok_acc = 0, last_gn = 0;
  double compute_s = 0, probe_s = 0, run_flops = 0, run_s = 0, peak_weighted = 0;
  long n_acc = 0, step = step0;
  int stop = 0;
  sum->first_loss = NAN;
  long stop_at = r->stop_after > 0 ? step0 + r->stop_after : total;
  while (rc == DM_OK && step < total && step < stop_at && !stop) {
    int diffusion = step >= r->ar_steps;
    int bi = 0;
    rc = locate(&L, step, &bi, err);
    if (rc) break;
    rc = dm_tbatch_build(L.data, &L.ep, bi, diffusion, r->eps, r->seed * 1000003ull + (uint64_t)step, &bb, err);
    if (rc) break;
    dm_tbatch b = {bb.B, bb.T, bb.ids, !diffusion, bb.R, bb.rows, bb.targets, bb.weights};
    double t0 = now_s(), loss = 0;
    memset(L.m->g, 0, sizeof(float) * L.m->n);
    rc = dm_tstep_run(L.ws, L.m, &b, &loss, err);
    if (rc) break;
    if (!isfinite(loss)) {
      rc = dm_error_set(err, DM_EINTERNAL, "the loss is %g at step %ld: lower lr or raise warmup", loss, step + 1);
      break;
    }
    last_gn = dm_grad_clip_global(gp, gs, L.m->n_tensors, r->clip);
    double lr = dm_lr_at(&sched, step);
    for (int i = 0; i < L.m->n_tensors; i++) {
      const dm_ttensor *t = &L.m->t[i];
      dm_adamw_params tp = ap;
      tp.weight_decay = t->decay ? r->weight_decay : 0.0;
      dm_adamw_step(&tp, step + 1, lr, L.m->w + t->off, L.m->g + t->off, L.m->m + t->off, L.m->v + t->off, t->numel);
    }
    compute_s += now_s() - t0;
    step++;
    if (isnan(sum->first_loss)) sum->first_loss = loss;
    loss_acc += loss;
    n_acc++;
    flops_acc += 3.0 * dm_tstep_forward_flops(L.m, &b);
    tok_acc += (double)b.B * b.T;
    int ckpt = r->checkpoint_every > 0 && step % r->checkpoint_every == 0 && step < total;
    if (step % r->log_every == 0 || step == total || step == stop_at || ckpt) {
      double t = now_s(), dt = t - t_rep;
      /* the peak now, in the conditions these steps ran in (best of 2 GEMMs of 1024^3;
         its time is left out of the throughput) */
      double probe = 0;
      dm_blas_sgemm_peak(1024, dm_pool_size(dm_tstep_pool(L.ws)), 2, &probe, NULL);
      if (probe > 0) peak = probe;
      run_flops += flops_acc;
      run_s += dt;
      peak_weighted += peak * dt;
      dm_tprogress pr = {step, total, diffusion ? "diffusion" : "ar", loss_acc / (double)n_acc, lr, last_gn,
                         tok_acc / (dt > 0 ? dt : 1e-9), flops_acc / (dt > 0 ? dt : 1e-9) / 1e9, peak,
                         t - t_start - probe_s, (t - t_start - probe_s) / (double)(step - step0) * (double)(total - step), 0};
      if (ckpt) {
        rc = save_all(&L, step, pr.loss, 0, err);
        pr.checkpoint = 1;
      }
      fprintf(L.log,
              "{\"step\":%ld,\"phase\":\"%s\",\"loss\":%.6f,\"lr\":%.6g,\"grad_norm\":%.4f,\"tokens_per_s\":%.1f,"
              "\"gflops\":%.2f,\"peak_gflops\":%.2f,\"elapsed_s\":%.1f}\n",
              step, pr.phase, pr.loss, lr, last_gn, pr.tokens_per_s, pr.gflops, peak, pr.elapsed_s);
      fflush(L.log);
      sum->last_loss = pr.loss;
      sum->tokens_per_s = pr.tokens_per_s;
      sum->gflops = pr.gflops;
      if (fn && fn(&pr, ctx)) stop = 1;
      double t_end = now_s();
      probe_s += t_end - t;
      t_rep = t_end;
      loss_acc = flops_acc = tok_acc = 0;
      n_acc = 0;
    }
  }
  (void)compute_s;
  sum->steps_done = step;
  sum->seconds = now_s() - t_start;
  if (run_s > 0) { /* the run's ratio: its FLOPs over the peak the probes saw, time-weighted */
    sum->run_gflops = run_flops / run_s / 1e9;
    sum->peak_gflops = peak_weighted / run_s;
  }
  if (rc == DM_OK && L.m) rc = save_all(&L, step, sum->last_loss, step >= total, err);
  if (L.log) fclose(L.log);
  free(gp);
  free(gs);
  dm_tbatchbuf_free(&bb);
  dm_tepoch_free(&L.ep);
  dm_tstep_free(L.ws);
  dm_tmodel_free(L.m);
  dm_tdata_free(L.data);
  dm_tokenizer_free(tok);
  return rc;
}
