/*
 * check_ruleset.c: rulesets (src/luahost.c, src/ruleset.c) through the
 * public API.
 */
#include "check_main.h"

START_TEST(test_load_pricing) {
  rulecore_ruleset *rs = NULL;
  rulecore_diagnostics *d = NULL;
  char path[4096];
  snprintf(path, sizeof path, "%s/t/rulesets/pricing", getenv("top_srcdir") ? getenv("top_srcdir") : ".");
  rulecore_status st = rulecore_ruleset_load(NULL, path, &rs, &d);
  size_t n = rulecore_diagnostics_count(d);
  rulecore_diagnostics_free(d);
  size_t nd = rulecore_ruleset_decision_count(rs);
  rulecore_ruleset_free(rs);
  ck_assert_int_eq(st, RULECORE_OK);
  ck_assert_uint_eq(n, 0);
  ck_assert_uint_eq(nd, 2);
}
END_TEST

static Suite *suite_ruleset(void) {
  Suite *s = suite_create("ruleset");
  TCase *tc = tcase_create("load");
  tcase_add_test(tc, test_load_pricing);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return check_main(suite_ruleset()); }
