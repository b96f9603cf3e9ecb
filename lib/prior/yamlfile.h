/* YAML files of the prior compiler (grammars/, priors/), internal: loading with
 * positioned errors. */
#ifndef DM_PRIOR_YAMLFILE_H
#define DM_PRIOR_YAMLFILE_H

#include <yaml.h>

#include <dimple/status.h>

/* Load the file into *doc (release with yaml_document_delete). `what` names the
 * kind of file in the open error ("grammar file"). DM_ENOENT, or DM_ESYNTAX with
 * the file and line:col of the YAML error. */
int dm_yaml_load_file(const char *path, const char *what, yaml_document_t *doc, dm_error *err);

/* Set err to code and a printf-style message at node n's line:col in file path
 * (n may be NULL). Returns code. */
int dm_yaml_error_at(dm_error *err, int code, const char *path, const yaml_node_t *n, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* The text of a scalar node, or NULL for another kind of node (or NULL). */
const char *dm_yaml_scalar(const yaml_node_t *n);

#endif
