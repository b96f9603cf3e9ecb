/* dimple eval: loading the held-out examples (train/corpus.py's eval.jsonl). */
#include <stdlib.h>
#include <string.h>

#include "eval.h"

static void ex_free(eval_ex *e) {
  free(e->prior);
  free(e->user);
  free(e->answer);
  cJSON_Delete(e->fields);
}

void dm_eval_set_free(eval_set *s) {
  if (!s) return;
  for (int i = 0; i < s->n; i++) ex_free(&s->ex[i]);
  free(s->ex);
  for (int i = 0; i < s->nfam; i++) free(s->families[i]);
  free(s->families);
  memset(s, 0, sizeof *s);
}

int dm_eval_family_index(const eval_set *s, const char *family) {
  for (int i = 0; i < s->nfam; i++)
    if (strcmp(s->families[i], family) == 0) return i;
  return -1;
}

/* The family's entry in the table (added when new); NULL when out of memory. */
static char *family_intern(eval_set *s, const char *name) {
  int i = dm_eval_family_index(s, name);
  if (i >= 0) return s->families[i];
  char **nf = realloc(s->families, (size_t)(s->nfam + 1) * sizeof *nf);
  if (!nf) return NULL;
  s->families = nf;
  if (!(nf[s->nfam] = strdup(name))) return NULL;
  return nf[s->nfam++];
}

/* The content of messages[i] with the given role, or NULL. */
static const char *message(const cJSON *msgs, int i, const char *role) {
  const cJSON *m = cJSON_GetArrayItem(msgs, i);
  const cJSON *r = cJSON_GetObjectItemCaseSensitive(m, "role");
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "content");
  if (!cJSON_IsString(r) || strcmp(r->valuestring, role) != 0 || !cJSON_IsString(c)) return NULL;
  return c->valuestring;
}

/* One line (NUL-terminated, len bytes) into e; what is wrong with it, or NULL. On
 * a JSON syntax error *at is its offset in the line. */
static const char *parse_line(eval_set *s, const char *line, size_t len, eval_ex *e, size_t *at) {
  const char *end = NULL;
  cJSON *o = cJSON_ParseWithLengthOpts(line, len, &end, 0);
  *at = 0;
  if (!o) {
    *at = end ? (size_t)(end - line) : 0;
    const char *ep = cJSON_GetErrorPtr();
    if (ep && ep >= line && ep <= line + len) *at = (size_t)(ep - line);
    return "not JSON";
  }
  const char *why = NULL;
  const cJSON *fam = cJSON_GetObjectItemCaseSensitive(o, "family");
  const cJSON *pri = cJSON_GetObjectItemCaseSensitive(o, "prior");
  const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(o, "messages");
  cJSON *flds = cJSON_GetObjectItemCaseSensitive(o, "fields");
  const char *u = NULL, *a = NULL;
  if (!cJSON_IsObject(o)) why = "a line must be a JSON object";
  else if (!cJSON_IsString(fam) || !fam->valuestring[0]) why = "\"family\" must be a non-empty string";
  else if (pri && !cJSON_IsNull(pri) && (!cJSON_IsString(pri) || !pri->valuestring[0] || strchr(pri->valuestring, '/')))
    why = "\"prior\" must be null or a prior's name (priors/NAME.yaml)";
  else if (!cJSON_IsArray(msgs) || cJSON_GetArraySize(msgs) != 2 || !(u = message(msgs, 0, "user")) ||
           !(a = message(msgs, 1, "assistant")))
    why = "\"messages\" must be [{\"role\": \"user\", \"content\": ...}, {\"role\": \"assistant\", \"content\": ...}]";
  else if (!cJSON_IsObject(flds) || !flds->child)
    why = "\"fields\" (the ground truth) must be a non-empty JSON object";
  if (!why) {
    memset(e, 0, sizeof *e);
    e->family = family_intern(s, fam->valuestring);
    e->prior = cJSON_IsString(pri) ? strdup(pri->valuestring) : NULL;
    e->user = strdup(u);
    e->answer = strdup(a);
    e->fields = cJSON_DetachItemViaPointer(o, flds);
    if (!e->family || (cJSON_IsString(pri) && !e->prior) || !e->user || !e->answer || !e->fields) {
      ex_free(e);
      why = "out of memory";
    }
  }
  cJSON_Delete(o);
  return why;
}

int dm_eval_set_load(const char *path, eval_set *out, dm_error *err) {
  memset(out, 0, sizeof *out);
  char *text = NULL;
  size_t len = 0;
  int rc = dm_cli_read_all(path, &text, &len, err);
  if (rc) return rc;
  int cap = 0;
  long lineno = 0;
  for (size_t p = 0; p < len && !rc;) {
    size_t q = p;
    while (q < len && text[q] != '\n') q++;
    lineno++;
    size_t l = q;
    while (l > p && (text[l - 1] == '\r' || text[l - 1] == ' ' || text[l - 1] == '\t')) l--;
    if (l > p) {
      if (out->n == cap) {
        cap = cap ? cap * 2 : 256;
        eval_ex *ne = realloc(out->ex, (size_t)cap * sizeof *ne);
        if (!ne) {
          rc = dm_error_set(err, DM_ENOMEM, "out of memory");
          break;
        }
        out->ex = ne;
      }
      char save = text[l];
      text[l] = 0;
      size_t at = 0;
      const char *why = parse_line(out, text + p, l - p, &out->ex[out->n], &at);
      text[l] = save;
      if (why) {
        rc = dm_error_set_at(err, strcmp(why, "out of memory") ? DM_EINVAL : DM_ENOMEM, text, len, p + at,
                             "%s", why);
        dm_error_set_source(err, path && strcmp(path, "-") ? path : "stdin");
      } else {
        out->ex[out->n++].line = lineno;
      }
    }
    p = q + 1;
  }
  free(text);
  if (!rc && out->n == 0) {
    rc = dm_error_set(err, DM_EINVAL, "no examples (an empty file)");
    dm_error_set_source(err, path && strcmp(path, "-") ? path : "stdin");
  }
  if (rc) dm_eval_set_free(out);
  return rc;
}
