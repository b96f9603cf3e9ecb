/* Slot feasibility: forward and live state sets, allowed tokens, incremental commits. */
#include <stdlib.h>
#include <string.h>

#include "bitset.h"
#include "feasible.h"

#define FW(s, i) ((s)->fw + (size_t)(i) * (s)->qw)
#define LV(s, i) ((s)->lv + (size_t)(i) * (s)->qw)

static inline bool has(const uint64_t *b, int32_t q) { return (b[q >> 6] >> (q & 63)) & 1; }
static inline void put(uint64_t *b, int32_t q) { b[q >> 6] |= (uint64_t)1 << (q & 63); }

/* out = the states reached from `from` through position i. DM_OK / DM_ENOMEM. */
static int step_set(dm_slot *s, int32_t i, const uint64_t *from, uint64_t *out) {
  memset(out, 0, s->qw * sizeof *out);
  for (size_t w = 0; w < s->qw; w++)
    for (uint64_t bits = from[w]; bits; bits &= bits - 1) {
      int32_t q = (int32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
      if (s->tok[i] >= 0) {
        int32_t t = dm_tokauto_step(s->ta, q, s->tok[i]);
        if (t >= 0) put(out, t);
      } else {
        const dm_tokrow *r = dm_tokauto_row(s->ta, q);
        if (!r) return DM_ENOMEM;
        if ((size_t)r->n < s->qw)
          for (int32_t k = 0; k < r->n; k++) put(out, r->next[k]);
        else
          for (size_t k = 0; k < s->qw; k++) out[k] |= r->succ[k];
      }
    }
  return DM_OK;
}

/* lv[i] = the states of fw[i] with a step through position i into lv[i+1]. */
static int live_set(dm_slot *s, int32_t i, uint64_t *out) {
  const uint64_t *next = LV(s, i + 1), *fw = FW(s, i);
  memset(out, 0, s->qw * sizeof *out);
  for (size_t w = 0; w < s->qw; w++)
    for (uint64_t bits = fw[w]; bits; bits &= bits - 1) {
      int32_t q = (int32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
      bool ok = false;
      if (s->tok[i] >= 0) {
        int32_t t = dm_tokauto_step(s->ta, q, s->tok[i]);
        ok = t >= 0 && has(next, t);
      } else {
        const dm_tokrow *r = dm_tokauto_row(s->ta, q);
        if (!r) return DM_ENOMEM;
        if ((size_t)r->n < s->qw)
          for (int32_t k = 0; k < r->n && !ok; k++) ok = has(next, r->next[k]);
        else
          for (size_t k = 0; k < s->qw && !ok; k++) ok = (r->succ[k] & next[k]) != 0;
      }
      if (ok) put(out, q);
    }
  return DM_OK;
}

static void final_live(dm_slot *s) {
  uint64_t *l = LV(s, s->n);
  const uint64_t *f = FW(s, s->n);
  memset(l, 0, s->qw * sizeof *l);
  for (size_t w = 0; w < s->qw; w++)
    for (uint64_t bits = f[w]; bits; bits &= bits - 1) {
      int32_t q = (int32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
      if (dm_tokauto_accepting(s->ta, q)) put(l, q);
    }
}

int dm_slot_init(dm_slot *s, dm_tokauto *ta, int32_t n, const int32_t *fixed) {
  memset(s, 0, sizeof *s);
  s->ta = ta;
  s->n = n;
  s->qw = dm_tokauto_qwords(ta);
  s->tok = malloc((size_t)(n ? n : 1) * sizeof *s->tok);
  s->fw = calloc((size_t)(n + 1) * s->qw, sizeof *s->fw);
  s->lv = calloc((size_t)(n + 1) * s->qw, sizeof *s->lv);
  s->tmp = calloc(s->qw, sizeof *s->tmp);
  if (!s->tok || !s->fw || !s->lv || !s->tmp) {
    dm_slot_free(s);
    return DM_ENOMEM;
  }
  for (int32_t i = 0; i < n; i++) s->tok[i] = fixed ? fixed[i] : -1;
  put(FW(s, 0), 0);
  /* Where two masked positions in a row see the same sets, the same step gives the
     same result again: forward sets stop growing once every state within reach is
     in, live sets (backwards) once the rest is long enough to finish from each. */
  const size_t qb = s->qw * sizeof *s->fw;
  for (int32_t i = 0; i < n; i++) {
    if (i > 0 && s->tok[i] < 0 && s->tok[i - 1] < 0 && memcmp(FW(s, i), FW(s, i - 1), qb) == 0)
      memcpy(FW(s, i + 1), FW(s, i), qb);
    else if (step_set(s, i, FW(s, i), FW(s, i + 1)))
      return DM_ENOMEM;
  }
  final_live(s);
  for (int32_t i = n - 1; i >= 0; i--) {
    if (i + 1 < n && s->tok[i] < 0 && s->tok[i + 1] < 0 && memcmp(FW(s, i), FW(s, i + 1), qb) == 0 &&
        memcmp(LV(s, i + 1), LV(s, i + 2), qb) == 0)
      memcpy(LV(s, i), LV(s, i + 1), qb);
    else if (live_set(s, i, LV(s, i)))
      return DM_ENOMEM;
  }
  return dm_slot_feasible(s) ? DM_OK : DM_EINFEASIBLE;
}

#define MEMO 4

typedef struct dm_allowed_memo {
  uint64_t hash;
  int32_t count;    /* -1: empty entry */
  uint64_t *lv2;    /* lv[i] then lv[i+1], 2 * qw words */
  uint64_t *bits;   /* vw words */
} dm_allowed_memo;

static void memo_free(dm_slot *s) {
  if (!s->memo) return;
  for (int i = 0; i < MEMO; i++) {
    free(s->memo[i].lv2);
    free(s->memo[i].bits);
  }
  free(s->memo);
  s->memo = NULL;
}

void dm_slot_free(dm_slot *s) {
  if (!s) return;
  memo_free(s);
  free(s->tok);
  free(s->fw);
  free(s->lv);
  free(s->tmp);
  memset(s, 0, sizeof *s);
}

int dm_slot_clone(dm_slot *d, const dm_slot *s) {
  memset(d, 0, sizeof *d);
  d->ta = s->ta;
  d->n = s->n;
  d->qw = s->qw;
  d->tok = malloc((size_t)(s->n ? s->n : 1) * sizeof *d->tok);
  d->fw = malloc((size_t)(s->n + 1) * s->qw * sizeof *d->fw);
  d->lv = malloc((size_t)(s->n + 1) * s->qw * sizeof *d->lv);
  d->tmp = calloc(s->qw ? s->qw : 1, sizeof *d->tmp);
  if (!d->tok || !d->fw || !d->lv || !d->tmp) {
    dm_slot_free(d);
    return DM_ENOMEM;
  }
  dm_slot_copy_state(d, s);
  return DM_OK;
}

void dm_slot_copy_state(dm_slot *d, const dm_slot *s) {
  memcpy(d->tok, s->tok, (size_t)s->n * sizeof *d->tok);
  memcpy(d->fw, s->fw, (size_t)(s->n + 1) * s->qw * sizeof *d->fw);
  memcpy(d->lv, s->lv, (size_t)(s->n + 1) * s->qw * sizeof *d->lv);
}

bool dm_slot_feasible(const dm_slot *s) { return s->lv && has(LV(s, 0), 0); }

bool dm_slot_allows(dm_slot *s, int32_t pos, int32_t tok) {
  if (pos < 0 || pos >= s->n) return false;
  if (s->tok[pos] >= 0) return s->tok[pos] == tok;
  const uint64_t *l = LV(s, pos), *next = LV(s, pos + 1);
  for (size_t w = 0; w < s->qw; w++)
    for (uint64_t bits = l[w]; bits; bits &= bits - 1) {
      int32_t q = (int32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
      int32_t t = dm_tokauto_step(s->ta, q, tok);
      if (t >= 0 && has(next, t)) return true;
    }
  return false;
}

int32_t dm_slot_allowed(dm_slot *s, int32_t pos, uint64_t *out) {
  size_t vw = dm_tokauto_vwords(s->ta);
  memset(out, 0, vw * sizeof *out);
  if (pos < 0 || pos >= s->n) return 0;
  if (s->tok[pos] >= 0) {
    put(out, s->tok[pos]);
    return 1;
  }
  const uint64_t *l = LV(s, pos), *next = LV(s, pos + 1);
  uint64_t h = 0x9E3779B97F4A7C15ULL;
  for (size_t w = 0; w < s->qw; w++) h = (h ^ l[w]) * 0x100000001B3ULL + (h >> 29);
  for (size_t w = 0; w < s->qw; w++) h = (h ^ next[w]) * 0x100000001B3ULL + (h >> 29);
  if (!s->memo) {
    s->memo = calloc(MEMO, sizeof *s->memo);
    if (!s->memo) return DM_ENOMEM;
    for (int i = 0; i < MEMO; i++) s->memo[i].count = -1;
  }
  for (int i = 0; i < MEMO; i++) {
    dm_allowed_memo *m = &s->memo[i];
    if (m->count >= 0 && m->hash == h && memcmp(m->lv2, l, s->qw * 8) == 0 &&
        memcmp(m->lv2 + s->qw, next, s->qw * 8) == 0) {
      memcpy(out, m->bits, vw * sizeof *out);
      return m->count;
    }
  }
  uint32_t round = dm_tokauto_round(s->ta); /* each shared token set is OR'd once */
  for (size_t w = 0; w < s->qw; w++)
    for (uint64_t bits = l[w]; bits; bits &= bits - 1) {
      int32_t q = (int32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
      const dm_tokrow *r = dm_tokauto_row(s->ta, q);
      if (!r) return DM_ENOMEM;
      for (int32_t k = 0; k < r->n; k++) {
        if (!has(next, r->next[k])) continue;
        if (dm_tokauto_row_or(s->ta, q, k, out, round)) return DM_ENOMEM;
      }
    }
  int32_t count = (int32_t)dm_words_count(out, vw);
  dm_allowed_memo *m = &s->memo[s->memo_next];
  s->memo_next = (s->memo_next + 1) % MEMO;
  if (!m->lv2) m->lv2 = malloc(2 * s->qw * 8);
  if (!m->bits) m->bits = malloc(vw * 8);
  if (m->lv2 && m->bits) {
    memcpy(m->lv2, l, s->qw * 8);
    memcpy(m->lv2 + s->qw, next, s->qw * 8);
    memcpy(m->bits, out, vw * 8);
    m->hash = h;
    m->count = count;
  } else {
    m->count = -1;
  }
  return count;
}

int32_t dm_slot_forced(dm_slot *s, int32_t pos) {
  if (pos < 0 || pos >= s->n || s->tok[pos] >= 0) return -1;
  /* one token overall: walk the groups, stop at the second distinct token */
  const uint64_t *l = LV(s, pos), *next = LV(s, pos + 1);
  int32_t only = -1;
  for (size_t w = 0; w < s->qw; w++)
    for (uint64_t bits = l[w]; bits; bits &= bits - 1) {
      int32_t q = (int32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
      const dm_tokrow *r = dm_tokauto_row(s->ta, q);
      if (!r) return -1;
      for (int32_t k = 0; k < r->n; k++) {
        if (!has(next, r->next[k])) continue;
        int32_t t = dm_tokauto_row_single(s->ta, q, k);
        if (t < 0 || (only >= 0 && only != t)) return -1;
        only = t;
      }
    }
  return only;
}

int dm_slot_commit(dm_slot *s, int32_t pos, int32_t tok) {
  if (pos < 0 || pos >= s->n || s->tok[pos] >= 0) return DM_EINVAL;
  if (!dm_slot_allows(s, pos, tok)) return DM_EINFEASIBLE;
  s->tok[pos] = tok;
  /* forward: fw shrinks to the right until it stops changing */
  int32_t last = pos; /* last boundary whose fw changed */
  for (int32_t i = pos; i < s->n; i++) {
    if (step_set(s, i, FW(s, i), s->tmp)) return DM_ENOMEM;
    if (memcmp(s->tmp, FW(s, i + 1), s->qw * sizeof *s->tmp) == 0) break;
    memcpy(FW(s, i + 1), s->tmp, s->qw * sizeof *s->tmp);
    last = i + 1;
  }
  /* live sets: recompute from the last changed boundary down; below pos stop when
   * nothing changes */
  if (last == s->n) final_live(s);
  else if (last > pos) {
    uint64_t *l = LV(s, last);
    const uint64_t *f = FW(s, last);
    for (size_t k = 0; k < s->qw; k++) l[k] &= f[k];
  }
  for (int32_t i = last > pos ? last - 1 : pos; i >= 0; i--) {
    if (live_set(s, i, s->tmp)) return DM_ENOMEM;
    bool same = memcmp(s->tmp, LV(s, i), s->qw * sizeof *s->tmp) == 0;
    memcpy(LV(s, i), s->tmp, s->qw * sizeof *s->tmp);
    if (same && i < pos) break;
  }
  return DM_OK;
}
