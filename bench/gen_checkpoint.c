/* Write a random-weight checkpoint with Dream-v0-7B's exact config and tensor names
 * in BF16, sharded like the published one (model-0000K-of-0000N.safetensors +
 * model.safetensors.index.json). About 15 GB. Not part of CI: bench/dream7b.sh uses
 * it to measure loading and one step of a 7B model.
 *
 *   gen_checkpoint DIR [N_SHARDS]
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HIDDEN 3584
#define FFN 18944
#define HEADS 28
#define KV 4
#define LAYERS 28
#define VOCAB 152064
#define HD (HIDDEN / HEADS)

static const char *CONFIG =
    "{\n"
    "  \"architectures\": [\"DreamModel\"],\n"
    "  \"attention_dropout\": 0.0,\n"
    "  \"bos_token_id\": 151643,\n"
    "  \"eos_token_id\": 151643,\n"
    "  \"hidden_act\": \"silu\",\n"
    "  \"hidden_size\": 3584,\n"
    "  \"initializer_range\": 0.02,\n"
    "  \"intermediate_size\": 18944,\n"
    "  \"mask_token_id\": 151666,\n"
    "  \"max_position_embeddings\": 131072,\n"
    "  \"max_window_layers\": 28,\n"
    "  \"model_type\": \"Dream\",\n"
    "  \"num_attention_heads\": 28,\n"
    "  \"num_hidden_layers\": 28,\n"
    "  \"num_key_value_heads\": 4,\n"
    "  \"pad_token_id\": 151643,\n"
    "  \"rms_norm_eps\": 1e-06,\n"
    "  \"rope_scaling\": null,\n"
    "  \"rope_theta\": 1000000.0,\n"
    "  \"sliding_window\": null,\n"
    "  \"tie_word_embeddings\": false,\n"
    "  \"torch_dtype\": \"bfloat16\",\n"
    "  \"use_cache\": true,\n"
    "  \"use_sliding_window\": false,\n"
    "  \"vocab_size\": 152064\n"
    "}\n";

typedef struct spec {
  char name[96];
  long rows, cols; /* cols 0: vector */
  int kind;        /* 0 matrix, 1 norm, 2 bias */
  int shard;
  uint64_t begin, end;
} spec;

static int list(spec *s) {
  int n = 0;
#define ADD(R, C, K, ...) (snprintf(s[n].name, sizeof s[n].name, __VA_ARGS__), s[n].rows = R, s[n].cols = C, s[n].kind = K, n++)
  ADD(VOCAB, HIDDEN, 0, "model.embed_tokens.weight");
  for (int l = 0; l < LAYERS; l++) {
    ADD(HIDDEN, 0, 1, "model.layers.%d.input_layernorm.weight", l);
    ADD(HEADS * HD, HIDDEN, 0, "model.layers.%d.self_attn.q_proj.weight", l);
    ADD(HEADS * HD, 0, 2, "model.layers.%d.self_attn.q_proj.bias", l);
    ADD(KV * HD, HIDDEN, 0, "model.layers.%d.self_attn.k_proj.weight", l);
    ADD(KV * HD, 0, 2, "model.layers.%d.self_attn.k_proj.bias", l);
    ADD(KV * HD, HIDDEN, 0, "model.layers.%d.self_attn.v_proj.weight", l);
    ADD(KV * HD, 0, 2, "model.layers.%d.self_attn.v_proj.bias", l);
    ADD(HIDDEN, HEADS * HD, 0, "model.layers.%d.self_attn.o_proj.weight", l);
    ADD(HIDDEN, 0, 1, "model.layers.%d.post_attention_layernorm.weight", l);
    ADD(FFN, HIDDEN, 0, "model.layers.%d.mlp.gate_proj.weight", l);
    ADD(FFN, HIDDEN, 0, "model.layers.%d.mlp.up_proj.weight", l);
    ADD(HIDDEN, FFN, 0, "model.layers.%d.mlp.down_proj.weight", l);
  }
  ADD(HIDDEN, 0, 1, "model.norm.weight");
  ADD(VOCAB, HIDDEN, 0, "lm_head.weight");
#undef ADD
  return n;
}

static uint64_t rs = 0x1234567;
static uint16_t bf16_rand(float scale) {
  rs ^= rs << 13;
  rs ^= rs >> 7;
  rs ^= rs << 17;
  float f = ((float)(rs >> 40) * (1.0f / 16777216.0f) * 2.0f - 1.0f) * scale;
  uint32_t u;
  memcpy(&u, &f, 4);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: gen_checkpoint DIR [N_SHARDS]\n");
    return 2;
  }
  const char *dir = argv[1];
  int nsh = argc > 2 ? atoi(argv[2]) : 4;
  if (nsh < 1 || nsh > 99) nsh = 4;
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
    perror(dir);
    return 1;
  }
  static spec s[LAYERS * 12 + 8];
  int n = list(s);
  uint64_t total = 0;
  for (int i = 0; i < n; i++) total += 2ull * (uint64_t)s[i].rows * (uint64_t)(s[i].cols ? s[i].cols : 1);
  /* assign shards by cumulative size */
  uint64_t acc = 0, off[100] = {0};
  for (int i = 0; i < n; i++) {
    uint64_t sz = 2ull * (uint64_t)s[i].rows * (uint64_t)(s[i].cols ? s[i].cols : 1);
    int k = (int)(acc * (uint64_t)nsh / total);
    if (k >= nsh) k = nsh - 1;
    s[i].shard = k;
    s[i].begin = off[k];
    s[i].end = off[k] + sz;
    off[k] += sz;
    acc += sz;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/config.json", dir);
  FILE *fp = fopen(path, "w");
  if (!fp) { perror(path); return 1; }
  fputs(CONFIG, fp);
  fclose(fp);
  snprintf(path, sizeof path, "%s/generation_config.json", dir);
  fp = fopen(path, "w");
  if (!fp) { perror(path); return 1; }
  fputs("{\"bos_token_id\": 151643, \"eos_token_id\": 151643, \"pad_token_id\": 151643, \"mask_token_id\": null}\n", fp);
  fclose(fp);
  snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
  fp = fopen(path, "w");
  if (!fp) { perror(path); return 1; }
  fprintf(fp, "{\"metadata\": {\"total_size\": %llu}, \"weight_map\": {", (unsigned long long)total);
  for (int i = 0; i < n; i++)
    fprintf(fp, "%s\n  \"%s\": \"model-%05d-of-%05d.safetensors\"", i ? "," : "", s[i].name, s[i].shard + 1, nsh);
  fprintf(fp, "\n}}\n");
  fclose(fp);
  size_t bufn = 1 << 23;
  uint16_t *buf = malloc(bufn * 2);
  char *hdr = malloc(1 << 20);
  if (!buf || !hdr) return 1;
  for (int k = 0; k < nsh; k++) {
    size_t hl = (size_t)sprintf(hdr, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (int i = 0; i < n; i++) {
      if (s[i].shard != k) continue;
      if (s[i].cols)
        hl += (size_t)sprintf(hdr + hl, ",\"%s\":{\"dtype\":\"BF16\",\"shape\":[%ld,%ld],\"data_offsets\":[%llu,%llu]}",
                              s[i].name, s[i].rows, s[i].cols, (unsigned long long)s[i].begin,
                              (unsigned long long)s[i].end);
      else
        hl += (size_t)sprintf(hdr + hl, ",\"%s\":{\"dtype\":\"BF16\",\"shape\":[%ld],\"data_offsets\":[%llu,%llu]}",
                              s[i].name, s[i].rows, (unsigned long long)s[i].begin, (unsigned long long)s[i].end);
    }
    hdr[hl++] = '}';
    while (hl % 8) hdr[hl++] = ' ';
    snprintf(path, sizeof path, "%s/model-%05d-of-%05d.safetensors", dir, k + 1, nsh);
    fp = fopen(path, "wb");
    if (!fp) { perror(path); return 1; }
    uint64_t l64 = hl;
    fwrite(&l64, 8, 1, fp);
    fwrite(hdr, 1, hl, fp);
    for (int i = 0; i < n; i++) {
      if (s[i].shard != k) continue;
      uint64_t cnt = (uint64_t)s[i].rows * (uint64_t)(s[i].cols ? s[i].cols : 1);
      float scale = s[i].kind == 0 ? 1.0f / sqrtf((float)s[i].cols) : 0.02f;
      while (cnt) {
        size_t m = cnt < bufn ? (size_t)cnt : bufn;
        for (size_t j = 0; j < m; j++) buf[j] = s[i].kind == 1 ? 0x3f80 : bf16_rand(scale);
        if (fwrite(buf, 2, m, fp) != m) { perror(path); return 1; }
        cnt -= m;
      }
    }
    if (fclose(fp) != 0) { perror(path); return 1; }
    fprintf(stderr, "wrote %s\n", path);
  }
  free(buf);
  free(hdr);
  fprintf(stderr, "%s: %d tensors, %.2f GB of BF16 weights in %d shards\n", dir, n, (double)total / 1e9, nsh);
  return 0;
}
