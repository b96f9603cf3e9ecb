/* Loading grammars/NAME.yaml with libyaml. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar.h"
#include "yamlfile.h"

#ifndef DM_PKGDATADIR
#define DM_PKGDATADIR ""
#endif
#ifndef DM_SRCDIR
#define DM_SRCDIR ""
#endif

void dm_grammar_free(dm_grammar *g) {
  if (!g) return;
  free(g->name);
  free(g->description);
  free(g->regex);
  for (int i = 0; i < g->nmatch; i++) free(g->match[i]);
  for (int i = 0; i < g->nno_match; i++) free(g->no_match[i]);
  free(g->match);
  free(g->no_match);
  memset(g, 0, sizeof *g);
}

static int read_list(yaml_document_t *doc, yaml_node_t *n, char ***out, int *count) {
  if (n->type != YAML_SEQUENCE_NODE) return DM_ESPEC;
  int k = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
  *out = calloc((size_t)(k ? k : 1), sizeof **out);
  if (!*out) return DM_ENOMEM;
  for (int i = 0; i < k; i++) {
    yaml_node_t *it = yaml_document_get_node(doc, n->data.sequence.items.start[i]);
    if (!it || it->type != YAML_SCALAR_NODE) return DM_ESPEC;
    (*out)[i] = strndup((const char *)it->data.scalar.value, it->data.scalar.length);
    if (!(*out)[i]) return DM_ENOMEM;
    (*count)++;
  }
  return DM_OK;
}

int dm_grammar_load(const char *path, dm_grammar *g, dm_error *err) {
  memset(g, 0, sizeof *g);
  yaml_document_t doc;
  int rc = dm_yaml_load_file(path, "grammar file", &doc, err);
  if (rc) return rc;
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  if (!root || root->type != YAML_MAPPING_NODE) {
    rc = dm_yaml_error_at(err, DM_ESPEC, path, root, "a grammar file is a mapping with name, regex, description, match, no_match");
    goto done;
  }
  for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(&doc, p->key), *v = yaml_document_get_node(&doc, p->value);
    if (!k || k->type != YAML_SCALAR_NODE) { rc = dm_yaml_error_at(err, DM_ESPEC, path, k, "keys must be plain names"); goto done; }
    const char *key = (const char *)k->data.scalar.value;
    char **field = !strcmp(key, "name") ? &g->name : !strcmp(key, "regex") ? &g->regex
                   : !strcmp(key, "description") ? &g->description : NULL;
    if (field) {
      if (v->type != YAML_SCALAR_NODE) { rc = dm_yaml_error_at(err, DM_ESPEC, path, v, "\"%s\" must be a string", key); goto done; }
      free(*field);
      *field = strndup((const char *)v->data.scalar.value, v->data.scalar.length);
      if (!*field) { rc = dm_yaml_error_at(err, DM_ENOMEM, path, v, "out of memory"); goto done; }
    } else if (!strcmp(key, "match") || !strcmp(key, "no_match")) {
      bool m = !strcmp(key, "match");
      int r = read_list(&doc, v, m ? &g->match : &g->no_match, m ? &g->nmatch : &g->nno_match);
      if (r) { rc = dm_yaml_error_at(err, r, path, v, "\"%s\" must be a list of strings", key); goto done; }
    } else {
      rc = dm_yaml_error_at(err, DM_ESPEC, path, k, "unknown field \"%s\" (fields: name, regex, description, match, no_match)", key);
      goto done;
    }
  }
  if (!g->name || !g->regex) rc = dm_yaml_error_at(err, DM_ESPEC, path, root, "a grammar needs \"name\" and \"regex\"");
done:
  if (rc) dm_grammar_free(g);
  yaml_document_delete(&doc);
  return rc;
}

static const struct { const char *name, *re; } builtins[] = {
  {"text", "[^\\n]+"},
  {"word", "[^ \\t\\n]+"},
  {"int", "-?(0|[1-9][0-9]*)"},
  {"number", "-?(0|[1-9][0-9]*)(\\.[0-9]+)?"},
};

int dm_grammar_find(const char *name, const char *dir, char **regex, dm_error *err) {
  *regex = NULL;
  for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
    if (!strcmp(name, builtins[i].name)) {
      *regex = strdup(builtins[i].re);
      return *regex ? DM_OK : dm_error_set(err, DM_ENOMEM, "out of memory");
    }
  for (const char *c = name; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
      return dm_error_set(err, DM_ESPEC, "\"%s\" is not a type name", name);
  const char *dirs[4] = {dir, getenv("DIMPLE_GRAMMARS"), DM_PKGDATADIR "/grammars", DM_SRCDIR "/grammars"};
  for (int i = 0; i < 4; i++) {
    if (!dirs[i] || !*dirs[i]) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.yaml", dirs[i], name);
    FILE *f = fopen(path, "rb");
    if (!f) continue;
    fclose(f);
    dm_grammar g;
    int rc = dm_grammar_load(path, &g, err);
    if (rc) return rc;
    *regex = g.regex;
    g.regex = NULL;
    dm_grammar_free(&g);
    return DM_OK;
  }
  return dm_error_set(err, DM_ESPEC,
                      "unknown type \"%s\" (built-ins: text, word, int, number; or a grammar such as date, email, "
                      "uuid, phone from grammars/)", name);
}
