/* dimple info — build configuration and compute devices. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"

static int print_json(const dm_build_info *bi, int ndev, const char *why) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "version", bi->version);
  cJSON_AddStringToObject(root, "blas", bi->blas);
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
  char *s = cJSON_Print(root);
  cJSON_Delete(root);
  if (!s) return DM_EXIT_RUNTIME;
  puts(s);
  cJSON_free(s);
  return DM_EXIT_OK;
}

int dm_cmd_info(int argc, char **argv) {
  static const struct option opts[] = {
      {"json", no_argument, NULL, 'j'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  int json = 0;
  opterr = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
      case 'j': json = 1; break;
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

  if (json) return print_json(&bi, ndev, why);

  printf("dimple %s\n", bi.version);
  printf("BLAS:         %s (cblas_sbgemm: %s)\n", bi.blas, bi.blas_sbgemm ? "yes" : "no");
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
  return DM_EXIT_OK;
}
