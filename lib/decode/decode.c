/* The decode loop: forced commits, one logits call per step, per-position picks,
 * the strategy's selection, commits re-checked one at a time, EOS tail fill. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dimple/model.h> /* dm_row_stats */

#include "decode_int.h"

dm_decode_params dm_decode_default_params(void) {
  dm_decode_params p;
  memset(&p, 0, sizeof p);
  p.strategy = DM_STRATEGY_CONFIDENT;
  p.threshold = 0.95;
  p.steps = 0;
  p.block_length = 32;
  p.temperature = 0;
  p.top_k = 0;
  p.top_p = 1.0;
  p.seed = 0;
  p.renorm_confidence = 0;
  return p;
}

void dm_logits_source_free(dm_logits_source *src) {
  if (src && src->destroy) src->destroy(src);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

typedef struct dec {
  dm_canvas *c;
  int32_t L, eos;
  dm_decode_stats *st;
  int32_t step_forced; /* forced + EOS fill in the current step */
  /* allowed sets cached per position, valid while their slot sees no commit */
  size_t words;
  int32_t *slot_of;    /* L: slot index, -1 for fixed positions */
  uint64_t *slot_ver;  /* per slot: commits so far */
  uint64_t *cache;     /* L * words, NULL when too big */
  uint64_t *cache_ver; /* L: slot_ver + 1 when cached, 0 when not */
  int32_t *cache_cnt;
  uint64_t *scratch;   /* words: when there is no cache */
} dec;

#define DM_DECODE_CACHE_BYTES ((size_t)256 << 20)

static int dec_init(dec *d) {
  int ns = dm_canvas_slot_count(d->c);
  d->slot_of = malloc((size_t)(d->L ? d->L : 1) * sizeof *d->slot_of);
  d->slot_ver = calloc((size_t)(ns ? ns : 1), sizeof *d->slot_ver);
  d->cache_ver = calloc((size_t)(d->L ? d->L : 1), sizeof *d->cache_ver);
  d->cache_cnt = calloc((size_t)(d->L ? d->L : 1), sizeof *d->cache_cnt);
  d->scratch = malloc((d->words ? d->words : 1) * sizeof *d->scratch);
  if (!d->slot_of || !d->slot_ver || !d->cache_ver || !d->cache_cnt || !d->scratch) return DM_ENOMEM;
  for (int32_t q = 0; q < d->L; q++) d->slot_of[q] = -1;
  for (int i = 0; i < ns; i++) {
    dm_canvas_slot_info si;
    if (dm_canvas_slot(d->c, i, &si)) continue;
    for (int32_t k = 0; k < si.len && si.start + k < d->L; k++) d->slot_of[si.start + k] = i;
  }
  if ((size_t)d->L * d->words * 8 <= DM_DECODE_CACHE_BYTES)
    d->cache = malloc((size_t)(d->L ? d->L : 1) * (d->words ? d->words : 1) * sizeof *d->cache);
  return DM_OK;
}

static void dec_free(dec *d) {
  free(d->slot_of);
  free(d->slot_ver);
  free(d->cache);
  free(d->cache_ver);
  free(d->cache_cnt);
  free(d->scratch);
}

/* The allowed set at a masked pos (cached); *cnt its size or a negative DM_E*. */
static const uint64_t *allowed_at(dec *d, int32_t pos, int32_t *cnt) {
  int32_t si = d->slot_of[pos];
  if (!d->cache || si < 0) {
    *cnt = dm_canvas_allowed(d->c, pos, d->scratch);
    return d->scratch;
  }
  uint64_t *row = d->cache + (size_t)pos * d->words;
  if (d->cache_ver[pos] != d->slot_ver[si] + 1) {
    d->cache_cnt[pos] = dm_canvas_allowed(d->c, pos, row);
    d->cache_ver[pos] = d->cache_cnt[pos] >= 0 ? d->slot_ver[si] + 1 : 0;
  }
  *cnt = d->cache_cnt[pos];
  return row;
}

/* Commit and invalidate the cached sets of the slot. */
static int dec_commit(dec *d, int32_t pos, int32_t tok) {
  int rc = dm_canvas_commit(d->c, pos, tok);
  if (rc == DM_OK && d->slot_of[pos] >= 0) d->slot_ver[d->slot_of[pos]]++;
  return rc;
}

/* After EOS at pos: every later mask that allows EOS gets it (the EOS tail). */
static int eos_fill(dec *d, int32_t pos) {
  for (int32_t q = pos + 1; q < d->L; q++) {
    if (dm_canvas_token(d->c, q) >= 0) continue;
    if (!dm_canvas_allows(d->c, q, d->eos)) break;
    int rc = dec_commit(d, q, d->eos);
    if (rc) return rc;
    d->st->eos_filled++;
    d->step_forced++;
  }
  return DM_OK;
}

/* Commit every position whose allowed set is one token, until none is left. */
static int forced_pass(dec *d) {
  for (int changed = 1; changed;) {
    changed = 0;
    for (int32_t q = 0; q < d->L; q++) {
      if (dm_canvas_token(d->c, q) >= 0) continue;
      int32_t f = dm_canvas_forced(d->c, q);
      if (f < 0) continue;
      int rc = dec_commit(d, q, f);
      if (rc) return rc;
      d->st->forced++;
      d->step_forced++;
      changed = 1;
      if (f == d->eos && (rc = eos_fill(d, q))) return rc;
    }
  }
  return DM_OK;
}

static int32_t ceil_div(int32_t a, int32_t b) { return b <= 0 ? a : (a + b - 1) / b; }

int dm_decode(dm_canvas *canvas, const int32_t *prompt, int32_t prompt_len, dm_logits_source *src,
              const dm_decode_params *params, dm_decode_stats *stats, dm_decode_step_fn cb, void *user,
              dm_error *err) {
  dm_decode_params p = params ? *params : dm_decode_default_params();
  dm_decode_stats local;
  dm_decode_stats *st = stats ? stats : &local;
  memset(st, 0, sizeof *st);
  if (!canvas || !src || !src->fill || src->vocab < 1 || prompt_len < 0 || (prompt_len && !prompt))
    return dm_error_set(err, DM_EINVAL, "dm_decode: canvas, logits source and prompt are required");
  if (p.threshold < 0 || p.temperature < 0 || p.top_p <= 0 || p.top_p > 1 || p.top_k < 0 || p.steps < 0 ||
      !dm_strategy_get(p.strategy))
    return dm_error_set(err, DM_EINVAL, "dm_decode: parameter out of range");
  if (p.block_length < 1) p.block_length = 1;
  double t_start = now_ms();
  int32_t L = dm_canvas_length(canvas), T = prompt_len + L;
  size_t words = dm_canvas_vocab_words(canvas);
  st->prompt_tokens = prompt_len;
  st->canvas_tokens = L;
  dec d;
  memset(&d, 0, sizeof d);
  d.c = canvas;
  d.L = L;
  d.eos = dm_canvas_eos(canvas);
  d.st = st;
  d.words = words;
  dm_rng rng;
  dm_rng_seed(&rng, p.seed);
  dm_picker pk;
  int32_t *seq = malloc((size_t)(T ? T : 1) * sizeof *seq);
  int32_t *pos = malloc((size_t)(L ? L : 1) * sizeof *pos);
  dm_cand *cand = malloc((size_t)(L ? L : 1) * sizeof *cand);
  float *logits = NULL;
  /* the statistics path: logits reduced where they are computed (fill_stats) */
  const dm_strategy_ops *sops = dm_strategy_get(p.strategy);
  int use_stats = src->fill_stats && p.temperature <= 0 && sops && sops->score == dm_strategy_score_prob;
  size_t w32 = ((size_t)src->vocab + 31) / 32;
  uint32_t *amask = NULL;
  dm_row_stats *rstats = NULL;
  if (use_stats) {
    amask = malloc((size_t)(L ? L : 1) * w32 * sizeof *amask);
    rstats = malloc((size_t)(L ? L : 1) * sizeof *rstats);
  }
  int rc = dm_picker_init(&pk, &p, src->vocab, &rng);
  if (!rc) rc = dec_init(&d);
  if (!seq || !pos || !cand || rc || (use_stats && (!amask || !rstats))) {
    rc = dm_error_set(err, DM_ENOMEM, "out of memory");
    goto done;
  }
  if (prompt_len) memcpy(seq, prompt, (size_t)prompt_len * sizeof *seq);

  int32_t total_steps = 0, nblocks = ceil_div(L, p.block_length), cur_block = -1, block_step = 0;
  int model_steps = 0;
  /* greedy with the unconstrained confidence needs no allowed set when the model's
   * top token is allowed (the same pick: the first maximum among allowed tokens) */
  int fast_greedy = p.temperature <= 0 && !p.renorm_confidence;
  int fast_sample = p.temperature > 0 && !p.renorm_confidence && p.top_k == 0 && p.top_p >= 1.0;
  size_t logits_cap = 0;
  for (int step = 0;; step++) {
    d.step_forced = 0;
    double t0 = now_ms();
    rc = forced_pass(&d);
    st->constraint_ms += now_ms() - t0;
    if (rc) {
      dm_error_set(err, rc, "forced commit failed");
      goto done;
    }
    int32_t masks = dm_canvas_masks_left(canvas), step_committed = 0;
    if (masks == 0 && d.step_forced == 0) break;
    if (masks > 0) {
      if (total_steps == 0) total_steps = p.steps > 0 ? p.steps : masks;
      /* rows: the masks (of the current block for the block strategies) */
      int blocky = pk.ops->blocks;
      int32_t n = 0, lo = 0, hi = L;
      if (blocky) {
        int32_t first = 0;
        while (dm_canvas_token(canvas, first) >= 0) first++;
        int32_t b = first / p.block_length;
        if (b != cur_block) {
          cur_block = b;
          block_step = 0;
        }
        lo = b * p.block_length;
        hi = lo + p.block_length < L ? lo + p.block_length : L;
      }
      for (int32_t q = lo; q < hi; q++)
        if (dm_canvas_token(canvas, q) < 0) pos[n++] = q;
      int32_t sched_k;
      if (blocky) {
        int32_t per_block = total_steps / nblocks > 0 ? total_steps / nblocks : 1;
        sched_k = ceil_div(n, per_block - block_step > 0 ? per_block - block_step : 1);
        block_step++;
      } else {
        sched_k = ceil_div(masks, total_steps - model_steps > 0 ? total_steps - model_steps : 1);
      }
      size_t need = use_stats ? 0 : (size_t)n * (size_t)src->vocab;
      if (need > logits_cap) {
        free(logits);
        logits = malloc(need * sizeof *logits);
        if (!logits) {
          rc = dm_error_set(err, DM_ENOMEM, "out of memory for logits");
          goto done;
        }
        logits_cap = need;
      }
      for (int32_t q = 0; q < L; q++) {
        int32_t t = dm_canvas_token(canvas, q);
        seq[prompt_len + q] = t >= 0 ? t : src->mask_id;
      }
      int32_t *spos = malloc((size_t)n * sizeof *spos);
      if (!spos) {
        rc = dm_error_set(err, DM_ENOMEM, "out of memory");
        goto done;
      }
      for (int32_t i = 0; i < n; i++) spos[i] = prompt_len + pos[i];
      if (use_stats) { /* every row's allowed set, as the source's uint32 bitmasks */
        t0 = now_ms();
        size_t cw = words * 2 < w32 ? words * 2 : w32;
        for (int32_t i = 0; i < n && rc == DM_OK; i++) {
          int32_t cnt;
          const uint64_t *bits = allowed_at(&d, pos[i], &cnt);
          uint32_t *row = amask + (size_t)i * w32;
          if (cnt <= 0) {
            rc = dm_error_set(err, cnt < 0 ? cnt : DM_EINFEASIBLE, "no token is allowed at canvas position %d",
                              (int)pos[i]);
            break;
          }
          for (size_t w = 0; w < cw; w++) row[w] = (uint32_t)(bits[w / 2] >> (32 * (w % 2)));
          for (size_t w = cw; w < w32; w++) row[w] = 0;
        }
        st->constraint_ms += now_ms() - t0;
        if (rc) {
          free(spos);
          goto done;
        }
      }
      t0 = now_ms();
      rc = use_stats ? src->fill_stats(src, seq, T, prompt_len, st->nfe, spos, n, amask, rstats, err)
                     : src->fill(src, seq, T, prompt_len, st->nfe, spos, n, logits, err);
      st->model_ms += now_ms() - t0;
      free(spos);
      st->nfe++;
      model_steps++;
      if (rc) goto done;
      for (int32_t i = 0; use_stats && i < n; i++) {
        cand[i].pos = pos[i];
        cand[i].logits = NULL;
        cand[i].tok = rstats[i].argmax;
        if (cand[i].tok < 0) {
          rc = dm_error_set(err, DM_EINVAL,
                            "no allowed token at canvas position %d is in the model's vocabulary (%d)",
                            (int)pos[i], (int)src->vocab);
          goto done;
        }
        cand[i].prob = p.renorm_confidence ? rstats[i].max_prob : rstats[i].prob_all;
        dm_score_view v = {NULL, src->vocab, NULL, 0, p.renorm_confidence, cand[i].tok, cand[i].prob, 0, 0, pk.rng};
        cand[i].score = pk.ops->score(&v);
      }
      /* per position: the best allowed token and its confidence */
      for (int32_t i = 0; !use_stats && i < n; i++) {
        const float *row = logits + (size_t)i * (size_t)src->vocab;
        cand[i].pos = pos[i];
        cand[i].logits = row;
        if (fast_greedy || fast_sample) {
          /* greedy: the model's own first choice, when the canvas allows it (the same
           * pick as the first maximum among the allowed tokens); sampling: up to 4
           * samples of the whole distribution, the first the canvas allows (rejection
           * sampling: exactly the restricted distribution) */
          int32_t am = -1;
          for (int k = 0; k < (fast_greedy ? 1 : 4) && am < 0; k++) {
            int32_t t = fast_greedy ? dm_pick_argmax(row, src->vocab) : dm_pick_sample_full(&pk, row, k == 0);
            t0 = now_ms();
            if (t >= 0 && (size_t)t < words * 64 && dm_canvas_allows(canvas, pos[i], t)) am = t;
            st->constraint_ms += now_ms() - t0;
          }
          if (am >= 0) {
            cand[i].tok = am;
            dm_pick_score(&pk, row, NULL, 0, am, &cand[i].score, &cand[i].prob);
            continue;
          }
        }
        t0 = now_ms();
        int32_t cnt;
        const uint64_t *bits = allowed_at(&d, pos[i], &cnt);
        st->constraint_ms += now_ms() - t0;
        if (cnt <= 0) {
          rc = dm_error_set(err, cnt < 0 ? cnt : DM_EINFEASIBLE, "no token is allowed at canvas position %d",
                            (int)pos[i]);
          goto done;
        }
        int32_t tok = dm_pick_token(&pk, row, bits, words);
        if (tok < 0) {
          rc = dm_error_set(err, DM_EINVAL,
                            "no allowed token at canvas position %d is in the model's vocabulary (%d)",
                            (int)pos[i], (int)src->vocab);
          goto done;
        }
        cand[i].tok = tok;
        dm_pick_score(&pk, row, bits, words, tok, &cand[i].score, &cand[i].prob);
      }
      int32_t k = dm_strategy_select(&p, cand, n, sched_k);
      /* commit in confidence order, each re-checked after the previous ones */
      t0 = now_ms();
      for (int32_t i = 0; i < k; i++) {
        dm_cand *cd = &cand[i];
        if (dm_canvas_token(canvas, cd->pos) >= 0) continue; /* filled by an EOS tail */
        int32_t tok = cd->tok;
        if (!dm_canvas_allows(canvas, cd->pos, tok)) {
          if (!cd->logits) continue; /* the statistics path: picked again next step */
          int32_t cnt;
          const uint64_t *bits = allowed_at(&d, cd->pos, &cnt);
          tok = cnt > 0 ? dm_pick_token(&pk, cd->logits, bits, words) : -1;
          if (tok < 0) continue; /* skip this position this step */
          st->repicked++;
        }
        rc = dec_commit(&d, cd->pos, tok);
        if (rc == DM_EINFEASIBLE) continue;
        if (rc) {
          dm_error_set(err, rc, "commit failed at canvas position %d", (int)cd->pos);
          goto done;
        }
        st->committed++;
        step_committed++;
        if (tok == d.eos && (rc = eos_fill(&d, cd->pos))) goto done;
      }
      st->constraint_ms += now_ms() - t0;
      if (step_committed > st->max_per_step) st->max_per_step = step_committed;
    }
    st->steps++;
    if (cb) {
      dm_decode_step ds = {step, step_committed, d.step_forced, dm_canvas_masks_left(canvas), L, st};
      st->total_ms = now_ms() - t_start;
      if (!cb(&ds, canvas, user)) {
        rc = dm_error_set(err, DM_ECANCELED, "decoding stopped by the step callback at step %d", step);
        goto done;
      }
    }
    if (dm_canvas_masks_left(canvas) == 0) break;
    if (step_committed == 0 && d.step_forced == 0) {
      rc = dm_error_set(err, DM_EINTERNAL, "decoding made no progress at step %d", step);
      goto done;
    }
  }
  rc = DM_OK;
done:
  st->total_ms = now_ms() - t_start;
  free(seq);
  free(pos);
  free(cand);
  free(logits);
  free(amask);
  free(rstats);
  dec_free(&d);
  dm_picker_free(&pk);
  return rc;
}
