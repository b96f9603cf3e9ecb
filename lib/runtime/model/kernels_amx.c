/* BF16 GEMM on Intel AMX tiles (Sapphire Rapids and later) for bf16 weights.
 *
 * y (M, N) = x (M, K) . w (N, K)^T (+ bias), f32 accumulation. The tile unit takes
 * bf16 inputs only, so the activations are split x = hi + lo (two bf16 numbers,
 * about 16 mantissa bits together) and multiplied twice: accuracy close to f32 at
 * twice the tile work. The reference twin is dm_ref_linear_bf16x2. Weights are
 * repacked block by block into the tiles' pair-interleaved layout (never the whole
 * matrix at once).
 *
 * Linux only hands out the 8 KiB tile state on request (arch_prctl
 * ARCH_REQ_XCOMP_PERM); dm_amx_available() asks once and says whether it may run. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__) && \
    (__GNUC__ >= 11 || defined(__clang__))
#define DM_AMX_BUILD 1
#include <cpuid.h>
#include <immintrin.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* x = hi + lo with hi = bf16(x), lo = bf16(x - hi): two bf16 products carry ~16
 * mantissa bits of the activations, close to f32. */
static void split_bf16(float v, uint16_t *hi, uint16_t *lo) {
  *hi = dm_f32_to_bf16(v);
  *lo = dm_f32_to_bf16(v - dm_bf16_to_f32(*hi));
}

// x (M, K) as bf16 hi + lo, w (N, K), bias (N) or NULL -> y (M, N); reference twin
void dm_ref_linear_bf16x2(const float *x, int M, const dm_wmat *w, const float *bias, float *y) {
  size_t n = (size_t)M * (size_t)w->cols;
  float *xr = malloc(n * sizeof *xr);
  if (!xr) return;
  for (size_t i = 0; i < n; i++) {
    uint16_t hi, lo;
    split_bf16(x[i], &hi, &lo);
    xr[i] = dm_bf16_to_f32(hi) + dm_bf16_to_f32(lo);
  }
  dm_ref_linear(xr, M, w, bias, y);
  free(xr);
}

#ifdef DM_AMX_BUILD

static int amx_state = -1; /* -1 unknown, 0 no, 1 yes */
static pthread_once_t amx_once = PTHREAD_ONCE_INIT;

static void amx_probe(void) {
  unsigned a, b, c, d;
  amx_state = 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return;
  int tile = (d >> 24) & 1, bf16 = (d >> 22) & 1;
  if (!tile || !bf16) return;
  /* OS support for the tile state in XCR0 (bits 17, 18) */
  if (!__get_cpuid(1, &a, &b, &c, &d) || !((c >> 27) & 1)) return; /* OSXSAVE */
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & (3u << 17)) != (3u << 17)) return;
  /* ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18 */
  if (syscall(SYS_arch_prctl, 0x1023, 18) != 0) return;
  amx_state = 1;
}

int dm_amx_available(void) {
  pthread_once(&amx_once, amx_probe);
  return amx_state == 1;
}

typedef struct __attribute__((packed)) tilecfg {
  uint8_t palette, start_row, reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
} tilecfg;

#define AMX_TARGET __attribute__((target("amx-tile,amx-bf16,avx512f")))

AMX_TARGET static void amx_config(void) {
  tilecfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.palette = 1;
  for (int t = 0; t < 8; t++) {
    cfg.rows[t] = 16;
    cfg.colsb[t] = 64;
  }
  _tile_loadconfig(&cfg);
}

AMX_TARGET static void amx_release(void) { _tile_release(); }

typedef struct amx_ctx {
  const uint16_t *xb; /* (Mp, Kp) bf16 hi parts, zero padded; lo parts follow */
  const uint16_t *xl;
  const float *bias;
  float *y;
  const dm_wmat *w;
  int M, N, K, Mp, Kp, nb; /* nb: weight rows per task (multiple of 32) */
  uint32_t **packs;        /* per thread: nb * Kp / 2 pairs */
} amx_ctx;

/* Repack rows [n0, n0+nb) of w into tiles: for each 16-row group g and 32-wide k
 * chunk c, a 16 x 32 block stored as rows k2 (0..15) of 16 pairs (one u32 each):
 *   pack32[(g * KC + c) * 256 + k2 * 16 + n] = w[n0 + 16g + n][32c + 2k2 .. +1].
 * Full chunks use AVX-512 gathers (one output row of 16 pairs per gather: a 16 x 16
 * transpose of u32); the ragged end (k >= K, rows >= N) goes through the scalar
 * loop. */
static void pack_scalar_chunk(const dm_wmat *w, int row0, int c, uint32_t *blk) {
  const uint16_t *W = w->data;
  int K = w->cols;
  for (int n = 0; n < 16; n++)
    for (int k2 = 0; k2 < 16; k2++) {
      int row = row0 + n, k = 32 * c + 2 * k2;
      uint32_t lo = (row < w->rows && k < K) ? W[(size_t)row * K + k] : 0;
      uint32_t hi = (row < w->rows && k + 1 < K) ? W[(size_t)row * K + k + 1] : 0;
      blk[k2 * 16 + n] = lo | (hi << 16);
    }
}

__attribute__((target("avx512f"))) static void pack_block(const dm_wmat *w, int n0, int nb, int Kp,
                                                           uint32_t *pack) {
  int KC = Kp / 32, K = w->cols, KCfull = K / 32;
  const uint16_t *W = w->data;
  __m512i vidx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                    _mm512_set1_epi32(K * 2));
  for (int g = 0; g < nb / 16; g++) {
    int row0 = n0 + 16 * g;
    int nvalid = w->rows - row0;
    if (nvalid > 16) nvalid = 16;
    __mmask16 mk = nvalid <= 0 ? 0 : (__mmask16)((1u << nvalid) - 1u);
    for (int c = 0; c < KC; c++) {
      uint32_t *blk = pack + ((size_t)g * KC + c) * 256;
      if (c >= KCfull || nvalid <= 0) {
        pack_scalar_chunk(w, row0, c, blk);
        continue;
      }
      const uint16_t *base = W + (size_t)(nvalid > 0 ? row0 : 0) * K + 32 * c;
      for (int k2 = 0; k2 < 16; k2++) {
        __m512i v = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mk, vidx, base + 2 * k2, 1);
        _mm512_storeu_si512((void *)(blk + k2 * 16), v);
      }
    }
  }
}

AMX_TARGET static void amx_task(int task, int thread, void *vc) {
  amx_ctx *c = vc;
  int n0 = task * c->nb, nb = c->N - n0 < c->nb ? c->N - n0 : c->nb;
  int nbp = (nb + 31) / 32 * 32, KC = c->Kp / 32;
  uint32_t *pack = c->packs[thread];
  pack_block(c->w, n0, nbp, c->Kp, pack);
  float cbuf[32 * 32];
  amx_config();
  for (int g = 0; g < nbp / 16; g += 2) {
    const uint32_t *b0 = pack + (size_t)g * KC * 256, *b1 = b0 + (size_t)KC * 256;
    for (int m0 = 0; m0 < c->Mp; m0 += 32) {
      const uint16_t *a0 = c->xb + (size_t)m0 * c->Kp, *a1 = a0 + (size_t)16 * c->Kp;
      const uint16_t *l0 = c->xl + (size_t)m0 * c->Kp, *l1 = l0 + (size_t)16 * c->Kp;
      _tile_zero(0);
      _tile_zero(1);
      _tile_zero(2);
      _tile_zero(3);
      for (int k = 0; k < KC; k++) {
        _tile_loadd(4, a0 + k * 32, c->Kp * 2);
        _tile_loadd(5, a1 + k * 32, c->Kp * 2);
        _tile_loadd(6, b0 + (size_t)k * 256, 64);
        _tile_loadd(7, b1 + (size_t)k * 256, 64);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
        _tile_loadd(4, l0 + k * 32, c->Kp * 2);
        _tile_loadd(5, l1 + k * 32, c->Kp * 2);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
      }
      _tile_stored(0, cbuf, 128);
      _tile_stored(1, cbuf + 16, 128);
      _tile_stored(2, cbuf + 16 * 32, 128);
      _tile_stored(3, cbuf + 16 * 32 + 16, 128);
      int mmax = c->M - m0 < 32 ? c->M - m0 : 32;
      int nofs = 16 * g, nmax = nb - nofs < 32 ? nb - nofs : 32;
      for (int i = 0; i < mmax; i++) {
        float *yr = c->y + (size_t)(m0 + i) * c->N + n0 + nofs;
        const float *cr = cbuf + i * 32;
        if (c->bias)
          for (int j = 0; j < nmax; j++) yr[j] = cr[j] + c->bias[n0 + nofs + j];
        else
          memcpy(yr, cr, sizeof(float) * (size_t)nmax);
      }
    }
  }
  amx_release();
}

typedef struct cvt_ctx {
  const float *x;
  uint16_t *xb, *xl;
  int M, K, Kp, Mp;
} cvt_ctx;

static void cvt_task(int task, int thread, void *vc) {
  cvt_ctx *c = vc;
  (void)thread;
  uint16_t *d = c->xb + (size_t)task * c->Kp, *l = c->xl + (size_t)task * c->Kp;
  if (task >= c->M) {
    memset(d, 0, sizeof(uint16_t) * (size_t)c->Kp);
    memset(l, 0, sizeof(uint16_t) * (size_t)c->Kp);
    return;
  }
  const float *s = c->x + (size_t)task * c->K;
  for (int k = 0; k < c->K; k++) split_bf16(s[k], &d[k], &l[k]);
  for (int k = c->K; k < c->Kp; k++) d[k] = l[k] = 0;
}

// x (M, K), w (N, K) bf16, bias (N) or NULL -> y (M, N); x split into bf16 hi + lo
int dm_amx_linear(dm_pool *p, const float *x, int M, const dm_wmat *w, const float *bias, float *y) {
  if (w->dtype != DM_DTYPE_BF16 || !dm_amx_available()) return DM_EUNSUPPORTED;
  int nt = dm_pool_size(p), N = w->rows, K = w->cols;
  int Kp = (K + 31) / 32 * 32, Mp = (M + 31) / 32 * 32;
  amx_ctx c = {NULL, NULL, bias, y, w, M, N, K, Mp, Kp, 0, NULL};
  /* weight rows per task: ~2 MiB packed, at least 32, at most N / threads */
  int nb = (int)(((size_t)2 << 20) / (2 * (size_t)Kp)) / 32 * 32;
  if (nb < 32) nb = 32;
  int per = (N + nt - 1) / nt;
  per = (per + 31) / 32 * 32;
  if (nb > per) nb = per;
  c.nb = nb;
  uint16_t *xb = malloc(2 * sizeof(uint16_t) * (size_t)Mp * (size_t)Kp);
  c.packs = calloc((size_t)nt, sizeof *c.packs);
  int ok = xb && c.packs;
  for (int i = 0; ok && i < nt; i++)
    ok = (c.packs[i] = malloc(sizeof(uint16_t) * (size_t)nb * (size_t)Kp)) != NULL;
  if (ok) {
    uint16_t *xl = xb + (size_t)Mp * (size_t)Kp;
    cvt_ctx cv = {x, xb, xl, M, K, Kp, Mp};
    dm_pool_run(p, Mp, cvt_task, &cv);
    c.xb = xb;
    c.xl = xl;
    dm_pool_run(p, (N + nb - 1) / nb, amx_task, &c);
  }
  if (c.packs)
    for (int i = 0; i < nt; i++) free(c.packs[i]);
  free(c.packs);
  free(xb);
  return ok ? DM_OK : DM_ENOMEM;
}

#else

int dm_amx_available(void) { return 0; }

int dm_amx_linear(dm_pool *p, const float *x, int M, const dm_wmat *w, const float *bias, float *y) {
  (void)p, (void)x, (void)M, (void)w, (void)bias, (void)y;
  return DM_EUNSUPPORTED;
}

#endif
