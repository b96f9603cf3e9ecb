/* Named patterns (internal): grammars/NAME.yaml files with a name, a regex, a
 * description and examples that must match (match:) and must not (no_match:). */
#ifndef DM_PRIOR_GRAMMAR_H
#define DM_PRIOR_GRAMMAR_H

#include <stddef.h>

#include <dimple/status.h>

typedef struct dm_grammar {
  char *name, *description, *regex;  /* owned */
  char **match, **no_match;          /* owned lists */
  int nmatch, nno_match;
} dm_grammar;

/* Load one grammar file. Errors carry the file and line:col (DM_ESYNTAX for bad
 * YAML, DM_ESPEC for a missing or mistyped field). Release with dm_grammar_free. */
int dm_grammar_load(const char *path, dm_grammar *out, dm_error *err);
void dm_grammar_free(dm_grammar *g);

/* The regex of a named type: a built-in (text, word, int, number) or the grammar
 * file NAME.yaml found in dir, else $DIMPLE_GRAMMARS, else the installed grammars,
 * else the source tree's. *regex (caller frees) receives it. DM_ESPEC with the
 * known names when there is none. */
int dm_grammar_find(const char *name, const char *dir, char **regex, dm_error *err);

#endif
