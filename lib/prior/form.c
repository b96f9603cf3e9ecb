/* YAML form specs (the files in priors/): an instruction, fields and an output shape,
 * compiled to a JSON Schema (output: json) or a template (output: text). */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <dimple/prior.h>

#include "grammar.h"
#include "json_canon.h"
#include "yamlfile.h"

struct dm_form {
  char *instruction;
  int json;          /* 1: JSON object, 0: text template */
  char *spec;        /* JSON Schema text, or template text */
  char *source;
};

void dm_form_free(dm_form *f) {
  if (!f) return;
  free(f->instruction);
  free(f->spec);
  free(f->source);
  free(f);
}

const char *dm_form_instruction(const dm_form *f) { return f->instruction ? f->instruction : ""; }
int dm_form_is_json(const dm_form *f) { return f->json; }
const char *dm_form_spec(const dm_form *f) { return f->spec; }

typedef struct fctx {
  yaml_document_t *doc;
  const char *path;
  dm_error *err;
  const char *grammar_dir;
} fctx;

#define scalar dm_yaml_scalar
/* an error at node n of the file being read */
#define AT(ctx, n, code, ...) dm_yaml_error_at((ctx)->err, code, (ctx)->path, n, __VA_ARGS__)

static yaml_node_t *get(fctx *c, const yaml_node_t *map, const char *key) {
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
    const char *k = scalar(yaml_document_get_node(c->doc, p->key));
    if (k && !strcmp(k, key)) return yaml_document_get_node(c->doc, p->value);
  }
  return NULL;
}

static int number(fctx *c, const yaml_node_t *n, const char *key, double *v) {
  const char *s = scalar(n);
  char *end = NULL;
  *v = s ? strtod(s, &end) : 0;
  if (!s || !*s || *end || !isfinite(*v)) return AT(c, n, DM_ESPEC, "\"%s\" must be a number", key);
  return DM_OK;
}

static const char *const field_keys[] = {"name", "type", "description", "maxLength", "minLength", "pattern",
                                         "enum", "minimum", "maximum", "tokens", "required", "format"};

/* One field → a JSON Schema property (json) and a template slot type (text). */
static int field(fctx *c, const yaml_node_t *fn, cJSON *props, cJSON *req, dm_buf *slots, const char **name_out) {
  if (fn->type != YAML_MAPPING_NODE) return AT(c, fn, DM_ESPEC, "a field is a mapping with name, type ...");
  for (yaml_node_pair_t *p = fn->data.mapping.pairs.start; p < fn->data.mapping.pairs.top; p++) {
    yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
    const char *k = scalar(kn);
    bool known = false;
    for (size_t i = 0; k && i < sizeof field_keys / sizeof field_keys[0]; i++) known |= !strcmp(k, field_keys[i]);
    if (!known)
      return AT(c, kn, DM_ESPEC, "unknown field key \"%s\" (keys: name, type, description, minLength, maxLength, "
                "pattern, enum, minimum, maximum, format, tokens, required)", k ? k : "?");
  }
  const char *name = scalar(get(c, fn, "name"));
  if (!name || !*name) return AT(c, fn, DM_ESPEC, "a field needs a \"name\"");
  *name_out = name;
  if (cJSON_GetObjectItemCaseSensitive(props, name)) return AT(c, fn, DM_ESPEC, "two fields named \"%s\"", name);
  const char *type = scalar(get(c, fn, "type"));
  yaml_node_t *en = get(c, fn, "enum");
  if (!type) type = en ? "enum" : "string";
  const char *fmt = scalar(get(c, fn, "format"));
  cJSON *s = cJSON_CreateObject();
  cJSON_AddItemToObject(props, name, s);
  char *grammar_re = NULL;
  const char *jtype = NULL;
  if (!strcmp(type, "string") || !strcmp(type, "integer") || !strcmp(type, "number") || !strcmp(type, "boolean")) {
    jtype = type;
  } else if (!strcmp(type, "enum")) {
    if (!en || en->type != YAML_SEQUENCE_NODE) return AT(c, fn, DM_ESPEC, "an enum field needs \"enum\": a list");
  } else {
    dm_error e;
    dm_error_clear(&e);
    if (dm_grammar_find(type, c->grammar_dir, &grammar_re, &e))
      return AT(c, get(c, fn, "type"), DM_ESPEC, "field \"%s\": %s", name, e.message);
    jtype = "string";
  }
  bool required = true;
  const char *rq = scalar(get(c, fn, "required"));
  if (rq) required = strcmp(rq, "false") != 0 && strcmp(rq, "no") != 0;
  if (jtype) {
    if (required) cJSON_AddStringToObject(s, "type", jtype);
    else {
      cJSON *tl = cJSON_AddArrayToObject(s, "type");
      cJSON_AddItemToArray(tl, cJSON_CreateString(jtype));
      cJSON_AddItemToArray(tl, cJSON_CreateString("null"));
    }
  }
  const char *desc = scalar(get(c, fn, "description"));
  if (desc) cJSON_AddStringToObject(s, "description", desc);
  static const char *nums[] = {"minLength", "maxLength", "minimum", "maximum", "tokens"};
  for (size_t i = 0; i < 5; i++) {
    yaml_node_t *vn = get(c, fn, nums[i]);
    if (!vn) continue;
    double v;
    if (number(c, vn, nums[i], &v)) { free(grammar_re); return c->err ? c->err->code : DM_ESPEC; }
    cJSON_AddNumberToObject(s, i == 4 ? "x-dimple-tokens" : nums[i], v);
  }
  const char *pat = scalar(get(c, fn, "pattern"));
  if (grammar_re || pat) {
    dm_buf b = {0};
    dm_buf_puts(&b, "^(");
    dm_buf_puts(&b, grammar_re ? grammar_re : pat);
    dm_buf_puts(&b, ")$");
    if (grammar_re && pat) { /* both: the grammar here, the pattern as a second condition */
      cJSON *all = cJSON_AddArrayToObject(s, "allOf");
      cJSON *ps = cJSON_CreateObject();
      cJSON_AddStringToObject(ps, "pattern", pat);
      cJSON_AddItemToArray(all, ps);
    }
    cJSON_AddStringToObject(s, "pattern", b.s ? b.s : "");
    dm_buf_free(&b);
  }
  if (fmt) cJSON_AddStringToObject(s, "format", fmt);
  if (en) {
    if (en->type != YAML_SEQUENCE_NODE) { free(grammar_re); return AT(c, en, DM_ESPEC, "\"enum\" must be a list"); }
    cJSON *ev = cJSON_AddArrayToObject(s, "enum");
    for (yaml_node_item_t *it = en->data.sequence.items.start; it < en->data.sequence.items.top; it++) {
      const char *v = scalar(yaml_document_get_node(c->doc, *it));
      if (!v) { free(grammar_re); return AT(c, en, DM_ESPEC, "\"enum\" lists plain values"); }
      cJSON_AddItemToArray(ev, cJSON_CreateString(v));
    }
    if (!required) cJSON_AddItemToArray(ev, cJSON_CreateNull());
  }
  cJSON_AddItemToArray(req, cJSON_CreateString(name)); /* every field is present; optional ones may be null */
  /* template slot: {{name:/regex/ <=N}} */
  if (slots) {
    dm_buf rx = {0};
    if (grammar_re) dm_buf_puts(&rx, grammar_re);
    else if (pat) dm_buf_puts(&rx, pat);
    else if (en) {
      cJSON *ev = cJSON_GetObjectItemCaseSensitive(s, "enum");
      for (cJSON *v = ev->child; v; v = v->next) {
        if (!cJSON_IsString(v)) continue;
        if (rx.n) dm_buf_put(&rx, "|", 1);
        for (const char *q = v->valuestring; *q; q++) {
          if (strchr("\\.[](){}*+?|^$", *q)) dm_buf_put(&rx, "\\", 1);
          dm_buf_put(&rx, q, 1);
        }
      }
    } else if (!strcmp(type, "integer")) dm_buf_puts(&rx, "-?(0|[1-9][0-9]*)");
    else if (!strcmp(type, "number")) dm_buf_puts(&rx, "-?(0|[1-9][0-9]*)(\\.[0-9]+)?");
    else if (!strcmp(type, "boolean")) dm_buf_puts(&rx, "true|false");
    else dm_buf_puts(&rx, "[^\\n]+");
    dm_buf_puts(slots, "\x01");
    dm_buf_puts(slots, name);
    dm_buf_puts(slots, ":/");
    for (size_t i = 0; i < rx.n; i++) {
      if (rx.s[i] == '/') dm_buf_put(slots, "\\", 1);
      dm_buf_put(slots, rx.s + i, 1);
    }
    dm_buf_puts(slots, "/");
    cJSON *tk = cJSON_GetObjectItemCaseSensitive(s, "x-dimple-tokens");
    if (tk) {
      char nb[32];
      snprintf(nb, sizeof nb, " <=%d", (int)tk->valuedouble);
      dm_buf_puts(slots, nb);
    }
    dm_buf_puts(slots, "\x02");
    dm_buf_free(&rx);
  }
  free(grammar_re);
  return DM_OK;
}

/* Replace {{name}} references of the text template by full slots from `slots`
 * ("\x01name:/re/ <=N\x02" records). */
static int expand_template(fctx *c, const yaml_node_t *tn, const char *tmpl, const dm_buf *slots, char **out) {
  dm_buf b = {0};
  for (const char *p = tmpl; *p;) {
    if (p[0] == '\\' && p[1]) { dm_buf_put(&b, p, 2); p += 2; continue; }
    if (p[0] == '{' && p[1] == '{') {
      const char *e = strstr(p + 2, "}}");
      if (!e) { dm_buf_free(&b); return AT(c, tn, DM_ESYNTAX, "template: \"{{\" without \"}}\""); }
      char name[128];
      size_t n = (size_t)(e - p - 2);
      if (n >= sizeof name) n = sizeof name - 1;
      memcpy(name, p + 2, n);
      name[n] = 0;
      const char *rec = NULL;
      for (const char *r = slots->s; r && (r = strchr(r, '\x01'));) {
        r++;
        size_t nl = strcspn(r, ":");
        if (nl == strlen(name) && !strncmp(r, name, nl)) { rec = r; break; }
      }
      if (!rec) { dm_buf_free(&b); return AT(c, tn, DM_ESPEC, "template refers to \"%s\", which is not a field", name); }
      dm_buf_puts(&b, "{{");
      dm_buf_put(&b, rec, strcspn(rec, "\x02"));
      dm_buf_puts(&b, "}}");
      p = e + 2;
      continue;
    }
    dm_buf_put(&b, p, 1);
    p++;
  }
  *out = b.s ? b.s : strdup("");
  return *out ? DM_OK : DM_ENOMEM;
}

int dm_form_load(const char *path, const char *grammar_dir, dm_form **out, dm_error *err) {
  *out = NULL;
  yaml_document_t doc;
  int rc = dm_yaml_load_file(path, "form spec", &doc, err);
  if (rc) return rc;
  fctx cc = {&doc, path, err, grammar_dir}, *c = &cc;
  dm_form *f = NULL;
  cJSON *schema = NULL;
  dm_buf slots = {0};
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  if (!root || root->type != YAML_MAPPING_NODE) {
    rc = AT(c, root, DM_ESPEC, "a form spec is a mapping with instruction, fields and output");
    goto done;
  }
  for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
    yaml_node_t *kn = yaml_document_get_node(&doc, p->key);
    const char *k = scalar(kn);
    if (!k || (strcmp(k, "instruction") && strcmp(k, "fields") && strcmp(k, "output") && strcmp(k, "template") &&
               strcmp(k, "name") && strcmp(k, "description"))) {
      rc = AT(c, kn, DM_ESPEC, "unknown key \"%s\" (keys: name, description, instruction, fields, output, template)",
              k ? k : "?");
      goto done;
    }
  }
  f = calloc(1, sizeof *f);
  if (!f) { rc = dm_error_set(err, DM_ENOMEM, "out of memory"); goto done; }
  f->source = strdup(path);
  const char *ins = scalar(get(c, root, "instruction"));
  if (!ins) { rc = AT(c, root, DM_ESPEC, "a form spec needs an \"instruction\""); goto done; }
  f->instruction = strdup(ins);
  const char *output = scalar(get(c, root, "output"));
  f->json = !output || !strcmp(output, "json");
  if (output && strcmp(output, "json") && strcmp(output, "text")) {
    rc = AT(c, get(c, root, "output"), DM_ESPEC, "\"output\" is json or text, not \"%s\"", output);
    goto done;
  }
  yaml_node_t *fields = get(c, root, "fields");
  if (!fields || fields->type != YAML_SEQUENCE_NODE || fields->data.sequence.items.start == fields->data.sequence.items.top) {
    rc = AT(c, fields ? fields : root, DM_ESPEC, "\"fields\" must be a non-empty list");
    goto done;
  }
  schema = cJSON_CreateObject();
  cJSON_AddStringToObject(schema, "type", "object");
  cJSON *props = cJSON_AddObjectToObject(schema, "properties");
  cJSON *req = cJSON_AddArrayToObject(schema, "required");
  for (yaml_node_item_t *it = fields->data.sequence.items.start; it < fields->data.sequence.items.top && !rc; it++) {
    const char *nm = NULL;
    rc = field(c, yaml_document_get_node(&doc, *it), props, req, f->json ? NULL : &slots, &nm);
  }
  if (rc) goto done;
  cJSON_AddBoolToObject(schema, "additionalProperties", 0);
  if (f->json) {
    if (get(c, root, "template")) {
      rc = AT(c, get(c, root, "template"), DM_ESPEC, "\"template\" is for output: text");
      goto done;
    }
    f->spec = cJSON_PrintUnformatted(schema);
    if (!f->spec) rc = dm_error_set(err, DM_ENOMEM, "out of memory");
  } else {
    yaml_node_t *tn = get(c, root, "template");
    const char *tmpl = scalar(tn);
    if (!tmpl) { rc = AT(c, root, DM_ESPEC, "output: text needs a \"template\" with {{field}} references"); goto done; }
    rc = expand_template(c, tn, tmpl, &slots, &f->spec);
  }
done:
  cJSON_Delete(schema);
  dm_buf_free(&slots);
  yaml_document_delete(&doc);
  if (rc) {
    dm_form_free(f);
    return rc;
  }
  *out = f;
  return DM_OK;
}

int dm_lang_from_form(const dm_form *f, const dm_schema_params *params, const char *grammar_dir, dm_lang **out,
                      dm_error *err) {
  int rc = f->json ? dm_lang_from_schema(f->spec, strlen(f->spec), params, out, err)
                   : dm_lang_from_template(f->spec, strlen(f->spec), grammar_dir, out, err);
  if (rc) dm_error_set_source(err, f->source);
  return rc;
}

int dm_canvas_from_form(dm_prior_env *env, const dm_form *f, const dm_canvas_params *params, dm_canvas **out,
                        dm_error *err) {
  int rc = f->json ? dm_canvas_from_schema(env, f->spec, strlen(f->spec), params, out, err)
                   : dm_canvas_from_template(env, f->spec, strlen(f->spec), params, out, err);
  if (rc) dm_error_set_source(err, f->source);
  return rc;
}
