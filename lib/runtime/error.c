/* Error details: message plus a position (byte offset with line:col, JSON pointer,
 * or a name such as a tensor). No heap memory: dm_error is a plain value. */
#include <stdio.h>
#include <string.h>

#include <dimple/status.h>

static void copy_str(char *dst, size_t cap, const char *src) {
  size_t n = src ? strlen(src) : 0;
  if (n >= cap) n = cap - 1;
  if (n) memcpy(dst, src, n);
  dst[n] = '\0';
}

void dm_error_clear(dm_error *err) {
  if (!err) return;
  memset(err, 0, sizeof *err);
}

int dm_error_setv(dm_error *err, int code, const char *fmt, va_list ap) {
  if (!err) return code;
  err->code = code;
  if (fmt) vsnprintf(err->message, sizeof err->message, fmt, ap);
  else copy_str(err->message, sizeof err->message, dm_strerror(code));
  return code;
}

int dm_error_set(dm_error *err, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  dm_error_setv(err, code, fmt, ap);
  va_end(ap);
  return code;
}

int dm_error_set_at(dm_error *err, int code, const char *text, size_t len, size_t offset,
                    const char *fmt, ...) {
  if (!err) return code;
  va_list ap;
  va_start(ap, fmt);
  dm_error_setv(err, code, fmt, ap);
  va_end(ap);
  err->pos_kind = DM_POS_OFFSET;
  err->offset = offset;
  err->where[0] = '\0';
  int line = 1, col = 1;
  if (text) {
    size_t end = offset < len ? offset : len;
    for (size_t i = 0; i < end; i++) {
      if (text[i] == '\n') { line++; col = 1; }
      else col++;
    }
  }
  err->line = text ? line : 0;
  err->col = text ? col : 0;
  return code;
}

int dm_error_set_named(dm_error *err, int code, const char *where, const char *fmt, ...) {
  if (!err) return code;
  va_list ap;
  va_start(ap, fmt);
  dm_error_setv(err, code, fmt, ap);
  va_end(ap);
  err->pos_kind = (where && (where[0] == '/' || where[0] == '\0')) ? DM_POS_POINTER : DM_POS_NAME;
  copy_str(err->where, sizeof err->where, where);
  err->line = err->col = 0;
  err->offset = 0;
  return code;
}

void dm_error_set_source(dm_error *err, const char *source) {
  if (err) copy_str(err->source, sizeof err->source, source);
}

int dm_error_format(const dm_error *err, char *buf, size_t n) {
  char tmp[1];
  if (!buf || n == 0) { buf = tmp; n = 1; }
  if (!err) return snprintf(buf, n, "(no error)");
  const char *src = err->source[0] ? err->source : NULL;
  const char *msg = err->message[0] ? err->message : dm_strerror(err->code);
  switch (err->pos_kind) {
    case DM_POS_OFFSET:
      if (err->line > 0)
        return snprintf(buf, n, "%s%s%d:%d: %s (byte %zu)", src ? src : "", src ? ":" : "",
                        err->line, err->col, msg, err->offset);
      return snprintf(buf, n, "%s%sbyte %zu: %s", src ? src : "", src ? ": " : "",
                      err->offset, msg);
    case DM_POS_POINTER:
      return snprintf(buf, n, "%s%sat %s: %s", src ? src : "", src ? ": " : "",
                      err->where[0] ? err->where : "\"\" (document root)", msg);
    case DM_POS_NAME:
      return snprintf(buf, n, "%s%s%s: %s", src ? src : "", src ? ": " : "", err->where, msg);
    case DM_POS_NONE:
    default:
      return snprintf(buf, n, "%s%s%s", src ? src : "", src ? ": " : "", msg);
  }
}
