/* dimple/model.h — diffusion LM checkpoints and the forward pass.
 * Part of libdimple-runtime.
 *
 * A model is a Hugging Face directory loaded as it is: config.json (+ optional
 * generation_config.json) and model.safetensors or model.safetensors.index.json with
 * its shards. The safetensors files are memory-mapped; weights stay in their file
 * dtype (F32, BF16, F16). Families: "llada" (LLaDA), "Dream" (Dream, Qwen2 layout),
 * "dimple" (the language model of Dimple-7B; the visual tower is not loaded).
 *
 * Forward: a batch of B sequences of equal length T; logits (raw, no shift) are
 * computed only for the rows (b, t) the caller asks for.
 *
 * Prefill cache (Dimple's semantics), one parameter C = cache_len:
 *   DM_FORWARD_PREFILL  runs all T positions and keeps, per layer, the post-RoPE K/V
 *                       of positions [0, C) in a caller-owned dm_kvcache;
 *   DM_FORWARD_CACHED   computes only positions [C, T) as queries; their fresh K/V
 *                       are appended after the cached ones and attention runs over
 *                       all T keys. ids[0, C) must equal the cached ones.
 * A decoder uses C = prompt length for llada and C = prompt length - 1 for the
 * shifted-logit families (Dream, dimple: position i predicts token i+1).
 */
#ifndef DIMPLE_MODEL_H
#define DIMPLE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <dimple/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dm_model dm_model;     /* opaque */
typedef struct dm_kvcache dm_kvcache; /* opaque */

typedef enum dm_model_family {
  DM_FAMILY_LLADA = 1, /* model_type "llada" */
  DM_FAMILY_DREAM = 2, /* model_type "Dream" */
  DM_FAMILY_DIMPLE = 3 /* model_type "dimple" */
} dm_model_family;

typedef enum dm_dtype {
  DM_DTYPE_F32 = 0,
  DM_DTYPE_BF16 = 1,
  DM_DTYPE_F16 = 2
} dm_dtype;

/* Load settings; fields are only added at the end. */
typedef struct dm_model_params {
  int n_threads;         /* worker threads for kernels; 0 = number of online CPUs */
  int reference_kernels; /* 1: plain reference kernels (slow; for tests) */
  int amx;               /* BF16 weights: 1 (default) multiply on Intel AMX tiles when the
                            CPU and kernel allow (activations split into two bf16
                            parts: close to f32 accuracy); 0: convert weights
                            blockwise to f32 and use sgemm */
  int no_small_kernel;   /* 1: never use the small-M kernel (<= 64 rows, weights read in
                            place, AVX-512); 0 (default): use it where it applies */
  int device;            /* DM_DEVICE_CPU (default), DM_DEVICE_CUDA (ordinal device_index),
                            DM_DEVICE_AUTO (CUDA device_index when such a device exists,
                            else the CPU) */
  int device_index;      /* CUDA ordinal for DM_DEVICE_CUDA / DM_DEVICE_AUTO (default 0) */
  int precision;         /* CUDA compute precision (dm_precision): DM_PRECISION_AUTO (0,
                            default) = F32 for models under DM_PRECISION_AUTO_F32_PARAMS
                            parameters, NATIVE above; F32 = BF16/F16 weights converted to
                            f32 at upload (twice the memory, no bf16 tensor cores; matches
                            the CPU path to ~1e-5); NATIVE = GEMMs in the weights' dtype
                            with f32 accumulation and a f32 residual stream, activations
                            rounded to bf16/f16 at GEMM inputs (as PyTorch's bf16
                            inference; ~2-3% of the logit scale on tiny random models) */
} dm_model_params;

/* CUDA compute precision (dm_model_params.precision). Small models are latency-bound
 * on a GPU, so f32 costs them nothing and keeps them bit-close to the CPU path. */
typedef enum dm_precision {
  DM_PRECISION_AUTO = 0,
  DM_PRECISION_F32 = 1,
  DM_PRECISION_NATIVE = 2
} dm_precision;
#define DM_PRECISION_AUTO_F32_PARAMS 1000000000LL
/* "auto", "f32" or "native" -> *precision; DM_EINVAL (err set) otherwise. */
int dm_precision_parse(const char *text, int *precision, dm_error *err);

/* Where a model computes. */
typedef enum dm_device_kind {
  DM_DEVICE_CPU = 0,
  DM_DEVICE_CUDA = 1,
  DM_DEVICE_AUTO = 2
} dm_device_kind;

/* Parse a device name: "cpu", "cuda", "cuda:N" (N >= 0), "auto" ("auto:N" picks
 * ordinal N when CUDA is usable). DM_EINVAL (err names the text) otherwise. */
int dm_device_parse(const char *text, int *device, int *device_index, dm_error *err);
/* "cpu", "cuda:N" or "auto" into buf (size n); returns buf. */
const char *dm_device_name(int device, int device_index, char *buf, size_t n);

dm_model_params dm_model_default_params(void);

/* What a loaded model is. Plain value type; strings are owned by the model. */
typedef struct dm_model_info {
  dm_model_family family;
  const char *model_type;  /* as in config.json */
  dm_dtype dtype;          /* dtype of the layer weight matrices */
  int n_layers, d_model, n_heads, n_kv_heads, head_dim, d_ff, vocab;
  double rope_theta, rms_eps;
  int tied_embeddings;     /* LM head shares the embedding matrix */
  int logits_shift;        /* 1: position i predicts token i+1 (Dream, dimple) */
  int32_t mask_id, eos_id, pad_id, bos_id; /* -1 when unknown */
  uint64_t n_params;       /* parameters of the language model */
  uint64_t weight_bytes;   /* bytes of the mapped tensors used */
  int n_files;             /* safetensors files mapped */
  int n_threads;           /* kernel threads in use */
  int n_skipped;           /* tensors in the files not used (e.g. visual.*) */
  int amx;                 /* 1 when BF16 matrices run on AMX tiles */
  int device;              /* DM_DEVICE_CPU or DM_DEVICE_CUDA: where it computes */
  int device_index;        /* CUDA ordinal when device is DM_DEVICE_CUDA */
  uint64_t device_bytes;   /* bytes of device memory held by the weights (CUDA) */
} dm_model_info;

const char *dm_model_family_name(dm_model_family f);
const char *dm_dtype_name(dm_dtype d);

/* Load the model in directory `dir`. On success *out is a new model owned by the
 * caller (release with dm_model_free). On failure *out is NULL and err (may be NULL)
 * names the file and, where it applies, the tensor or config field. params NULL:
 * defaults. */
int dm_model_load(const char *dir, const dm_model_params *params, dm_model **out,
                  dm_error *err);
void dm_model_free(dm_model *m); /* NULL: no-op; unmaps the files */
void dm_model_info_get(const dm_model *m, dm_model_info *out);

/* A random-weight model of a given shape, built in memory in the family's exact
 * tensor layout (for benchmarks and tests). Weights ~ U(-1,1)/sqrt(fan_in), norms 1. */
typedef struct dm_model_shape {
  dm_model_family family;
  dm_dtype dtype;
  int n_layers, d_model, n_heads, n_kv_heads, d_ff, vocab;
  double rope_theta;
  int tied;
} dm_model_shape;

/* *out owned by the caller (dm_model_free). */
int dm_model_new_random(const dm_model_shape *shape, uint64_t seed, const dm_model_params *params,
                        dm_model **out, dm_error *err);

/* ------------------------------------------------------------------ forward */

typedef enum dm_forward_mode {
  DM_FORWARD_FULL = 0,    /* all positions, no cache */
  DM_FORWARD_PREFILL = 1, /* all positions, fill `cache` with K/V of [0, cache_len) */
  DM_FORWARD_CACHED = 2   /* positions [cache_len, T) against `cache` */
} dm_forward_mode;

typedef struct dm_forward_batch {
  int B, T;              /* batch size and sequence length */
  const int32_t *ids;    /* B*T token ids, row-major (borrowed) */
  int causal;            /* 1: causal mask (training); 0: bidirectional */
  int n_rows;            /* number of logits rows wanted */
  const int32_t *rows;   /* n_rows pairs (b, t) (borrowed); CACHED: t >= cache_len */
  dm_forward_mode mode;
  int cache_len;         /* C for PREFILL / CACHED; ignored for FULL */
  dm_kvcache *cache;     /* PREFILL / CACHED: caller-owned cache */
} dm_forward_batch;

/* Run the forward pass. logits: caller-owned buffer of n_rows * vocab floats,
 * row i = logits at rows[i] (raw; no shift applied). One call at a time per model
 * (the model's thread pool runs the kernels); different models may run in parallel.
 * Note: loading a model sets OpenBLAS to one thread (the pool splits the GEMMs). */
int dm_forward(dm_model *m, const dm_forward_batch *batch, float *logits, dm_error *err);

/* Per-row statistics of softmax(logits) over the allowed tokens, for a decoder's
 * confidence rules; with the CUDA backend the logits never leave the device. */
typedef struct dm_row_stats {
  int32_t argmax;   /* allowed token of the largest logit (lowest id on ties); -1: none allowed */
  float max_prob;   /* its probability */
  float margin;     /* top-1 minus top-2 probability (top-1's when one token is allowed) */
  float entropy;    /* -sum p log p over the allowed tokens (nats) */
  float prob_all;   /* the argmax's probability under the softmax over ALL tokens (the
                       allowed set ignored): a decoder's unrenormalised confidence */
} dm_row_stats;

/* Words of an allowed-token bitmask for a vocabulary: ceil(vocab / 32). Bit j of
 * word w allows token 32 w + j. */
#define DM_ALLOWED_WORDS(vocab) (((size_t)(vocab) + 31) / 32)

/* Like dm_forward, but out (caller-owned, n_rows entries) receives the statistics of
 * each row instead of its logits. allowed: NULL (every token allowed) or n_rows
 * bitmasks of DM_ALLOWED_WORDS(vocab) words each (borrowed). */
int dm_forward_stats(dm_model *m, const dm_forward_batch *batch, const uint32_t *allowed,
                     dm_row_stats *out, dm_error *err);
/* The same statistics of host logits (n_rows x vocab), computed in double: the
 * reference twin of the device reduction. */
void dm_row_stats_compute(const float *logits, int n_rows, int vocab, const uint32_t *allowed,
                          dm_row_stats *out);

/* A prefill cache for model m; empty until a PREFILL forward fills it. *out is owned
 * by the caller (dm_kvcache_free); it borrows nothing from m but must be used with
 * the same model. */
int dm_kvcache_new(const dm_model *m, dm_kvcache **out, dm_error *err);
void dm_kvcache_free(dm_kvcache *c); /* NULL: no-op */
/* Forget the cached K/V (the memory is kept for reuse). */
void dm_kvcache_clear(dm_kvcache *c);
/* Positions cached (C), 0 when empty; *B receives the batch size when not NULL. */
int dm_kvcache_len(const dm_kvcache *c, int *B);
/* Bytes held by the cache (host and device memory). */
size_t dm_kvcache_bytes(const dm_kvcache *c);

/* ------------------------------------------------------------------ BLAS / CPU */

/* OpenBLAS's core name (e.g. "SkylakeX", "Prescott"); static string. */
const char *dm_blas_corename(void);
/* The OPENBLAS_CORETYPE best for this CPU ("SkylakeX", "Haswell", ...) or NULL when
 * the core OpenBLAS chose is already as good as this CPU allows (or unknown). A
 * program may set OPENBLAS_CORETYPE to it and re-execute itself (OpenBLAS picks its
 * kernels in a library constructor, before main). Static string. */
const char *dm_blas_better_coretype(void);
/* Best-of-`reps` rate of an n x n x n cblas_sgemm with OpenBLAS using n_threads
 * threads, in GFLOP/s of wall time (the reference for the forward's efficiency) and,
 * when gflops_cpu is not NULL, in GFLOP per CPU-second of the process (robust on a
 * shared machine when n_threads is 1). */
int dm_blas_sgemm_peak(int n, int n_threads, int reps, double *gflops, double *gflops_cpu);

/* ------------------------------------------------------------------ CUDA */

/* Best-of-`reps` rate (after a warm-up) of cublasGemmEx with bf16 inputs, f32
 * accumulate and f32 output for an (m, n, k) product on CUDA device `device_index`,
 * in TFLOP/s (the reference for the CUDA forward's efficiency). DM_EUNSUPPORTED
 * without the CUDA backend, DM_EDEVICE without a device. */
int dm_cuda_gemm_peak(int device_index, int m, int n, int k, int reps, double *tflops, dm_error *err);

#ifdef __cplusplus
}
#endif
#endif
