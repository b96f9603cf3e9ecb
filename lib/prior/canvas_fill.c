/* Writing a given answer onto a canvas (dm_canvas_fill_text): the token layout a
 * structure prior would produce for that answer, for training targets.
 *
 * Three steps:
 * 1. Split the text over the canvas: fixed runs must match byte for byte, each slot
 *    takes a piece its value automaton accepts (a slot with space filler never takes
 *    a piece ending in a space: that space belongs to what follows) and that it can
 *    write in its budget. A forward pass marks the reachable offsets before each
 *    part (once for the language alone, for DM_ERANGE, once with budgets, for
 *    DM_EINFEASIBLE); a backward pass picks the split (the latest start for each
 *    slot, from the last one back, so earlier slots take as much as they can). The
 *    furthest byte any path read is the failure offset.
 * 2. Per slot, a backward table over (position k, byte offset o) in the slot's
 *    piece: can positions k.. be filled so that they write exactly the piece from o
 *    on, then filler? Rows are offset bitsets, computed by token length (shift and
 *    mask by "a token of length l starts here"), so a slot costs about
 *    positions * longest token * offsets / 64 word operations. Already committed
 *    positions take part as they are.
 * 3. Left to right, each masked position takes the longest token that is a prefix of
 *    the rest of the piece, keeps the table's promise and that the canvas accepts
 *    (dm_canvas_commit); past the piece, filler (one space, or EOS). A slot with no
 *    commits takes its whole plan at once (one set-up of its feasibility state,
 *    which checks the plan; a commit per position costs a pass over the slot each);
 *    should that check refuse it, the slot goes token by token with commits.
 *
 * Prefix candidates come from walking the vocabulary trie along the text; child
 * lookup goes through a hash of (node, byte) built once per environment. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"

/* ------------------------------------------------------------------ trie index */

struct dm_fill_index {
  uint32_t mask;   /* table size - 1 */
  uint32_t *key;   /* node * 256 + byte + 1; 0 = empty */
  int32_t *child;
  int32_t root[256];
};

void dm_fill_index_free(struct dm_fill_index *ix) {
  if (!ix) return;
  free(ix->key);
  free(ix->child);
  free(ix);
}

static inline uint32_t ix_hash(uint32_t k) { return (k * 2654435761u) ^ (k >> 15); }

static int ix_build(const dm_vocab *v, struct dm_fill_index **out) {
  struct dm_fill_index *ix = calloc(1, sizeof *ix);
  if (!ix) return DM_ENOMEM;
  uint32_t size = 1024;
  while (size < (uint32_t)v->ntrie * 2u) size *= 2;
  ix->mask = size - 1;
  ix->key = calloc(size, sizeof *ix->key);
  ix->child = malloc((size_t)size * sizeof *ix->child);
  if (!ix->key || !ix->child) {
    dm_fill_index_free(ix);
    return DM_ENOMEM;
  }
  for (int b = 0; b < 256; b++) ix->root[b] = -1;
  for (int32_t node = 0; node < v->ntrie; node++)
    for (int32_t ch = v->trie[node].first_child; ch >= 0; ch = v->trie[ch].next_sibling) {
      if (node == 0) ix->root[v->trie[ch].byte] = ch;
      uint32_t k = (uint32_t)node * 256u + v->trie[ch].byte + 1u;
      uint32_t h = ix_hash(k) & ix->mask;
      while (ix->key[h]) h = (h + 1) & ix->mask;
      ix->key[h] = k;
      ix->child[h] = ch;
    }
  *out = ix;
  return DM_OK;
}

static inline int32_t ix_child(const struct dm_fill_index *ix, int32_t node, uint8_t byte) {
  if (node == 0) return ix->root[byte];
  uint32_t k = (uint32_t)node * 256u + byte + 1u;
  for (uint32_t h = ix_hash(k) & ix->mask; ix->key[h]; h = (h + 1) & ix->mask)
    if (ix->key[h] == k) return ix->child[h];
  return -1;
}

/* ------------------------------------------------------------------ helpers */

static inline bool bit_get(const uint64_t *b, size_t i) { return (b[i >> 6] >> (i & 63)) & 1; }
static inline void bit_set(uint64_t *b, size_t i) { b[i >> 6] |= (uint64_t)1 << (i & 63); }

/* slot value may end at e (begun at o): for space filler, not after a space */
static inline bool end_ok(const canvas_slot *s, const uint8_t *t, size_t o, size_t e) {
  return s->filler != 1 || e == o || t[e - 1] != ' ';
}

static bool all_spaces(const uint8_t *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (b[i] != ' ') return false;
  return n > 0;
}

/* Offset after committed token t at offset o of a piece of L bytes, or -1. */
static long consume(const dm_canvas *c, const canvas_slot *s, int32_t t, const uint8_t *p, size_t L, size_t o) {
  if (s->filler == 2 && t == c->env->eos) return o == L ? (long)L : -1;
  size_t n;
  const uint8_t *b = dm_vocab_bytes(c->env->vocab, t, &n);
  size_t a = 0;
  while (a < n && o + a < L && b[a] == p[o + a]) a++;
  if (a == n) return n ? (long)(o + n) : -1;
  if (s->filler == 1 && o + a == L && all_spaces(b + a, n - a)) return (long)L;
  return -1;
}

/* ------------------------------------------------------------------ context */

typedef struct fill_ctx {
  dm_canvas *c;
  const struct dm_fill_index *ix;
  const uint8_t *text;
  size_t len;
  size_t *fail_at;
  dm_error *err;
  uint64_t *allowed;   /* vocabulary bitset scratch, lazily */
  size_t W;            /* words of an offset bitset (len + 1 bits) */
  size_t maxl;         /* longest token that starts anywhere in the text and fits in it */
  uint64_t *has;       /* maxl rows: row l-1 = offsets where a token of l bytes starts */
  uint64_t *cur, *nxt; /* scratch rows */
  uint64_t *F;         /* (longest slot + 1) rows: slot_table */
} fill_ctx;

static int fail(fill_ctx *x, int code, size_t at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static int fail(fill_ctx *x, int code, size_t at, const char *fmt, ...) {
  if (x->fail_at) *x->fail_at = at;
  char msg[DM_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return dm_error_set_at(x->err, code, (const char *)x->text, x->len, at, "%s", msg);
}

/* The token starts: walk the trie along the text from every offset. */
static int find_tokens(fill_ctx *x) {
  const dm_vocab *v = x->c->env->vocab;
  for (int pass = 0; pass < 2; pass++) {
    for (size_t o = 0; o < x->len; o++) {
      int32_t node = 0;
      for (size_t d = 0; o + d < x->len && (node = ix_child(x->ix, node, x->text[o + d])) >= 0; d++) {
        if (v->node_tok_off[node] == v->node_tok_off[node + 1]) continue;
        if (pass == 0 && d + 1 > x->maxl) x->maxl = d + 1;
        if (pass == 1) bit_set(x->has + d * x->W, o);
      }
    }
    if (pass == 0 && !(x->has = calloc((x->maxl ? x->maxl : 1) * x->W, 8))) return DM_ENOMEM;
  }
  return DM_OK;
}

/* out = the offsets one token further than those of r. // r, out (W) */
static void step_forward(const fill_ctx *x, const uint64_t *r, uint64_t *out) {
  size_t W = x->W;
  memset(out, 0, W * 8);
  for (size_t l = 1; l <= x->maxl; l++) {
    const uint64_t *h = x->has + (l - 1) * W;
    size_t ws = l >> 6, bs = l & 63;
    for (size_t w = ws; w < W; w++) {
      uint64_t v = (r[w - ws] & h[w - ws]) << bs;
      if (bs && w > ws) v |= (r[w - ws - 1] & h[w - ws - 1]) >> (64 - bs);
      out[w] |= v;
    }
  }
}

/* f |= the offsets one token before those of g. // g, f (W) */
static void step_back(const fill_ctx *x, const uint64_t *g, uint64_t *f) {
  size_t W = x->W;
  for (size_t l = 1; l <= x->maxl; l++) {
    const uint64_t *h = x->has + (l - 1) * W;
    size_t ws = l >> 6, bs = l & 63;
    for (size_t w = 0; w + ws < W; w++) {
      uint64_t v = g[w + ws] >> bs;
      if (bs && w + ws + 1 < W) v |= g[w + ws + 1] << (64 - bs);
      f[w] |= h[w] & v;
    }
  }
}

static bool slot_has_commits(const dm_canvas *c, const canvas_slot *s) {
  for (int32_t k = 0; k < s->len; k++)
    if (c->tok[s->start + k] >= 0) return true;
  return false;
}

/* The ends a slot starting at offset o can write in its budget: into `ends`, the
 * offsets reached with at most len tokens (filler takes the rest) or, without
 * filler, with exactly len. // ends (W) */
static void slot_ends(fill_ctx *x, const canvas_slot *s, size_t o, uint64_t *ends) {
  size_t W = x->W;
  memset(x->cur, 0, W * 8);
  bit_set(x->cur, o);
  memcpy(ends, x->cur, W * 8);
  for (int32_t k = 0; k < s->len; k++) {
    step_forward(x, x->cur, x->nxt);
    uint64_t *t = x->cur, any = 0;
    x->cur = x->nxt;
    x->nxt = t;
    for (size_t w = 0; w < W; w++) {
      any |= x->cur[w];
      if (s->filler) ends[w] |= x->cur[w];
    }
    if (!any) break;
  }
  if (!s->filler) memcpy(ends, x->cur, W * 8);
}

/* ------------------------------------------------------------------ one slot */

/* A filler token at pos: one space (filler 1) or EOS (filler 2). */
static int commit_filler(fill_ctx *x, const canvas_slot *s, int32_t pos) {
  dm_canvas *c = x->c;
  if (s->filler == 2) return dm_canvas_commit(c, pos, c->env->eos);
  const dm_vocab *v = c->env->vocab;
  int32_t sp = x->ix->root[' '];
  if (sp >= 0)
    for (int32_t i = v->node_tok_off[sp]; i < v->node_tok_off[sp + 1]; i++)
      if (dm_canvas_commit(c, pos, v->node_toks[i]) == DM_OK) return DM_OK;
  /* no single-space token allowed: any all-space token the canvas allows */
  if (!x->allowed && !(x->allowed = malloc(dm_canvas_vocab_words(c) * 8))) return DM_ENOMEM;
  int32_t cnt = dm_canvas_allowed(c, pos, x->allowed);
  if (cnt < 0) return cnt;
  for (size_t w = 0; w < dm_canvas_vocab_words(c); w++)
    for (uint64_t bits = x->allowed[w]; bits; bits &= bits - 1) {
      int32_t t = (int32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
      size_t n;
      const uint8_t *b = dm_vocab_bytes(v, t, &n);
      if (all_spaces(b, n)) return dm_canvas_commit(c, pos, t);
    }
  return DM_EINFEASIBLE;
}

/* The slot's table for writing text[beg, end): row k of x->F (W words) holds the
 * offsets from which positions k.. can write the rest of the piece, then filler
 * (committed positions as they are). Returns whether row 0 holds beg. */
static bool slot_table(fill_ctx *x, const canvas_slot *s, size_t beg, size_t end) {
  const dm_canvas *c = x->c;
  size_t W = x->W;
  int32_t n = s->len;
  uint64_t *F = x->F;
  memset(F, 0, ((size_t)n + 1) * W * 8);
  bit_set(F + (size_t)n * W, end);
  for (int32_t k = n - 1; k >= 0; k--) {
    uint64_t *f = F + (size_t)k * W;
    const uint64_t *g = F + (size_t)(k + 1) * W;
    int32_t t = c->tok[s->start + k];
    if (t >= 0) {
      for (size_t o = beg; o <= end; o++) {
        long e = consume(c, s, t, x->text, end, o);
        if (e >= 0 && bit_get(g, (size_t)e)) bit_set(f, o);
      }
      continue;
    }
    step_back(x, g, f);
    if (s->filler && bit_get(g, end)) bit_set(f, end);
  }
  return bit_get(F, beg);
}

/* Write text[beg, end) into slot si, then filler. */
/* The fast path for a slot without commits: plan every token from the table (the
 * same choices as the commit loop: longest prefix token that keeps the table's
 * promise, lowest id among tokens with the same bytes, then one space or EOS), then
 * set the slot's feasibility state up once with all of them, which checks the plan
 * against the token automaton. Returns DM_OK, DM_ENOMEM, or DM_EINFEASIBLE when the
 * plan is not taken (the slot is then back to all masks). */
static int plan_slot(fill_ctx *x, canvas_slot *s, size_t beg, size_t end) {
  dm_canvas *c = x->c;
  const dm_vocab *v = c->env->vocab;
  const uint8_t *p = x->text;
  int32_t n = s->len;
  int32_t *plan = malloc((size_t)(n ? n : 1) * sizeof *plan);
  if (!plan) return DM_ENOMEM;
  int32_t space = -1, sp = x->ix->root[' '];
  if (sp >= 0 && v->node_tok_off[sp] < v->node_tok_off[sp + 1]) space = v->node_toks[v->node_tok_off[sp]];
  size_t o = beg;
  int rc = DM_OK;
  for (int32_t k = 0; k < n && rc == DM_OK; k++) {
    const uint64_t *g = x->F + (size_t)(k + 1) * x->W;
    plan[k] = -1;
    if (o == end) {
      plan[k] = s->filler == 2 ? c->env->eos : s->filler == 1 ? space : -1;
    } else {
      int32_t node = 0;
      size_t l = 0;
      for (size_t d = 0; d < x->maxl && o + d < end && (node = ix_child(x->ix, node, p[o + d])) >= 0; d++)
        if (v->node_tok_off[node] < v->node_tok_off[node + 1] && bit_get(g, o + d + 1)) {
          plan[k] = v->node_toks[v->node_tok_off[node]];
          l = d + 1;
        }
      o += l;
    }
    if (plan[k] < 0) rc = DM_EINFEASIBLE;
  }
  if (rc == DM_OK) {
    dm_slot_free(&s->feas);
    rc = dm_slot_init(&s->feas, s->ta, n, plan);
    if (rc == DM_OK) {
      memcpy(c->tok + s->start, plan, (size_t)n * sizeof *plan);
    } else {
      dm_slot_free(&s->feas);
      int rc2 = dm_slot_init(&s->feas, s->ta, n, NULL);
      if (rc2) rc = rc2;
    }
  }
  free(plan);
  return rc;
}

static int fill_slot(fill_ctx *x, int si, size_t beg, size_t end) {
  dm_canvas *c = x->c;
  canvas_slot *s = &c->slots[si];
  const dm_vocab *v = c->env->vocab;
  const uint8_t *p = x->text;
  size_t W = x->W;
  int32_t n = s->len;
  const uint64_t *F = x->F;
  int32_t *path = malloc((x->maxl ? x->maxl : 1) * sizeof *path);
  int rc = DM_OK;
  if (!path) {
    rc = DM_ENOMEM;
    goto out;
  }
  if (!slot_table(x, s, beg, end)) {
    rc = fail(x, DM_EINFEASIBLE, beg,
              "slot %s (positions %d-%d): the tokens already committed there cannot be completed to write \"%.*s\"",
              s->name, s->start, s->start + n - 1, (int)(end - beg > 60 ? 60 : end - beg), (const char *)p + beg);
    goto out;
  }
  if (!slot_has_commits(c, s)) {
    rc = plan_slot(x, s, beg, end);
    if (rc != DM_EINFEASIBLE) goto out;
    rc = DM_OK; /* the plan was refused: commit token by token, trying the alternatives */
  }
  size_t o = beg;
  for (int32_t k = 0; k < n; k++) {
    int32_t pos = s->start + k, t = c->tok[pos];
    const uint64_t *g = F + (size_t)(k + 1) * W;
    if (t >= 0) {
      o = (size_t)consume(c, s, t, p, end, o);
      continue;
    }
    if (o == end) {
      rc = commit_filler(x, s, pos);
      if (rc == DM_ENOMEM) goto out;
      if (rc) {
        rc = fail(x, DM_EINFEASIBLE, o, "slot %s: no filler token is allowed at position %d", s->name, pos);
        goto out;
      }
      continue;
    }
    /* candidates: tokens that are prefixes of the rest of the piece, longest first */
    size_t depth = 0;
    for (int32_t node = 0; depth < x->maxl && o + depth < end && (node = ix_child(x->ix, node, p[o + depth])) >= 0;)
      path[depth++] = node;
    bool done = false;
    for (size_t l = depth; l >= 1 && !done; l--) {
      if (!bit_get(g, o + l)) continue;
      int32_t node = path[l - 1];
      for (int32_t i = v->node_tok_off[node]; i < v->node_tok_off[node + 1] && !done; i++)
        done = dm_canvas_commit(c, pos, v->node_toks[i]) == DM_OK;
      if (done) o += l;
    }
    if (!done) {
      rc = fail(x, DM_EINFEASIBLE, o, "slot %s: no allowed token writes the text from byte %zu at position %d", s->name,
                o, pos);
      goto out;
    }
  }
out:
  free(path);
  return rc;
}

/* ------------------------------------------------------------------ the split */

typedef struct part {
  int slot;           /* slot index, -1 for a fixed run */
  size_t fbeg, flen;  /* fixed run: its bytes in the fixed buffer */
  size_t beg, end;    /* the piece of the text it writes */
  int32_t pos0, pos1; /* canvas positions [pos0, pos1) */
} part;

/* Forward over the parts: reach (np + 1 rows of len + 1 flags) marks the offsets the
 * parts before each row can write up to; with budgets, slots only reach ends they
 * can write in their budgets. *far: the furthest byte any path read; *far_part: the
 * part it was read in (np: after the last). ENOMEM only. */
static int split_forward(fill_ctx *x, const part *parts, int np, const uint8_t *fixed, bool budgets, uint8_t *reach,
                         uint64_t *ends, size_t *far, int *far_part) {
  const dm_canvas *c = x->c;
  const uint8_t *t = x->text;
  size_t len = x->len;
  *far = 0;
  *far_part = 0;
  memset(reach, 0, ((size_t)np + 1) * (len + 1));
  reach[0] = 1;
  for (int j = 0; j < np; j++) {
    const uint8_t *rj = reach + (size_t)j * (len + 1);
    uint8_t *rn = reach + (size_t)(j + 1) * (len + 1);
    const part *q = &parts[j];
    for (size_t o = 0; o <= len; o++) {
      if (!rj[o]) continue;
      if (o >= *far) *far = o, *far_part = j;
      if (q->slot < 0) {
        size_t m = 0;
        while (m < q->flen && o + m < len && t[o + m] == fixed[q->fbeg + m]) m++;
        if (m == q->flen) rn[o + m] = 1;
        else if (o + m >= *far) *far = o + m, *far_part = j;
        continue;
      }
      const canvas_slot *s = &c->slots[q->slot];
      const dm_dfa *d = s->dfa;
      /* with budgets: a slot without commits reaches the ends of slot_ends; one with
       * commits is checked end by end (rare: a partially committed canvas) */
      bool commits = budgets && slot_has_commits(c, s), check = budgets && !commits;
      if (check) slot_ends(x, s, o, ends);
      size_t e = o;
      if (d->accept[0] && end_ok(s, t, o, o) && (!check || bit_get(ends, o)) && (!commits || slot_table(x, s, o, o)))
        rn[o] = 1;
      for (int32_t st = 0; e < len; e++) {
        if (check && !bit_get(ends, e) && e > o) {
          /* is any end further on still reachable in the budget? */
          bool more = false;
          for (size_t w = (e >> 6); w < x->W && !more; w++)
            more = (w == (e >> 6) ? ends[w] >> (e & 63) : ends[w]) != 0;
          if (!more) break;
        }
        st = dm_dfa_step(d, st, t[e]);
        if (st < 0) break;
        if (d->accept[st] && end_ok(s, t, o, e + 1) && (!check || bit_get(ends, e + 1)) &&
            (!commits || slot_table(x, s, o, e + 1)))
          rn[e + 1] = 1;
      }
      if (check) /* the furthest offset written in the budget, up to where the text left the language */
        while (e > o && !bit_get(ends, e)) e--;
      if (e >= *far) *far = e, *far_part = j;
    }
  }
  const uint8_t *last = reach + (size_t)np * (len + 1);
  for (size_t o = 0; o < len; o++)
    if (last[o] && o >= *far) *far = o, *far_part = np;
  return DM_OK;
}

static void describe(const dm_canvas *c, const part *parts, int np, int j, const uint8_t *fixed, char *buf, size_t cap) {
  const part *q = j < np ? &parts[j] : NULL;
  if (!q)
    snprintf(buf, cap, "after the canvas's last position %d", c->n - 1);
  else if (q->slot >= 0)
    snprintf(buf, cap, "in slot %s (positions %d-%d, a budget of %d tokens)", c->slots[q->slot].name, q->pos0,
             q->pos1 - 1, q->pos1 - q->pos0);
  else
    snprintf(buf, cap, "at the fixed text \"%.*s\" (positions %d-%d)", (int)(q->flen > 40 ? 40 : q->flen),
             (const char *)fixed + q->fbeg, q->pos0, q->pos1 - 1);
}

int dm_canvas_fill_text(dm_canvas *c, const char *text, size_t len, size_t *fail_at, dm_error *err) {
  if (fail_at) *fail_at = 0;
  if (!c || (!text && len)) return dm_error_set(err, DM_EINVAL, "dm_canvas_fill_text: no canvas or no text");
  dm_prior_env *env = c->env;
  if (!env->fill_index) {
    int rc = ix_build(env->vocab, &env->fill_index);
    if (rc) return dm_error_set(err, rc, "out of memory");
  }
  const uint8_t *t = (const uint8_t *)text;
  /* parts: fixed runs and slots in canvas order */
  int cap = 2 * c->nslots + 1, np = 0;
  size_t fixed_bytes = 0;
  for (int32_t i = 0; i < c->n; i++)
    if (c->slot_of[i] < 0) {
      size_t l;
      dm_vocab_bytes(env->vocab, c->tok[i], &l);
      fixed_bytes += l;
    }
  fill_ctx x = {c, env->fill_index, t, len, fail_at, err, NULL, (len + 1 + 63) / 64, 0, NULL, NULL, NULL, NULL};
  part *parts = calloc((size_t)cap, sizeof *parts);
  uint8_t *fixed = malloc(fixed_bytes + 1);
  uint8_t *reach = malloc(((size_t)cap + 1) * (len + 1));
  uint64_t *rows = calloc(3 * x.W, 8);
  int32_t longest = 0;
  for (int i = 0; i < c->nslots; i++)
    if (c->slots[i].len > longest) longest = c->slots[i].len;
  x.F = malloc(((size_t)longest + 1) * x.W * 8);
  int rc = DM_OK;
  if (!parts || !fixed || !reach || !rows || !x.F || find_tokens(&x)) {
    rc = dm_error_set(err, DM_ENOMEM, "out of memory");
    goto out;
  }
  x.cur = rows;
  x.nxt = rows + x.W;
  uint64_t *ends = rows + 2 * x.W;
  size_t fb = 0;
  for (int32_t i = 0; i < c->n;) {
    part *q = &parts[np++];
    q->pos0 = i;
    if (c->slot_of[i] >= 0) {
      q->slot = c->slot_of[i];
      i += c->slots[q->slot].len;
      q->pos1 = i;
      continue;
    }
    q->slot = -1;
    q->fbeg = fb;
    for (; i < c->n && c->slot_of[i] < 0; i++) {
      size_t l;
      const uint8_t *b = dm_vocab_bytes(env->vocab, c->tok[i], &l);
      memcpy(fixed + fb, b, l);
      fb += l;
    }
    q->flen = fb - q->fbeg;
    q->pos1 = i;
  }
  /* the language first (DM_ERANGE), then the budgets (DM_EINFEASIBLE) */
  size_t far;
  int far_part;
  char where[DM_ERROR_MSG_MAX / 2];
  split_forward(&x, parts, np, fixed, false, reach, ends, &far, &far_part);
  if (!reach[(size_t)np * (len + 1) + len]) {
    describe(c, parts, np, far_part, fixed, where, sizeof where);
    if (far < len)
      rc = fail(&x, DM_ERANGE, far, "the text is not in the canvas's language: byte %zu (0x%02x) cannot continue it %s",
                far, t[far], where);
    else
      rc = fail(&x, DM_ERANGE, far, "the text is not in the canvas's language: it ends early (byte %zu, %s)", far,
                where);
    goto out;
  }
  split_forward(&x, parts, np, fixed, true, reach, ends, &far, &far_part);
  if (!reach[(size_t)np * (len + 1) + len]) {
    describe(c, parts, np, far_part, fixed, where, sizeof where);
    rc = fail(&x, DM_EINFEASIBLE, far,
              "the text is in the canvas's language but does not fit its token budgets: byte %zu is not reached %s", far,
              where);
    goto out;
  }
  /* backward: the split (the latest start for each slot, from the last one back) */
  size_t cur = len;
  for (int j = np - 1; j >= 0; j--) {
    part *q = &parts[j];
    const uint8_t *rj = reach + (size_t)j * (len + 1);
    q->end = cur;
    if (q->slot < 0) {
      q->beg = cur - q->flen;
    } else {
      const canvas_slot *s = &c->slots[q->slot];
      bool commits = slot_has_commits(c, s), found = false;
      size_t o = cur + 1;
      while (!found && o-- > 0) {
        if (!rj[o] || !end_ok(s, t, o, cur)) continue;
        int32_t st = dm_dfa_run(s->dfa, 0, t + o, cur - o);
        if (st < 0 || !s->dfa->accept[st]) continue;
        if (commits) {
          found = slot_table(&x, s, o, cur);
        } else {
          slot_ends(&x, s, o, ends);
          found = bit_get(ends, cur);
        }
      }
      if (!found) {
        rc = dm_error_set(err, DM_EINTERNAL, "dm_canvas_fill_text: lost the split at slot %s", s->name);
        goto out;
      }
      q->beg = o;
    }
    cur = q->beg;
  }
  /* fixed runs are there already; write the slots */
  for (int j = 0; j < np && rc == DM_OK; j++)
    if (parts[j].slot >= 0) rc = fill_slot(&x, parts[j].slot, parts[j].beg, parts[j].end);
  if (rc == DM_ENOMEM) dm_error_set(err, rc, "out of memory");
out:
  free(x.allowed);
  free(x.has);
  free(x.F);
  free(rows);
  free(parts);
  free(fixed);
  free(reach);
  return rc;
}
