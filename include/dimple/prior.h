/* dimple/prior.h — the prior compiler's public API (part of libdimple).
 *
 * A format spec compiles to a *language*: the set of byte strings a generated
 * answer may be. Regular expressions match whole strings (DESIGN.md §4 gives the
 * dialect); a JSON Schema compiles to the canonical serializations of its valid
 * instances (compact, members in schema order; see `dimple help schema`).
 * Canvases (token layouts with slots) build on these languages.
 */
#ifndef DIMPLE_PRIOR_H
#define DIMPLE_PRIOR_H

#include <stddef.h>
#include <stdint.h>

#include <dimple/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How JSON Schemas compile. Plain settings struct; get defaults from
 * dm_schema_default_params() and change fields. Fields are only added at the end. */
typedef struct dm_schema_params {
  /* 1: the specification's defaults — objects without "additionalProperties"
   * accept any other member, "format" is an annotation. 0 (default, for
   * generation): objects that list "properties" are closed unless the schema says
   * otherwise (what users of constrained generation expect) and "format" is
   * asserted. */
  int spec_mode;
  /* Values a schema leaves open (no "type", {} or true, open objects) are any JSON
   * value nested at most this deep (default 3). */
  int any_depth;
  /* A "$ref" may re-enter a schema it is already inside at most this many times
   * along one path; deeper, the reference matches nothing (default 3). */
  int ref_depth;
  int max_states;  /* automaton state limit (0: default, 50000) */
  int lenient;     /* unknown keywords: warn through dm_log and ignore them */
} dm_schema_params;

dm_schema_params dm_schema_default_params(void);

/* A compiled language (opaque). */
typedef struct dm_lang dm_lang;

/* Compile a regular expression (whole-string match). On success *out is owned by
 * the caller (dm_lang_free). Errors: DM_ESYNTAX / DM_ESPEC with the byte offset and
 * line:col in err, DM_ESTATELIMIT. */
int dm_lang_from_regex(const char *pattern, size_t len, dm_lang **out, dm_error *err);

/* Compile a template (`dimple help template`): literal text with typed slots. Slot
 * types naming grammars are looked up in grammar_dir (NULL: $DIMPLE_GRAMMARS, the
 * installed grammars, the source tree's). */
int dm_lang_from_template(const char *text, size_t len, const char *grammar_dir, dm_lang **out,
                          dm_error *err);

/* Compile a JSON Schema given as JSON text (params NULL: defaults). Errors carry the
 * JSON pointer of the keyword at fault (or the byte offset of a JSON syntax error). */
int dm_lang_from_schema(const char *json, size_t len, const dm_schema_params *params,
                        dm_lang **out, dm_error *err);

void dm_lang_free(dm_lang *lang);

/* Is text in the language? Returns 1 (yes) or 0 (no). When not, *fail_at (may be
 * NULL) receives the offset of the first byte no word of the language continues
 * with, or len when the text is a proper prefix of a word. */
int dm_lang_match(const dm_lang *lang, const char *text, size_t len, size_t *fail_at);

/* The language is empty (no text can satisfy the spec). */
int dm_lang_is_empty(const dm_lang *lang);

/* Canonical serialization of a JSON document for a schema language (member order
 * from the schema, compact, canonical numbers and escapes). On success *out (free
 * with free()) holds *out_len bytes plus a NUL. DM_EFORMAT-kind errors: DM_ESYNTAX
 * with the byte offset when the text is not JSON; DM_EINVAL when lang did not come
 * from a schema. */
int dm_lang_canonicalize(const dm_lang *lang, const char *json, size_t len, char **out,
                         size_t *out_len, dm_error *err);

/* Automaton size (states), for reports. */
int dm_lang_states(const dm_lang *lang);

/* ------------------------------------------------------------------ form specs */

/* A YAML form spec (a file in priors/): an instruction for the prompt, fields (name,
 * type, pattern, enum, bounds, token budget, required) and an output shape: a JSON
 * object (fields in order; a field with required: false may be null) or a text
 * template whose {{field}} references become typed slots. */
typedef struct dm_form dm_form;

/* Load a form spec file. Errors carry the file and line:col. grammar_dir: where
 * field types naming grammars are looked up (NULL: default search). */
int dm_form_load(const char *path, const char *grammar_dir, dm_form **out, dm_error *err);
void dm_form_free(dm_form *form);
const char *dm_form_instruction(const dm_form *form);
/* 1 for JSON output, 0 for text. */
int dm_form_is_json(const dm_form *form);
/* The JSON Schema (JSON output) or template (text output) the form compiles to. */
const char *dm_form_spec(const dm_form *form);
int dm_lang_from_form(const dm_form *form, const dm_schema_params *params, const char *grammar_dir,
                      dm_lang **out, dm_error *err);

/* ------------------------------------------------------------------ canvases */

struct dm_tokenizer;

/* What a prior needs from a tokenizer, built once and shared by every canvas made
 * against it: the vocabulary view (token bytes, special flags), its trie, and the
 * token-automaton cache (class tries per byte partition, row templates, pooled token
 * sets). Canvases share that cache as they build rows lazily, so the environment and
 * all canvases made from it must be used from one thread at a time. */
typedef struct dm_prior_env dm_prior_env;

/* Build the environment for `tok` (not copied: it must outlive the environment).
 * *out is caller-owned (dm_prior_env_free). */
int dm_prior_env_new(const struct dm_tokenizer *tok, dm_prior_env **out, dm_error *err);
void dm_prior_env_free(dm_prior_env *env);

/* How a spec becomes a canvas. Defaults from dm_canvas_default_params(). */
typedef struct dm_canvas_params {
  dm_schema_params schema;  /* JSON Schema compilation */
  int max_tokens;           /* budget of a regex slot (0: from the language, at most 64) */
  int string_tokens;        /* default budget of an unbounded string slot (24) */
  int value_tokens;         /* default budget of other unbounded values (48) */
  const char *grammar_dir;  /* where template types are looked up (NULL: default search) */
  int slot_tokens;          /* default budget of a template slot (16) */
} dm_canvas_params;

dm_canvas_params dm_canvas_default_params(void);

/* A canvas: L token positions, each a fixed token or a mask, partitioned into slots
 * with budgets and token automata (DESIGN.md §3). It keeps the feasibility state: a
 * commit is accepted only when the canvas stays completable, so after any sequence
 * of accepted commits in any order the final text is in the spec's language. */
typedef struct dm_canvas dm_canvas;

/* A JSON Schema: the structure the schema fixes (braces, keys, commas of objects
 * whose properties are all required and that admit no others) becomes fixed tokens;
 * every other value is a slot whose language is the value's canonical text followed
 * by filler spaces, with a budget from "x-dimple-tokens" or a default. */
int dm_canvas_from_schema(dm_prior_env *env, const char *json, size_t len,
                          const dm_canvas_params *params, dm_canvas **out, dm_error *err);
/* A regex: one slot with EOS filler (the text may be shorter than the budget). */
int dm_canvas_from_regex(dm_prior_env *env, const char *pattern, size_t len,
                         const dm_canvas_params *params, dm_canvas **out, dm_error *err);
/* A template: literal text is fixed; each slot has its budget ("<=N" with filler:
 * spaces, or EOS for a slot that ends the template; "=N" exact, no filler). */
int dm_canvas_from_template(dm_prior_env *env, const char *text, size_t len,
                            const dm_canvas_params *params, dm_canvas **out, dm_error *err);
/* A form spec (its schema or template). */
int dm_canvas_from_form(dm_prior_env *env, const dm_form *form, const dm_canvas_params *params,
                        dm_canvas **out, dm_error *err);
/* Unconstrained generation: n positions of any UTF-8 text followed by EOS filler
 * (the answer is the text before the first EOS). DM_EINVAL when n < 1 or the
 * tokenizer has no EOS. *out caller-owned (dm_canvas_free). */
int dm_canvas_free_text(dm_prior_env *env, int32_t n, const dm_canvas_params *params, dm_canvas **out,
                        dm_error *err);
/* The EOS token slots are filled with (-1 when the tokenizer has none). */
int32_t dm_canvas_eos(const dm_canvas *c);
void dm_canvas_free(dm_canvas *c);
/* Back to all masks (compiled automata are kept; the feasibility state is copied
 * from the one made at compile time, so a reset is cheap). */
int dm_canvas_reset(dm_canvas *c);

int32_t dm_canvas_length(const dm_canvas *c);
/* Token at pos: the fixed or committed token, -1 for a mask. */
int32_t dm_canvas_token(const dm_canvas *c, int32_t pos);
/* Words of a vocabulary bitset (dm_canvas_allowed's out). */
size_t dm_canvas_vocab_words(const dm_canvas *c);
/* Allowed tokens at a masked pos as a vocabulary bitset; returns how many (>= 1 on
 * a completable canvas), or a negative DM_E*. */
int32_t dm_canvas_allowed(dm_canvas *c, int32_t pos, uint64_t *out);
int dm_canvas_allows(dm_canvas *c, int32_t pos, int32_t tok);
/* The one allowed token at a masked pos, or -1. */
int32_t dm_canvas_forced(dm_canvas *c, int32_t pos);
/* Commit tok at a masked pos: DM_OK, or DM_EINFEASIBLE (not allowed; nothing
 * changes), DM_EINVAL (not a mask). */
int dm_canvas_commit(dm_canvas *c, int32_t pos, int32_t tok);
/* Masked positions left. */
int32_t dm_canvas_masks_left(const dm_canvas *c);

typedef struct dm_canvas_slot_info {
  const char *name;   /* JSON pointer of the value, or "regex" (owned by the canvas) */
  int32_t start, len; /* positions [start, start + len) */
  int32_t min_tokens; /* fewest tokens a value needs */
  int32_t states;     /* automaton states */
  int filler;         /* 0 none, 1 spaces, 2 EOS */
  /* diagnostics: rows built so far by walking the vocabulary, rows taken from
   * shared templates, distinct templates used, rows derived from another layer of
   * a counter, rows filtered by first byte from another state's row, rows shared
   * with the environment's "any JSON value" automaton */
  int32_t rows_walked, rows_templated, templates, rows_shifted, rows_filtered, rows_shared;
} dm_canvas_slot_info;

/* Bytes held by the canvas's token automata (rows and token sets built so far). */
size_t dm_canvas_memory(const dm_canvas *c);

int dm_canvas_slot_count(const dm_canvas *c);
int dm_canvas_slot(const dm_canvas *c, int i, dm_canvas_slot_info *info);

/* The canvas text: the bytes of fixed and committed tokens, masks written as
 * `mask` (may be NULL: skipped); with strip_filler, slot filler (trailing spaces,
 * EOS) is left out. Fills buf (NUL-terminated, truncated when short) and returns the
 * full length, as snprintf. */
long dm_canvas_text(const dm_canvas *c, const char *mask, int strip_filler, char *buf, size_t cap);

/* Write a given answer onto the canvas: commit a token at every masked position so
 * that the canvas text with filler left out (dm_canvas_text with strip_filler) is
 * exactly text[0, len) — the token layout a structure prior has for that answer at
 * inference (for training targets). Borrows everything: c is modified in place,
 * text (need not be NUL-terminated) and err are the caller's; nothing is kept.
 *
 * The canvas may be fresh (dm_canvas_reset) or partially committed; committed
 * tokens are kept and must agree with the text. The text is split over the canvas
 * (fixed tokens match byte for byte; each slot takes a piece its value language
 * accepts; where several splits exist, earlier slots take the longer pieces). In
 * each slot, left to right, a masked position takes the longest token that is a
 * prefix of the rest of the slot's piece, after which the rest of the piece can
 * still be written in the positions left, and that the canvas accepts
 * (dm_canvas_commit); tokens never cross a slot edge. When the piece is written,
 * the slot's remaining positions take filler: one space (JSON and template slots)
 * or EOS (a slot ending the canvas).
 *
 * Returns DM_OK (dm_canvas_masks_left(c) is then 0), or:
 *   DM_ERANGE: the text is not in the canvas's language; *fail_at (may be NULL) is
 *     the first byte no text of the canvas continues with (len when the text stops
 *     early), as dm_lang_match reports it;
 *   DM_EINFEASIBLE: the text is in the language but a slot cannot write its piece
 *     in its budget (or around the tokens already committed there); *fail_at is the
 *     first byte of the piece that no tokenization within the budget reaches;
 *   DM_EINVAL (c NULL, or text NULL with len > 0), DM_ENOMEM.
 * err (may be NULL) carries the byte offset and a message naming the slot and its
 * positions. After an error the canvas state is unspecified (dm_canvas_reset it).
 * The first call on an environment builds a child index of its vocabulary trie
 * (kept by the environment; same threading rule as the rest of the canvas). */
int dm_canvas_fill_text(dm_canvas *c, const char *text, size_t len, size_t *fail_at, dm_error *err);

#ifdef __cplusplus
}
#endif
#endif /* DIMPLE_PRIOR_H */
