/* Reading and tokenizing the corpus; epochs and batches. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <dimple/prior.h>

#include "model/splitmix.h"
#include "tdata.h"

static uint64_t mix(uint64_t *s) { return dm_splitmix64(s); }
static double unif01(uint64_t *s) { return (double)(mix(s) >> 11) / 9007199254740992.0; }

/* ------------------------------------------------------------------ priors */

typedef struct prior_ent {
  char *name;
  dm_form *form;
  dm_canvas *canvas;
} prior_ent;

typedef struct prior_set {
  dm_prior_env *env;
  const dm_tdata_params *p;
  prior_ent *e;
  int n;
} prior_set;

static int prior_get(prior_set *ps, const char *name, prior_ent **out, dm_error *err) {
  for (int i = 0; i < ps->n; i++)
    if (strcmp(ps->e[i].name, name) == 0) {
      *out = &ps->e[i];
      return dm_canvas_reset(ps->e[i].canvas);
    }
  if (!ps->p->priors_dir) return dm_error_set(err, DM_EINVAL, "example names prior '%s' but no priors folder is set", name);
  prior_ent *ne = realloc(ps->e, sizeof *ne * (size_t)(ps->n + 1));
  if (!ne) return dm_error_set(err, DM_ENOMEM, "out of memory");
  ps->e = ne;
  prior_ent *e = &ps->e[ps->n];
  memset(e, 0, sizeof *e);
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.yaml", ps->p->priors_dir, name);
  dm_canvas_params cp = dm_canvas_default_params();
  cp.grammar_dir = ps->p->grammar_dir;
  int rc = dm_form_load(path, ps->p->grammar_dir, &e->form, err);
  if (!rc) rc = dm_canvas_from_form(ps->env, e->form, &cp, &e->canvas, err);
  e->name = strdup(name);
  if (!rc && !e->name) rc = dm_error_set(err, DM_ENOMEM, "out of memory");
  if (rc) {
    dm_canvas_free(e->canvas);
    dm_form_free(e->form);
    free(e->name);
    return rc;
  }
  ps->n++;
  *out = e;
  return DM_OK;
}

static void prior_set_free(prior_set *ps) {
  for (int i = 0; i < ps->n; i++) {
    dm_canvas_free(ps->e[i].canvas);
    dm_form_free(ps->e[i].form);
    free(ps->e[i].name);
  }
  free(ps->e);
  dm_prior_env_free(ps->env);
}

/* ------------------------------------------------------------------ examples */

void dm_tdata_free(dm_tdata *d) {
  if (!d) return;
  for (int i = 0; i < d->n; i++) free(d->ex[i].ids);
  free(d->ex);
  free(d);
}

static int push_ids(int32_t **ids, int *n, int *cap, const int32_t *src, int k) {
  if (*n + k > *cap) {
    int nc = (*n + k) * 2 + 64;
    int32_t *ni = realloc(*ids, sizeof(int32_t) * (size_t)nc);
    if (!ni) return DM_ENOMEM;
    *ids = ni;
    *cap = nc;
  }
  memcpy(*ids + *n, src, sizeof(int32_t) * (size_t)k);
  *n += k;
  return DM_OK;
}

/* One corpus line -> example; DM_ERANGE (not an error for the file) when too long. */
static int make_example(dm_tdata *d, const dm_tokenizer *tok, prior_set *ps, const dm_tdata_params *p, long lineno,
                        const char *line, uint64_t *rng, dm_texample *ex, dm_error *err) {
  memset(ex, 0, sizeof *ex);
  cJSON *j = cJSON_Parse(line);
  if (!j) return dm_error_set(err, DM_EFORMAT, "line %ld: not valid JSON", lineno);
  const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(j, "messages");
  const cJSON *u = cJSON_GetArrayItem(msgs, 0), *a = cJSON_GetArrayItem(msgs, 1);
  const cJSON *uc = cJSON_GetObjectItemCaseSensitive(u, "content"), *ac = cJSON_GetObjectItemCaseSensitive(a, "content");
  const cJSON *pr = cJSON_GetObjectItemCaseSensitive(j, "prior");
  int rc = DM_OK;
  if (!cJSON_IsString(uc) || !cJSON_IsString(ac)) {
    cJSON_Delete(j);
    return dm_error_set(err, DM_EFORMAT, "line %ld: wants messages[0].content and messages[1].content strings", lineno);
  }
  const char *user = uc->valuestring, *ans = ac->valuestring;
  prior_ent *pe = NULL;
  if (cJSON_IsString(pr)) rc = prior_get(ps, pr->valuestring, &pe, err);
  int32_t *ids = NULL, *tmp = NULL;
  size_t nt = 0;
  int n = 0, cap = 0;
  char *chat = NULL;
  if (rc == DM_OK) {
    long need = dm_chat_format(tok, user, NULL, NULL, 0, err);
    chat = need >= 0 ? malloc((size_t)need + 1) : NULL;
    if (need < 0) rc = (int)need;
    else if (!chat) rc = DM_ENOMEM;
    else dm_chat_format(tok, user, NULL, chat, (size_t)need + 1, err);
    if (rc == DM_OK) rc = dm_tokenizer_encode_alloc(tok, chat, (size_t)need, DM_TOKENIZE_PARSE_SPECIAL, &tmp, &nt, err);
    if (rc == DM_OK) rc = push_ids(&ids, &n, &cap, tmp, (int)nt);
    free(tmp);
    tmp = NULL;
  }
  ex->prompt = n;
  int laid = 0;
  if (rc == DM_OK && pe && unif01(rng) < p->prior_format) {
    size_t fail_at = 0;
    dm_error ferr = {0};
    int frc = dm_canvas_fill_text(pe->canvas, ans, strlen(ans), &fail_at, &ferr);
    if (frc == DM_OK) {
      int L = dm_canvas_length(pe->canvas), last = -1;
      for (int i = 0; i < L && rc == DM_OK; i++) {
        int32_t t = dm_canvas_token(pe->canvas, i);
        rc = push_ids(&ids, &n, &cap, &t, 1);
        if (t != d->eos) last = i;
      }
      ex->ar_end = ex->prompt + last + 2 <= n ? ex->prompt + last + 2 : n;
      laid = 1;
      d->prior_fmt++;
    } else {
      d->prior_fail++;
      dm_log(DM_LOG_DEBUG, "line %ld: plain layout: the answer does not fit prior %s: %s", lineno,
             pr->valuestring, ferr.message);
    }
  }
  if (rc == DM_OK && !laid) {
    rc = dm_tokenizer_encode_alloc(tok, ans, strlen(ans), 0, &tmp, &nt, err);
    if (rc == DM_OK) rc = push_ids(&ids, &n, &cap, tmp, (int)nt);
    free(tmp);
    int canvas = pe ? dm_canvas_length(pe->canvas) : p->free_tokens;
    int need = (int)nt + 1;
    if (need > canvas) canvas = (need + 15) / 16 * 16;
    ex->ar_end = ex->prompt + need;
    for (int i = 0; rc == DM_OK && i < canvas - (int)nt; i++) rc = push_ids(&ids, &n, &cap, &d->eos, 1);
  }
  free(chat);
  cJSON_Delete(j);
  if (rc == DM_ENOMEM) dm_error_set(err, rc, "out of memory");
  if (rc) {
    free(ids);
    if (err && err->code == DM_OK) dm_error_set(err, rc, "line %ld", lineno);
    return rc;
  }
  ex->ids = ids;
  ex->n = n;
  ex->prior_fmt = laid;
  if (n > p->max_len) {
    free(ids);
    ex->ids = NULL;
    return DM_ERANGE;
  }
  return DM_OK;
}

int dm_tdata_load(const char *path, const dm_tokenizer *tok, const dm_tdata_params *p, dm_tdata **out,
                  dm_error *err) {
  *out = NULL;
  FILE *f = fopen(path, "r");
  if (!f) return dm_error_set(err, DM_ENOENT, "cannot open the training data %s", path);
  dm_tdata *d = calloc(1, sizeof *d);
  prior_set ps = {NULL, p, NULL, 0};
  int rc = d ? dm_prior_env_new(tok, &ps.env, err) : DM_ENOMEM;
  if (d) {
    d->eos = dm_tokenizer_special_id(tok, DM_SPECIAL_EOS);
    d->mask = dm_tokenizer_special_id(tok, DM_SPECIAL_MASK);
    if (rc == DM_OK && (d->eos < 0 || d->mask < 0))
      rc = dm_error_set(err, DM_ETOKENIZER, "the tokenizer has no %s token (tokenizer_config.json)",
                        d->eos < 0 ? "EOS" : "mask");
  }
  char *line = NULL;
  size_t lcap = 0;
  long lineno = 0;
  int cap = 0;
  uint64_t rng = p->seed ^ 0xda7a5eedull;
  while (rc == DM_OK && getline(&line, &lcap, f) >= 0) {
    lineno++;
    if (line[0] == '\n' || line[0] == 0) continue;
    if (d->n == cap) {
      cap = cap ? cap * 2 : 1024;
      dm_texample *ne = realloc(d->ex, sizeof *ne * (size_t)cap);
      if (!ne) {
        rc = dm_error_set(err, DM_ENOMEM, "out of memory");
        break;
      }
      d->ex = ne;
    }
    dm_texample ex;
    int erc = make_example(d, tok, &ps, p, lineno, line, &rng, &ex, err);
    if (erc == DM_ERANGE) {
      d->skipped_long++;
      continue;
    }
    if (erc) {
      rc = erc;
      break;
    }
    d->ex[d->n++] = ex;
    d->tokens += ex.n;
    d->response_tokens += ex.n - ex.prompt;
    if (ex.n > d->max_n) d->max_n = ex.n;
  }
  free(line);
  fclose(f);
  prior_set_free(&ps);
  if (rc == DM_OK && d->n == 0) rc = dm_error_set(err, DM_EINVAL, "no usable example in %s", path);
  if (rc) {
    dm_error_set_source(err, path);
    dm_tdata_free(d);
    return rc == DM_ENOMEM && (!err || !err->code) ? dm_error_set(err, rc, "out of memory") : rc;
  }
  *out = d;
  return DM_OK;
}

/* ------------------------------------------------------------------ epochs */

void dm_tepoch_free(dm_tepoch *e) {
  free(e->start);
  free(e->count);
  free(e->order);
  memset(e, 0, sizeof *e);
}

static const dm_tdata *sort_data;
static int by_len(const void *a, const void *b) {
  int x = sort_data->ex[*(const int *)a].n, y = sort_data->ex[*(const int *)b].n;
  if (x != y) return x < y ? -1 : 1;
  return *(const int *)a < *(const int *)b ? -1 : *(const int *)a > *(const int *)b;
}

int dm_tepoch_make(const dm_tdata *d, int batch_tokens, uint64_t seed, long epoch, dm_tepoch *out, dm_error *err) {
  memset(out, 0, sizeof *out);
  if (batch_tokens < d->max_n)
    return dm_error_set(err, DM_EINVAL, "batch_tokens %d is smaller than the longest example (%d tokens)", batch_tokens,
                        d->max_n);
  out->order = malloc(sizeof(int) * (size_t)d->n);
  out->start = malloc(sizeof(int) * (size_t)d->n);
  out->count = malloc(sizeof(int) * (size_t)d->n);
  if (!out->order || !out->start || !out->count) {
    dm_tepoch_free(out);
    return dm_error_set(err, DM_ENOMEM, "out of memory");
  }
  uint64_t s = seed * 0x9e3779b97f4a7c15ull + (uint64_t)epoch * 0xd1b54a32d192ed03ull + 1;
  for (int i = 0; i < d->n; i++) out->order[i] = i;
  for (int i = d->n - 1; i > 0; i--) {
    int j = (int)(mix(&s) % (uint64_t)(i + 1)), t = out->order[i];
    out->order[i] = out->order[j];
    out->order[j] = t;
  }
  /* chunks of ~32 batches sorted by length, then cut into batches */
  int per = batch_tokens / (d->max_n > 0 ? d->max_n : 1);
  int chunk = (per < 1 ? 1 : per) * 32;
  sort_data = d;
  for (int c0 = 0; c0 < d->n; c0 += chunk)
    qsort(out->order + c0, (size_t)(d->n - c0 < chunk ? d->n - c0 : chunk), sizeof(int), by_len);
  int nb = 0;
  for (int i = 0; i < d->n;) {
    int cnt = 0, mx = 0;
    while (i + cnt < d->n) {
      int len = d->ex[out->order[i + cnt]].n, nm = len > mx ? len : mx;
      if ((long)(cnt + 1) * nm > batch_tokens || (cnt > 0 && (i + cnt) % chunk == 0)) break;
      mx = nm;
      cnt++;
    }
    out->start[nb] = i;
    out->count[nb] = cnt;
    nb++;
    i += cnt;
  }
  /* shuffle the batches so lengths do not follow the chunk order */
  for (int i = nb - 1; i > 0; i--) {
    int j = (int)(mix(&s) % (uint64_t)(i + 1));
    int t0 = out->start[i], t1 = out->count[i];
    out->start[i] = out->start[j], out->count[i] = out->count[j];
    out->start[j] = t0, out->count[j] = t1;
  }
  out->n_batches = nb;
  return DM_OK;
}

/* ------------------------------------------------------------------ batches */

void dm_tbatchbuf_free(dm_tbatchbuf *b) {
  free(b->ids);
  free(b->rows);
  free(b->targets);
  free(b->weights);
  memset(b, 0, sizeof *b);
}

static int reserve(dm_tbatchbuf *b, size_t nids, size_t nrows) {
  if (nids > b->cap_ids) {
    int32_t *n = realloc(b->ids, sizeof(int32_t) * nids);
    if (!n) return DM_ENOMEM;
    b->ids = n;
    b->cap_ids = nids;
  }
  if (nrows > b->cap_rows) {
    int32_t *r = realloc(b->rows, sizeof(int32_t) * 2 * nrows), *t = r ? realloc(b->targets, sizeof(int32_t) * nrows) : NULL;
    if (r) b->rows = r;
    if (t) b->targets = t;
    float *w = t ? realloc(b->weights, sizeof(float) * nrows) : NULL;
    if (!w) return DM_ENOMEM;
    b->weights = w;
    b->cap_rows = nrows;
  }
  return DM_OK;
}

int dm_tbatch_build(const dm_tdata *d, const dm_tepoch *e, int bi, int diffusion, double eps, uint64_t rng_seed,
                    dm_tbatchbuf *out, dm_error *err) {
  if (bi < 0 || bi >= e->n_batches) return dm_error_set(err, DM_ERANGE, "batch %d of %d", bi, e->n_batches);
  const int *ord = e->order + e->start[bi];
  /* the autoregressive phase stops each sequence after its answer and first EOS
   * (ar_end): with causal attention the positions after it change nothing before
   * it, so the batch is cut at the longest ar_end instead of carrying EOS tails */
  int B = e->count[bi], T = 0;
  for (int b = 0; b < B; b++) {
    int len = diffusion ? d->ex[ord[b]].n : d->ex[ord[b]].ar_end;
    if (len > T) T = len;
  }
  if (reserve(out, (size_t)B * T, (size_t)B * T)) return dm_error_set(err, DM_ENOMEM, "out of memory");
  out->B = B;
  out->T = T;
  out->R = 0;
  out->resp_tokens = 0;
  out->masked = 0;
  uint64_t s = rng_seed ^ 0x3a5c0ffeeull;
  long total = 0;
  for (int b = 0; b < B; b++) {
    const dm_texample *x = &d->ex[ord[b]];
    total += diffusion ? T - x->prompt : x->ar_end - x->prompt;
  }
  out->resp_tokens = total;
  double inv_total = 1.0 / (double)(total > 0 ? total : 1);
  for (int b = 0; b < B; b++) {
    const dm_texample *x = &d->ex[ord[b]];
    int32_t *row = out->ids + (size_t)b * T;
    int keep = x->n < T ? x->n : T;
    memcpy(row, x->ids, sizeof(int32_t) * (size_t)keep);
    for (int t = keep; t < T; t++) row[t] = d->eos; /* more EOS tail */
    if (!diffusion) {
      for (int t = x->prompt; t < x->ar_end; t++) {
        int r = out->R++;
        out->rows[2 * r] = b;
        out->rows[2 * r + 1] = t - 1;
        out->targets[r] = row[t];
        out->weights[r] = (float)inv_total;
      }
      continue;
    }
    double tm = eps + (1.0 - eps) * (1.0 - unif01(&s)); /* (eps, 1] */
    int first = out->R;
    for (int t = x->prompt; t < T; t++)
      if (unif01(&s) < tm) {
        int r = out->R++;
        out->rows[2 * r] = b;
        out->rows[2 * r + 1] = t - 1;
        out->targets[r] = row[t];
        out->weights[r] = (float)(inv_total / tm);
      }
    if (out->R == first && T > x->prompt) { /* at least one masked position */
      int t = x->prompt + (int)(mix(&s) % (uint64_t)(T - x->prompt)), r = out->R++;
      out->rows[2 * r] = b;
      out->rows[2 * r + 1] = t - 1;
      out->targets[r] = row[t];
      out->weights[r] = (float)(inv_total / tm);
    }
    for (int r = first; r < out->R; r++) row[out->rows[2 * r + 1] + 1] = d->mask;
  }
  out->masked = out->R;
  return DM_OK;
}
