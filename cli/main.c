/* dimple — command entry: global options, subcommand dispatch, help. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void print_usage(FILE *out) {
  fprintf(out,
          "Usage: dimple [--help | --version] COMMAND [ARGS...]\n"
          "\n"
          "Structured generation with discrete diffusion language models: compile a format\n"
          "spec (JSON Schema, regex, template, YAML form) into a canvas of fixed tokens and\n"
          "masked slots, then let a diffusion LM fill only the slots.\n"
          "\n"
          "Commands:\n");
  for (const dm_command *c = dm_commands; c->name; c++)
    fprintf(out, "  %-11s %s%s\n", c->name, c->summary, c->run ? "" : " (not available yet)");
  fprintf(out,
          "\n"
          "Help topics:\n");
  for (const dm_topic *t = dm_topics; t->name; t++) fprintf(out, "  %-11s %s\n", t->name, t->summary);
  fprintf(out,
          "\n"
          "Run 'dimple help COMMAND' or 'dimple COMMAND --help' for a command's options.\n"
          "\n"
          "Exit status: 0 ok, 1 check failed / no match, 2 usage error, 3 bad spec,\n"
          "4 bad model, 5 runtime failure.\n");
}

static int not_available(const dm_command *cmd) {
  fprintf(stderr, "dimple %s: not available yet in this version (%s)\n", cmd->name,
          dm_version());
  return DM_EXIT_USAGE;
}

static int run_help(int argc, char **argv) {
  if (argc < 2) {
    print_usage(stdout);
    return DM_EXIT_OK;
  }
  if (argc > 2) return dm_cli_usage_error("help", "expected one command name, got %d", argc - 1);
  const dm_command *cmd = dm_command_find(argv[1]);
  const dm_topic *topic = cmd ? NULL : dm_topic_find(argv[1]);
  if (topic) {
    fputs(topic->text, stdout);
    return DM_EXIT_OK;
  }
  if (!cmd) return dm_cli_usage_error("help", "unknown command or topic '%s'", argv[1]);
  dm_cli_print_help(cmd);
  return DM_EXIT_OK;
}

int main(int argc, char **argv) {
  dm_cli_blas_env(argv);
  if (argc < 2) {
    print_usage(stderr);
    return DM_EXIT_USAGE;
  }
  const char *first = argv[1];
  if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
    print_usage(stdout);
    return DM_EXIT_OK;
  }
  if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0) {
    printf("dimple %s\n", dm_version());
    return DM_EXIT_OK;
  }
  if (strcmp(first, "help") == 0) return run_help(argc - 1, argv + 1);
  if (first[0] == '-') return dm_cli_usage_error(NULL, "unknown option '%s'", first);

  const dm_command *cmd = dm_command_find(first);
  if (!cmd) return dm_cli_usage_error(NULL, "unknown command '%s'", first);
  if (!cmd->run) {
    for (int i = 2; i < argc; i++)
      if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
        dm_cli_print_help(cmd);
        return DM_EXIT_OK;
      }
    return not_available(cmd);
  }
  return cmd->run(argc - 1, argv + 1);
}
