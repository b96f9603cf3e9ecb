/* Reading whole inputs (files, stdin) for the subcommands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int dm_cli_read_all(const char *path, char **out, size_t *len, dm_error *err) {
  *out = NULL;
  *len = 0;
  FILE *f = (!path || strcmp(path, "-") == 0) ? stdin : fopen(path, "rb");
  if (!f) {
    dm_error_set(err, DM_ENOENT, "cannot open: %s", path);
    dm_error_set_source(err, path);
    return DM_ENOENT;
  }
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap + 1);
  while (buf) {
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (n < cap) break;
    char *nb = realloc(buf, cap * 2 + 1);
    if (!nb) { free(buf); buf = NULL; break; }
    buf = nb;
    cap *= 2;
  }
  int bad = ferror(f);
  if (f != stdin) fclose(f);
  if (!buf) return dm_error_set(err, DM_ENOMEM, "out of memory reading %s", path ? path : "stdin");
  if (bad) {
    free(buf);
    dm_error_set_source(err, path ? path : "stdin");
    return dm_error_set(err, DM_EIO, "read error");
  }
  buf[n] = 0;
  *out = buf;
  *len = n;
  return DM_OK;
}

int dm_cli_load_tokenizer(const char *cmd, const char *model, const char *file, dm_tokenizer **tok) {
  *tok = NULL;
  if (!model && !file)
    return dm_cli_usage_error(cmd, "needs a tokenizer: --model DIR or --tokenizer FILE");
  dm_error err;
  dm_error_clear(&err);
  int rc = dm_tokenizer_load(model ? model : file, tok, &err);
  return rc ? dm_cli_fail(cmd, rc, &err) : DM_EXIT_OK;
}
