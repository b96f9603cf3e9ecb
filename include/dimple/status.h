/* dimple/status.h — status codes, error details and logging.
 *
 * Every library function that can fail returns an int status: 0 (DM_OK) or a
 * negative DM_E* code. The codes come from one X-macro table, DM_STATUS_MAP, which
 * also gives each code its kind (what the CLI turns into an exit code), its
 * name and its message. Add codes at the end of the table, never reuse a value.
 */
#ifndef DIMPLE_STATUS_H
#define DIMPLE_STATUS_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What went wrong, broadly; the CLI maps a kind to its exit code. */
typedef enum dm_err_kind {
  DM_KIND_OK = 0,      /* success */
  DM_KIND_USAGE,       /* caller error: bad argument, bad flag, impossible request */
  DM_KIND_SPEC,        /* a format spec (schema, regex, template, form) is bad */
  DM_KIND_MODEL,       /* a model directory / checkpoint / tokenizer is bad */
  DM_KIND_RUNTIME      /* everything else: memory, I/O, device, internal */
} dm_err_kind;

/*  X(NAME, value, kind, message) */
#define DM_STATUS_MAP(X)                                                            \
  X(OK,           0, OK,      "success")                                            \
  X(EINVAL,      -1, USAGE,   "invalid argument")                                   \
  X(ENOMEM,      -2, RUNTIME, "out of memory")                                      \
  X(EIO,         -3, RUNTIME, "input/output error")                                 \
  X(ENOENT,      -4, USAGE,   "no such file or directory")                          \
  X(ERANGE,      -5, USAGE,   "value out of range")                                 \
  X(ETRUNC,      -6, USAGE,   "buffer too small")                                   \
  X(EUNSUPPORTED,-7, USAGE,   "not supported")                                      \
  X(ENOTIMPL,    -8, USAGE,   "not available yet")                                  \
  X(EINTERNAL,   -9, RUNTIME, "internal error")                                     \
  X(ESPEC,      -20, SPEC,    "invalid format spec")                                \
  X(ESYNTAX,    -21, SPEC,    "syntax error in spec")                               \
  X(ESTATELIMIT,-22, SPEC,    "automaton state limit exceeded")                     \
  X(EINFEASIBLE,-23, SPEC,    "spec cannot be satisfied in the given length")       \
  X(EMODEL,     -40, MODEL,   "invalid model")                                      \
  X(EFORMAT,    -41, MODEL,   "malformed model file")                               \
  X(EDTYPE,     -42, MODEL,   "unsupported tensor dtype")                           \
  X(ETENSOR,    -43, MODEL,   "missing or mismatched tensor")                       \
  X(ETOKENIZER, -44, MODEL,   "invalid tokenizer")                                  \
  X(ENODEV,     -60, RUNTIME, "no compute device")                                  \
  X(EDEVICE,    -61, RUNTIME, "compute device error")                               \
  X(ECANCELED,  -62, RUNTIME, "operation canceled")

typedef enum dm_status {
#define DM_STATUS_ENUM_(name, value, kind, msg) DM_##name = value,
  DM_STATUS_MAP(DM_STATUS_ENUM_)
#undef DM_STATUS_ENUM_
} dm_status;

/* Static message for a status code; "unknown status" for a value not in the table.
 * Never NULL; the string is owned by the library. */
const char *dm_strerror(int status);
/* Static name ("DM_EINVAL") for a status code; "DM_E?" when unknown. Never NULL. */
const char *dm_err_name(int status);
/* Kind of a status code; DM_KIND_RUNTIME for an unknown value. */
dm_err_kind dm_err_kind_of(int status);

/* ------------------------------------------------------------------ details */

/* Where in the input an error is. */
typedef enum dm_pos_kind {
  DM_POS_NONE = 0,
  DM_POS_OFFSET,   /* byte offset into the text; line/col filled when known */
  DM_POS_POINTER,  /* JSON pointer into a document ("/properties/age/minimum") */
  DM_POS_NAME      /* a named place: tensor name, config field, token */
} dm_pos_kind;

#define DM_ERROR_MSG_MAX 512
#define DM_ERROR_WHERE_MAX 256

/* Error detail filled by functions that take a `dm_error *` (NULL allowed: no detail).
 * Plain value type; no heap memory; copy freely. */
typedef struct dm_error {
  int code;                          /* the DM_E* status returned */
  dm_pos_kind pos_kind;
  size_t offset;                     /* DM_POS_OFFSET: byte offset */
  int line, col;                     /* 1-based, 0 when unknown */
  char where[DM_ERROR_WHERE_MAX];    /* pointer or name, "" when none */
  char source[DM_ERROR_WHERE_MAX];   /* file or input the error is in, "" when none */
  char message[DM_ERROR_MSG_MAX];    /* human-readable detail */
} dm_error;

/* Reset to DM_OK with empty fields. err may be NULL. */
void dm_error_clear(dm_error *err);

/* Set code and printf-style message, keep the position fields. Returns code, so
 *   return dm_error_set(err, DM_EINVAL, "bad %s", x);
 * works. err may be NULL (then only the code is returned). */
int dm_error_set(dm_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
int dm_error_setv(dm_error *err, int code, const char *fmt, va_list ap);

/* Set the code, message and a byte-offset position in `text` (len bytes); line and
 * column are computed from the text (1-based, column counts bytes). Returns code. */
int dm_error_set_at(dm_error *err, int code, const char *text, size_t len, size_t offset,
                    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* Set the code, message and a named position (JSON pointer when `where` starts with
 * '/' or is "", else a name such as a tensor). Returns code. */
int dm_error_set_named(dm_error *err, int code, const char *where, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Record which file or input the error is in (copied, truncated if long). */
void dm_error_set_source(dm_error *err, const char *source);

/* Format as one line: "SOURCE:LINE:COL: MESSAGE", "SOURCE: at /ptr: MESSAGE",
 * "SOURCE: tensor-name: MESSAGE", ... Writes at most n bytes including the NUL.
 * Returns the length of the full line (excluding NUL); when that is >= n the output
 * was truncated, as with snprintf. */
int dm_error_format(const dm_error *err, char *buf, size_t n);

/* ------------------------------------------------------------------ logging */

typedef enum dm_log_level {
  DM_LOG_ERROR = 0,
  DM_LOG_WARN = 1,
  DM_LOG_INFO = 2,
  DM_LOG_DEBUG = 3
} dm_log_level;

/* A log sink. `msg` is one line without the trailing newline, valid only during the
 * call. */
typedef void (*dm_log_fn)(dm_log_level level, const char *msg, void *user);

/* Install a sink (NULL restores the default, which writes "dimple: LEVEL: msg\n" to
 * stderr). The library never writes to stdout. Not thread-safe against concurrent
 * logging; set it once at start-up. */
void dm_log_set_callback(dm_log_fn fn, void *user);
/* Messages above `level` are dropped before formatting. Default: DM_LOG_WARN. */
void dm_log_set_level(dm_log_level level);
dm_log_level dm_log_get_level(void);
/* Log a message (library code and programs alike). */
void dm_log(dm_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Name of a level: "error", "warning", "info", "debug". */
const char *dm_log_level_name(dm_log_level level);

#ifdef __cplusplus
}
#endif
#endif /* DIMPLE_STATUS_H */
