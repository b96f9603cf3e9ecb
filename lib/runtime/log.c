/* Logging through a callback; the default sink writes to stderr, never stdout. */
#include <stdio.h>

#include <dimple/status.h>

static void default_sink(dm_log_level level, const char *msg, void *user) {
  (void)user;
  fprintf(stderr, "dimple: %s: %s\n", dm_log_level_name(level), msg);
}

static dm_log_fn g_sink = default_sink;
static void *g_user = NULL;
static dm_log_level g_level = DM_LOG_WARN;

void dm_log_set_callback(dm_log_fn fn, void *user) {
  g_sink = fn ? fn : default_sink;
  g_user = fn ? user : NULL;
}

void dm_log_set_level(dm_log_level level) {
  if (level < DM_LOG_ERROR) level = DM_LOG_ERROR;
  if (level > DM_LOG_DEBUG) level = DM_LOG_DEBUG;
  g_level = level;
}

dm_log_level dm_log_get_level(void) { return g_level; }

const char *dm_log_level_name(dm_log_level level) {
  switch (level) {
    case DM_LOG_ERROR: return "error";
    case DM_LOG_WARN: return "warning";
    case DM_LOG_INFO: return "info";
    case DM_LOG_DEBUG: return "debug";
  }
  return "log";
}

void dm_log(dm_log_level level, const char *fmt, ...) {
  if (level > g_level) return;
  char buf[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  g_sink(level, buf, g_user);
}
