/* Templates (internal; syntax in `dimple help template`): literal text with typed
 * slots, the fixed-length answer case.
 *
 *   Answer: {{answer:yes|no}} ({{confidence:/0\.[0-9]{2}/ =4}}), due {{due:date <=12}}
 *
 * A slot is {{NAME}} or {{NAME:SPEC}} with an optional budget after a space: "<=N"
 * (up to N tokens; filler fills the rest) or "=N" (exactly N tokens). SPEC is
 * /REGEX/ (inline, "\/" for a slash), A|B|C (one of these words), or a type name:
 * a grammar from grammars/ (date, email, ...) or a built-in (text, word, int,
 * number). Without SPEC the slot is "text" (one line). A backslash in literal text
 * escapes the next character ("\{{" is a literal "{{").
 */
#ifndef DM_PRIOR_TEMPLATE_H
#define DM_PRIOR_TEMPLATE_H

#include <stddef.h>

#include <dimple/status.h>

#include "dfa.h"

typedef enum { DM_TPART_TEXT, DM_TPART_SLOT } dm_tpart_kind;

typedef struct dm_tpart {
  dm_tpart_kind kind;
  char *text;       /* TEXT: the literal (unescaped); SLOT: the name */
  size_t len;       /* TEXT: bytes */
  char *regex;      /* SLOT: the slot's regex (from any SPEC form) */
  int budget;       /* SLOT: tokens, 0 when not given */
  int exact;        /* SLOT: budget given as =N */
  size_t offset;    /* SLOT: byte offset of "{{" in the template */
} dm_tpart;

typedef struct dm_template {
  dm_tpart *parts;  /* owned */
  int n;
} dm_template;

/* Parse a template; grammar names resolve through grammar_dir (NULL: the default
 * search, see dm_grammar_find). Errors carry the byte offset and line:col. */
int dm_template_parse(const char *text, size_t len, const char *grammar_dir, dm_template *out, dm_error *err);
void dm_template_free(dm_template *t);

/* The DFA of a slot's value (no filler). */
int dm_template_slot_dfa(const dm_tpart *p, dm_dfa **out, dm_error *err);
/* The DFA of the whole template's text (literals and slot values, no filler). */
int dm_template_dfa(const dm_template *t, dm_dfa **out, dm_error *err);

#endif
