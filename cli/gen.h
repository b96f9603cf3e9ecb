/* dimple generate's pieces (cli/cmd_generate.c options, cli/gen_ctx.c model lookup
 * and loading, cli/gen_run.c one request, cli/gen_batch.c JSONL batches), shared
 * with dimple eval (cli/cmd_eval.c). Internal. */
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
  int device, device_index; /* where dm_gen_ctx_open_model loads the model (0, 0: CPU) */
  int precision;            /* CUDA compute precision (dm_precision; 0: auto) */
} gen_ctx;

/* The model directory: given (--model), else $DIMPLE_MODEL, else models/default in
 * the installed data or the source tree. NULL when none is found (static storage). */
#ifndef DM_PKGDATADIR
#define DM_PKGDATADIR "" /* set by cli/local.mk: the installed data folder */
#endif
#ifndef DM_SRCDIR
#define DM_SRCDIR "" /* set by cli/local.mk: the source tree */
#endif
const char *dm_gen_find_model(const char *given);
/* ROOT/rel for ROOT the installed data folder ($(pkgdatadir)), then the source tree,
 * the first that accept() takes; NULL when none. The result is a static buffer. */
const char *dm_gen_find_installed(const char *rel, int (*accept)(const char *path));
/* Does dir hold a config.json? */
int dm_gen_is_model_dir(const char *dir);
/* Load into g (zeroed by the caller): the tokenizer (tfile, else mdir's), the model
 * of mdir with n_threads (0: default), its logits source (prefill as
 * dm_logits_source_model) and the prior environment. Errors are reported on stderr
 * as "dimple CMD: ..."; returns an exit code (DM_EXIT_OK on success; g is then
 * released by dm_gen_ctx_free in every case). */
int dm_gen_ctx_open(gen_ctx *g, const char *cmd, const char *mdir, const char *tfile, int n_threads,
                    int prefill);
/* The two halves of dm_gen_ctx_open: the tokenizer and prior environment (enough to
 * compile specs), then the model and its logits source. */
int dm_gen_ctx_open_tokenizer(gen_ctx *g, const char *cmd, const char *mdir, const char *tfile);
int dm_gen_ctx_open_model(gen_ctx *g, const char *cmd, const char *mdir, int n_threads, int prefill);
/* Option values: an integer / number in [lo, hi], else a usage error naming opt
 * (returns DM_EXIT_USAGE; 0 on success). */
int dm_gen_parse_int(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out);
int dm_gen_parse_num(const char *cmd, const char *opt, const char *s, double lo, double hi, double *out);

/* The spec of kind / value (file or text; NULL: free text) / max_tokens (a regex's
 * or free text's budget), compiled once per context and reset to all masks on each
 * call. *out is borrowed from g (valid until dm_gen_ctx_free). */
int dm_gen_spec(gen_ctx *g, char kind, const char *value, int max_tokens, dm_cli_spec **out, dm_error *err);

/* What one request produced. */
typedef struct gen_out {
  char *text;           /* the output, filler stripped (malloc'd; dm_gen_out_free) */
  int valid;            /* text is in the spec's language (1 for free text) */
  int32_t generated;    /* slot tokens that carry the answer (filler left out) */
  double compile_ms;    /* spec lookup (compilation on first use) */
  dm_decode_stats st;   /* the decoder's statistics */
  dm_cli_spec *spec;    /* the spec, its canvas as decoded (borrowed from g) */
} gen_out;
/* Run one request: spec from the cache, prompt (chat-formatted, a form's
 * instruction first, unless raw), decode. On success *out is filled (release with
 * dm_gen_out_free). An output outside the language is NOT an error here. */
int dm_gen_run(gen_ctx *g, const gen_req *r, gen_out *out, dm_error *err);
void dm_gen_out_free(gen_out *o);
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
