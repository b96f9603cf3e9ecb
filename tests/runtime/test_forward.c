/* The forward pass on small random models: fast kernels vs reference twins, prefill
 * cache semantics, causal masking, batch independence, row selection, bad batches;
 * model directories on disk: single vs sharded files, and every bad-checkpoint case
 * with the file and tensor named. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dimple/runtime.h>

static dm_model_shape tiny(dm_model_family f, dm_dtype dt) {
  dm_model_shape s = {f, dt, 2, 32, 4, f == DM_FAMILY_LLADA ? 4 : 2, 48, 61, 10000.0, 0};
  return s;
}

static dm_model *random_model_amx(dm_model_family f, dm_dtype dt, int ref, int amx) {
  dm_model_shape s = tiny(f, dt);
  dm_model_params p = dm_model_default_params();
  p.n_threads = 2;
  p.reference_kernels = ref;
  p.amx = amx & 1;
  p.no_small_kernel = (amx & 2) != 0;
  dm_model *m = NULL;
  dm_error e;
  ck_assert_int_eq(dm_model_new_random(&s, 7, &p, &m, &e), DM_OK);
  return m;
}

static dm_model *random_model(dm_model_family f, dm_dtype dt, int ref) { return random_model_amx(f, dt, ref, 1); }

static double maxabs(const float *a, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; i++) m = fabs(a[i]) > m ? fabs(a[i]) : m;
  return m;
}
static double maxdiff(const float *a, const float *b, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)a[i] - b[i]);
    if (!(d <= m)) m = d;
  }
  return m;
}

#define B_ 2
#define T_ 9
static const int32_t IDS[B_ * T_] = {3, 17, 42, 5, 60, 8, 9, 11, 0, 1, 2, 55, 4, 33, 21, 40, 12, 7};

/* All rows of all sequences, or of positions >= t0. */
static int all_rows(int B, int T, int t0, int32_t *rows) {
  int n = 0;
  for (int b = 0; b < B; b++)
    for (int t = t0; t < T; t++) {
      rows[2 * n] = b;
      rows[2 * n + 1] = t;
      n++;
    }
  return n;
}

static void run(dm_model *m, const int32_t *ids, int B, int T, int causal, const int32_t *rows, int n,
                dm_forward_mode mode, int C, dm_kvcache *kc, float *out) {
  dm_forward_batch fb = {B, T, ids, causal, n, rows, mode, C, kc};
  dm_error e;
  dm_error_clear(&e);
  int rc = dm_forward(m, &fb, out, &e);
  ck_assert_msg(rc == DM_OK, "forward failed: %s", e.message);
}

START_TEST(fast_matches_reference_forward) {
  for (int f = DM_FAMILY_LLADA; f <= DM_FAMILY_DIMPLE; f++)
    for (int v = 0; v < 9; v++) {
      /* v 0-2: F32/BF16/F16 defaults; 3-5: the same, BLAS only (no small-M kernel,
       * no AMX); 6-8: AMX allowed, no small-M kernel */
      int dt = v % 3, amx = v < 3 ? 1 : v < 6 ? 2 : 3;
      dm_model *a = random_model_amx((dm_model_family)f, (dm_dtype)dt, 0, amx),
               *b = random_model((dm_model_family)f, (dm_dtype)dt, 1);
      dm_model_info mi;
      dm_model_info_get(a, &mi);
      int32_t rows[2 * B_ * T_];
      int n = all_rows(B_, T_, 0, rows);
      float *la = malloc(sizeof(float) * n * mi.vocab), *lb = malloc(sizeof(float) * n * mi.vocab);
      for (int causal = 0; causal < 2; causal++) {
        run(a, IDS, B_, T_, causal, rows, n, DM_FORWARD_FULL, 0, NULL, la);
        run(b, IDS, B_, T_, causal, rows, n, DM_FORWARD_FULL, 0, NULL, lb);
        double scale = maxabs(lb, (size_t)n * mi.vocab);
        ck_assert_double_gt(scale, 1e-3);
        ck_assert_msg(maxdiff(la, lb, (size_t)n * mi.vocab) <= 1e-4 * scale,
                      "family %d dtype %d causal %d: diff %g scale %g", f, dt, causal,
                      maxdiff(la, lb, (size_t)n * mi.vocab), scale);
      }
      free(la);
      free(lb);
      dm_model_free(a);
      dm_model_free(b);
    }
}
END_TEST

START_TEST(prefill_cache_equals_full_on_unchanged_canvas) {
  for (int f = DM_FAMILY_LLADA; f <= DM_FAMILY_DIMPLE; f++) {
    dm_model *m = random_model((dm_model_family)f, DM_DTYPE_F32, 0);
    dm_model_info mi;
    dm_model_info_get(m, &mi);
    dm_kvcache *kc;
    dm_error e;
    ck_assert_int_eq(dm_kvcache_new(m, &kc, &e), DM_OK);
    for (int C = 1; C < T_; C += 3) {
      for (int causal = 0; causal < 2; causal++) {
        int32_t rows[2 * B_ * T_];
        int n = all_rows(B_, T_, C, rows);
        float *full = malloc(sizeof(float) * n * mi.vocab), *cached = malloc(sizeof(float) * n * mi.vocab);
        run(m, IDS, B_, T_, causal, rows, n, DM_FORWARD_FULL, 0, NULL, full);
        run(m, IDS, B_, T_, causal, rows, n, DM_FORWARD_PREFILL, C, kc, cached);
        ck_assert_int_eq(dm_kvcache_len(kc, NULL), C);
        ck_assert_double_eq(maxdiff(full, cached, (size_t)n * mi.vocab), 0.0); /* prefill = full run */
        memset(cached, 0, sizeof(float) * n * mi.vocab);
        run(m, IDS, B_, T_, causal, rows, n, DM_FORWARD_CACHED, C, kc, cached);
        double scale = maxabs(full, (size_t)n * mi.vocab);
        ck_assert_msg(maxdiff(full, cached, (size_t)n * mi.vocab) <= 1e-5 * scale, "family %d C %d: %g", f, C,
                      maxdiff(full, cached, (size_t)n * mi.vocab));
        /* A changed canvas: cached differs from unchanged (the canvas is really
         * recomputed) and from a full run (the prompt K/V really are frozen). */
        if (!causal) {
          int32_t ids2[B_ * T_];
          memcpy(ids2, IDS, sizeof ids2);
          ids2[T_ - 1] = (ids2[T_ - 1] + 1) % mi.vocab;
          ids2[2 * T_ - 1] = (ids2[2 * T_ - 1] + 5) % mi.vocab;
          float *c2 = malloc(sizeof(float) * n * mi.vocab), *f2 = malloc(sizeof(float) * n * mi.vocab);
          run(m, ids2, B_, T_, 0, rows, n, DM_FORWARD_CACHED, C, kc, c2);
          run(m, ids2, B_, T_, 0, rows, n, DM_FORWARD_FULL, 0, NULL, f2);
          ck_assert_double_gt(maxdiff(c2, cached, (size_t)n * mi.vocab), 1e-4 * scale);
          ck_assert_double_gt(maxdiff(c2, f2, (size_t)n * mi.vocab), 1e-6 * scale);
          free(c2);
          free(f2);
        }
        free(full);
        free(cached);
      }
    }
    dm_kvcache_free(kc);
    dm_model_free(m);
  }
}
END_TEST

START_TEST(causal_and_batch_semantics) {
  dm_model *m = random_model(DM_FAMILY_DREAM, DM_DTYPE_BF16, 0);
  dm_model_info mi;
  dm_model_info_get(m, &mi);
  ck_assert_int_eq(mi.logits_shift, 1);
  int V = mi.vocab;
  int32_t rows[2 * B_ * T_];
  int n = all_rows(B_, T_, 0, rows);
  float *bi = malloc(sizeof(float) * n * V), *ca = malloc(sizeof(float) * n * V), *ca2 = malloc(sizeof(float) * n * V);
  run(m, IDS, B_, T_, 0, rows, n, DM_FORWARD_FULL, 0, NULL, bi);
  run(m, IDS, B_, T_, 1, rows, n, DM_FORWARD_FULL, 0, NULL, ca);
  ck_assert_double_gt(maxdiff(bi, ca, (size_t)V), 1e-3);
  /* causal: changing the last token leaves earlier positions untouched */
  int32_t ids2[B_ * T_];
  memcpy(ids2, IDS, sizeof ids2);
  ids2[T_ - 1] = (ids2[T_ - 1] + 3) % V;
  run(m, ids2, B_, T_, 1, rows, n, DM_FORWARD_FULL, 0, NULL, ca2);
  ck_assert_double_eq(maxdiff(ca, ca2, (size_t)(T_ - 1) * V), 0.0);
  ck_assert_double_gt(maxdiff(ca + (size_t)(T_ - 1) * V, ca2 + (size_t)(T_ - 1) * V, (size_t)V), 1e-4);
  /* bidirectional: it changes them */
  run(m, ids2, B_, T_, 0, rows, n, DM_FORWARD_FULL, 0, NULL, ca2);
  ck_assert_double_gt(maxdiff(bi, ca2, (size_t)V), 1e-4);
  /* batch rows are independent: sequence 1 alone gives the same logits */
  int32_t r1[2 * T_];
  int n1 = all_rows(1, T_, 0, r1);
  float *one = malloc(sizeof(float) * n1 * V);
  run(m, IDS + T_, 1, T_, 0, r1, n1, DM_FORWARD_FULL, 0, NULL, one);
  ck_assert_double_lt(maxdiff(one, bi + (size_t)T_ * V, (size_t)T_ * V), 1e-5);
  /* one row asked for = that row of the full answer */
  int32_t pick[2] = {1, 4};
  run(m, IDS, B_, T_, 0, pick, 1, DM_FORWARD_FULL, 0, NULL, one);
  ck_assert_double_lt(maxdiff(one, bi + (size_t)(T_ + 4) * V, (size_t)V), 1e-5);
  free(bi);
  free(ca);
  free(ca2);
  free(one);
  dm_model_free(m);
}
END_TEST

START_TEST(bad_batches) {
  dm_model *m = random_model(DM_FAMILY_LLADA, DM_DTYPE_F32, 0);
  dm_model *m2 = random_model(DM_FAMILY_LLADA, DM_DTYPE_F32, 0);
  dm_kvcache *kc;
  dm_error e;
  ck_assert_int_eq(dm_kvcache_new(m, &kc, &e), DM_OK);
  float out[61 * 4];
  int32_t ids[4] = {1, 2, 3, 61}; /* 61 is outside the vocabulary */
  int32_t rows[2] = {0, 3};
  dm_forward_batch fb = {1, 4, ids, 0, 1, rows, DM_FORWARD_FULL, 0, NULL};
  ck_assert_int_eq(dm_forward(m, &fb, out, &e), DM_ERANGE);
  ids[3] = 4;
  rows[1] = 4;
  ck_assert_int_eq(dm_forward(m, &fb, out, &e), DM_ERANGE);
  rows[1] = 3;
  fb.B = 0;
  ck_assert_int_eq(dm_forward(m, &fb, out, &e), DM_EINVAL);
  fb.B = 1;
  fb.mode = DM_FORWARD_CACHED;
  fb.cache = kc;
  fb.cache_len = 2;
  ck_assert_int_eq(dm_forward(m, &fb, out, &e), DM_EINVAL); /* empty cache */
  fb.mode = DM_FORWARD_PREFILL;
  ck_assert_int_eq(dm_forward(m, &fb, out, &e), DM_OK);
  fb.mode = DM_FORWARD_CACHED;
  rows[1] = 1; /* a cached position */
  ck_assert_int_eq(dm_forward(m, &fb, out, &e), DM_ERANGE);
  rows[1] = 3;
  ids[0] = 9; /* the cached prefix changed */
  ck_assert_int_eq(dm_forward(m, &fb, out, &e), DM_EINVAL);
  ids[0] = 1;
  ck_assert_int_eq(dm_forward(m, &fb, out, &e), DM_OK);
  fb.cache_len = 3; /* the cache holds 2 */
  ck_assert_int_eq(dm_forward(m, &fb, out, &e), DM_EINVAL);
  fb.cache_len = 2;
  ck_assert_int_eq(dm_forward(m2, &fb, out, &e), DM_EINVAL); /* another model's cache */
  ck_assert_uint_gt(dm_kvcache_bytes(kc), 0);
  dm_kvcache_clear(kc);
  ck_assert_int_eq(dm_kvcache_len(kc, NULL), 0);
  dm_kvcache_free(kc);
  dm_kvcache_free(NULL);
  dm_model_free(m);
  dm_model_free(m2);
  dm_model_free(NULL);
}
END_TEST

/* ------------------------------------------------------------------ on disk */

static char tmpdir[256];

static uint64_t wst = 1;
static float wrand(void) {
  wst = wst * 6364136223846793005ull + 1442695040888963407ull;
  return (float)((wst >> 40) * (1.0 / 16777216.0)) * 0.4f - 0.2f;
}

typedef struct tspec {
  char name[96];
  int r, c;          /* c = 0: vector */
  const char *dtype; /* "F32" | "BF16" | "I32" ... */
} tspec;

/* Tensors of a tiny Dream checkpoint (hidden 32, 4 heads, 2 kv heads, ffn 48, vocab 61). */
static int dream_specs(tspec *t, const char *dt) {
  int n = 0;
#define T(R, C, ...) (snprintf(t[n].name, sizeof t[n].name, __VA_ARGS__), t[n].r = R, t[n].c = C, t[n].dtype = dt, n++)
  T(61, 32, "model.embed_tokens.weight");
  for (int l = 0; l < 2; l++) {
    T(32, 0, "model.layers.%d.input_layernorm.weight", l);
    T(32, 32, "model.layers.%d.self_attn.q_proj.weight", l);
    T(32, 0, "model.layers.%d.self_attn.q_proj.bias", l);
    T(16, 32, "model.layers.%d.self_attn.k_proj.weight", l);
    T(16, 0, "model.layers.%d.self_attn.k_proj.bias", l);
    T(16, 32, "model.layers.%d.self_attn.v_proj.weight", l);
    T(16, 0, "model.layers.%d.self_attn.v_proj.bias", l);
    T(32, 32, "model.layers.%d.self_attn.o_proj.weight", l);
    T(32, 0, "model.layers.%d.post_attention_layernorm.weight", l);
    T(48, 32, "model.layers.%d.mlp.gate_proj.weight", l);
    T(48, 32, "model.layers.%d.mlp.up_proj.weight", l);
    T(32, 48, "model.layers.%d.mlp.down_proj.weight", l);
  }
  T(32, 0, "model.norm.weight");
  T(61, 32, "lm_head.weight");
#undef T
  return n;
}

static void write_st(const char *path, const tspec *t, int n) {
  char *hdr = malloc(1 << 16);
  size_t hl = 0, off = 0;
  hl += (size_t)sprintf(hdr + hl, "{\"__metadata__\":{\"format\":\"pt\"}");
  for (int i = 0; i < n; i++) {
    size_t es = strcmp(t[i].dtype, "F32") == 0 || strcmp(t[i].dtype, "I32") == 0 ? 4 : 2;
    size_t sz = (size_t)t[i].r * (t[i].c ? t[i].c : 1) * es;
    if (t[i].c)
      hl += (size_t)sprintf(hdr + hl, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[%d,%d],\"data_offsets\":[%zu,%zu]}", t[i].name,
                            t[i].dtype, t[i].r, t[i].c, off, off + sz);
    else
      hl += (size_t)sprintf(hdr + hl, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[%d],\"data_offsets\":[%zu,%zu]}", t[i].name,
                            t[i].dtype, t[i].r, off, off + sz);
    off += sz;
  }
  hl += (size_t)sprintf(hdr + hl, "}");
  while (hl % 8) hdr[hl++] = ' ';
  FILE *fp = fopen(path, "wb");
  ck_assert_ptr_nonnull(fp);
  uint64_t l64 = hl;
  fwrite(&l64, 8, 1, fp);
  fwrite(hdr, 1, hl, fp);
  for (int i = 0; i < n; i++) {
    size_t cnt = (size_t)t[i].r * (t[i].c ? t[i].c : 1);
    int norm = strstr(t[i].name, "norm") != NULL;
    for (size_t j = 0; j < cnt; j++) {
      float f = norm ? 1.0f + wrand() : wrand();
      if (strcmp(t[i].dtype, "F32") == 0 || strcmp(t[i].dtype, "I32") == 0) {
        fwrite(&f, 4, 1, fp);
      } else {
        uint32_t u;
        memcpy(&u, &f, 4);
        uint16_t h = (uint16_t)(u >> 16);
        fwrite(&h, 2, 1, fp);
      }
    }
  }
  fclose(fp);
  free(hdr);
}

static const char *DREAM_CFG =
    "{\"model_type\":\"Dream\",\"hidden_size\":32,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
    "\"num_hidden_layers\":2,\"intermediate_size\":%d,\"vocab_size\":61,\"rope_theta\":10000.0,"
    "\"rms_norm_eps\":1e-6,\"tie_word_embeddings\":false,\"mask_token_id\":60,\"%s\":1}";

static void write_cfg(const char *dir, int ff, const char *model_type_key) {
  char p[512], buf[1024];
  snprintf(p, sizeof p, "%s/config.json", dir);
  snprintf(buf, sizeof buf, DREAM_CFG, ff, "x");
  if (model_type_key) { /* replace the model type */
    char *q = strstr(buf, "\"Dream\"");
    char rest[1024];
    snprintf(rest, sizeof rest, "%s", q + 7);
    snprintf(q, sizeof buf - (size_t)(q - buf), "\"%s\"%s", model_type_key, rest);
  }
  FILE *fp = fopen(p, "w");
  fputs(buf, fp);
  fclose(fp);
}

static char *mkdir_model(const char *name) {
  static char p[512];
  snprintf(p, sizeof p, "%s/%s", tmpdir, name);
  mkdir(p, 0755);
  return p;
}

static int load(const char *dir, dm_model **m, dm_error *e) {
  dm_error_clear(e);
  return dm_model_load(dir, NULL, m, e);
}

START_TEST(single_and_sharded_files_agree) {
  tspec t[64];
  int n = dream_specs(t, "BF16");
  char d1[512], d2[512], p[600];
  snprintf(d1, sizeof d1, "%s", mkdir_model("single"));
  write_cfg(d1, 48, NULL);
  wst = 1;
  snprintf(p, sizeof p, "%s/model.safetensors", d1);
  write_st(p, t, n);
  snprintf(d2, sizeof d2, "%s", mkdir_model("sharded"));
  write_cfg(d2, 48, NULL);
  wst = 1;
  snprintf(p, sizeof p, "%s/model-00001-of-00002.safetensors", d2);
  write_st(p, t, 10);
  snprintf(p, sizeof p, "%s/model-00002-of-00002.safetensors", d2);
  write_st(p, t + 10, n - 10);
  snprintf(p, sizeof p, "%s/model.safetensors.index.json", d2);
  FILE *fp = fopen(p, "w");
  fprintf(fp, "{\"metadata\":{},\"weight_map\":{");
  for (int i = 0; i < n; i++)
    fprintf(fp, "%s\"%s\":\"model-0000%d-of-00002.safetensors\"", i ? "," : "", t[i].name, i < 10 ? 1 : 2);
  fprintf(fp, "}}");
  fclose(fp);
  dm_model *a = NULL, *b = NULL;
  dm_error e;
  ck_assert_msg(load(d1, &a, &e) == DM_OK, "%s", e.message);
  ck_assert_msg(load(d2, &b, &e) == DM_OK, "%s", e.message);
  dm_model_info ia, ib;
  dm_model_info_get(a, &ia);
  dm_model_info_get(b, &ib);
  ck_assert_int_eq(ia.n_files, 1);
  ck_assert_int_eq(ib.n_files, 2);
  ck_assert_int_eq(ia.dtype, DM_DTYPE_BF16);
  ck_assert_int_eq(ia.mask_id, 60);
  ck_assert_int_eq(ia.family, DM_FAMILY_DREAM);
  ck_assert_uint_eq(ia.n_params, ib.n_params);
  ck_assert_uint_eq(ia.n_params, 61 * 32 * 2 + 2 * (32 * 2 + 32 * 32 * 2 + 32 + 16 * 32 * 2 + 32 + 3 * 48 * 32) + 32);
  int32_t rows[2 * T_];
  int nr = all_rows(1, T_, 0, rows);
  float *la = malloc(sizeof(float) * nr * 61), *lb = malloc(sizeof(float) * nr * 61);
  run(a, IDS, 1, T_, 0, rows, nr, DM_FORWARD_FULL, 0, NULL, la);
  run(b, IDS, 1, T_, 0, rows, nr, DM_FORWARD_FULL, 0, NULL, lb);
  ck_assert_double_eq(maxdiff(la, lb, (size_t)nr * 61), 0.0);
  ck_assert_double_gt(maxabs(la, (size_t)nr * 61), 1e-3);
  free(la);
  free(lb);
  dm_model_free(a);
  dm_model_free(b);
}
END_TEST

static void expect_load_error(const char *dir, int code, const char *where, const char *source_part) {
  dm_model *m = NULL;
  dm_error e;
  int rc = load(dir, &m, &e);
  ck_assert_msg(rc == code, "%s: expected %d, got %d (%s)", dir, code, rc, e.message);
  ck_assert_ptr_null(m);
  ck_assert_int_eq(dm_err_kind_of(rc), DM_KIND_MODEL);
  if (where) ck_assert_msg(strcmp(e.where, where) == 0, "where '%s' != '%s'", e.where, where);
  if (source_part) ck_assert_msg(strstr(e.source, source_part) != NULL, "source '%s' lacks '%s'", e.source, source_part);
}

START_TEST(bad_checkpoints_are_named) {
  tspec t[64];
  char p[600];
  int n = dream_specs(t, "F32");
  /* missing tensor */
  char *d = mkdir_model("missing");
  write_cfg(d, 48, NULL);
  snprintf(p, sizeof p, "%s/model.safetensors", d);
  write_st(p, t, n - 1); /* no lm_head */
  expect_load_error(d, DM_ETENSOR, "lm_head.weight", "model.safetensors");
  /* shape mismatch with the config */
  d = mkdir_model("shape");
  write_cfg(d, 40, NULL);
  snprintf(p, sizeof p, "%s/model.safetensors", d);
  write_st(p, t, n);
  expect_load_error(d, DM_ETENSOR, "model.layers.0.mlp.gate_proj.weight", "shape/model.safetensors");
  /* unsupported dtype */
  d = mkdir_model("dtype");
  write_cfg(d, 48, NULL);
  t[3].dtype = "I32";
  snprintf(p, sizeof p, "%s/model.safetensors", d);
  write_st(p, t, n);
  t[3].dtype = "F32";
  expect_load_error(d, DM_EDTYPE, t[3].name, "dtype/model.safetensors");
  /* unknown model_type */
  d = mkdir_model("mtype");
  write_cfg(d, 48, "gpt2");
  snprintf(p, sizeof p, "%s/model.safetensors", d);
  write_st(p, t, n);
  expect_load_error(d, DM_EMODEL, "model_type", "mtype/config.json");
  /* truncated file */
  d = mkdir_model("trunc");
  write_cfg(d, 48, NULL);
  snprintf(p, sizeof p, "%s/model.safetensors", d);
  write_st(p, t, n);
  struct stat st;
  stat(p, &st);
  ck_assert_int_eq(truncate(p, st.st_size - 100), 0);
  expect_load_error(d, DM_EFORMAT, "lm_head.weight", "trunc/model.safetensors");
  /* a tensor in two shards */
  d = mkdir_model("dup");
  write_cfg(d, 48, NULL);
  snprintf(p, sizeof p, "%s/a.safetensors", d);
  write_st(p, t, 12);
  snprintf(p, sizeof p, "%s/b.safetensors", d);
  write_st(p, t + 11, n - 11);
  snprintf(p, sizeof p, "%s/model.safetensors.index.json", d);
  FILE *fp = fopen(p, "w");
  fprintf(fp, "{\"weight_map\":{\"%s\":\"a.safetensors\",\"%s\":\"b.safetensors\"}}", t[0].name, t[n - 1].name);
  fclose(fp);
  expect_load_error(d, DM_ETENSOR, t[11].name, ".safetensors");
  /* the index names a shard that lacks the tensor */
  fp = fopen(p, "w");
  fprintf(fp, "{\"weight_map\":{\"%s\":\"a.safetensors\",\"%s\":\"b.safetensors\"}}", t[n - 1].name, t[0].name);
  fclose(fp);
  expect_load_error(d, DM_ETENSOR, t[n - 1].name, "dup/a.safetensors");
  /* no weights, no config */
  d = mkdir_model("empty");
  write_cfg(d, 48, NULL);
  expect_load_error(d, DM_EMODEL, NULL, "empty");
  d = mkdir_model("nocfg");
  expect_load_error(d, DM_EMODEL, NULL, "nocfg/config.json");
}
END_TEST

static void rm_rf(const char *dir) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

int main(void) {
  snprintf(tmpdir, sizeof tmpdir, "%s/dimple-fwd.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (!mkdtemp(tmpdir)) return EXIT_FAILURE;
  dm_log_set_level(DM_LOG_ERROR);
  Suite *s = suite_create("forward");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, fast_matches_reference_forward);
  tcase_add_test(tc, prefill_cache_equals_full_on_unchanged_canvas);
  tcase_add_test(tc, causal_and_batch_semantics);
  tcase_add_test(tc, bad_batches);
  tcase_add_test(tc, single_and_sharded_files_agree);
  tcase_add_test(tc, bad_checkpoints_are_named);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_NOFORK);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  rm_rf(tmpdir);
  return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
