/* dimple logits — one forward pass, logits of chosen rows. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Rows: "t t ..." (sequence 0, or every sequence when B > 1 and no b given) or
 * "b:t b:t ...". Returns n rows as pairs in *rows (malloc'd), -1 on bad text. */
static int parse_rows(const char *s, int B, int32_t **rows, const char **bad) {
  size_t cap = 16, n = 0;
  int32_t *r = malloc(cap * 2 * sizeof *r);
  const char *p = s;
  if (!r) return -1;
  for (;;) {
    while (*p == ' ' || *p == ',' || *p == '\t') p++;
    if (!*p) break;
    char *end;
    errno = 0;
    long a = strtol(p, &end, 10), b = -1, t;
    if (end == p || errno || a < 0 || a > 1 << 30) goto fail;
    if (*end == ':') {
      b = a;
      const char *q = end + 1;
      t = strtol(q, &end, 10);
      if (end == q || t < 0 || t > 1 << 30) goto fail;
    } else {
      t = a;
    }
    if (*end && !strchr(" ,\t", *end)) goto fail;
    for (int bb = (b >= 0 ? (int)b : 0); bb < (b >= 0 ? (int)b + 1 : B); bb++) {
      if (n == cap) {
        int32_t *nr = realloc(r, cap * 4 * sizeof *nr);
        if (!nr) goto fail;
        r = nr;
        cap *= 2;
      }
      r[2 * n] = bb;
      r[2 * n + 1] = (int32_t)t;
      n++;
    }
    p = end;
  }
  *rows = r;
  return (int)n;
fail:
  *bad = p;
  free(r);
  return -1;
}

int dm_cmd_logits(int argc, char **argv) {
  static const struct option opts[] = {
      {"model", required_argument, NULL, 'm'},
      {"ids", required_argument, NULL, 'i'},
      {"rows", required_argument, NULL, 'r'},
      {"causal", no_argument, NULL, 'c'},
      {"out", required_argument, NULL, 'o'},
      {"cache-ids", required_argument, NULL, 'C'},
      {"cache-len", required_argument, NULL, 'L'},
      {"threads", required_argument, NULL, 't'},
      {"reference", no_argument, NULL, 'R'},
      {"device", required_argument, NULL, 'D'},
      {"precision", required_argument, NULL, 'Q'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  const char *model = NULL, *ids_s = NULL, *rows_s = NULL, *out = NULL, *cids_s = NULL;
  int causal = 0, cache_len = -1, threads = 0, reference = 0, device = DM_DEVICE_CPU, device_index = 0,
      precision = DM_PRECISION_AUTO;
  opterr = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    char *end;
    switch (c) {
      case 'm': model = optarg; break;
      case 'i': ids_s = optarg; break;
      case 'r': rows_s = optarg; break;
      case 'c': causal = 1; break;
      case 'o': out = optarg; break;
      case 'C': cids_s = optarg; break;
      case 'L':
        cache_len = (int)strtol(optarg, &end, 10);
        if (*end || end == optarg || cache_len < 0)
          return dm_cli_usage_error("logits", "--cache-len wants a non-negative integer, got '%s'", optarg);
        break;
      case 't':
        threads = (int)strtol(optarg, &end, 10);
        if (*end || end == optarg || threads < 1 || threads > 256)
          return dm_cli_usage_error("logits", "--threads wants 1..256, got '%s'", optarg);
        break;
      case 'R': reference = 1; break;
      case 'D':
        if (dm_device_parse(optarg, &device, &device_index, NULL))
          return dm_cli_usage_error("logits", "--device wants cpu, cuda, cuda:N or auto, not '%s'", optarg);
        break;
      case 'Q':
        if (dm_precision_parse(optarg, &precision, NULL))
          return dm_cli_usage_error("logits", "--precision wants auto, f32 or native, not '%s'", optarg);
        break;
      case 'h': dm_cli_print_help(dm_command_find("logits")); return DM_EXIT_OK;
      default:
        if (optopt) return dm_cli_usage_error("logits", "option '%s' needs a value or is unknown", argv[optind - 1]);
        return dm_cli_usage_error("logits", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return dm_cli_usage_error("logits", "unexpected argument '%s'", argv[optind]);
  if (reference && device != DM_DEVICE_CPU)
    return dm_cli_usage_error("logits", "--reference runs the CPU reference kernels; it cannot be combined with --device %s",
                              device == DM_DEVICE_AUTO ? "auto" : "cuda");
  if (!model) return dm_cli_usage_error("logits", "--model DIR is required");
  if (!ids_s) return dm_cli_usage_error("logits", "--ids \"1 2 3 ...\" is required");
  if ((cids_s != NULL) != (cache_len >= 0))
    return dm_cli_usage_error("logits", "--cache-ids and --cache-len go together");

  int32_t *ids = NULL, *cids = NULL, *rows = NULL;
  int B, T, cB = 0, cT = 0;
  const char *bad = NULL;
  if (dm_cli_parse_ids(ids_s, &ids, &B, &T, &bad) != 0)
    return dm_cli_usage_error("logits", "--ids: bad token list at '%.20s' (ids are non-negative "
                              "integers; ';' separates sequences of equal length)", bad);
  int ret = DM_EXIT_OK;
  if (cids_s && dm_cli_parse_ids(cids_s, &cids, &cB, &cT, &bad) != 0) {
    ret = dm_cli_usage_error("logits", "--cache-ids: bad token list at '%.20s'", bad);
    goto out;
  }
  if (cids && (cB != B || cT != T)) {
    ret = dm_cli_usage_error("logits", "--cache-ids is %d x %d but --ids is %d x %d", cB, cT, B, T);
    goto out;
  }
  if (cids && cache_len >= T) {
    ret = dm_cli_usage_error("logits", "--cache-len %d must be below the sequence length %d", cache_len, T);
    goto out;
  }
  int q0 = cids ? cache_len : 0, n_rows;
  if (rows_s) {
    n_rows = parse_rows(rows_s, B, &rows, &bad);
    if (n_rows < 0) {
      ret = dm_cli_usage_error("logits", "--rows: bad row at '%.20s' (use \"t ...\" or \"b:t ...\")", bad);
      goto out;
    }
  } else {
    n_rows = B * (T - q0);
    rows = malloc(sizeof(int32_t) * 2 * (size_t)n_rows);
    if (!rows) {
      ret = DM_EXIT_RUNTIME;
      goto out;
    }
    for (int b = 0, i = 0; b < B; b++)
      for (int t = q0; t < T; t++, i++) {
        rows[2 * i] = b;
        rows[2 * i + 1] = t;
      }
  }

  dm_model_params mp = dm_model_default_params();
  mp.n_threads = threads;
  mp.reference_kernels = reference;
  mp.device = device;
  mp.precision = precision;
  mp.device_index = device_index;
  dm_model *m = NULL;
  dm_kvcache *kc = NULL;
  float *lg = NULL;
  dm_error err;
  dm_error_clear(&err);
  int rc = dm_model_load(model, &mp, &m, &err);
  if (rc) {
    ret = dm_cli_fail("logits", rc, &err);
    goto out;
  }
  dm_model_info mi;
  dm_model_info_get(m, &mi);
  lg = malloc(sizeof(float) * (size_t)(n_rows ? n_rows : 1) * (size_t)mi.vocab);
  if (!lg) {
    ret = dm_cli_fail("logits", DM_ENOMEM, NULL);
    goto done;
  }
  dm_forward_batch fb;
  memset(&fb, 0, sizeof fb);
  fb.B = B;
  fb.T = T;
  fb.causal = causal;
  if (cids) {
    rc = dm_kvcache_new(m, &kc, &err);
    if (rc == DM_OK) {
      fb.ids = cids;
      fb.mode = DM_FORWARD_PREFILL;
      fb.cache_len = cache_len;
      fb.cache = kc;
      rc = dm_forward(m, &fb, NULL, &err);
    }
    fb.mode = DM_FORWARD_CACHED;
    /* The cached positions must carry the same ids: take them from --cache-ids. */
    for (int b = 0; rc == DM_OK && b < B; b++)
      for (int t = 0; t < cache_len; t++)
        if (ids[(size_t)b * T + t] != cids[(size_t)b * T + t]) {
          rc = dm_error_set(&err, DM_EINVAL,
                            "--ids differs from --cache-ids at (%d, %d), inside the cached prefix", b, t);
          break;
        }
  }
  if (rc == DM_OK) {
    fb.ids = ids;
    fb.n_rows = n_rows;
    fb.rows = rows;
    rc = dm_forward(m, &fb, lg, &err);
  }
  if (rc) {
    ret = dm_cli_fail("logits", rc, &err);
    goto done;
  }
  if (out) {
    FILE *fp = fopen(out, "wb");
    if (!fp) {
      fprintf(stderr, "dimple logits: error: cannot write %s: %s\n", out, strerror(errno));
      ret = DM_EXIT_RUNTIME;
      goto done;
    }
    /* raw little-endian f32, row after row (x86-64 is little-endian) */
    size_t nw = fwrite(lg, sizeof(float), (size_t)n_rows * (size_t)mi.vocab, fp);
    if (fclose(fp) != 0 || nw != (size_t)n_rows * (size_t)mi.vocab) {
      fprintf(stderr, "dimple logits: error: short write to %s\n", out);
      ret = DM_EXIT_RUNTIME;
      goto done;
    }
    fprintf(stderr, "dimple logits: wrote %d rows x %d floats to %s\n", n_rows, mi.vocab, out);
  } else {
    printf("{\"vocab\": %d, \"logits_shift\": %s, \"rows\": [", mi.vocab, mi.logits_shift ? "true" : "false");
    for (int i = 0; i < n_rows; i++) printf("%s[%d, %d]", i ? ", " : "", rows[2 * i], rows[2 * i + 1]);
    printf("],\n \"logits\": [");
    for (int i = 0; i < n_rows; i++) {
      printf("%s\n  [", i ? "," : "");
      for (int j = 0; j < mi.vocab; j++) printf("%s%.9g", j ? ", " : "", (double)lg[(size_t)i * mi.vocab + j]);
      printf("]");
    }
    printf("]}\n");
  }
done:
  free(lg);
  dm_kvcache_free(kc);
  dm_model_free(m);
out:
  free(ids);
  free(cids);
  free(rows);
  return ret;
}
