/* dimple generate — fill a format spec with a diffusion LM: options, model lookup. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen.h"

int dm_cmd_generate(int argc, char **argv) {
  static const struct option opts[] = {
      {"model", required_argument, NULL, 'm'},     {"tokenizer", required_argument, NULL, 'T'},
      {"prior", required_argument, NULL, 'P'},     {"schema", required_argument, NULL, 's'},
      {"regex", required_argument, NULL, 'r'},     {"template", required_argument, NULL, 't'},
      {"prompt", required_argument, NULL, 'p'},    {"prompt-file", required_argument, NULL, 'F'},
      {"max-tokens", required_argument, NULL, 'n'}, {"strategy", required_argument, NULL, 'S'},
      {"threshold", required_argument, NULL, 'x'}, {"steps", required_argument, NULL, 'k'},
      {"block-length", required_argument, NULL, 'b'}, {"temperature", required_argument, NULL, 'e'},
      {"top-k", required_argument, NULL, 'K'},     {"top-p", required_argument, NULL, 'N'},
      {"seed", required_argument, NULL, 'd'},      {"no-prefill", no_argument, NULL, 'C'},
      {"raw-prompt", no_argument, NULL, 'R'},      {"json", no_argument, NULL, 'j'},
      {"progress", no_argument, NULL, 'g'},        {"visual", no_argument, NULL, 'v'},
      {"batch", required_argument, NULL, 'B'},     {"out", required_argument, NULL, 'o'},
      {"threads", required_argument, NULL, 'H'},   {"renorm-confidence", no_argument, NULL, 'Z'},
      {"device", required_argument, NULL, 'D'},   {"precision", required_argument, NULL, 'Q'},
      {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
  };
  gen_req r;
  memset(&r, 0, sizeof r);
  r.dp = dm_decode_default_params();
  const char *model = NULL, *tfile = NULL, *prompt_file = NULL, *batch = NULL, *outp = NULL;
  int nspec = 0, json = 0, prefill = 1, progress = 0, visual = 0;
  long threads = 0, lv;
  int device = DM_DEVICE_CPU, device_index = 0, precision = DM_PRECISION_AUTO;

  opterr = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "hp:", opts, NULL)) != -1) {
    switch (c) {
      case 'm': model = optarg; break;
      case 'T': tfile = optarg; break;
      case 'P': case 's': case 'r': case 't':
        r.kind = c == 'P' ? 'p' : (char)c;
        r.spec = optarg;
        nspec++;
        break;
      case 'p': r.prompt = optarg; break;
      case 'F': prompt_file = optarg; break;
      case 'n': if (dm_gen_parse_int(CMD, "--max-tokens", optarg, 1, 4096, &lv)) return DM_EXIT_USAGE; r.max_tokens = (int)lv; break;
      case 'S':
        if (dm_strategy_parse(optarg, &r.dp.strategy))
          return dm_cli_usage_error(CMD, "unknown strategy '%s' (confident, maskgit, margin, entropy, random, blocks, fastdllm)", optarg);
        break;
      case 'x': if (dm_gen_parse_num(CMD, "--threshold", optarg, 0, 1, &r.dp.threshold)) return DM_EXIT_USAGE; break;
      case 'k': if (dm_gen_parse_int(CMD, "--steps", optarg, 1, 1 << 20, &lv)) return DM_EXIT_USAGE; r.dp.steps = (int)lv; break;
      case 'b': if (dm_gen_parse_int(CMD, "--block-length", optarg, 1, 4096, &lv)) return DM_EXIT_USAGE; r.dp.block_length = (int)lv; break;
      case 'e': if (dm_gen_parse_num(CMD, "--temperature", optarg, 0, 100, &r.dp.temperature)) return DM_EXIT_USAGE; break;
      case 'K': if (dm_gen_parse_int(CMD, "--top-k", optarg, 0, 1 << 20, &lv)) return DM_EXIT_USAGE; r.dp.top_k = (int)lv; break;
      case 'N': if (dm_gen_parse_num(CMD, "--top-p", optarg, 1e-9, 1, &r.dp.top_p)) return DM_EXIT_USAGE; break;
      case 'd': {
        char *end;
        errno = 0;
        unsigned long long s = strtoull(optarg, &end, 10);
        if (end == optarg || *end || errno || optarg[0] == '-')
          return dm_cli_usage_error(CMD, "--seed wants a non-negative integer, not '%s'", optarg);
        r.dp.seed = s;
        break;
      }
      case 'C': prefill = 0; break;
      case 'R': r.raw_prompt = 1; break;
      case 'j': json = 1; break;
      case 'g': progress = 1; break;
      case 'v': visual = 1; break;
      case 'B': batch = optarg; break;
      case 'o': outp = optarg; break;
      case 'H': if (dm_gen_parse_int(CMD, "--threads", optarg, 1, 256, &threads)) return DM_EXIT_USAGE; break;
      case 'Z': r.dp.renorm_confidence = 1; break;
      case 'D':
        if (dm_device_parse(optarg, &device, &device_index, NULL))
          return dm_cli_usage_error(CMD, "--device wants cpu, cuda, cuda:N or auto, not '%s'", optarg);
        break;
      case 'Q':
        if (dm_precision_parse(optarg, &precision, NULL))
          return dm_cli_usage_error(CMD, "--precision wants auto, f32 or native, not '%s'", optarg);
        break;
      case 'h': dm_cli_print_help(dm_command_find(CMD)); return DM_EXIT_OK;
      default:
        if (optopt && optopt != 'h') return dm_cli_usage_error(CMD, "option '%s' needs an argument", argv[optind - 1]);
        return dm_cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) {
    if (r.prompt || prompt_file || optind + 1 < argc)
      return dm_cli_usage_error(CMD, "unexpected argument '%s' (give the prompt once: -p TEXT, --prompt-file FILE, one argument or stdin)", argv[optind]);
    r.prompt = argv[optind];
  }
  if (nspec > 1) return dm_cli_usage_error(CMD, "give at most one spec: --prior, --schema, --regex or --template");
  if (r.prompt && prompt_file) return dm_cli_usage_error(CMD, "give the prompt once: -p TEXT or --prompt-file FILE");
  if (outp && !batch) return dm_cli_usage_error(CMD, "--out goes with --batch");
  if (batch && (r.prompt || prompt_file)) return dm_cli_usage_error(CMD, "--batch takes the prompts from its lines");

  const char *mdir = dm_gen_find_model(model);
  if (!mdir) {
    fprintf(stderr, "dimple " CMD ": error: no model: pass --model DIR (a diffusion LM checkpoint directory) or set DIMPLE_MODEL [DM_EMODEL]\n");
    return DM_EXIT_MODEL;
  }
  char *owned_prompt = NULL;
  if (!batch && (prompt_file || !r.prompt)) {
    size_t len = 0;
    dm_error err;
    dm_error_clear(&err);
    int rc = dm_cli_read_all(prompt_file, &owned_prompt, &len, &err);
    if (rc) return dm_cli_fail(CMD, rc, &err);
    while (len && (owned_prompt[len - 1] == '\n' || owned_prompt[len - 1] == '\r')) owned_prompt[--len] = 0;
    r.prompt = owned_prompt;
  }

  gen_ctx g;
  memset(&g, 0, sizeof g);
  int ex = DM_EXIT_OK, rc;
  dm_error err;
  dm_error_clear(&err);
  g.device = device;
  g.device_index = device_index;
  g.precision = precision;
  ex = dm_gen_ctx_open(&g, CMD, mdir, tfile, (int)threads, prefill);
  if (ex) goto out;
  g.progress = progress && isatty(2);
  g.visual = visual && isatty(2) && !batch;
  if (batch) {
    ex = dm_gen_batch(&g, &r, batch, outp);
    goto out;
  }
  cJSON *res = NULL;
  rc = dm_gen_one(&g, &r, &res, &err);
  if (rc) {
    ex = dm_cli_fail(CMD, rc, &err);
  } else if (json) {
    char *s = cJSON_PrintUnformatted(res);
    if (s) puts(s);
    cJSON_free(s);
  } else {
    puts(cJSON_GetObjectItemCaseSensitive(res, "text")->valuestring);
  }
  cJSON_Delete(res);
out:
  dm_gen_ctx_free(&g);
  free(owned_prompt);
  return ex;
}

