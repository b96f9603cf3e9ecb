/* Device names: "cpu", "cuda", "cuda:N", "auto". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dimple/model.h>

static int parse_ordinal(const char *s, int *out) {
  if (*s < '0' || *s > '9') return -1;
  errno = 0;
  char *end = NULL;
  long v = strtol(s, &end, 10);
  if (errno || *end || v < 0 || v > 1024) return -1;
  *out = (int)v;
  return 0;
}

int dm_device_parse(const char *text, int *device, int *device_index, dm_error *err) {
  if (!text) return dm_error_set(err, DM_EINVAL, "no device name");
  *device = DM_DEVICE_CPU;
  *device_index = 0;
  if (strcmp(text, "cpu") == 0) return DM_OK;
  const char *rest = NULL;
  if (strncmp(text, "cuda", 4) == 0) {
    *device = DM_DEVICE_CUDA;
    rest = text + 4;
  } else if (strncmp(text, "auto", 4) == 0) {
    *device = DM_DEVICE_AUTO;
    rest = text + 4;
  }
  if (rest && *rest == 0) return DM_OK;
  if (rest && *rest == ':' && parse_ordinal(rest + 1, device_index) == 0) return DM_OK;
  *device = DM_DEVICE_CPU;
  *device_index = 0;
  dm_error_set_named(err, DM_EINVAL, text,
                     "unknown device (expected cpu, cuda, cuda:N with N an ordinal, or auto)");
  return DM_EINVAL;
}

int dm_precision_parse(const char *text, int *precision, dm_error *err) {
  static const char *names[] = {"auto", "f32", "native"};
  for (int i = 0; text && i < 3; i++)
    if (strcmp(text, names[i]) == 0) {
      *precision = i;
      return DM_OK;
    }
  return dm_error_set_named(err, DM_EINVAL, text ? text : "(null)",
                            "unknown precision (expected auto, f32 or native)");
}

const char *dm_device_name(int device, int device_index, char *buf, size_t n) {
  if (!buf || n == 0) return buf;
  if (device == DM_DEVICE_CUDA)
    snprintf(buf, n, "cuda:%d", device_index);
  else if (device == DM_DEVICE_AUTO)
    snprintf(buf, n, device_index ? "auto:%d" : "auto", device_index);
  else
    snprintf(buf, n, "cpu");
  return buf;
}
