/* Regular expressions → syntax tree (internal).
 *
 * The dialect (DESIGN.md §4): literals, escapes, classes (\d \w \s and negations,
 * ranges over Unicode code points), `.`, groups (capturing, `(?:...)`, named),
 * alternation, `* + ? {m} {m,} {m,n}` (lazy forms accepted: same language), anchors
 * `^ $ \A \z` where they can only match at the ends. Backreferences, lookaround,
 * `\b`, atomic groups, possessive quantifiers, inline flags and Unicode properties
 * are refused with an error at their byte offset.
 *
 * Semantics: the pattern matches whole strings (it is anchored at both ends), the
 * subject is UTF-8 and `.`/negated classes match one valid UTF-8 encoded code point
 * (surrogates excluded); `.` excludes "\n". \d = [0-9], \w = [A-Za-z0-9_],
 * \s = [\t\n\v\f\r ] (ASCII, as PCRE2 in UTF mode without UCP).
 */
#ifndef DM_PRIOR_RE_H
#define DM_PRIOR_RE_H

#include <stddef.h>
#include <stdint.h>

#include <dimple/status.h>

#define DM_CP_MAX 0x10FFFF

typedef struct dm_cp_range {
  uint32_t lo, hi; /* inclusive code point range */
} dm_cp_range;

typedef enum dm_re_kind {
  DM_RE_EMPTY,   /* matches "" */
  DM_RE_CLASS,   /* one code point from ranges (nranges 0: matches nothing) */
  DM_RE_CAT,     /* kids in sequence */
  DM_RE_ALT,     /* any of kids */
  DM_RE_REPEAT,  /* kids[0] repeated min..max times (max -1: unbounded) */
  DM_RE_BYTES,   /* one byte from [blo, bhi] (raw byte set; used by builders, not the parser) */
  DM_RE_ANCHOR,  /* ^ $ \A \z: matches "" (the parser only keeps them where they are at an end) */
  DM_RE_DFA,     /* the language of an existing DFA (builders only); with json_escape set,
                    each byte that JSON must escape is replaced by its canonical escape */
  DM_RE_GRAPH    /* a small automaton whose edges are labelled by sub-languages (builders only) */
} dm_re_kind;

typedef struct dm_re_node {
  dm_re_kind kind;
  int min, max;              /* DM_RE_REPEAT */
  int blo, bhi;              /* DM_RE_BYTES */
  size_t offset;             /* byte offset in the pattern (for messages) */
  dm_cp_range *ranges;       /* DM_RE_CLASS: sorted, disjoint, non-adjacent */
  int nranges;
  struct dm_re_node **kids;  /* DM_RE_CAT, DM_RE_ALT, DM_RE_REPEAT */
  int nkids;
  const struct dm_dfa *dfa;  /* DM_RE_DFA: not owned; must outlive every use of the tree */
  int json_escape;           /* DM_RE_DFA */
  struct dm_re_graph *graph; /* DM_RE_GRAPH */
} dm_re_node;

/* DM_RE_GRAPH: states 0..nstates-1, start 0; an edge from→to reads a string of
 * label's language (label NULL: reads nothing); the graph accepts in states with
 * accept[s] set. Lets builders express counting and "first item" structure without
 * copying sub-trees exponentially. */
typedef struct dm_re_edge {
  int from, to;
  struct dm_re_node *label;
} dm_re_edge;

typedef struct dm_re_graph {
  int nstates;
  unsigned char *accept;  /* nstates flags */
  dm_re_edge *edges;
  int nedges;
} dm_re_graph;

/* A parsed pattern: the tree and the arena that owns all its nodes. */
typedef struct dm_re dm_re;

/* Parse `pattern` (len bytes, UTF-8). On success *out owns the tree (free with
 * dm_re_free). On failure returns DM_ESYNTAX (malformed) or DM_ESPEC (valid syntax
 * but not supported: not a regular language or not in our dialect), with the byte
 * offset and line:col in err. */
int dm_re_parse(const char *pattern, size_t len, dm_re **out, dm_error *err);
void dm_re_free(dm_re *re);
/* The root of a parsed pattern (owned by re). */
const dm_re_node *dm_re_root(const dm_re *re);

/* Builders for trees made by code (the JSON Schema and template compilers). All
 * nodes are owned by the arena `re` (create an empty one with dm_re_new). They
 * return NULL when out of memory. `kids` arrays are copied. */
dm_re *dm_re_new(void);
dm_re_node *dm_re_empty(dm_re *re);
dm_re_node *dm_re_class(dm_re *re, const dm_cp_range *ranges, int n);
dm_re_node *dm_re_bytes(dm_re *re, int lo, int hi);
dm_re_node *dm_re_cat(dm_re *re, dm_re_node *const *kids, int n);
dm_re_node *dm_re_alt(dm_re *re, dm_re_node *const *kids, int n);
dm_re_node *dm_re_repeat(dm_re *re, dm_re_node *kid, int min, int max);
/* The language of `dfa` (not copied: it must outlive the tree's compilation); with
 * json_escape, the image under canonical JSON string escaping (" \\ and bytes below
 * 0x20 become \" \\\\ \b \f \n \r \t or \u00xx). */
dm_re_node *dm_re_dfa(dm_re *re, const struct dm_dfa *dfa, int json_escape);
/* A graph node with nstates states and no edges (all owned by the arena); add edges
 * with dm_re_graph_edge and set accept flags directly. */
dm_re_node *dm_re_graph_new(dm_re *re, int nstates, int max_edges);
/* Add an edge (label NULL: epsilon). DM_OK, or DM_ERANGE past max_edges. */
int dm_re_graph_edge(dm_re_node *graph, int from, int to, dm_re_node *label);
/* A literal UTF-8 string as a sequence of bytes. */
dm_re_node *dm_re_literal(dm_re *re, const char *s, size_t len);
/* Replace the anchors of a parsed tree by single bytes (start anchors by
 * begin_byte, end anchors by end_byte): with bytes that never occur in UTF-8 text
 * this turns anchors into frame markers (search semantics, see dm_dfa_strip_frame). */
void dm_re_anchors_to_bytes(dm_re *re, int begin_byte, int end_byte);
/* The root, for builders that embed a parsed pattern in a larger tree. */
dm_re_node *dm_re_root_mut(dm_re *re);
/* Set the root of a built tree. */
void dm_re_set_root(dm_re *re, dm_re_node *root);

#endif
