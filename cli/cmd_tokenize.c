/* dimple tokenize / dimple detokenize — a model's tokenizer on the command line. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"

/* All of stdin in a new buffer (caller frees); NULL on failure. */
static char *read_stdin(size_t *len) {
  char *text = NULL;
  return dm_cli_read_all("-", &text, len, NULL) == DM_OK ? text : NULL;
}

static void print_ids(const int32_t *ids, size_t n) {
  for (size_t i = 0; i < n; i++) printf(i ? " %d" : "%d", ids[i]);
  putchar('\n');
}

static int print_json_ids(const dm_tokenizer *tok, const int32_t *ids, size_t n, int compact) {
  cJSON *o = cJSON_CreateObject();
  cJSON *a = cJSON_AddArrayToObject(o, "ids");
  cJSON *p = cJSON_AddArrayToObject(o, "pieces");
  for (size_t i = 0; i < n; i++) {
    cJSON_AddItemToArray(a, cJSON_CreateNumber(ids[i]));
    cJSON_AddItemToArray(p, cJSON_CreateString(dm_tokenizer_token_piece(tok, ids[i])));
  }
  cJSON_AddNumberToObject(o, "count", (double)n);
  return dm_cli_print_json(stdout, o, compact);
}

static int encode_one(const char *cmd, const dm_tokenizer *tok, const char *text, size_t len, int flags,
                      int json, int compact) {
  int32_t *ids;
  size_t n;
  dm_error err;
  dm_error_clear(&err);
  int rc = dm_tokenizer_encode_alloc(tok, text, len, flags, &ids, &n, &err);
  if (rc) return dm_cli_fail(cmd, rc, &err);
  int ex = DM_EXIT_OK;
  if (json) ex = print_json_ids(tok, ids, n, compact);
  else print_ids(ids, n);
  free(ids);
  return ex;
}

static const char *flag_names[] = {"special", "control", "added", "byte_fallback", "unused", "unk"};

/* --info: vocabulary size, special tokens, chat family. */
static int print_info(const dm_tokenizer *tok, int json) {
  static const char *names[] = {"bos", "eos", "pad", "unk", "mask", "eot"};
  if (json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "vocab_size", dm_tokenizer_vocab_size(tok));
    cJSON *sp = cJSON_AddObjectToObject(o, "special");
    for (int i = 0; i < 6; i++) {
      int32_t id = dm_tokenizer_special_id(tok, (dm_special_token)i);
      if (id >= 0) cJSON_AddNumberToObject(sp, names[i], id);
      else cJSON_AddNullToObject(sp, names[i]);
    }
    cJSON_AddStringToObject(o, "chat_template", dm_chat_family_name(dm_tokenizer_chat_family(tok)));
    return dm_cli_print_json(stdout, o, 0);
  }
  printf("vocab size:    %d\n", dm_tokenizer_vocab_size(tok));
  for (int i = 0; i < 6; i++) {
    int32_t id = dm_tokenizer_special_id(tok, (dm_special_token)i);
    if (id >= 0) printf("%-4s token:    %d %s\n", names[i], id, dm_tokenizer_token_piece(tok, id));
    else printf("%-4s token:    none\n", names[i]);
  }
  printf("chat template: %s\n", dm_chat_family_name(dm_tokenizer_chat_family(tok)));
  return DM_EXIT_OK;
}

/* --vocab: one line per id: ID, flags, piece, the bytes it decodes to (hex). */
static int print_vocab(const dm_tokenizer *tok, int json) {
  int32_t n = dm_tokenizer_vocab_size(tok);
  for (int32_t id = 0; id < n; id++) {
    unsigned f = dm_tokenizer_token_flags(tok, id);
    size_t len;
    const unsigned char *b = (const unsigned char *)dm_tokenizer_token_bytes(tok, id, &len);
    char *hex = malloc(2 * len + 1);
    if (!hex) return DM_EXIT_RUNTIME;
    for (size_t i = 0; i < len; i++) snprintf(hex + 2 * i, 3, "%02x", b[i]);
    hex[2 * len] = 0;
    if (json) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddNumberToObject(o, "id", id);
      cJSON *fl = cJSON_AddArrayToObject(o, "flags");
      for (int k = 0; k < 6; k++)
        if (f & (1u << k)) cJSON_AddItemToArray(fl, cJSON_CreateString(flag_names[k]));
      cJSON_AddStringToObject(o, "piece", dm_tokenizer_token_piece(tok, id));
      cJSON_AddStringToObject(o, "bytes_hex", hex);
      dm_cli_print_json(stdout, o, 1);
    } else {
      char fs[96] = "";
      for (int k = 0; k < 6; k++)
        if (f & (1u << k)) snprintf(fs + strlen(fs), sizeof fs - strlen(fs), "%s%s", fs[0] ? "," : "", flag_names[k]);
      printf("%d\t%s\t%s\t%s\n", id, fs[0] ? fs : "-", dm_tokenizer_token_piece(tok, id), hex);
    }
    free(hex);
  }
  return DM_EXIT_OK;
}

int dm_cmd_tokenize(int argc, char **argv) {
  static const struct option opts[] = {
      {"model", required_argument, NULL, 'm'},  {"tokenizer", required_argument, NULL, 't'},
      {"special", no_argument, NULL, 's'},      {"json", no_argument, NULL, 'j'},
      {"lines", no_argument, NULL, 'l'},        {"chat", no_argument, NULL, 'c'},
      {"system", required_argument, NULL, 'S'}, {"help", no_argument, NULL, 'h'},
      {"info", no_argument, NULL, 'i'},         {"vocab", no_argument, NULL, 'v'},
      {NULL, 0, NULL, 0},
  };
  const char *model = NULL, *file = NULL, *system = NULL;
  int special = 0, json = 0, lines = 0, chat = 0, info = 0, vocab = 0;
  opterr = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
    switch (c) {
      case 'm': model = optarg; break;
      case 't': file = optarg; break;
      case 's': special = 1; break;
      case 'j': json = 1; break;
      case 'l': lines = 1; break;
      case 'c': chat = 1; break;
      case 'S': system = optarg; chat = 1; break;
      case 'i': info = 1; break;
      case 'v': vocab = 1; break;
      case 'h': dm_cli_print_help(dm_command_find("tokenize")); return DM_EXIT_OK;
      case ':': return dm_cli_usage_error("tokenize", "option '%s' needs a value", argv[optind - 1]);
      default: return dm_cli_usage_error("tokenize", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (!model == !file) return dm_cli_usage_error("tokenize", "give exactly one of --model DIR or --tokenizer FILE");
  if (optind + 1 < argc) return dm_cli_usage_error("tokenize", "expected one TEXT argument, got %d", argc - optind);
  if (lines && chat) return dm_cli_usage_error("tokenize", "--lines and --chat do not go together");
  if (info || vocab) {
    if (info && vocab) return dm_cli_usage_error("tokenize", "--info and --vocab do not go together");
    if (optind < argc || lines || chat || special)
      return dm_cli_usage_error("tokenize", "--%s takes no text and no other option but --json",
                                info ? "info" : "vocab");
    dm_tokenizer *t = NULL;
    int ex = dm_cli_load_tokenizer("tokenize", model, file, &t);
    if (ex) return ex;
    ex = info ? print_info(t, json) : print_vocab(t, json);
    dm_tokenizer_free(t);
    return ex;
  }
  char *text = NULL;
  size_t len;
  if (optind < argc && strcmp(argv[optind], "-") != 0) {
    text = strdup(argv[optind]);
    len = text ? strlen(text) : 0;
  } else {
    text = read_stdin(&len);
  }
  if (!text) {
    fprintf(stderr, "dimple tokenize: error: cannot read the text: %s\n", strerror(errno));
    return DM_EXIT_RUNTIME;
  }
  dm_tokenizer *tok = NULL;
  int ex = dm_cli_load_tokenizer("tokenize", model, file, &tok);
  if (ex) {
    free(text);
    return ex;
  }
  int flags = special ? DM_TOKENIZE_PARSE_SPECIAL : 0;
  if (chat) {
    dm_error err;
    dm_error_clear(&err);
    long n = dm_chat_format(tok, text, system, NULL, 0, &err);
    char *p = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (n < 0 || !p) {
      ex = dm_cli_fail("tokenize", n < 0 ? (int)n : DM_ENOMEM, &err);
    } else {
      dm_chat_format(tok, text, system, p, (size_t)n + 1, NULL);
      ex = encode_one("tokenize", tok, p, (size_t)n, DM_TOKENIZE_PARSE_SPECIAL, json, 0);
    }
    free(p);
  } else if (lines) {
    size_t pos = 0;
    while (pos < len && !ex) {
      char *nl = memchr(text + pos, '\n', len - pos);
      size_t e = nl ? (size_t)(nl - text) : len;
      ex = encode_one("tokenize", tok, text + pos, e - pos, flags, json, 1);
      pos = e + 1;
    }
  } else {
    ex = encode_one("tokenize", tok, text, len, flags, json, 0);
  }
  dm_tokenizer_free(tok);
  free(text);
  return ex;
}

int dm_cmd_detokenize(int argc, char **argv) {
  static const struct option opts[] = {
      {"model", required_argument, NULL, 'm'}, {"tokenizer", required_argument, NULL, 't'},
      {"skip-special", no_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
      {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
  };
  const char *model = NULL, *file = NULL;
  int skip = 0, json = 0;
  opterr = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
    switch (c) {
      case 'm': model = optarg; break;
      case 't': file = optarg; break;
      case 's': skip = 1; break;
      case 'j': json = 1; break;
      case 'h': dm_cli_print_help(dm_command_find("detokenize")); return DM_EXIT_OK;
      case ':': return dm_cli_usage_error("detokenize", "option '%s' needs a value", argv[optind - 1]);
      default: return dm_cli_usage_error("detokenize", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (!model == !file) return dm_cli_usage_error("detokenize", "give exactly one of --model DIR or --tokenizer FILE");
  /* ids: the arguments, or stdin when there are none or the only one is "-" */
  char *in = NULL;
  size_t len = 0;
  if (optind >= argc || (optind + 1 == argc && strcmp(argv[optind], "-") == 0)) {
    in = read_stdin(&len);
  } else {
    for (int i = optind; i < argc; i++) len += strlen(argv[i]) + 1;
    in = malloc(len + 1);
    if (in) {
      in[0] = 0;
      for (int i = optind; i < argc; i++) {
        strcat(in, argv[i]);
        strcat(in, " ");
      }
    }
  }
  if (!in) {
    fprintf(stderr, "dimple detokenize: error: cannot read the ids\n");
    return DM_EXIT_RUNTIME;
  }
  size_t cap = 64, n = 0;
  int32_t *ids = malloc(cap * sizeof *ids);
  for (char *p = in; ids && *p;) {
    if (strchr(" \t\r\n,[]", *p)) {
      p++;
      continue;
    }
    char *e;
    errno = 0;
    long v = strtol(p, &e, 10);
    if (e == p || errno || v < INT32_MIN || v > INT32_MAX || (*e && !strchr(" \t\r\n,[]", *e))) {
      int l = (int)strcspn(p, " \t\r\n,[]");
      int ex = dm_cli_usage_error("detokenize", "'%.*s' is not a token id", l > 40 ? 40 : l, p);
      free(ids);
      free(in);
      return ex;
    }
    if (n == cap) {
      int32_t *ni = realloc(ids, 2 * cap * sizeof *ids);
      if (!ni) break;
      ids = ni;
      cap *= 2;
    }
    ids[n++] = (int32_t)v;
    p = e;
  }
  free(in);
  if (!ids) return DM_EXIT_RUNTIME;
  dm_tokenizer *tok = NULL;
  int ex = dm_cli_load_tokenizer("detokenize", model, file, &tok);
  if (ex) {
    free(ids);
    return ex;
  }
  dm_error err;
  dm_error_clear(&err);
  int flags = skip ? DM_DETOKENIZE_SKIP_SPECIAL : 0;
  long tl = dm_tokenizer_decode(tok, ids, n, flags, NULL, 0, &err);
  char *text = tl >= 0 ? malloc((size_t)tl + 1) : NULL;
  if (tl < 0 || !text) {
    ex = dm_cli_fail("detokenize", tl < 0 ? (int)tl : DM_ENOMEM, &err);
  } else {
    dm_tokenizer_decode(tok, ids, n, flags, text, (size_t)tl + 1, NULL);
    if (json) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "text", text);
      cJSON_AddNumberToObject(o, "count", (double)n);
      ex = dm_cli_print_json(stdout, o, 0);
    } else {
      fwrite(text, 1, (size_t)tl, stdout);
    }
  }
  free(text);
  free(ids);
  dm_tokenizer_free(tok);
  return ex;
}
