/* Canvases (internal view; the public API is in dimple/prior.h). */
#ifndef DM_PRIOR_CANVAS_H
#define DM_PRIOR_CANVAS_H

#include <dimple/prior.h>
#include <dimple/tokenizer.h>

#include "feasible.h"
#include "vocab.h"

struct dm_prior_env {
  const dm_tokenizer *tok;  /* not owned */
  dm_vocab *vocab;          /* owned */
  int32_t eos;              /* filler EOS token, -1 when the tokenizer has none */
  dm_tokcache *cache;        /* owned: class tries and row templates shared by all slots */
  struct dm_fill_index *fill_index; /* owned: trie child lookup of dm_canvas_fill_text, built on first use */
  struct dm_canvas *donor[DM_TOKCACHE_DONORS]; /* owned: canvases whose rows slots share */
};

/* canvas_fill.c: release the environment's trie index (NULL: no-op). */
void dm_fill_index_free(struct dm_fill_index *ix);

typedef struct canvas_slot {
  char *name;
  int32_t start, len;
  int filler;        /* 0 none, 1 spaces, 2 EOS */
  dm_dfa *dfa;       /* owned */
  dm_tokauto *ta;    /* owned */
  dm_slot feas;
  dm_slot init;      /* feas with every position a mask (dm_canvas_reset copies it); n 0 when not made */
  int32_t min_tokens;
} canvas_slot;

struct dm_canvas {
  dm_prior_env *env;
  int32_t n;
  int32_t *tok;       /* fixed/committed token or -1 */
  uint8_t *fixed;     /* 1 for positions the prior fixed */
  int32_t *slot_of;   /* slot index or -1 */
  canvas_slot *slots;
  int nslots, capslots;
  int32_t cap;        /* positions allocated */
};

/* Building (layout_*.c): append fixed text (tokenized on its own) or a slot. The
 * slot takes ownership of dfa. */
int dm_canvas_new_empty(dm_prior_env *env, dm_canvas **out);
int dm_canvas_add_fixed(dm_canvas *c, const char *text, size_t len, dm_error *err);
/* budget <= 0: choose one from the language (default_budget when unbounded). */
int dm_canvas_add_slot(dm_canvas *c, const char *name, dm_dfa *dfa, int filler, int budget, int default_budget,
                       dm_error *err);
/* After the last add: set up the feasibility state of every slot. */
int dm_canvas_finish(dm_canvas *c, dm_error *err);

#endif
