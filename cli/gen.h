/* dimple generate's pieces (cli/cmd_generate.c options and model lookup,
 * cli/gen_run.c one request, cli/gen_batch.c JSONL batches). Internal. */
#ifndef DM_CLI_GEN_H
#define DM_CLI_GEN_H

#include <cjson/cJSON.h>

#include "cli.h"

#define CMD "generate"

/* One request: a prompt, a spec and decoding options (strings borrowed). */
typedef struct gen_req {
  const char *prompt;
  char kind;          /* as dm_cli_spec */
  const char *spec;   /* file or text; NULL for free text */
  int max_tokens;
  int raw_prompt;
  dm_decode_params dp;
} gen_req;

typedef struct spec_entry {
  char kind;
  char *value;
  int max_tokens;
  dm_cli_spec spec;
} spec_entry;

/* What stays loaded across requests (batch: one model, compiled specs reused). */
typedef struct gen_ctx {
  dm_tokenizer *tok;
  dm_model *model;
  dm_prior_env *env;
  dm_logits_source *src;
  spec_entry *specs;
  int nspecs;
  int progress, visual; /* on stderr, only when it is a terminal */
  int32_t *per_step;    /* tokens committed per step (model + forced) of the request */
  int nsteps, capsteps;
} gen_ctx;

/* Run one request; on success *res is a new JSON object (caller frees): text, valid,
 * nfe, steps, ... as `--json` prints it. */
int dm_gen_one(gen_ctx *g, const gen_req *r, cJSON **res, dm_error *err);
/* Release what g holds. */
void dm_gen_ctx_free(gen_ctx *g);
/* {"error", "code", "exit"} for a failed request (caller frees). */
cJSON *dm_gen_error_object(int rc, const dm_error *err);
/* --batch IN.jsonl [--out OUT]: one result line per request line; returns the exit
 * status of the first failed line (0 when none failed). */
int dm_gen_batch(gen_ctx *g, const gen_req *defaults, const char *in, const char *outp);

#endif
