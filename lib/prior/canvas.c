/* Canvases: fixed tokens, slots with token automata and feasibility state. */
#include <stdlib.h>
#include <string.h>

#include "canvas.h"
#include "json_canon.h"

#define MAX_CANVAS 16384

dm_canvas_params dm_canvas_default_params(void) {
  dm_canvas_params p;
  memset(&p, 0, sizeof p);
  p.schema = dm_schema_default_params();
  p.max_tokens = 0;
  p.string_tokens = 24;
  p.value_tokens = 48;
  p.grammar_dir = NULL;
  p.slot_tokens = 16;
  return p;
}

int dm_prior_env_new(const dm_tokenizer *tok, dm_prior_env **out, dm_error *err) {
  *out = NULL;
  dm_prior_env *e = calloc(1, sizeof *e);
  if (!e) return dm_error_set(err, DM_ENOMEM, "out of memory");
  e->tok = tok;
  int rc = dm_vocab_from_tokenizer(tok, &e->vocab);
  if (rc) {
    free(e);
    return dm_error_set(err, rc, "cannot build the vocabulary view");
  }
  rc = dm_tokcache_new(e->vocab, &e->cache);
  if (rc) {
    dm_vocab_free(e->vocab);
    free(e);
    return dm_error_set(err, rc, "out of memory");
  }
  e->eos = dm_tokenizer_special_id(tok, DM_SPECIAL_EOS);
  if (e->eos < 0) e->eos = dm_tokenizer_special_id(tok, DM_SPECIAL_EOT);
  /* Warm the token-automaton cache with the language most specs embed, any JSON
     value: the class tries and row templates of its strings and numbers are built
     here, once per tokenizer, instead of by the first spec that needs them (twice:
     the cache builds a class trie when a second automaton asks for it). Best
     effort: a failure leaves a colder cache, nothing else. */
  /* The second {} and a `true` (any value as the schema compiler's complements and
     boolean schemas bound it) stay: the donors of rows for every JSON slot with the
     same strings, arrays and objects (tokauto.h, dm_tokcache_set_donor). */
  static const char *const warm_specs[] = {"{}", "{}", "true"};
  for (int i = 0; i < 3; i++) {
    dm_canvas *warm = NULL;
    dm_error ignored;
    const char *spec = warm_specs[i];
    if (dm_canvas_from_schema(e, spec, strlen(spec), NULL, &warm, &ignored) == DM_OK && i > 0 && warm->nslots == 1) {
      e->donor[i - 1] = warm;
      dm_tokcache_set_donor(e->cache, i - 1, warm->slots[0].ta);
      continue;
    }
    dm_canvas_free(warm);
  }
  *out = e;
  return DM_OK;
}

void dm_prior_env_free(dm_prior_env *e) {
  if (!e) return;
  dm_fill_index_free(e->fill_index);
  for (int i = 0; i < DM_TOKCACHE_DONORS; i++) {
    dm_tokcache_set_donor(e->cache, i, NULL);
    dm_canvas_free(e->donor[i]);
  }
  dm_tokcache_free(e->cache);
  dm_vocab_free(e->vocab);
  free(e);
}

int dm_canvas_new_empty(dm_prior_env *env, dm_canvas **out) {
  *out = NULL;
  dm_canvas *c = calloc(1, sizeof *c);
  if (!c) return DM_ENOMEM;
  c->env = env;
  *out = c;
  return DM_OK;
}

void dm_canvas_free(dm_canvas *c) {
  if (!c) return;
  for (int i = 0; i < c->nslots; i++) {
    canvas_slot *s = &c->slots[i];
    free(s->name);
    dm_slot_free(&s->feas);
    dm_slot_free(&s->init);
    dm_tokauto_free(s->ta);
    dm_dfa_free(s->dfa);
  }
  free(c->slots);
  free(c->tok);
  free(c->fixed);
  free(c->slot_of);
  free(c);
}

static int grow(dm_canvas *c, int32_t more) {
  if (c->n + more > MAX_CANVAS) return DM_ERANGE;
  if (c->n + more <= c->cap) return DM_OK;
  int32_t cap = c->cap ? c->cap : 64;
  while (cap < c->n + more) cap *= 2;
  int32_t *t = realloc(c->tok, (size_t)cap * sizeof *t);
  if (!t) return DM_ENOMEM;
  c->tok = t;
  uint8_t *f = realloc(c->fixed, (size_t)cap);
  if (!f) return DM_ENOMEM;
  c->fixed = f;
  int32_t *so = realloc(c->slot_of, (size_t)cap * sizeof *so);
  if (!so) return DM_ENOMEM;
  c->slot_of = so;
  c->cap = cap;
  return DM_OK;
}

int dm_canvas_add_fixed(dm_canvas *c, const char *text, size_t len, dm_error *err) {
  if (!len) return DM_OK;
  int32_t *ids = NULL;
  size_t n = 0;
  int rc = dm_tokenizer_encode_alloc(c->env->tok, text, len, 0, &ids, &n, err);
  if (rc) return rc;
  rc = grow(c, (int32_t)n);
  if (rc) {
    free(ids);
    return dm_error_set(err, rc, rc == DM_ERANGE ? "canvas longer than %d tokens" : "out of memory", MAX_CANVAS);
  }
  for (size_t i = 0; i < n; i++) {
    c->tok[c->n] = ids[i];
    c->fixed[c->n] = 1;
    c->slot_of[c->n] = -1;
    c->n++;
  }
  free(ids);
  return DM_OK;
}

/* Fewest tokens from the start to acceptance (BFS over token automaton states),
 * -1 when more than limit or never. */
static int32_t min_tokens(dm_tokauto *ta, int32_t limit) {
  size_t qw = dm_tokauto_qwords(ta);
  uint64_t *cur = calloc(qw, 8), *nxt = calloc(qw, 8), *seen = calloc(qw, 8);
  int32_t result = -1;
  if (!cur || !nxt || !seen) goto out;
  cur[0] = 1;
  seen[0] = 1;
  for (int32_t steps = 0; steps <= limit; steps++) {
    bool any = false;
    memset(nxt, 0, qw * 8);
    for (size_t w = 0; w < qw; w++)
      for (uint64_t b = cur[w]; b; b &= b - 1) {
        int32_t q = (int32_t)(w * 64 + (size_t)__builtin_ctzll(b));
        if (dm_tokauto_accepting(ta, q)) { result = steps; goto out; }
        const dm_tokrow *r = dm_tokauto_row(ta, q);
        if (!r) goto out;
        for (size_t k = 0; k < qw; k++) nxt[k] |= r->succ[k] & ~seen[k];
      }
    for (size_t k = 0; k < qw; k++) {
      seen[k] |= nxt[k];
      any |= nxt[k] != 0;
    }
    if (!any) break;
    uint64_t *t = cur; cur = nxt; nxt = t;
  }
out:
  free(cur);
  free(nxt);
  free(seen);
  return result;
}

int dm_canvas_add_slot(dm_canvas *c, const char *name, dm_dfa *dfa, int filler, int budget, int default_budget,
                       dm_error *err) {
  if (c->nslots == c->capslots) {
    int cap = c->capslots ? c->capslots * 2 : 8;
    canvas_slot *ns = realloc(c->slots, (size_t)cap * sizeof *ns);
    if (!ns) { dm_dfa_free(dfa); return dm_error_set(err, DM_ENOMEM, "out of memory"); }
    c->slots = ns;
    c->capslots = cap;
  }
  canvas_slot *s = &c->slots[c->nslots];
  memset(s, 0, sizeof *s);
  s->dfa = dfa;
  s->filler = filler;
  s->name = strdup(name ? name : "");
  int32_t eos = filler == 2 ? c->env->eos : -1;
  if (filler == 2 && eos < 0) {
    dm_dfa_free(dfa);
    free(s->name);
    return dm_error_set_named(err, DM_EMODEL, name, "the tokenizer has no EOS token to pad this slot with");
  }
  int rc = s->name ? dm_tokauto_new(dfa, c->env->vocab, eos, c->env->cache, &s->ta) : DM_ENOMEM;
  if (rc) {
    dm_dfa_free(dfa);
    free(s->name);
    return dm_error_set(err, rc, "out of memory");
  }
  c->nslots++;
  if (dm_dfa_is_empty(dfa))
    return dm_error_set_named(err, DM_EINFEASIBLE, name, "no value satisfies this part of the spec (its language is empty)");
  s->min_tokens = min_tokens(s->ta, 4096);
  if (s->min_tokens < 0)
    return dm_error_set_named(err, DM_EINFEASIBLE, name, "no value of at most 4096 tokens satisfies this part of the spec");
  if (budget > 0) {
    if (budget < s->min_tokens)
      return dm_error_set_named(err, DM_EINFEASIBLE, name,
                                "budget of %d tokens is too small: the shortest value needs %d", budget, s->min_tokens);
  } else {
    int32_t maxb = dm_dfa_max_length(dfa); /* bytes; a token holds at least one */
    budget = maxb >= 0 && maxb < default_budget ? maxb : default_budget;
    if (budget < s->min_tokens) budget = s->min_tokens;
  }
  rc = grow(c, budget);
  if (rc) return dm_error_set_named(err, rc, name, rc == DM_ERANGE ? "canvas longer than %d tokens" : "out of memory", MAX_CANVAS);
  s->start = c->n;
  s->len = budget;
  for (int32_t i = 0; i < budget; i++) {
    c->tok[c->n] = -1;
    c->fixed[c->n] = 0;
    c->slot_of[c->n] = c->nslots - 1;
    c->n++;
  }
  return DM_OK;
}

int dm_canvas_finish(dm_canvas *c, dm_error *err) {
  for (int i = 0; i < c->nslots; i++) {
    canvas_slot *s = &c->slots[i];
    dm_slot_free(&s->feas);
    dm_slot_free(&s->init);
    int rc = dm_slot_init(&s->feas, s->ta, s->len, NULL);
    if (rc == DM_EINFEASIBLE)
      return dm_error_set_named(err, rc, s->name, "no value fits exactly %d tokens (this slot has no filler)", s->len);
    if (rc == DM_OK) rc = dm_slot_clone(&s->init, &s->feas);
    if (rc) return dm_error_set(err, rc, "out of memory");
  }
  return DM_OK;
}

/* Back to all masks: each slot's state is copied from its snapshot of the first set
 * up (rebuilding it walks every position's state set). */
int dm_canvas_reset(dm_canvas *c) {
  for (int32_t i = 0; i < c->n; i++)
    if (!c->fixed[i]) c->tok[i] = -1;
  for (int i = 0; i < c->nslots; i++) {
    canvas_slot *s = &c->slots[i];
    if (!s->init.lv || !s->feas.lv || s->feas.n != s->init.n || s->feas.qw != s->init.qw)
      return dm_canvas_finish(c, NULL);
  }
  for (int i = 0; i < c->nslots; i++) dm_slot_copy_state(&c->slots[i].feas, &c->slots[i].init);
  return DM_OK;
}

int32_t dm_canvas_length(const dm_canvas *c) { return c->n; }
int32_t dm_canvas_token(const dm_canvas *c, int32_t pos) { return pos >= 0 && pos < c->n ? c->tok[pos] : -1; }
size_t dm_canvas_vocab_words(const dm_canvas *c) { return ((size_t)c->env->vocab->n + 63) / 64; }

int32_t dm_canvas_masks_left(const dm_canvas *c) {
  int32_t k = 0;
  for (int32_t i = 0; i < c->n; i++) k += c->tok[i] < 0;
  return k;
}

int32_t dm_canvas_allowed(dm_canvas *c, int32_t pos, uint64_t *out) {
  if (pos < 0 || pos >= c->n) return DM_EINVAL;
  int si = c->slot_of[pos];
  if (si < 0) {
    memset(out, 0, dm_canvas_vocab_words(c) * 8);
    out[c->tok[pos] >> 6] |= (uint64_t)1 << (c->tok[pos] & 63);
    return 1;
  }
  canvas_slot *s = &c->slots[si];
  return dm_slot_allowed(&s->feas, pos - s->start, out);
}

int dm_canvas_allows(dm_canvas *c, int32_t pos, int32_t tok) {
  if (pos < 0 || pos >= c->n) return 0;
  int si = c->slot_of[pos];
  if (si < 0) return c->tok[pos] == tok;
  canvas_slot *s = &c->slots[si];
  return dm_slot_allows(&s->feas, pos - s->start, tok);
}

int32_t dm_canvas_forced(dm_canvas *c, int32_t pos) {
  if (pos < 0 || pos >= c->n || c->tok[pos] >= 0) return -1;
  canvas_slot *s = &c->slots[c->slot_of[pos]];
  return dm_slot_forced(&s->feas, pos - s->start);
}

int dm_canvas_commit(dm_canvas *c, int32_t pos, int32_t tok) {
  if (pos < 0 || pos >= c->n || c->tok[pos] >= 0) return DM_EINVAL;
  canvas_slot *s = &c->slots[c->slot_of[pos]];
  int rc = dm_slot_commit(&s->feas, pos - s->start, tok);
  if (rc == DM_OK) c->tok[pos] = tok;
  return rc;
}

int dm_canvas_slot_count(const dm_canvas *c) { return c->nslots; }

size_t dm_canvas_memory(const dm_canvas *c) {
  size_t m = 0;
  for (int i = 0; i < c->nslots; i++) m += dm_tokauto_memory(c->slots[i].ta);
  return m;
}

int dm_canvas_slot(const dm_canvas *c, int i, dm_canvas_slot_info *info) {
  if (i < 0 || i >= c->nslots) return DM_ERANGE;
  const canvas_slot *s = &c->slots[i];
  info->name = s->name;
  info->start = s->start;
  info->len = s->len;
  info->min_tokens = s->min_tokens;
  info->states = dm_tokauto_nstates(s->ta);
  info->filler = s->filler;
  dm_tokauto_stats(s->ta, &info->rows_walked, &info->rows_templated, &info->templates, &info->rows_shifted,
                   &info->rows_filtered, &info->rows_shared);
  return DM_OK;
}

long dm_canvas_text(const dm_canvas *c, const char *mask, int strip_filler, char *buf, size_t cap) {
  dm_buf out = {0};
  const dm_vocab *v = c->env->vocab;
  for (int32_t i = 0; i < c->n; i++) {
    int32_t t = c->tok[i];
    int si = c->slot_of[i];
    size_t slot_begin = out.n;
    if (si >= 0 && strip_filler && i == c->slots[si].start) {
      /* a whole slot: its text, then its filler dropped */
      const canvas_slot *s = &c->slots[si];
      bool masks = false;
      for (int32_t j = s->start; j < s->start + s->len; j++) {
        int32_t tj = c->tok[j];
        if (tj < 0) {
          masks = true;
          if (mask) dm_buf_puts(&out, mask);
          continue;
        }
        if (s->filler == 2 && tj == c->env->eos) continue;
        size_t l;
        const uint8_t *b = dm_vocab_bytes(v, tj, &l);
        dm_buf_put(&out, (const char *)b, l);
      }
      if (s->filler == 1 && !masks)
        while (out.n > slot_begin && out.s[out.n - 1] == ' ') out.s[--out.n] = 0;
      i = s->start + s->len - 1;
      continue;
    }
    if (t < 0) {
      if (mask) dm_buf_puts(&out, mask);
      continue;
    }
    size_t l;
    const uint8_t *b = dm_vocab_bytes(v, t, &l);
    dm_buf_put(&out, (const char *)b, l);
  }
  if (out.oom) {
    dm_buf_free(&out);
    return DM_ENOMEM;
  }
  if (cap) {
    size_t k = out.n < cap ? out.n : cap - 1;
    if (k) memcpy(buf, out.s, k);
    buf[k] = 0;
  }
  long n = (long)out.n;
  dm_buf_free(&out);
  return n;
}
