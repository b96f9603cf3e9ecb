/* Process-wide cache of the JSON languages that do not depend on the schema being
 * compiled: "any JSON value nested at most d deep" and the unions of the open
 * (keyword-free) languages of the types, as sc_types builds them (objects only when
 * the document ranks no keys).
 *
 * Entries are built on first use, by the same code an ordinary compile runs (a
 * private compiler context over the empty schema, with the default state limit), under
 * one lock. Once built they never change and live until the process ends: the cache
 * owns them, callers only read them (and copy what they keep). A build that fails
 * (memory, state limit) leaves no entry; callers then build locally, which reports the
 * error as before. A context whose state limit is below the default never uses the
 * cache, so that a limit fails exactly where it failed without it. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "schema_ctx.h"

#define OPEN_MASKS 128 /* subsets of SC_ALL */

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static dm_dfa *any_cache[SC_MAX_ANY_DEPTH];
static dm_dfa *open_cache[SC_MAX_ANY_DEPTH][OPEN_MASKS];

bool sc_cache_usable(const sc_ctx *c) {
  int limit = c->p.max_states > 0 ? c->p.max_states : DM_DFA_DEFAULT_MAX_STATES;
  return !c->local_only && limit >= DM_DFA_DEFAULT_MAX_STATES;
}

/* A context for building entries: default parameters but any_depth, the empty
 * schema as root (so no ranked keys), no cache (entries build from their parts
 * locally). */
static void private_ctx(sc_ctx *c, cJSON *root, int depth, dm_error *err) {
  memset(c, 0, sizeof *c);
  c->root = root;
  c->p = dm_schema_default_params();
  c->p.any_depth = depth;
  c->err = err;
  c->local_only = 1;
}

static void private_ctx_free(sc_ctx *c) {
  for (int i = 0; i < SC_MAX_ANY_DEPTH; i++) dm_dfa_free(c->any[i]);
  dm_dfa_free(c->open_object);
  for (int i = 0; i < c->nref_memo; i++) dm_dfa_free(c->ref_memo[i].dfa);
  free(c->ref_memo);
}

const dm_dfa *sc_cache_any(int depth) {
  if (depth < 0 || depth >= SC_MAX_ANY_DEPTH) return NULL;
  pthread_mutex_lock(&cache_mu);
  if (!any_cache[depth]) {
    cJSON *root = cJSON_CreateObject();
    dm_error err;
    dm_error_clear(&err);
    sc_ctx c;
    private_ctx(&c, root, depth, &err);
    dm_dfa *d = root ? sc_any(&c, depth) : NULL;
    /* keep every depth built on the way */
    for (int i = 0; i < SC_MAX_ANY_DEPTH; i++)
      if (c.any[i] && !any_cache[i]) {
        any_cache[i] = c.any[i];
        c.any[i] = NULL;
      }
    dm_dfa_free(d);
    private_ctx_free(&c);
    cJSON_Delete(root);
  }
  const dm_dfa *r = any_cache[depth];
  pthread_mutex_unlock(&cache_mu);
  return r;
}

const dm_dfa *sc_cache_open_types(unsigned mask, int depth) {
  if (depth < 0 || depth >= SC_MAX_ANY_DEPTH || (mask & ~(unsigned)(OPEN_MASKS - 1)) || !mask) return NULL;
  /* arrays and objects need any(depth): build it first, outside this entry's lock */
  if ((mask & (SC_ARR | SC_OBJ)) && !sc_cache_any(depth)) return NULL;
  pthread_mutex_lock(&cache_mu);
  if (!open_cache[depth][mask]) {
    cJSON *root = cJSON_CreateObject();
    dm_error err;
    dm_error_clear(&err);
    sc_ctx c;
    private_ctx(&c, root, depth, &err);
    /* the same any(depth) the cache holds, without taking the lock again */
    c.any[depth] = any_cache[depth];
    open_cache[depth][mask] = root ? sc_types(&c, root, mask) : NULL;
    c.any[depth] = NULL;
    private_ctx_free(&c);
    cJSON_Delete(root);
  }
  const dm_dfa *r = open_cache[depth][mask];
  pthread_mutex_unlock(&cache_mu);
  return r;
}
