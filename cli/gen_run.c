/* dimple generate / eval: one request (spec from the cache, prompt, decode, result). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen.h"

int dm_gen_spec(gen_ctx *g, char kind, const char *value, int max_tokens, dm_cli_spec **out, dm_error *err) {
  const char *v = value ? value : "";
  int mt = (kind == 'r' || kind == 0) ? max_tokens : 0;
  for (int i = 0; i < g->nspecs; i++) {
    spec_entry *s = &g->specs[i];
    if (s->kind == kind && s->max_tokens == mt && strcmp(s->value, v) == 0) {
      int rc = dm_canvas_reset(s->spec.canvas);
      if (rc) return dm_error_set(err, rc, "cannot reset the canvas");
      *out = &s->spec;
      return DM_OK;
    }
  }
  spec_entry *ns = realloc(g->specs, (size_t)(g->nspecs + 1) * sizeof *ns);
  if (!ns) return dm_error_set(err, DM_ENOMEM, "out of memory");
  g->specs = ns;
  spec_entry *s = &g->specs[g->nspecs];
  memset(s, 0, sizeof *s);
  int rc = dm_cli_spec_load(g->env, kind, v, mt, &s->spec, err);
  if (rc) return rc;
  s->kind = kind;
  s->max_tokens = mt;
  s->value = strdup(v);
  if (!s->value) {
    dm_cli_spec_free(&s->spec);
    return dm_error_set(err, DM_ENOMEM, "out of memory");
  }
  g->nspecs++;
  *out = &s->spec;
  return DM_OK;
}

/* The prompt's ids: chat-formatted (a form's instruction first) unless raw. *ids
 * malloc'd. */
static int prompt_ids(gen_ctx *g, const gen_req *r, const dm_cli_spec *spec, int32_t **ids, size_t *n,
                      dm_error *err) {
  const char *instr = spec->form ? dm_form_instruction(spec->form) : NULL;
  const char *p = r->prompt ? r->prompt : "";
  size_t ulen = strlen(p) + (instr ? strlen(instr) + 2 : 0) + 1;
  char *user = malloc(ulen);
  if (!user) return dm_error_set(err, DM_ENOMEM, "out of memory");
  snprintf(user, ulen, "%s%s%s", instr ? instr : "", instr && *p ? "\n\n" : "", p);
  int rc;
  if (r->raw_prompt) {
    rc = dm_tokenizer_encode_alloc(g->tok, user, strlen(user), DM_TOKENIZE_PARSE_SPECIAL, ids, n, err);
  } else {
    long need = dm_chat_format(g->tok, user, NULL, NULL, 0, err);
    char *chat = need >= 0 ? malloc((size_t)need + 1) : NULL;
    if (need < 0) rc = (int)need;
    else if (!chat) rc = dm_error_set(err, DM_ENOMEM, "out of memory");
    else {
      dm_chat_format(g->tok, user, NULL, chat, (size_t)need + 1, err);
      rc = dm_tokenizer_encode_alloc(g->tok, chat, (size_t)need, DM_TOKENIZE_PARSE_SPECIAL, ids, n, err);
    }
    free(chat);
  }
  free(user);
  return rc;
}

/* Slot tokens that carry the answer: filler (EOS tails, trailing spaces) left out. */
static int32_t generated_tokens(const gen_ctx *g, const dm_canvas *c) {
  int32_t total = 0, eos = dm_canvas_eos(c);
  for (int i = 0; i < dm_canvas_slot_count(c); i++) {
    dm_canvas_slot_info si;
    if (dm_canvas_slot(c, i, &si)) continue;
    int32_t used = 0;
    for (int32_t k = 0; k < si.len; k++) {
      int32_t t = dm_canvas_token(c, si.start + k);
      if (si.filler == 2 && t == eos) break;
      if (si.filler == 1) {
        size_t bl = 0;
        const char *b = dm_tokenizer_token_bytes(g->tok, t, &bl);
        int blank = b != NULL;
        for (size_t j = 0; b && j < bl; j++) blank &= b[j] == ' ';
        if (blank) continue;
      }
      used = k + 1;
    }
    total += used;
  }
  return total;
}

static char *canvas_text(const dm_canvas *c, const char *mask, int strip) {
  long n = dm_canvas_text(c, mask, strip, NULL, 0);
  char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (buf) dm_canvas_text(c, mask, strip, buf, (size_t)n + 1);
  return buf;
}

static bool on_step(const dm_decode_step *s, const dm_canvas *c, void *user) {
  gen_ctx *g = user;
  if (g->nsteps == g->capsteps) {
    int cap = g->capsteps ? g->capsteps * 2 : 64;
    int32_t *np = realloc(g->per_step, (size_t)cap * sizeof *np);
    if (np) {
      g->per_step = np;
      g->capsteps = cap;
    }
  }
  if (g->nsteps < g->capsteps) g->per_step[g->nsteps++] = s->committed + s->forced;
  if (g->visual) {
    char *t = canvas_text(c, "\xe2\x96\xa2", 0);
    fprintf(stderr, "\0338\033[J%s\n", t ? t : "");
    free(t);
  }
  if (g->progress) {
    int32_t done = s->canvas_tokens - s->masks_left, w = 30;
    int fill = s->canvas_tokens ? (int)((long)done * w / s->canvas_tokens) : w;
    fprintf(stderr, "\r[%.*s%*s] %d/%d tokens  step %d  NFE %d", fill, "##############################", w - fill,
            "", (int)done, (int)s->canvas_tokens, s->step + 1, s->stats->nfe);
    fflush(stderr);
  }
  return true;
}

int dm_gen_run(gen_ctx *g, const gen_req *r, gen_out *out, dm_error *err) {
  memset(out, 0, sizeof *out);
  double t0 = dm_cli_now_ms();
  dm_cli_spec *spec = NULL;
  int rc = dm_gen_spec(g, r->kind, r->spec, r->max_tokens, &spec, err);
  if (rc) return rc;
  out->compile_ms = dm_cli_now_ms() - t0;
  int32_t *ids = NULL;
  size_t n = 0;
  rc = prompt_ids(g, r, spec, &ids, &n, err);
  if (rc) {
    if (rc == DM_EUNSUPPORTED) dm_error_set(err, rc, "%s (pass --raw-prompt to use the prompt as it is)", err->message);
    return rc;
  }
  if (g->visual) fputs("\0337", stderr);
  g->nsteps = 0;
  rc = dm_decode(spec->canvas, ids, (int32_t)n, g->src, &r->dp, &out->st, on_step, g, err);
  if (g->progress) fputc('\n', stderr);
  free(ids);
  if (rc) return rc;
  out->text = canvas_text(spec->canvas, NULL, 1);
  if (!out->text) return dm_error_set(err, DM_ENOMEM, "out of memory");
  out->valid = spec->lang ? dm_lang_match(spec->lang, out->text, strlen(out->text), NULL) : 1;
  out->generated = generated_tokens(g, spec->canvas);
  out->spec = spec;
  return DM_OK;
}

void dm_gen_out_free(gen_out *o) {
  if (!o) return;
  free(o->text);
  o->text = NULL;
}

/* Run one request; on success *res is a new JSON object (caller frees). */
int dm_gen_one(gen_ctx *g, const gen_req *r, cJSON **res, dm_error *err) {
  *res = NULL;
  gen_out go;
  int rc = dm_gen_run(g, r, &go, err);
  if (rc) return rc;
  const dm_decode_stats st = go.st;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "text", go.text);
  cJSON_AddBoolToObject(o, "valid", go.valid);
  cJSON_AddNumberToObject(o, "nfe", st.nfe);
  cJSON_AddNumberToObject(o, "steps", st.steps);
  cJSON_AddNumberToObject(o, "forced", st.forced);
  cJSON_AddNumberToObject(o, "eos_filled", st.eos_filled);
  cJSON_AddNumberToObject(o, "committed", st.committed);
  cJSON_AddNumberToObject(o, "repicked", st.repicked);
  cJSON_AddNumberToObject(o, "max_per_step", st.max_per_step);
  cJSON_AddNumberToObject(o, "tokens", st.canvas_tokens);
  cJSON_AddNumberToObject(o, "generated_tokens", go.generated);
  cJSON_AddNumberToObject(o, "prompt_tokens", st.prompt_tokens);
  cJSON_AddNumberToObject(o, "time_ms", st.total_ms);
  cJSON_AddNumberToObject(o, "model_ms", st.model_ms);
  cJSON_AddNumberToObject(o, "constraint_ms", st.constraint_ms);
  cJSON_AddNumberToObject(o, "compile_ms", go.compile_ms);
  cJSON_AddStringToObject(o, "strategy", dm_strategy_name(r->dp.strategy));
  cJSON_AddNumberToObject(o, "seed", (double)r->dp.seed);
  cJSON *ps = cJSON_AddArrayToObject(o, "per_step");
  for (int i = 0; i < g->nsteps; i++) cJSON_AddItemToArray(ps, cJSON_CreateNumber(g->per_step[i]));
  int valid = go.valid;
  dm_gen_out_free(&go);
  *res = o;
  if (!valid) return dm_error_set(err, DM_EINTERNAL, "the output is not in the spec's language (a bug)");
  return DM_OK;
}

cJSON *dm_gen_error_object(int rc, const dm_error *err) {
  char line[2048];
  if (err && err->code == rc && (err->message[0] || err->pos_kind != DM_POS_NONE))
    dm_error_format(err, line, sizeof line);
  else
    snprintf(line, sizeof line, "%s", dm_strerror(rc));
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "error", line);
  cJSON_AddStringToObject(o, "code", dm_err_name(rc));
  cJSON_AddNumberToObject(o, "exit", dm_cli_exit_code(rc));
  return o;
}

void dm_gen_ctx_free(gen_ctx *g) {
  for (int i = 0; i < g->nspecs; i++) {
    dm_cli_spec_free(&g->specs[i].spec);
    free(g->specs[i].value);
  }
  free(g->specs);
  free(g->per_step);
  dm_logits_source_free(g->src);
  dm_prior_env_free(g->env);
  dm_model_free(g->model);
  dm_tokenizer_free(g->tok);
  memset(g, 0, sizeof *g);
}
