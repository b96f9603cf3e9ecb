/* dimple eval's pieces: the held-out data (cli/eval_data.c), scoring one output
 * against its ground truth (cli/eval_score.c), the figures per family and their
 * report (cli/eval_report.c); the command itself is cli/cmd_eval.c. Internal. */
#ifndef DM_CLI_EVAL_H
#define DM_CLI_EVAL_H

#include <cjson/cJSON.h>

#include "cli.h"

/* ------------------------------------------------------------------ data */

/* One example of an eval.jsonl line (train/corpus.py's format). */
typedef struct eval_ex {
  long line;        /* 1-based line in the file */
  char *family;     /* borrowed from the set's family table */
  char *prior;      /* prior name (malloc'd) or NULL */
  char *user;       /* the user message (malloc'd) */
  char *answer;     /* the assistant message: the reference answer (malloc'd) */
  cJSON *fields;    /* the ground truth, a JSON object (owned) */
} eval_ex;

typedef struct eval_set {
  eval_ex *ex;
  int n;
  char **families; /* in first-seen order (malloc'd strings) */
  int nfam;
} eval_set;

/* Load a JSONL file ("-": stdin): {family, prior, messages: [user, assistant],
 * fields} a line, blank lines skipped. Errors name the file and line:col
 * (DM_EINVAL for a malformed line, DM_ENOENT / DM_EIO for the file). On success
 * *out is filled (release with dm_eval_set_free). */
int dm_eval_set_load(const char *path, eval_set *out, dm_error *err);
void dm_eval_set_free(eval_set *s);
/* Index of a family in s->families, -1 when absent. */
int dm_eval_family_index(const eval_set *s, const char *family);

/* ------------------------------------------------------------------ scoring */

/* Trim ASCII whitespace at both ends: returns the first kept byte, *len its length. */
const char *dm_eval_trim(const char *s, size_t *len);

/* JSON value equality: numbers by value, strings byte-wise, objects member-wise in
 * any order (same member set), arrays element-wise. */
int dm_eval_json_equal(const cJSON *a, const cJSON *b);

/* An output read as fields shaped like truth (an object). JSON output: the parsed
 * document (must be an object). Text output: the trimmed text as truth's only
 * member, a string when truth's value is a string, else parsed as JSON (a number
 * such as "42", true, null). Returns a new object (caller frees), or NULL when the
 * output does not read (not JSON, not an object, empty text, text truth with other
 * than one member). */
cJSON *dm_eval_parse(const char *text, int is_json, const cJSON *truth);

/* Field-by-field comparison: ok[i] (may be NULL) for truth's i-th member is 1 when
 * got has that member with an equal value. Returns 1 when every member matches, 0
 * otherwise (got NULL: none match). Members got has beyond truth's are ignored. */
int dm_eval_fields_match(const cJSON *truth, const cJSON *got, int *ok);

/* A free output that stopped at EOS: is the answer complete? Not when it does not
 * read (got NULL), when a JSON output lacks one of truth's members, or when a text
 * output is a proper prefix of the reference answer. */
int dm_eval_complete(const cJSON *truth, const cJSON *got, const char *text, const char *answer,
                     int is_json);

/* ------------------------------------------------------------------ figures */

typedef enum eval_mode { EVAL_PRIOR = 0, EVAL_FREE = 1 } eval_mode;

/* Sums for one (configuration, family). */
typedef struct eval_acc {
  long n, valid, exact, early, no_eos, eos;
  long nfe, generated, canvas_tokens, prompt_tokens;
  double ms;                  /* decode time */
  double model_ms, constraint_ms; /* of which: model calls, canvas work */
  int nfields, capfields;
  char **field_names;         /* malloc'd */
  long *field_ok;             /* outputs with the field right */
  long *field_n;              /* outputs whose truth has the field */
} eval_acc;

/* Add one scored output: fields of truth in order, ok[i] per field. */
int dm_eval_acc_add_fields(eval_acc *a, const cJSON *truth, const int *ok);
/* Add one output record (as dm_eval_run_cfg writes it: valid, exact, fields_ok,
 * nfe, generated_tokens, canvas_tokens, prompt_tokens, ms, and eos / early in free
 * mode). DM_EINVAL when a member is missing. */
int dm_eval_acc_add_record(eval_acc *a, const cJSON *rec);
/* a += b (field lists merged by name). */
int dm_eval_acc_merge(eval_acc *a, const eval_acc *b);
void dm_eval_acc_free(eval_acc *a);

/* One configuration: a mode and decoder settings, with its sums per family. */
typedef struct eval_cfg {
  eval_mode mode;
  dm_strategy strategy;
  double threshold;
  eval_acc *fam;   /* per family of the set (n == 0: not run) */
  eval_acc all;    /* over every family run */
  double wall_ms;
} eval_cfg;

/* ------------------------------------------------------------------ running */

struct gen_ctx;

/* A prior the data names, compiled once (by the process that decodes). */
typedef struct eval_prior {
  char *name, *path;
  const char *instr;    /* borrowed from the spec's form */
  const dm_lang *lang;  /* borrowed from the spec cache */
  int is_json, canvas_len;
} eval_prior;

/* What a run needs: the data, the selection, the priors, the model context. */
typedef struct eval_run {
  struct gen_ctx *g;    /* NULL until the model is loaded */
  eval_set set;
  const char *data;     /* the data file's name, for messages */
  const char *priors_dir;
  eval_prior *priors;
  int npriors;
  int *ex_prior;        /* per example: index in priors; EVAL_HAS_PRIOR before they
                           are compiled; -1 none (or a family not selected) */
  int *fam_on;          /* per family: selected */
  int *fam_json;        /* per family: JSON answers (known once priors compiled) */
  int *fam_free_tokens; /* per family: free canvas length (idem) */
  int per_family, free_tokens;
} eval_run;
#define EVAL_HAS_PRIOR (-2)

/* Select families (comma-separated names, NULL: all; unknown: usage error) and
 * check that each selected example's prior file exists (exit 3 naming the line).
 * Then, when R->g is set, compile the priors and check that each user message
 * starts with its prior's instruction. Returns an exit code; errors on stderr. */
int dm_eval_prepare(eval_run *R, const char *families);
void dm_eval_run_free(eval_run *R);
/* Outputs a configuration of mode m produces (per-family cap, prior mode skipping
 * examples without a prior). */
long dm_eval_count(const eval_run *R, eval_mode m);
/* Receives each output record (takes it). Returns 0, or an exit code to stop. */
typedef int (*eval_sink)(void *user, cJSON *rec);
/* Decode the examples of one configuration (index cfg_index, mode, decoder
 * settings dp) whose position among the selected ones is job modulo njobs, scoring
 * each into a record: config, index (in the set), line, family, prior, mode,
 * strategy, text, got, valid, exact, fields_ok, nfe, generated_tokens,
 * canvas_tokens, prompt_tokens, ms, model_ms, constraint_ms, and eos, early in free
 * mode. Returns an exit
 * code (decode errors name the data line on stderr). */
int dm_eval_run_cfg(eval_run *R, int cfg_index, eval_mode mode, const dm_decode_params *dp, int job, int njobs,
                    eval_sink sink, void *user);

/* Worker processes (cli/eval_jobs.c). job(ctx, k, njobs, out) runs in the k-th of
 * njobs forked processes (fork after everything read-only is set up, before any
 * thread is started) and writes lines to out; its return value is the process's exit
 * code. The parent passes each line (NUL-terminated, without the newline) to
 * take(user, line). Returns the first failure's exit code (a failing worker stops
 * the others); 0 when every worker ended with 0. */
typedef int (*eval_job_fn)(void *ctx, int job, int njobs, FILE *out);
typedef int (*eval_line_fn)(void *user, char *line);
int dm_eval_jobs_run(int njobs, eval_job_fn job, void *ctx, eval_line_fn take, void *user);
/* An eval_sink writing each record as one compact JSON line on the FILE *user. */
int dm_eval_line_sink(void *user, cJSON *rec);

/* The readable table on f; the figures as a JSON object (caller frees). */
void dm_eval_report_print(FILE *f, const eval_set *s, const eval_cfg *cfgs, int ncfg);
cJSON *dm_eval_report_json(const eval_set *s, const eval_cfg *cfgs, int ncfg);
const char *dm_eval_mode_name(eval_mode m);

#endif
