/* YAML files: loading and positioned errors. */
#include <stdarg.h>
#include <stdio.h>

#include "yamlfile.h"

static void set_pos(dm_error *err, size_t index, size_t line, size_t col, const char *path) {
  if (!err) return;
  err->pos_kind = DM_POS_OFFSET;
  err->offset = index;
  err->line = (int)line + 1;
  err->col = (int)col + 1;
  dm_error_set_source(err, path);
}

int dm_yaml_load_file(const char *path, const char *what, yaml_document_t *doc, dm_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    dm_error_set(err, DM_ENOENT, "cannot open %s", what);
    dm_error_set_source(err, path);
    return DM_ENOENT;
  }
  yaml_parser_t parser;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_file(&parser, f);
  int rc = DM_OK;
  if (!yaml_parser_load(&parser, doc)) {
    dm_error_set(err, DM_ESYNTAX, "YAML: %s", parser.problem ? parser.problem : "syntax error");
    set_pos(err, parser.problem_mark.index, parser.problem_mark.line, parser.problem_mark.column, path);
    rc = DM_ESYNTAX;
  }
  yaml_parser_delete(&parser);
  fclose(f);
  return rc;
}

int dm_yaml_error_at(dm_error *err, int code, const char *path, const yaml_node_t *n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  dm_error_setv(err, code, fmt, ap);
  va_end(ap);
  if (n) set_pos(err, n->start_mark.index, n->start_mark.line, n->start_mark.column, path);
  else {
    set_pos(err, 0, 0, 0, path);
    if (err) err->line = err->col = 0;
  }
  return code;
}

const char *dm_yaml_scalar(const yaml_node_t *n) {
  return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}
