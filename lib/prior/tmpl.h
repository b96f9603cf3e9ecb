/* Row templates (internal to the token automata; see tokauto.h): the walk of a
 * "free text" state's region over a class trie, in relative state numbers, shared
 * by every state whose region has the same shape. */
#ifndef DM_PRIOR_TMPL_H
#define DM_PRIOR_TMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classtrie.h"
#include "dfa.h"
#include "tokauto.h"

#define DM_TMPL_DEAD (-1)
#define DM_TMPL_EXIT (-2)
#define DM_TMPL_MAX_REGION 256

/* A token set shared by content (see tokcache.c). */
typedef struct dm_cset {
  struct dm_cset *chain;
  uint64_t hash;
  int refs;
  uint64_t bits[];
} dm_cset;

struct dm_setpool;

typedef struct dm_tmpl {
  int refs;
  uint64_t hash;
  dm_classtrie *ct;     /* one reference held */
  int np, nrel;         /* P classes, region states */
  int32_t *codes;       /* nrel * np: relative next state, DM_TMPL_DEAD or DM_TMPL_EXIT */
  int32_t *g_off;       /* nrel + 1 offsets into g_nodes */
  int32_t *g_nodes;     /* class-trie nodes whose tokens end in each relative state */
  int32_t *g_count;     /* tokens per relative state */
  int32_t nexit;
  int32_t *ex_node;     /* class-trie node entered through an exit */
  int32_t *ex_rel;      /* relative state before the exit */
  uint8_t *ex_cls;      /* P class of the exit */
  dm_cset **bits;       /* per relative state: pooled token bitset, built on first use */
  struct dm_setpool *pool; /* one reference */
  size_t vwords;
  size_t memory;        /* bytes held, token sets not included (they are shared) */
  struct dm_tmpl *chain;
} dm_tmpl;

/* heavy[q] = 1 for the "free text" states of dfa (at least 32 bytes lead
 * somewhere), else 0 (nstates entries). */
void dm_tmpl_heavy_states(const dm_dfa *dfa, uint8_t *heavy);

/* The template of root state q (one reference for the caller: dm_tmpl_unref;
 * heavy: from dm_tmpl_heavy_states);
 * map (DM_TMPL_MAX_REGION entries) receives the actual state of each relative
 * state. scratch: dfa->nstates int32 entries, all -1 (left all -1). NULL on OOM.
 * build: DM_TMPL_BUILD builds a class trie the cache lacks; DM_TMPL_SECOND builds
 * it only when a requester other than this one (a number from dm_tokcache_serial)
 * asked for it before, else returns NULL with *missing set (nothing built), so that
 * a byte partition one automaton alone needs costs no class trie. */
enum { DM_TMPL_BUILD, DM_TMPL_SECOND };
dm_tmpl *dm_tokcache_template(dm_tokcache *c, const dm_dfa *dfa, const uint8_t *heavy, int32_t q, int32_t *map,
                               int32_t *scratch, int build, bool *missing, uint64_t requester);
/* Byte-trie nodes below each root child, by its byte (256 entries, owned by the
 * cache; NULL on OOM). */
const int32_t *dm_tokcache_root_sizes(dm_tokcache *c);
/* A fresh requester number (nonzero). */
uint64_t dm_tokcache_serial(dm_tokcache *c);
/* The ordinary tokens whose first byte b has in[b] != 0, as a bitset over the
 * vocabulary (owned by the cache; valid until the next call). NULL on OOM. */
const uint64_t *dm_tokcache_first_bytes(dm_tokcache *c, const uint8_t in[256]);
void dm_tmpl_unref(dm_tmpl *t);
/* Tokens of relative state j as a pooled set (owned by t; NULL on OOM). */
dm_cset *dm_tmpl_set(dm_tmpl *t, int32_t j);

#endif
