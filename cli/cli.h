/* The dimple command: shared declarations of the subcommands. */
#ifndef DM_CLI_H
#define DM_CLI_H

#include <stdio.h>

#include <dimple/dimple.h>

/* Exit codes (DESIGN.md §6). */
enum {
  DM_EXIT_OK = 0,
  DM_EXIT_CHECK_FAILED = 1, /* check failed / no match */
  DM_EXIT_USAGE = 2,        /* bad flag, unknown command, not available */
  DM_EXIT_SPEC = 3,         /* bad spec */
  DM_EXIT_MODEL = 4,        /* bad model */
  DM_EXIT_RUNTIME = 5       /* runtime failure */
};

typedef int (*dm_cmd_fn)(int argc, char **argv);

typedef struct dm_command {
  const char *name;
  const char *summary; /* one line for `dimple --help` */
  const char *help;    /* full text for `dimple help NAME` / `dimple NAME --help` */
  dm_cmd_fn run;       /* NULL: not available yet */
} dm_command;

/* Help topics that are not commands (`dimple help template`). */
typedef struct dm_topic {
  const char *name, *summary, *text;
} dm_topic;
extern const dm_topic dm_topics[];
const dm_topic *dm_topic_find(const char *name);

/* The command table, terminated by an entry with name == NULL. */
extern const dm_command dm_commands[];
const dm_command *dm_command_find(const char *name);

/* Print the help of a command to stdout. */
void dm_cli_print_help(const dm_command *cmd);
/* "dimple NAME: message" on stderr plus a hint; returns DM_EXIT_USAGE. */
int dm_cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Report a library failure on stderr (formatted detail when err has one) and
 * return the exit code of its kind. */
int dm_cli_fail(const char *cmd, int status, const dm_error *err);
/* Exit code for a status code. */
int dm_cli_exit_code(int status);

/* Monotonic wall clock in milliseconds (for timings shown to the user). */
double dm_cli_now_ms(void);

struct cJSON;
/* Print a JSON value and a newline on f (compact: one line) and delete it (the
 * value is taken). DM_EXIT_OK, or DM_EXIT_RUNTIME when it cannot be printed. */
int dm_cli_print_json(FILE *f, struct cJSON *value, int compact);

/* Read a whole file ("-" or NULL: stdin) into *out (NUL-terminated, caller frees). */
int dm_cli_read_all(const char *path, char **out, size_t *len, dm_error *err);

/* Load the tokenizer of --model DIR or --tokenizer FILE; on failure reports on
 * stderr and returns the exit code (else DM_EXIT_OK). */
int dm_cli_load_tokenizer(const char *cmd, const char *model, const char *file, dm_tokenizer **tok);

/* A loaded format spec (cli/spec.c): its canvas, its language (NULL for free
 * text) and its form (for --prior, whose instruction goes into the prompt). */
typedef struct dm_cli_spec {
  char kind;          /* 's' schema file, 'p' form file, 't' template, 'r' regex, 0 free text */
  int is_json;
  dm_canvas *canvas;
  dm_lang *lang;
  dm_form *form;
} dm_cli_spec;
/* value: the file (schema, form) or the text (template, regex); max_tokens: budget of
 * a regex slot or a free text (0: default). Fills *out (release with
 * dm_cli_spec_free); errors name the source. */
int dm_cli_spec_load(dm_prior_env *env, char kind, const char *value, int max_tokens, dm_cli_spec *out,
                     dm_error *err);
void dm_cli_spec_free(dm_cli_spec *s);

int dm_cmd_info(int argc, char **argv);
int dm_cmd_compile(int argc, char **argv);
int dm_cmd_check(int argc, char **argv);
int dm_cmd_tokenize(int argc, char **argv);
int dm_cmd_detokenize(int argc, char **argv);
int dm_cmd_logits(int argc, char **argv);
int dm_cmd_generate(int argc, char **argv);
int dm_cmd_eval(int argc, char **argv);
extern const char dm_cmd_eval_help[]; /* cli/cmd_eval.c */
int dm_cmd_bench(int argc, char **argv);
int dm_cmd_train_tokenizer(int argc, char **argv);
int dm_cmd_train(int argc, char **argv);

/* Re-execute once with OPENBLAS_CORETYPE set when OpenBLAS misdetected the CPU
 * (cli/blas_env.c). Call first thing in main. */
void dm_cli_blas_env(char **argv);

/* Parse "1 2 3; 4 5 6" into B x T ids (cli/ids.c). *ids malloc'd, caller frees.
 * Returns 0, or -1 with *bad at the offending text. */
int dm_cli_parse_ids(const char *s, int32_t **ids, int *B, int *T, const char **bad);

#endif
