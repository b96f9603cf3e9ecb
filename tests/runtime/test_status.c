/* Status table, error details and logging. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <dimple/runtime.h>
#include "../checkmain.h"

/* Every code of the table, taken from the same X-macro the library uses: adding a
 * code adds it here. */
static const int all_codes[] = {
#define X_(name, value, kind, msg) DM_##name,
    DM_STATUS_MAP(X_)
#undef X_
};
static const char *all_names[] = {
#define X_(name, value, kind, msg) "DM_" #name,
    DM_STATUS_MAP(X_)
#undef X_
};
#define NCODES (sizeof all_codes / sizeof all_codes[0])

START_TEST(strerror_covers_every_code) {
  const char *unknown = dm_strerror(12345);
  ck_assert_str_eq(unknown, "unknown status");
  for (size_t i = 0; i < NCODES; i++) {
    const char *m = dm_strerror(all_codes[i]);
    ck_assert_ptr_nonnull(m);
    ck_assert_msg(strcmp(m, unknown) != 0, "code %d has no message", all_codes[i]);
    ck_assert_msg(strlen(m) > 3, "code %d message too short", all_codes[i]);
    ck_assert_str_eq(dm_err_name(all_codes[i]), all_names[i]);
  }
}
END_TEST

START_TEST(codes_are_unique_and_negative) {
  for (size_t i = 0; i < NCODES; i++) {
    if (all_codes[i] == DM_OK) {
      ck_assert_int_eq(dm_err_kind_of(DM_OK), DM_KIND_OK);
      continue;
    }
    ck_assert_int_lt(all_codes[i], 0);
    ck_assert_int_ne(dm_err_kind_of(all_codes[i]), DM_KIND_OK);
    for (size_t j = i + 1; j < NCODES; j++) ck_assert_int_ne(all_codes[i], all_codes[j]);
    for (size_t j = i + 1; j < NCODES; j++) ck_assert_str_ne(dm_strerror(all_codes[i]), dm_strerror(all_codes[j]));
  }
  ck_assert_str_eq(dm_err_name(-999), "DM_E?");
  ck_assert_int_eq(dm_err_kind_of(-999), DM_KIND_RUNTIME);
}
END_TEST

START_TEST(kinds_map_as_designed) {
  ck_assert_int_eq(dm_err_kind_of(DM_EINVAL), DM_KIND_USAGE);
  ck_assert_int_eq(dm_err_kind_of(DM_ESYNTAX), DM_KIND_SPEC);
  ck_assert_int_eq(dm_err_kind_of(DM_EFORMAT), DM_KIND_MODEL);
  ck_assert_int_eq(dm_err_kind_of(DM_ENOMEM), DM_KIND_RUNTIME);
}
END_TEST

START_TEST(error_offset_gives_line_col) {
  dm_error e;
  dm_error_clear(&e);
  const char *text = "ab\ncd\nefg";
  int rc = dm_error_set_at(&e, DM_ESYNTAX, text, strlen(text), 7, "unexpected '%c'", text[7]);
  ck_assert_int_eq(rc, DM_ESYNTAX);
  ck_assert_int_eq(e.line, 3);
  ck_assert_int_eq(e.col, 2);
  ck_assert_uint_eq(e.offset, 7);
  dm_error_set_source(&e, "spec.re");
  char buf[256];
  int n = dm_error_format(&e, buf, sizeof buf);
  ck_assert_str_eq(buf, "spec.re:3:2: unexpected 'f' (byte 7)");
  ck_assert_int_eq(n, (int)strlen(buf));
  /* truncation reports the full length */
  char small[8];
  ck_assert_int_eq(dm_error_format(&e, small, sizeof small), n);
  ck_assert_uint_eq(strlen(small), 7);
}
END_TEST

START_TEST(error_pointer_and_name) {
  dm_error e;
  dm_error_clear(&e);
  dm_error_set_named(&e, DM_ESPEC, "/properties/age/minimum", "expected a number");
  ck_assert_int_eq(e.pos_kind, DM_POS_POINTER);
  char buf[256];
  dm_error_format(&e, buf, sizeof buf);
  ck_assert_str_eq(buf, "at /properties/age/minimum: expected a number");
  dm_error_set_named(&e, DM_ETENSOR, "model.layers.0.self_attn.q_proj.weight", "shape mismatch");
  ck_assert_int_eq(e.pos_kind, DM_POS_NAME);
  dm_error_set_source(&e, "model.safetensors");
  dm_error_format(&e, buf, sizeof buf);
  ck_assert_str_eq(buf, "model.safetensors: model.layers.0.self_attn.q_proj.weight: shape mismatch");
  /* NULL detail: only the code comes back */
  ck_assert_int_eq(dm_error_set(NULL, DM_EIO, "x"), DM_EIO);
  ck_assert_int_eq(dm_error_set_named(NULL, DM_EIO, "/", "x"), DM_EIO);
}
END_TEST

static int g_calls;
static char g_last[256];
static void sink(dm_log_level level, const char *msg, void *user) {
  (void)level;
  *(int *)user += 1;
  g_calls++;
  strncpy(g_last, msg, sizeof g_last - 1);
}

START_TEST(log_callback_and_level) {
  int count = 0;
  dm_log_set_callback(sink, &count);
  dm_log_set_level(DM_LOG_WARN);
  dm_log(DM_LOG_INFO, "dropped %d", 1);
  ck_assert_int_eq(count, 0);
  dm_log(DM_LOG_WARN, "kept %d", 2);
  ck_assert_int_eq(count, 1);
  ck_assert_str_eq(g_last, "kept 2");
  dm_log_set_level(DM_LOG_DEBUG);
  dm_log(DM_LOG_DEBUG, "debug");
  ck_assert_int_eq(count, 2);
  dm_log_set_callback(NULL, NULL);
  dm_log_set_level(DM_LOG_WARN);
  ck_assert_int_eq(dm_log_get_level(), DM_LOG_WARN);
  ck_assert_str_eq(dm_log_level_name(DM_LOG_ERROR), "error");
}
END_TEST

START_TEST(build_info_is_consistent) {
  dm_build_info bi;
  dm_build_info_get(&bi);
  ck_assert_str_eq(bi.version, DM_VERSION_STRING);
  ck_assert_str_eq(dm_version(), DM_VERSION_STRING);
  ck_assert_msg(strstr(bi.blas, "OpenBLAS") != NULL, "blas = %s", bi.blas);
  int n = -1;
  dm_error e;
  dm_error_clear(&e);
  int rc = dm_cuda_device_count(&n, &e);
  ck_assert_int_ge(n, 0);
  if (bi.cuda_compiled) ck_assert_int_eq(rc, DM_OK);
  else ck_assert_int_eq(rc, DM_EUNSUPPORTED);
  if (n == 0) ck_assert_msg(strstr(e.message, "CUDA") != NULL, "why: %s", e.message);
  dm_device_info di;
  ck_assert_int_ne(dm_cuda_device_info(n, &di, NULL), DM_OK);
}
END_TEST

int main(void) {
  Suite *s = suite_create("runtime/status");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, strerror_covers_every_code);
  tcase_add_test(tc, codes_are_unique_and_negative);
  tcase_add_test(tc, kinds_map_as_designed);
  tcase_add_test(tc, error_offset_gives_line_col);
  tcase_add_test(tc, error_pointer_and_name);
  tcase_add_test(tc, log_callback_and_level);
  tcase_add_test(tc, build_info_is_consistent);
  suite_add_tcase(s, tc);
  int failed = dm_test_failures(s);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
