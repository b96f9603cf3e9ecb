/* The CUDA forward pass: weights uploaded once (layer matrices in the model's dtype,
 * Q/K/V and gate/up concatenated so each is one GEMM), cuBLAS GEMMs with f32
 * accumulation (bf16/f16 inputs on tensor cores; F32 models in plain f32, no TF32),
 * the residual stream in f32, attention as two batched GEMMs around a softmax
 * kernel, the prompt K/V cache on the device, and the LM head on the requested rows
 * only, followed by either a copy of the logits to the host or the row statistics
 * (dm_forward_stats: the logits stay on the device). Same maths and cache semantics
 * as forward.c. */
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

extern "C" {
#include "../model/model_impl.h"
}
#include "cu_kernels.h"
#include "cuda_backend.h"
#include "kmath.h"

struct dm_cuda_layer {
  void *wqkv, *wo, *wgu, *wd;   /* (H D + 2 KV D, d), (d, H D), (2 ff, d), (d, ff) in dt */
  float *attn_norm, *ffn_norm;  /* (d) */
  float *bqkv;                  /* (H D + 2 KV D) or NULL */
};

struct dm_cuda_model {
  int dev;
  int dt;                 /* activation / GEMM dtype = the layer matrices' dtype */
  cudaStream_t st;
  cublasHandle_t cb;
  dm_cuda_layer *L;
  int nl;
  void *emb;              /* (emb_rows, d) in emb_dt */
  int emb_dt;
  void *head;             /* (vocab, d) in dt; may alias emb */
  float *norm_f;
  uint64_t bytes;
  void *ws;               /* grow-only workspace */
  size_t ws_bytes;
  void **ptrs;            /* pointer arrays of the batched attention GEMMs */
  size_t ptrs_cap;
};

struct dm_cuda_cache {
  int dev, nl, dt;
  size_t cap;             /* elements per layer per K or V */
  void **k, **v;          /* per layer (B, C, KV D) in dt */
};

static size_t dt_size(int dt) { return dt == DM_DTYPE_F32 ? 4 : 2; }
static cudaDataType_t dt_cuda(int dt) {
  return dt == DM_DTYPE_F32 ? CUDA_R_32F : dt == DM_DTYPE_BF16 ? CUDA_R_16BF : CUDA_R_16F;
}

#define CU(call)                                                                                   \
  do {                                                                                             \
    cudaError_t e_ = (call);                                                                       \
    if (e_ != cudaSuccess)                                                                         \
      return dm_error_set(err, DM_EDEVICE, "%s: %s", #call, cudaGetErrorString(e_));               \
  } while (0)
#define CB(call)                                                                                   \
  do {                                                                                             \
    cublasStatus_t s_ = (call);                                                                    \
    if (s_ != CUBLAS_STATUS_SUCCESS)                                                               \
      return dm_error_set(err, DM_EDEVICE, "%s: %s", #call, cublasGetStatusString(s_));            \
  } while (0)
#define TRY(x)              \
  do {                      \
    int r_ = (x);           \
    if (r_) return r_;      \
  } while (0)

/* Select device `dev`; DM_EDEVICE "no CUDA device" when it does not exist. */
static int use_device(int dev, dm_error *err) {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    return dm_error_set(err, DM_EDEVICE, "no CUDA device (%s)", cudaGetErrorString(e));
  }
  if (n == 0) return dm_error_set(err, DM_EDEVICE, "no CUDA device");
  if (dev < 0 || dev >= n) return dm_error_set(err, DM_EDEVICE, "CUDA device %d does not exist (%d found)", dev, n);
  CU(cudaSetDevice(dev));
  return DM_OK;
}

/* ------------------------------------------------------------------ upload */

/* Copy matrix w (rows, cols) to dst (device, dtype dt) at row offset row0; converts
 * on the host, one row block at a time, when the file dtype differs. */
static int upload_rows(void *dst, int dt, size_t row0, const dm_wmat *w, dm_error *err) {
  size_t es = dt_size(dt), n = (size_t)w->rows * w->cols;
  char *d = (char *)dst + row0 * (size_t)w->cols * es;
  if ((int)w->dtype == dt) {
    CU(cudaMemcpy(d, w->data, n * es, cudaMemcpyHostToDevice));
    return DM_OK;
  }
  size_t blk = (size_t)1 << 20, off = 0;
  float *f = (float *)malloc(blk * sizeof(float));
  void *h = malloc(blk * es);
  if (!f || !h) {
    free(f);
    free(h);
    return dm_error_set(err, DM_ENOMEM, "out of memory converting weights");
  }
  int rc = DM_OK;
  while (off < n && rc == DM_OK) {
    size_t k = n - off < blk ? n - off : blk;
    dm_convert_row(w->data, w->dtype, off, k, f);
    for (size_t i = 0; i < k; i++) {
      if (dt == DM_DTYPE_F32) ((float *)h)[i] = f[i];
      else if (dt == DM_DTYPE_BF16) ((uint16_t *)h)[i] = dm_f32_to_bf16(f[i]);
      else ((uint16_t *)h)[i] = dm_f32_to_f16(f[i]);
    }
    cudaError_t e = cudaMemcpy(d + off * es, h, k * es, cudaMemcpyHostToDevice);
    if (e != cudaSuccess) rc = dm_error_set(err, DM_EDEVICE, "cudaMemcpy (weights): %s", cudaGetErrorString(e));
    off += k;
  }
  free(f);
  free(h);
  return rc;
}

static int dalloc(dm_cuda_model *cm, void **p, size_t bytes, dm_error *err) {
  cudaError_t e = cudaMalloc(p, bytes ? bytes : 1);
  if (e != cudaSuccess) {
    *p = NULL;
    return dm_error_set(err, DM_ENOMEM, "cudaMalloc of %zu bytes on CUDA device %d: %s", bytes, cm->dev,
                        cudaGetErrorString(e));
  }
  cm->bytes += bytes;
  return DM_OK;
}

static int upload_vec(dm_cuda_model *cm, const float *v, size_t n, float **out, dm_error *err) {
  TRY(dalloc(cm, (void **)out, n * sizeof(float), err));
  CU(cudaMemcpy(*out, v, n * sizeof(float), cudaMemcpyHostToDevice));
  return DM_OK;
}

/* Concatenate matrices (same cols) into one device matrix in dt. */
static int upload_cat(dm_cuda_model *cm, const dm_wmat *const *ws, int n, void **out, dm_error *err) {
  size_t rows = 0, cols = (size_t)ws[0]->cols;
  for (int i = 0; i < n; i++) rows += (size_t)ws[i]->rows;
  TRY(dalloc(cm, out, rows * cols * dt_size(cm->dt), err));
  size_t r0 = 0;
  for (int i = 0; i < n; i++) {
    TRY(upload_rows(*out, cm->dt, r0, ws[i], err));
    r0 += (size_t)ws[i]->rows;
  }
  return DM_OK;
}

static int model_upload(dm_cuda_model *cm, const dm_model *m, dm_error *err) {
  const dm_model_config *c = &m->cfg;
  size_t qd = (size_t)c->n_heads * c->head_dim, kvd = (size_t)c->n_kv_heads * c->head_dim;
  cm->L = (dm_cuda_layer *)calloc((size_t)c->n_layers, sizeof *cm->L);
  if (!cm->L) return dm_error_set(err, DM_ENOMEM, "out of memory");
  cm->nl = c->n_layers;
  for (int l = 0; l < c->n_layers; l++) {
    const dm_layer *L = &m->layers[l];
    dm_cuda_layer *G = &cm->L[l];
    const dm_wmat *qkv[3] = {&L->wq, &L->wk, &L->wv}, *gu[2] = {&L->wg, &L->wu};
    const dm_wmat *wo[1] = {&L->wo}, *wd[1] = {&L->wd};
    TRY(upload_cat(cm, qkv, 3, &G->wqkv, err));
    TRY(upload_cat(cm, wo, 1, &G->wo, err));
    TRY(upload_cat(cm, gu, 2, &G->wgu, err));
    TRY(upload_cat(cm, wd, 1, &G->wd, err));
    TRY(upload_vec(cm, L->attn_norm, (size_t)c->d_model, &G->attn_norm, err));
    TRY(upload_vec(cm, L->ffn_norm, (size_t)c->d_model, &G->ffn_norm, err));
    if (L->bq) {
      size_t nb = qd + 2 * kvd;
      float *b = (float *)malloc(nb * sizeof(float));
      if (!b) return dm_error_set(err, DM_ENOMEM, "out of memory");
      memcpy(b, L->bq, qd * sizeof(float));
      memcpy(b + qd, L->bk, kvd * sizeof(float));
      memcpy(b + qd + kvd, L->bv, kvd * sizeof(float));
      int rc = upload_vec(cm, b, nb, &G->bqkv, err);
      free(b);
      TRY(rc);
    }
  }
  /* embeddings stay in their file dtype (gathered, not multiplied) */
  cm->emb_dt = (int)m->emb.dtype;
  size_t en = (size_t)m->emb.rows * m->emb.cols * dt_size(cm->emb_dt);
  TRY(dalloc(cm, &cm->emb, en, err));
  CU(cudaMemcpy(cm->emb, m->emb.data, en, cudaMemcpyHostToDevice));
  if (m->head.data == m->emb.data && cm->emb_dt == cm->dt) {
    cm->head = cm->emb; /* tied: the first vocab rows of the embedding */
  } else {
    const dm_wmat *h[1] = {&m->head};
    TRY(upload_cat(cm, h, 1, &cm->head, err));
  }
  TRY(upload_vec(cm, m->norm_f, (size_t)c->d_model, &cm->norm_f, err));
  return DM_OK;
}

extern "C" void dm_cuda_model_free(dm_cuda_model *cm) {
  if (!cm) return;
  cudaSetDevice(cm->dev);
  if (cm->st) cudaStreamSynchronize(cm->st);
  for (int l = 0; l < cm->nl && cm->L; l++) {
    dm_cuda_layer *G = &cm->L[l];
    cudaFree(G->wqkv);
    cudaFree(G->wo);
    cudaFree(G->wgu);
    cudaFree(G->wd);
    cudaFree(G->attn_norm);
    cudaFree(G->ffn_norm);
    cudaFree(G->bqkv);
  }
  free(cm->L);
  if (cm->head != cm->emb) cudaFree(cm->head);
  cudaFree(cm->emb);
  cudaFree(cm->norm_f);
  cudaFree(cm->ws);
  cudaFree(cm->ptrs);
  if (cm->cb) cublasDestroy(cm->cb);
  if (cm->st) cudaStreamDestroy(cm->st);
  free(cm);
}

extern "C" int dm_cuda_model_new(const dm_model *m, int device, int f32, dm_cuda_model **out, dm_error *err) {
  *out = NULL;
  int rc = use_device(device, err);
  if (rc) return rc;
  dm_cuda_model *cm = (dm_cuda_model *)calloc(1, sizeof *cm);
  if (!cm) return dm_error_set(err, DM_ENOMEM, "out of memory");
  cm->dev = device;
  cm->dt = f32 ? DM_DTYPE_F32 : (int)m->dtype;
  cudaError_t e = cudaStreamCreateWithFlags(&cm->st, cudaStreamNonBlocking);
  if (e != cudaSuccess) {
    cm->st = NULL;
    rc = dm_error_set(err, DM_EDEVICE, "cudaStreamCreate: %s", cudaGetErrorString(e));
  }
  if (rc == DM_OK) {
    cublasStatus_t s = cublasCreate(&cm->cb);
    if (s != CUBLAS_STATUS_SUCCESS) {
      cm->cb = NULL;
      rc = dm_error_set(err, DM_EDEVICE, "cublasCreate: %s", cublasGetStatusString(s));
    } else if ((s = cublasSetStream(cm->cb, cm->st)) != CUBLAS_STATUS_SUCCESS ||
               (s = cublasSetMathMode(cm->cb, CUBLAS_DEFAULT_MATH)) != CUBLAS_STATUS_SUCCESS) {
      rc = dm_error_set(err, DM_EDEVICE, "cublas setup: %s", cublasGetStatusString(s));
    }
  }
  if (rc == DM_OK) rc = model_upload(cm, m, err);
  /* a pageable cudaMemcpy may return before its DMA lands, and the forward runs on a
   * non-blocking stream: wait for every upload here */
  if (rc == DM_OK) {
    cudaError_t e2 = cudaDeviceSynchronize();
    if (e2 != cudaSuccess) rc = dm_error_set(err, DM_EDEVICE, "uploading the weights: %s", cudaGetErrorString(e2));
  }
  if (rc) {
    dm_cuda_model_free(cm);
    return rc;
  }
  *out = cm;
  return DM_OK;
}

extern "C" uint64_t dm_cuda_model_bytes(const dm_cuda_model *cm) { return cm ? cm->bytes : 0; }

/* ------------------------------------------------------------------ cache */

extern "C" void dm_cuda_cache_free(dm_cuda_cache *c) {
  if (!c) return;
  cudaSetDevice(c->dev);
  for (int l = 0; l < c->nl; l++) {
    if (c->k) cudaFree(c->k[l]);
    if (c->v) cudaFree(c->v[l]);
  }
  free(c->k);
  free(c->v);
  free(c);
}

extern "C" size_t dm_cuda_cache_bytes(const dm_cuda_cache *c) {
  return c ? 2 * (size_t)c->nl * c->cap * dt_size(c->dt) : 0;
}

/* Room for `need` elements per layer per K/V on the model's device. */
static int cache_reserve(dm_cuda_model *cm, dm_kvcache *kc, size_t need, dm_error *err) {
  dm_cuda_cache *c = kc->cu;
  if (c && (c->dev != cm->dev || c->dt != cm->dt)) {
    dm_cuda_cache_free(c);
    kc->cu = c = NULL;
    CU(cudaSetDevice(cm->dev));
  }
  if (!c) {
    c = (dm_cuda_cache *)calloc(1, sizeof *c);
    if (!c) return dm_error_set(err, DM_ENOMEM, "out of memory");
    c->dev = cm->dev;
    c->dt = cm->dt;
    c->nl = cm->nl;
    c->k = (void **)calloc((size_t)cm->nl, sizeof(void *));
    c->v = (void **)calloc((size_t)cm->nl, sizeof(void *));
    kc->cu = c;
    if (!c->k || !c->v) return dm_error_set(err, DM_ENOMEM, "out of memory");
  }
  if (need <= c->cap) return DM_OK;
  for (int l = 0; l < c->nl; l++) {
    cudaFree(c->k[l]);
    cudaFree(c->v[l]);
    c->k[l] = c->v[l] = NULL;
  }
  c->cap = 0;
  for (int l = 0; l < c->nl; l++) {
    cudaError_t e1 = cudaMalloc(&c->k[l], need * dt_size(c->dt));
    if (e1 != cudaSuccess) c->k[l] = NULL;
    cudaError_t e2 = e1 == cudaSuccess ? cudaMalloc(&c->v[l], need * dt_size(c->dt)) : e1;
    if (e2 != cudaSuccess) {
      c->v[l] = NULL;
      return dm_error_set(err, DM_ENOMEM, "cudaMalloc for the prefill cache: %s", cudaGetErrorString(e2));
    }
  }
  c->cap = need;
  return DM_OK;
}

/* ------------------------------------------------------------------ GEMMs */

// x (M, K) in dt, w (N, K) in dt -> y (M, N) in ydt: y = x w^T + beta y
static int linear(dm_cuda_model *cm, const void *x, int M, const void *w, int N, int K, void *y, int ydt,
                  float beta, dm_error *err) {
  if (M == 0) return DM_OK;
  float alpha = 1.0f;
  cudaDataType_t t = dt_cuda(cm->dt);
  CB(cublasGemmEx(cm->cb, CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, &alpha, w, t, K, x, t, K, &beta, y, dt_cuda(ydt), N,
                  CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  return DM_OK;
}

/* ------------------------------------------------------------------ forward */

typedef struct host_tmp {
  int32_t *ids, *rowidx;
  void **ptrs;
} host_tmp;

/* Workspace carving: 256-byte aligned slices. */
static size_t al(size_t n) { return (n + 255) & ~(size_t)255; }

typedef struct fwd_bufs {
  float *x, *cs, *S, *hr, *logits;
  void *y, *a, *sg, *q, *kf, *vf, *P, *hra;
  int32_t *ids; /* the computed positions' ids, then the head rows' indices */
  uint32_t *allowed;
  dm_row_stats *stats;
  size_t chunk; /* batch entries (b, h) per attention pass */
} fwd_bufs;

static int forward_impl(dm_model *m, const dm_forward_batch *bt, float *logits, const uint32_t *allowed,
                        dm_row_stats *stats, host_tmp *ht, dm_error *err) {
  dm_cuda_model *cm = m->cuda;
  const dm_model_config *c = &m->cfg;
  int B = bt->B, T = bt->T, C = bt->cache_len;
  int cached = bt->mode == DM_FORWARD_CACHED, prefill = bt->mode == DM_FORWARD_PREFILL && C > 0;
  int q0 = cached ? C : 0, Tq = T - q0, Tk = T;
  int H = c->n_heads, KV = c->n_kv_heads, D = c->head_dim, d = c->d_model, ff = c->d_ff, V = c->vocab;
  int qd = H * D, kvd = KV * D, W = qd + 2 * kvd, R = bt->n_rows;
  size_t M = (size_t)B * Tq, es = dt_size(cm->dt), BH = (size_t)B * H;
  if (M > 0x7fffffff || (size_t)B * T > 0x7fffffff)
    return dm_error_set(err, DM_ERANGE, "batch of %zu positions too large for the CUDA backend", M);
  float eps = (float)c->rms_eps;

  /* attention chunk: S (chunk, Tq, Tk) f32 kept under 512 MiB */
  size_t per_e = (size_t)Tq * Tk, cap = ((size_t)512 << 20) / (per_e * 4);
  size_t chunk = cap < 1 ? 1 : cap > BH ? BH : cap;
  size_t words = DM_ALLOWED_WORDS(V);
  size_t sz[16], nbuf = 0, total = 0;
  sz[nbuf++] = al(M * d * 4);                                   /* x */
  sz[nbuf++] = al(M * (size_t)(W > 2 * ff ? W : 2 * ff) * es);  /* y: QKV, then gate|up */
  sz[nbuf++] = al((size_t)T * D * 4);                           /* cs: T x D/2 x 2 */
  sz[nbuf++] = al(chunk * per_e * 4);                           /* S */
  sz[nbuf++] = al((size_t)(R ? R : 1) * d * 4);                 /* hr */
  sz[nbuf++] = al((size_t)(R ? R : 1) * V * 4);                 /* logits */
  sz[nbuf++] = al(M * (size_t)(d > qd ? d : qd) * es);          /* a */
  sz[nbuf++] = al(M * ff * es);                                 /* sg */
  sz[nbuf++] = al(M * qd * es);                                 /* q */
  sz[nbuf++] = al((size_t)B * T * kvd * es);                    /* kf */
  sz[nbuf++] = al((size_t)B * T * kvd * es);                    /* vf */
  sz[nbuf++] = cm->dt == DM_DTYPE_F32 ? 0 : al(chunk * per_e * es); /* P (F32: in S) */
  sz[nbuf++] = al((size_t)(R ? R : 1) * d * es);                /* hra */
  sz[nbuf++] = al((M > (size_t)R ? M : (size_t)R) * 4);         /* ids */
  sz[nbuf++] = al((size_t)(R ? R : 1) * words * 4);             /* allowed */
  sz[nbuf++] = al((size_t)(R ? R : 1) * sizeof(dm_row_stats));  /* stats */
  for (size_t i = 0; i < nbuf; i++) total += sz[i];
  if (total > cm->ws_bytes) {
    cudaFree(cm->ws);
    cm->ws = NULL;
    cm->ws_bytes = 0;
    cudaError_t e = cudaMalloc(&cm->ws, total);
    if (e != cudaSuccess) {
      cm->ws = NULL;
      return dm_error_set(err, DM_ENOMEM, "cudaMalloc of %zu bytes of activations: %s", total, cudaGetErrorString(e));
    }
    cm->ws_bytes = total;
  }
  fwd_bufs fb;
  char *p = (char *)cm->ws;
  size_t k = 0;
#define CARVE(field, type) (fb.field = (type)(void *)p, p += sz[k++])
  CARVE(x, float *);
  CARVE(y, void *);
  CARVE(cs, float *);
  CARVE(S, float *);
  CARVE(hr, float *);
  CARVE(logits, float *);
  CARVE(a, void *);
  CARVE(sg, void *);
  CARVE(q, void *);
  CARVE(kf, void *);
  CARVE(vf, void *);
  CARVE(P, void *);
  CARVE(hra, void *);
  CARVE(ids, int32_t *);
  CARVE(allowed, uint32_t *);
  CARVE(stats, dm_row_stats *);
#undef CARVE
  if (cm->dt == DM_DTYPE_F32) fb.P = fb.S;
  fb.chunk = chunk;

  /* pointer arrays: QK^T (A = K, B = Q, C = S) and PV (A = V, B = P, C = O) per (b, h) */
  size_t np = 6 * BH;
  if (np > cm->ptrs_cap) {
    cudaFree(cm->ptrs);
    cm->ptrs = NULL;
    cm->ptrs_cap = 0;
    CU(cudaMalloc((void **)&cm->ptrs, np * sizeof(void *)));
    cm->ptrs_cap = np;
  }
  ht->ptrs = (void **)malloc(np * sizeof(void *));
  ht->ids = (int32_t *)malloc((M ? M : 1) * sizeof(int32_t));
  ht->rowidx = (int32_t *)malloc((size_t)(R ? R : 1) * sizeof(int32_t));
  if (!ht->ptrs || !ht->ids || !ht->rowidx) return dm_error_set(err, DM_ENOMEM, "out of memory");
  for (size_t e = 0; e < BH; e++) {
    dm_km_att_off o = dm_km_att_offsets((int)e, H, KV, D, Tq, Tk);
    size_t se = (e % chunk) * per_e;
    ht->ptrs[e] = (char *)fb.kf + o.kv * es;
    ht->ptrs[BH + e] = (char *)fb.q + o.q * es;
    ht->ptrs[2 * BH + e] = fb.S + se;
    ht->ptrs[3 * BH + e] = (char *)fb.vf + o.kv * es;
    ht->ptrs[4 * BH + e] = (char *)fb.P + se * es;
    ht->ptrs[5 * BH + e] = (char *)fb.a + o.o * es; /* attention output reuses a */
  }
  CU(cudaMemcpyAsync(cm->ptrs, ht->ptrs, np * sizeof(void *), cudaMemcpyHostToDevice, cm->st));
  for (int b = 0; b < B; b++)
    for (int t = 0; t < Tq; t++) ht->ids[(size_t)b * Tq + t] = bt->ids[(size_t)b * T + q0 + t];
  CU(cudaMemcpyAsync(fb.ids, ht->ids, M * sizeof(int32_t), cudaMemcpyHostToDevice, cm->st));

  dm_kvcache *kc = bt->cache;
  if (prefill) TRY(cache_reserve(cm, kc, (size_t)B * C * kvd, err));
  if (cached && (!kc->cu || kc->cu->dev != cm->dev || kc->cu->cap < (size_t)B * C * kvd))
    return dm_error_set(err, DM_EINVAL, "the cache holds no device K/V for this model");

  TRY(dm_cu_rope_table(fb.cs, T, D, c->rope_theta, cm->st, err));
  TRY(dm_cu_embed(fb.ids, (int)M, cm->emb, cm->emb_dt, d, fb.x, cm->st, err));
  float scale = 1.0f / sqrtf((float)D), one = 1.0f, zero = 0.0f;
  cudaDataType_t t = dt_cuda(cm->dt);
  size_t kv_row = (size_t)kvd * es; /* bytes of one K/V row */
  for (int l = 0; l < c->n_layers; l++) {
    dm_cuda_layer *G = &cm->L[l];
    TRY(dm_cu_rmsnorm(fb.x, G->attn_norm, (int)M, d, eps, fb.a, cm->dt, cm->st, err));
    TRY(linear(cm, fb.a, (int)M, G->wqkv, W, d, fb.y, cm->dt, 0.0f, err));
    TRY(dm_cu_qkv_post(fb.y, G->bqkv, (int)M, H, KV, D, fb.cs, Tq, q0, Tk, q0, fb.q, fb.kf, fb.vf, cm->dt, cm->st,
                       err));
    if (prefill) { /* keep K/V of positions [0, C) of each sequence */
      CU(cudaMemcpy2DAsync(kc->cu->k[l], (size_t)C * kv_row, fb.kf, (size_t)T * kv_row, (size_t)C * kv_row, (size_t)B,
                           cudaMemcpyDeviceToDevice, cm->st));
      CU(cudaMemcpy2DAsync(kc->cu->v[l], (size_t)C * kv_row, fb.vf, (size_t)T * kv_row, (size_t)C * kv_row, (size_t)B,
                           cudaMemcpyDeviceToDevice, cm->st));
    } else if (cached) { /* cached K/V in front of the fresh ones */
      CU(cudaMemcpy2DAsync(fb.kf, (size_t)T * kv_row, kc->cu->k[l], (size_t)C * kv_row, (size_t)C * kv_row, (size_t)B,
                           cudaMemcpyDeviceToDevice, cm->st));
      CU(cudaMemcpy2DAsync(fb.vf, (size_t)T * kv_row, kc->cu->v[l], (size_t)C * kv_row, (size_t)C * kv_row, (size_t)B,
                           cudaMemcpyDeviceToDevice, cm->st));
    }
    for (size_t e0 = 0; e0 < BH; e0 += chunk) {
      int ne = (int)(BH - e0 < chunk ? BH - e0 : chunk);
      // S (Tq, Tk) = scale Q (Tq, D) K (Tk, D)^T per entry
      CB(cublasGemmBatchedEx(cm->cb, CUBLAS_OP_T, CUBLAS_OP_N, Tk, Tq, D, &scale, (const void *const *)(cm->ptrs + e0),
                             t, kvd, (const void *const *)(cm->ptrs + BH + e0), t, qd, &zero,
                             (void *const *)(cm->ptrs + 2 * BH + e0), CUDA_R_32F, Tk, ne, CUBLAS_COMPUTE_32F,
                             CUBLAS_GEMM_DEFAULT));
      TRY(dm_cu_softmax(fb.S, (size_t)ne * Tq, Tk, Tq, q0, bt->causal, fb.P, cm->dt, cm->st, err));
      // O (Tq, D) = P (Tq, Tk) V (Tk, D) per entry, into a (M, H D)
      CB(cublasGemmBatchedEx(cm->cb, CUBLAS_OP_N, CUBLAS_OP_N, D, Tq, Tk, &one,
                             (const void *const *)(cm->ptrs + 3 * BH + e0), t, kvd,
                             (const void *const *)(cm->ptrs + 4 * BH + e0), t, Tk, &zero,
                             (void *const *)(cm->ptrs + 5 * BH + e0), t, qd, ne, CUBLAS_COMPUTE_32F,
                             CUBLAS_GEMM_DEFAULT));
    }
    TRY(linear(cm, fb.a, (int)M, G->wo, d, qd, fb.x, DM_DTYPE_F32, 1.0f, err)); /* x += o W_o^T */
    TRY(dm_cu_rmsnorm(fb.x, G->ffn_norm, (int)M, d, eps, fb.a, cm->dt, cm->st, err));
    TRY(linear(cm, fb.a, (int)M, G->wgu, 2 * ff, d, fb.y, cm->dt, 0.0f, err));
    TRY(dm_cu_swiglu(fb.y, (int)M, ff, fb.sg, cm->dt, cm->st, err));
    TRY(linear(cm, fb.sg, (int)M, G->wd, d, ff, fb.x, DM_DTYPE_F32, 1.0f, err)); /* x += ... W_d^T */
  }
  if (R > 0) {
    for (int i = 0; i < R; i++) ht->rowidx[i] = bt->rows[2 * i] * Tq + (bt->rows[2 * i + 1] - q0);
    CU(cudaMemcpyAsync(fb.ids, ht->rowidx, (size_t)R * sizeof(int32_t), cudaMemcpyHostToDevice, cm->st));
    TRY(dm_cu_gather_rows(fb.x, fb.ids, R, d, fb.hr, cm->st, err));
    TRY(dm_cu_rmsnorm(fb.hr, cm->norm_f, R, d, eps, fb.hra, cm->dt, cm->st, err));
    TRY(linear(cm, fb.hra, R, cm->head, V, d, fb.logits, DM_DTYPE_F32, 0.0f, err));
    if (logits) {
      CU(cudaMemcpyAsync(logits, fb.logits, (size_t)R * V * sizeof(float), cudaMemcpyDeviceToHost, cm->st));
    } else {
      if (allowed)
        CU(cudaMemcpyAsync(fb.allowed, allowed, (size_t)R * words * 4, cudaMemcpyHostToDevice, cm->st));
      TRY(dm_cu_row_stats(fb.logits, R, V, allowed ? fb.allowed : NULL, fb.stats, cm->st, err));
      CU(cudaMemcpyAsync(stats, fb.stats, (size_t)R * sizeof(dm_row_stats), cudaMemcpyDeviceToHost, cm->st));
    }
  }
  CU(cudaStreamSynchronize(cm->st));
  CU(cudaGetLastError());
  return DM_OK;
}

extern "C" int dm_cuda_forward(dm_model *m, const dm_forward_batch *b, float *logits, const uint32_t *allowed,
                               dm_row_stats *stats, dm_error *err) {
  if (!m->cuda) return dm_error_set(err, DM_EINVAL, "the model is not on a CUDA device");
  if ((logits == NULL) == (stats == NULL) && b->n_rows > 0)
    return dm_error_set(err, DM_EINVAL, "dm_cuda_forward: want logits or stats");
  int rc = use_device(m->cuda->dev, err);
  if (rc) return rc;
  (void)cudaGetLastError(); /* a stale error (e.g. a failed allocation) is not this call's */
  host_tmp ht = {NULL, NULL, NULL};
  rc = forward_impl(m, b, logits, allowed, stats, &ht, err);
  if (rc) {
    /* let queued work finish before the host buffers go; keep the first error */
    cudaStreamSynchronize(m->cuda->st);
    (void)cudaGetLastError();
  }
  free(ht.ids);
  free(ht.rowidx);
  free(ht.ptrs);
  return rc;
}

/* ------------------------------------------------------------------ GEMM peak */

static int gemm_peak(int m, int n, int k, int reps, double *tflops, void **bufs, cublasHandle_t *cb,
                     cudaEvent_t *ev, dm_error *err) {
  size_t na = (size_t)m * k, nb = (size_t)k * n, nc = (size_t)m * n;
  CU(cudaMalloc(&bufs[0], na * 2));
  CU(cudaMalloc(&bufs[1], nb * 2));
  CU(cudaMalloc(&bufs[2], nc * 4));
  /* random values: products of zeros run faster than real data on Hopper */
  TRY(dm_cu_fill_uniform(bufs[0], na, DM_DTYPE_BF16, 1, NULL, err));
  TRY(dm_cu_fill_uniform(bufs[1], nb, DM_DTYPE_BF16, 2, NULL, err));
  CB(cublasCreate(cb));
  CU(cudaEventCreate(&ev[0]));
  CU(cudaEventCreate(&ev[1]));
  float alpha = 1.0f, beta = 0.0f, best = 1e30f;
  for (int r = -1; r < reps; r++) { /* r = -1: warm-up */
    CU(cudaEventRecord(ev[0], 0));
    CB(cublasGemmEx(*cb, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &alpha, bufs[0], CUDA_R_16BF, k, bufs[1], CUDA_R_16BF, k,
                    &beta, bufs[2], CUDA_R_32F, m, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    CU(cudaEventRecord(ev[1], 0));
    CU(cudaEventSynchronize(ev[1]));
    float ms = 0;
    CU(cudaEventElapsedTime(&ms, ev[0], ev[1]));
    if (r >= 0 && ms < best) best = ms;
  }
  *tflops = 2.0 * m * n * (double)k / (best * 1e-3) / 1e12;
  return DM_OK;
}

extern "C" int dm_cuda_gemm_peak(int device_index, int m, int n, int k, int reps, double *tflops, dm_error *err) {
  *tflops = 0;
  if (m < 1 || n < 1 || k < 1 || reps < 1) return dm_error_set(err, DM_EINVAL, "bad GEMM shape");
  int rc = use_device(device_index, err);
  if (rc) return rc;
  void *bufs[3] = {NULL, NULL, NULL};
  cublasHandle_t cb = NULL;
  cudaEvent_t ev[2] = {NULL, NULL};
  rc = gemm_peak(m, n, k, reps, tflops, bufs, &cb, ev, err);
  cudaDeviceSynchronize();
  for (int i = 0; i < 3; i++) cudaFree(bufs[i]);
  if (ev[0]) cudaEventDestroy(ev[0]);
  if (ev[1]) cudaEventDestroy(ev[1]);
  if (cb) cublasDestroy(cb);
  return rc;
}
