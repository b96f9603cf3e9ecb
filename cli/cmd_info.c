/* dimple info — build configuration and compute devices. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"

/* The model part of `dimple info --model DIR`. */
static void model_json(cJSON *root, const dm_model_info *mi) {
  cJSON *o = cJSON_AddObjectToObject(root, "model");
  cJSON_AddStringToObject(o, "family", dm_model_family_name(mi->family));
  cJSON_AddStringToObject(o, "model_type", mi->model_type);
  cJSON_AddStringToObject(o, "dtype", dm_dtype_name(mi->dtype));
  cJSON_AddNumberToObject(o, "parameters", (double)mi->n_params);
  cJSON_AddNumberToObject(o, "weight_bytes", (double)mi->weight_bytes);
  cJSON_AddNumberToObject(o, "files", mi->n_files);
  cJSON_AddNumberToObject(o, "layers", mi->n_layers);
  cJSON_AddNumberToObject(o, "hidden", mi->d_model);
  cJSON_AddNumberToObject(o, "heads", mi->n_heads);
  cJSON_AddNumberToObject(o, "kv_heads", mi->n_kv_heads);
  cJSON_AddNumberToObject(o, "head_dim", mi->head_dim);
  cJSON_AddNumberToObject(o, "ffn", mi->d_ff);
  cJSON_AddNumberToObject(o, "vocab", mi->vocab);
  cJSON_AddNumberToObject(o, "rope_theta", mi->rope_theta);
  cJSON_AddNumberToObject(o, "rms_norm_eps", mi->rms_eps);
  cJSON_AddBoolToObject(o, "tied_embeddings", mi->tied_embeddings);
  cJSON_AddBoolToObject(o, "logits_shift", mi->logits_shift);
  cJSON_AddNumberToObject(o, "mask_id", mi->mask_id);
  cJSON_AddNumberToObject(o, "eos_id", mi->eos_id);
  cJSON_AddNumberToObject(o, "pad_id", mi->pad_id);
  cJSON_AddNumberToObject(o, "bos_id", mi->bos_id);
  cJSON_AddNumberToObject(o, "skipped_tensors", mi->n_skipped);
}

static void model_text(const char *dir, const dm_model_info *mi) {
  printf("Model:        %s\n", dir);
  printf("  family:     %s (model_type \"%s\"), logits %s\n", dm_model_family_name(mi->family),
         mi->model_type, mi->logits_shift ? "shifted (position i predicts i+1)" : "not shifted");
  printf("  parameters: %llu (%.2f B), dtype %s, %d file%s\n", (unsigned long long)mi->n_params,
         (double)mi->n_params / 1e9, dm_dtype_name(mi->dtype), mi->n_files, mi->n_files == 1 ? "" : "s");
  printf("  layers:     %d, hidden %d, heads %d (kv %d, head dim %d), ffn %d\n", mi->n_layers,
         mi->d_model, mi->n_heads, mi->n_kv_heads, mi->head_dim, mi->d_ff);
  printf("  vocab:      %d%s, rope theta %g, rms eps %g\n", mi->vocab,
         mi->tied_embeddings ? " (tied embeddings)" : "", mi->rope_theta, mi->rms_eps);
  printf("  special:    mask %d, eos %d, pad %d, bos %d (-1: unknown)\n", mi->mask_id, mi->eos_id,
         mi->pad_id, mi->bos_id);
  printf("  memory:     %.1f MiB of weights mapped (not copied)%s\n",
         (double)mi->weight_bytes / 1048576.0,
         mi->n_skipped ? "; some tensors not used (e.g. vision tower)" : "");
}

static int print_json(const dm_build_info *bi, int ndev, const char *why, const dm_model_info *mi) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "version", bi->version);
  cJSON_AddStringToObject(root, "blas", bi->blas);
  cJSON_AddStringToObject(root, "blas_core", dm_blas_corename());
  cJSON_AddBoolToObject(root, "blas_sbgemm", bi->blas_sbgemm);
  cJSON_AddBoolToObject(root, "cuda_compiled", bi->cuda_compiled);
  cJSON_AddStringToObject(root, "cuda_dir", bi->cuda_dir);
  cJSON_AddBoolToObject(root, "sanitizers", bi->sanitizers);
  cJSON *devs = cJSON_AddArrayToObject(root, "cuda_devices");
  for (int i = 0; i < ndev; i++) {
    dm_device_info di;
    if (dm_cuda_device_info(i, &di, NULL) != DM_OK) continue;
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "index", di.index);
    cJSON_AddStringToObject(d, "name", di.name);
    cJSON_AddNumberToObject(d, "total_memory", (double)di.total_memory);
    char cc[32];
    snprintf(cc, sizeof cc, "%d.%d", di.cc_major, di.cc_minor);
    cJSON_AddStringToObject(d, "compute_capability", cc);
    cJSON_AddItemToArray(devs, d);
  }
  if (ndev == 0) cJSON_AddStringToObject(root, "cuda_note", why);
  if (mi) model_json(root, mi);
  return dm_cli_print_json(stdout, root, 0);
}

int dm_cmd_info(int argc, char **argv) {
  static const struct option opts[] = {
      {"json", no_argument, NULL, 'j'},
      {"model", required_argument, NULL, 'm'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  int json = 0;
  const char *model = NULL;
  opterr = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
      case 'j': json = 1; break;
      case 'm': model = optarg; break;
      case 'h': dm_cli_print_help(dm_command_find("info")); return DM_EXIT_OK;
      default: return dm_cli_usage_error("info", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return dm_cli_usage_error("info", "unexpected argument '%s'", argv[optind]);

  dm_build_info bi;
  dm_build_info_get(&bi);
  int ndev = 0;
  dm_error err;
  dm_error_clear(&err);
  dm_cuda_device_count(&ndev, &err);
  const char *why = err.message[0] ? err.message : "no CUDA device";

  dm_model *m = NULL;
  dm_model_info mi;
  if (model) {
    dm_error merr;
    dm_error_clear(&merr);
    int rc = dm_model_load(model, NULL, &m, &merr);
    if (rc) return dm_cli_fail("info", rc, &merr);
    dm_model_info_get(m, &mi);
  }
  if (json) {
    int r = print_json(&bi, ndev, why, m ? &mi : NULL);
    dm_model_free(m);
    return r;
  }

  printf("dimple %s\n", bi.version);
  printf("BLAS:         %s (cblas_sbgemm: %s)\n", bi.blas, bi.blas_sbgemm ? "yes" : "no");
  const char *ct = getenv("OPENBLAS_CORETYPE");
  printf("BLAS core:    %s%s%s%s\n", dm_blas_corename(), ct ? " (OPENBLAS_CORETYPE=" : "", ct ? ct : "",
         ct ? ")" : "");
  if (bi.cuda_compiled)
    printf("CUDA:         compiled in (%s)\n", bi.cuda_dir);
  else
    printf("CUDA:         not compiled in\n");
  if (ndev == 0) {
    printf("CUDA devices: none (%s)\n", why);
  } else {
    printf("CUDA devices: %d\n", ndev);
    for (int i = 0; i < ndev; i++) {
      dm_device_info di;
      if (dm_cuda_device_info(i, &di, &err) != DM_OK) {
        printf("  [%d] error: %s\n", i, err.message);
        continue;
      }
      printf("  [%d] %s, %.1f GiB, compute capability %d.%d\n", i, di.name,
             (double)di.total_memory / (1024.0 * 1024.0 * 1024.0), di.cc_major, di.cc_minor);
    }
  }
  printf("Sanitizers:   %s\n", bi.sanitizers ? "ASan + UBSan" : "no");
  if (m) model_text(model, &mi);
  dm_model_free(m);
  return DM_EXIT_OK;
}
