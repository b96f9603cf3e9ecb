/* Scalar conversions between f32 and the 16-bit weight formats. */
#include <math.h>
#include <string.h>

#include "internal.h"

float dm_bf16_to_f32(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}

uint16_t dm_f32_to_bf16(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* NaN stays NaN */
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
}

float dm_f16_to_f32(uint16_t h) {
  uint32_t s = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 0x1f, m = h & 0x3ff, u;
  if (e == 0) {
    if (m == 0) {
      u = s;
    } else { /* subnormal */
      float f = ldexpf((float)m, -24);
      return s ? -f : f;
    }
  } else if (e == 31) {
    u = s | 0x7f800000u | (m << 13);
  } else {
    u = s | ((e + 112) << 23) | (m << 13);
  }
  float f;
  memcpy(&f, &u, 4);
  return f;
}

uint16_t dm_f32_to_f16(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  uint32_t s = (u >> 16) & 0x8000u;
  float a = fabsf(f);
  if (isnan(f)) return (uint16_t)(s | 0x7e00);
  if (a >= 65520.0f) return (uint16_t)(s | 0x7c00);
  if (a < 6.103515625e-05f) { /* subnormal: round to a multiple of 2^-24 */
    return (uint16_t)(s | (uint32_t)lrintf(a * 16777216.0f));
  }
  uint32_t e = ((u >> 23) & 0xff) - 112, m = u & 0x7fffff;
  uint32_t r = (e << 10) | (m >> 13);
  uint32_t rem = m & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (r & 1))) r++;
  return (uint16_t)(s | r);
}

void dm_convert_row(const void *src, dm_dtype dt, size_t off, size_t n, float *dst) {
  switch (dt) {
    case DM_DTYPE_F32:
      memcpy(dst, (const float *)src + off, n * sizeof(float));
      break;
    case DM_DTYPE_BF16: {
      const uint16_t *s = (const uint16_t *)src + off;
      for (size_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)s[i] << 16;
        memcpy(&dst[i], &u, 4);
      }
      break;
    }
    case DM_DTYPE_F16: {
      const uint16_t *s = (const uint16_t *)src + off;
      for (size_t i = 0; i < n; i++) dst[i] = dm_f16_to_f32(s[i]);
      break;
    }
  }
}
