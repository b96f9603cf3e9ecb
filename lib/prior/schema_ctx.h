/* Shared state of the JSON Schema compiler (internal to schema_*.c). */
#ifndef DM_PRIOR_SCHEMA_CTX_H
#define DM_PRIOR_SCHEMA_CTX_H

#include <stdarg.h>
#include <stdbool.h>

#include "schema.h"

#define SC_MAX_ANY_DEPTH 8
#define SC_MAX_REF_STACK 256

enum {
  SC_NULL = 1, SC_BOOL = 2, SC_INT = 4, SC_NUM = 8, SC_STR = 16, SC_ARR = 32, SC_OBJ = 64,
  SC_ALL = 127
};

typedef struct sc_ctx {
  const cJSON *root;
  dm_schema_params p;
  dm_error *err;
  int rc;                         /* first error; every step stops once set */
  dm_keyrank kr;                  /* canonical key order */
  dm_dfa *any[SC_MAX_ANY_DEPTH];  /* cached "any value" languages */
  const cJSON *ref_stack[SC_MAX_REF_STACK];
  int nref;
  char path[2048];                /* JSON pointer of the current place */
  size_t plen;
  int local_only;                 /* never use the process-wide cache (schema_cache.c) */
  dm_dfa *open_object;            /* cached: objects with no object keywords (any_depth) */
  /* "$ref" targets whose language does not depend on the references being followed
   * (no recursion bound reached inside, directly or below): compiled once */
  struct sc_ref_memo { const cJSON *target; dm_dfa *dfa; } *ref_memo;
  int nref_memo, cap_ref_memo;
  int ref_bounded;                /* a reference was cut by ref_depth in the current target */
} sc_ctx;

/* JSON pointer of the current place: push a member or index, pop back. */
size_t sc_push(sc_ctx *c, const char *key);
size_t sc_push_index(sc_ctx *c, int i);
void sc_pop(sc_ctx *c, size_t old);
/* Record the first error at the current place; returns NULL. */
dm_dfa *sc_fail(sc_ctx *c, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* DFA helpers: each consumes its DFA arguments (NULL in → NULL out) and returns a
 * caller-owned DFA, or NULL with the error recorded. */
dm_dfa *sc_tree(sc_ctx *c, dm_re *re, dm_re_node *node); /* frees re */
dm_dfa *sc_and(sc_ctx *c, dm_dfa *a, dm_dfa *b);
dm_dfa *sc_or(sc_ctx *c, dm_dfa *a, dm_dfa *b);          /* NULL operand = empty */
dm_dfa *sc_not(sc_ctx *c, dm_dfa *a);      /* over all texts (key sets) */
dm_dfa *sc_minus(sc_ctx *c, dm_dfa *a, dm_dfa *b); /* a and not b, as one product */
dm_dfa *sc_not_json(sc_ctx *c, dm_dfa *a); /* among JSON values of bounded depth */
dm_dfa *sc_empty(sc_ctx *c);
dm_dfa *sc_copy(sc_ctx *c, const dm_dfa *d);
dm_dfa *sc_any(sc_ctx *c, int depth);
dm_dfa *sc_literal(sc_ctx *c, const cJSON *v);

/* The process-wide cache of schema-independent languages (schema_cache.c). Entries
 * are owned by the cache, read-only, and live until the process ends; NULL when an
 * entry cannot be built (build locally then). Use only when sc_cache_usable(c). */
bool sc_cache_usable(const sc_ctx *c);
/* Any JSON value nested at most depth deep (as sc_any). */
const dm_dfa *sc_cache_any(int depth);
/* The union, in sc_types' order, of the keyword-free languages of the types in mask,
 * arrays and objects holding any values of the given depth, objects with no ranked
 * keys. */
const dm_dfa *sc_cache_open_types(unsigned mask, int depth);

/* A non-negative integer keyword: 1 present (value in *v), 0 absent, -1 error. */
int sc_get_count(sc_ctx *c, const cJSON *s, const char *kw, long *v);
/* The language of the object keywords of s (schema_object.c). */
dm_dfa *sc_lang_object(sc_ctx *c, const cJSON *s);

/* The language of a schema at the current place. */
dm_dfa *sc_schema(sc_ctx *c, const cJSON *s);
/* Types allowed by "type" (all when absent). */
int sc_type_mask(sc_ctx *c, const cJSON *s, unsigned *mask);
/* Does s leave the languages of every type in mask open (no keyword narrows them or
 * could be malformed)? Objects count as open with ranked keys only if ranked_ok. */
bool sc_types_open(const sc_ctx *c, const cJSON *s, unsigned mask, bool ranked_ok);
/* mask without the open types that no value of s's "enum" / "const" has: their
 * languages are disjoint from those values, so they change nothing in the result
 * (they only cost time, and may exceed the state limit). */
unsigned sc_types_needed(const sc_ctx *c, const cJSON *s, unsigned mask);
/* Union of the type-specific languages (strings, numbers, arrays, objects with
 * their keywords) over the types in mask. */
dm_dfa *sc_types(sc_ctx *c, const cJSON *s, unsigned mask);

#endif
