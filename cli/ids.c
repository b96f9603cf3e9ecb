/* Parsing token-id lists given on the command line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* "1 2 3; 4 5 6" (',' also separates ids, ';' sequences) -> B x T ids, row-major.
 * *ids is malloc'd (caller frees). Returns 0, or -1 with *bad pointing at the
 * offending text. */
int dm_cli_parse_ids(const char *s, int32_t **ids, int *B, int *T, const char **bad) {
  *ids = NULL;
  *B = *T = 0;
  size_t cap = 64, n = 0;
  int32_t *v = malloc(cap * sizeof *v);
  int b = 0, t = 0, T0 = -1;
  const char *p = s;
  if (!v) return -1;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == ',' || *p == '\n') p++;
    if (*p == ';' || *p == 0) {
      if (t > 0 || *p == ';') {
        if (t == 0 || (T0 >= 0 && t != T0)) {
          *bad = p;
          free(v);
          return -1;
        }
        T0 = t;
        b++;
        t = 0;
      }
      if (*p == 0) break;
      p++;
      continue;
    }
    char *end;
    errno = 0;
    long x = strtol(p, &end, 10);
    if (end == p || errno || x < 0 || x > 2147483647L ||
        (*end && !strchr(" \t,;\n", *end))) {
      *bad = p;
      free(v);
      return -1;
    }
    if (n == cap) {
      int32_t *nv = realloc(v, 2 * cap * sizeof *nv);
      if (!nv) {
        free(v);
        *bad = p;
        return -1;
      }
      v = nv;
      cap *= 2;
    }
    v[n++] = (int32_t)x;
    t++;
    p = end;
  }
  if (b == 0) {
    *bad = s;
    free(v);
    return -1;
  }
  *ids = v;
  *B = b;
  *T = T0;
  return 0;
}
