/* A program built only from an installed rulecore (header, library and
 * pkg-config file), as a user's would be: scripts/test compiles and runs it. */
#include <rulecore.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  if (strcmp(rulecore_version(), RULECORE_VERSION_STRING) != 0) {
    fprintf(stderr, "header %s, library %s\n", RULECORE_VERSION_STRING, rulecore_version());
    return 1;
  }
  const char *src = "user.age > 18";
  rulecore_expr *expr = NULL;
  rulecore_diagnostics *diags = NULL;
  if (rulecore_parse(NULL, src, strlen(src), NULL, &expr, &diags) != RULECORE_OK) return 1;
  rulecore_diagnostics_free(diags);
  char *tree = rulecore_expr_render(expr, RULECORE_FORMAT_SEXP);
  int ok = tree && strstr(tree, "(binary >") != NULL;
  rulecore_free(tree);
  rulecore_expr_free(expr);
  return ok ? 0 : 1;
}
