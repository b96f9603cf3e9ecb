/* Internal declarations of the model runtime (not installed). */
#ifndef DM_MODEL_INTERNAL_H
#define DM_MODEL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <dimple/model.h>

/* ------------------------------------------------------------------ safetensors */

/* Storage dtypes a safetensors header may name (sizes known); only F32/BF16/F16
 * are computable. */
typedef enum dm_st_dtype {
  DM_ST_F32 = 0, DM_ST_BF16, DM_ST_F16, /* computable: same values as dm_dtype */
  DM_ST_F64, DM_ST_I64, DM_ST_U64, DM_ST_I32, DM_ST_U32, DM_ST_I16, DM_ST_U16,
  DM_ST_I8, DM_ST_U8, DM_ST_BOOL, DM_ST_F8_E4M3, DM_ST_F8_E5M2
} dm_st_dtype;

#define DM_ST_MAX_DIMS 8

typedef struct dm_st_tensor {
  char *name;          /* owned by the file */
  dm_st_dtype dtype;
  int ndim;
  int64_t shape[DM_ST_MAX_DIMS];
  uint64_t numel;
  uint64_t begin, end; /* byte offsets relative to the data section */
  const void *data;    /* into the mapping (or an aligned copy), NULL until bound */
  int file;            /* index of the file in a dm_st_set */
} dm_st_tensor;

typedef struct dm_st_file {
  char *path;            /* owned */
  void *map;             /* mmap of the whole file (NULL for in-memory parse) */
  size_t size;
  uint64_t header_len;
  dm_st_tensor *tensors; /* sorted by name */
  int n;
  void **copies;         /* aligned copies of misaligned tensors */
  int n_copies;
} dm_st_file;

/* Parse a safetensors image (buf, len) — header only, offsets validated against len.
 * `source` names the file in errors. On success *out (caller-owned, free with
 * dm_st_file_free) has its tensors sorted by name; data pointers point into buf. */
int dm_st_parse(const uint8_t *buf, size_t len, const char *source, dm_st_file **out,
                dm_error *err);
/* mmap and parse a file. */
int dm_st_open(const char *path, dm_st_file **out, dm_error *err);
void dm_st_file_free(dm_st_file *f);
const dm_st_tensor *dm_st_find(const dm_st_file *f, const char *name);
size_t dm_st_dtype_size(dm_st_dtype d);
const char *dm_st_dtype_name(dm_st_dtype d);

/* A set of files: one model.safetensors or the shards of an index. */
typedef struct dm_st_set {
  dm_st_file **files;
  int n_files;
  const dm_st_tensor **all; /* every tensor of every file, sorted by name */
  int n_all;
} dm_st_set;

/* Open dir/model.safetensors or dir/model.safetensors.index.json (+ shards). */
int dm_st_set_open(const char *dir, dm_st_set *set, dm_error *err);
/* Parse an index.json text (for tests and the loader): fills the unique shard file
 * names (owned by caller: free each and the array) and checks the weight_map.
 * `source` names the file in errors. */
int dm_st_index_parse(const char *text, size_t len, const char *source, char ***files,
                      int *n_files, dm_error *err);
void dm_st_set_close(dm_st_set *set);
/* A set of one parsed file (takes ownership of f, also on failure). */
int dm_st_set_adopt(dm_st_set *set, dm_st_file *f, dm_error *err);
const dm_st_tensor *dm_st_set_find(const dm_st_set *set, const char *name);

/* ------------------------------------------------------------------ config */

typedef struct dm_model_config {
  dm_model_family family;
  char model_type[32];
  int n_layers, d_model, n_heads, n_kv_heads, head_dim, d_ff, vocab;
  int emb_rows;        /* rows of the embedding matrix (llada: embedding_size) */
  double rope_theta, rms_eps;
  int tied;            /* LM head = embedding */
  int qkv_bias;        /* q/k/v projections carry a bias */
  int mrope[3];        /* dimple: mrope_section (sums to head_dim/2), else 0s */
  int32_t mask_id, eos_id, pad_id, bos_id;
} dm_model_config;

/* Parse config.json text (and generation_config.json text, may be NULL). `source`
 * names the config file in errors (DM_POS_NAME = field). */
int dm_config_parse(const char *text, size_t len, const char *gen_text, size_t gen_len,
                    const char *source, dm_model_config *cfg, dm_error *err);

/* ------------------------------------------------------------------ threads */

typedef struct dm_pool dm_pool;
/* fn(task, thread_index, ctx) for task in [0, n_tasks). */
typedef void (*dm_pool_fn)(int task, int thread, void *ctx);
int dm_pool_new(int n_threads, dm_pool **out);
void dm_pool_free(dm_pool *p);
int dm_pool_size(const dm_pool *p);
/* Run n_tasks tasks on the pool (the caller's thread takes part); returns when all
 * are done. Not reentrant. */
void dm_pool_run(dm_pool *p, int n_tasks, dm_pool_fn fn, void *ctx);

/* ------------------------------------------------------------------ kernels */

/* A weight matrix (rows, cols) in its file dtype, row-major. */
typedef struct dm_wmat {
  const void *data;
  dm_dtype dtype;
  int rows, cols;
} dm_wmat;

float dm_bf16_to_f32(uint16_t h);
float dm_f16_to_f32(uint16_t h);
uint16_t dm_f32_to_bf16(float f); /* round to nearest even */
uint16_t dm_f32_to_f16(float f);
/* Convert n elements of `src` (dtype) starting at element `off` to f32. */
void dm_convert_row(const void *src, dm_dtype dt, size_t off, size_t n, float *dst);

/* Reference twins (plain loops, single thread). */
// x (M, K), w (N, K), bias (N) or NULL -> y (M, N)
void dm_ref_linear(const float *x, int M, const dm_wmat *w, const float *bias, float *y);
// x (M, C), w (C) -> y (M, C)
void dm_ref_rmsnorm(const float *x, const float *w, int M, int C, float eps, float *y);
// x (M, H*D): rotate-half RoPE per head at pos[m] (theta); sections: mrope (pos3 = 3 x M)
void dm_ref_rope(float *x, int M, int H, int D, const int32_t *pos, double theta);
void dm_ref_mrope(float *x, int M, int H, int D, const int32_t *pos3, const int sec[3],
                  double theta);
// g (M, F), u (M, F) -> g = silu(g) * u
void dm_ref_swiglu(float *g, const float *u, size_t n);
// q (Tq, ldq) per head, k/v (Tk, ldk) -> o (Tq, ldo); query i sits at key position qpos0+i
void dm_ref_attention(const float *q, int ldq, const float *k, const float *v, int ldk,
                      float *o, int ldo, int Tq, int Tk, int D, int qpos0, int causal);

/* Fast kernels (threaded over the pool; GEMMs through OpenBLAS single-threaded per
 * worker). Same contracts as the twins. */
void dm_fast_linear(dm_pool *p, const float *x, int M, const dm_wmat *w, const float *bias,
                    float *y);
void dm_fast_rmsnorm(dm_pool *p, const float *x, const float *w, int M, int C, float eps,
                     float *y);
void dm_fast_rope(dm_pool *p, float *x, int M, int H, int D, const int32_t *pos,
                  double theta);
void dm_fast_swiglu(dm_pool *p, float *g, const float *u, size_t n);
/* Attention over B sequences and H heads (GQA: head h reads kv head h / (H/KV)).
 * q (B*Tq, H*D), k/v (B*Tk, KV*D) -> o (B*Tq, H*D). */
void dm_fast_attention(dm_pool *p, const float *q, const float *k, const float *v, float *o,
                       int B, int Tq, int Tk, int H, int KV, int D, int qpos0, int causal);

/* Small-M linear (M <= 64, F32 or BF16 weights read in place, AVX-512): same
 * contract as dm_fast_linear; DM_EUNSUPPORTED (nothing written) when it does not
 * apply. */
int dm_small_linear(dm_pool *p, const float *x, int M, const dm_wmat *w, const float *bias, float *y);

/* AMX (bf16 tiles): available on this CPU and granted by the kernel? */
int dm_amx_available(void);
/* x (M, K) as bf16 hi + lo, w (N, K) BF16 -> y (M, N) on AMX tiles; DM_EUNSUPPORTED
 * without AMX or for other dtypes (then nothing was written). */
int dm_amx_linear(dm_pool *p, const float *x, int M, const dm_wmat *w, const float *bias, float *y);
/* Its reference twin: x replaced by bf16(hi) + bf16(lo), then dm_ref_linear. */
void dm_ref_linear_bf16x2(const float *x, int M, const dm_wmat *w, const float *bias, float *y);

/* Read a whole text file (NUL-terminated, *out malloc'd, owned by the caller);
 * DM_ENOENT / DM_EIO name the file in err. */
int dm_read_text_file(const char *path, char **out, size_t *len, dm_error *err);

/* Make OpenBLAS single-threaded (our pool drives the parallelism). */
void dm_blas_single_thread(void);

#endif
