/* dimple train-tokenizer — learn a byte-level BPE tokenizer from text files. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "../train/bpe.h"
#include "cli.h"

int dm_cmd_train_tokenizer(int argc, char **argv) {
  static const struct option opts[] = {
      {"vocab-size", required_argument, NULL, 'v'},
      {"out", required_argument, NULL, 'o'},
      {"special", required_argument, NULL, 's'},
      {"min-count", required_argument, NULL, 'm'},
      {"split", required_argument, NULL, 'S'},
      {"json", no_argument, NULL, 'j'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  dm_bpe_params p;
  dm_bpe_default_params(&p);
  const char *out = NULL;
  int json = 0, have_vocab = 0;
  const char **specials = calloc((size_t)argc + 1, sizeof *specials);
  if (!specials) return dm_cli_fail("train-tokenizer", DM_ENOMEM, NULL);
  size_t n_specials = 0;
  opterr = 0;
  optind = 1;
  int c, r;
  char *end;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
      case 'v': {
        long v = strtol(optarg, &end, 10);
        if (*optarg == 0 || *end || v < 1 || v > (1L << 24)) {
          free(specials);
          return dm_cli_usage_error("train-tokenizer", "--vocab-size wants a number in [1, 16777216], not '%s'",
                                    optarg);
        }
        p.vocab_size = (int32_t)v;
        have_vocab = 1;
        break;
      }
      case 'm': {
        long v = strtol(optarg, &end, 10);
        if (*optarg == 0 || *end || v < 1) {
          free(specials);
          return dm_cli_usage_error("train-tokenizer", "--min-count wants a number >= 1, not '%s'", optarg);
        }
        p.min_count = v;
        break;
      }
      case 'S':
        if (strcmp(optarg, "qwen") == 0) p.split = DM_BPE_SPLIT_QWEN;
        else if (strcmp(optarg, "isolated") == 0) p.split = DM_BPE_SPLIT_ISOLATED;
        else {
          free(specials);
          return dm_cli_usage_error("train-tokenizer", "--split wants qwen or isolated, not '%s'", optarg);
        }
        break;
      case 'o': out = optarg; break;
      case 's': specials[n_specials++] = optarg; break;
      case 'j': json = 1; break;
      case 'h':
        free(specials);
        dm_cli_print_help(dm_command_find("train-tokenizer"));
        return DM_EXIT_OK;
      default:
        free(specials);
        return dm_cli_usage_error("train-tokenizer", "unknown option or missing value '%s'", argv[optind - 1]);
    }
  }
  r = DM_EXIT_OK;
  if (!have_vocab) r = dm_cli_usage_error("train-tokenizer", "--vocab-size N is required");
  else if (!out) r = dm_cli_usage_error("train-tokenizer", "--out DIR is required");
  else if (optind >= argc) r = dm_cli_usage_error("train-tokenizer", "no corpus file given");
  if (r) {
    free(specials);
    return r;
  }
  p.specials = specials;
  p.n_specials = n_specials;
  dm_error err;
  dm_error_clear(&err);
  dm_bpe *b = NULL;
  int rc = dm_bpe_create(&p, &b, &err);
  free(specials);
  if (rc) return dm_cli_fail("train-tokenizer", rc, &err);
  double t0 = dm_cli_now_ms() / 1e3;
  for (int i = optind; i < argc && !rc; i++) rc = dm_bpe_add_file(b, argv[i], &err);
  double t1 = dm_cli_now_ms() / 1e3;
  if (!rc) rc = dm_bpe_train(b, &err);
  double t2 = dm_cli_now_ms() / 1e3;
  if (!rc) rc = dm_bpe_write(b, out, &err);
  if (rc) {
    dm_bpe_free(b);
    return dm_cli_fail("train-tokenizer", rc, &err);
  }
  dm_bpe_stats st;
  dm_bpe_stats_get(b, &st);
  dm_bpe_free(b);
  if (st.vocab_size < p.vocab_size)
    fprintf(stderr,
            "dimple train-tokenizer: warning: vocabulary of %d ids, not %d: no more pairs occur "
            "--min-count times in the corpus\n",
            st.vocab_size, p.vocab_size);
  if (json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "out", out);
    cJSON_AddNumberToObject(o, "vocab_size", st.vocab_size);
    cJSON_AddNumberToObject(o, "merges", st.merges);
    cJSON_AddNumberToObject(o, "bytes", (double)st.bytes);
    cJSON_AddNumberToObject(o, "words", (double)st.words);
    cJSON_AddNumberToObject(o, "unique_words", (double)st.unique_words);
    cJSON_AddNumberToObject(o, "count_s", t1 - t0);
    cJSON_AddNumberToObject(o, "train_s", t2 - t1);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s) return DM_EXIT_RUNTIME;
    puts(s);
    cJSON_free(s);
  } else {
    printf("%s/tokenizer.json: vocabulary %d (256 bytes, %d merges, specials), from %llu bytes, "
           "%llu words (%llu distinct); counting %.2f s, merging %.2f s\n",
           out, st.vocab_size, st.merges, (unsigned long long)st.bytes, (unsigned long long)st.words,
           (unsigned long long)st.unique_words, t1 - t0, t2 - t1);
  }
  return DM_EXIT_OK;
}
