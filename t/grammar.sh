#!/bin/sh
# The tree-sitter grammar's own tests (test/corpus, test/highlight), and a
# check that the committed src/parser.c is what grammar.js generates.
# Needs the tree-sitter CLI: $TREE_SITTER, or the project's wrapper in
# ../shared/tools; SKIP (exit 77) when neither exists.
set -eu
: "${top_srcdir:=.}"
ts=${TREE_SITTER:-}
if [ -z "$ts" ]; then
  for c in "$top_srcdir/../shared/tools/tree-sitter" "$(command -v tree-sitter 2>/dev/null || true)"; do
    if [ -n "$c" ] && [ -x "$c" ]; then ts=$c; break; fi
  done
fi
if [ -z "$ts" ]; then
  echo "1..0 # SKIP tree-sitter CLI not found (set TREE_SITTER)"
  exit 0
fi
case $ts in /*) ;; *) ts=$(pwd)/$ts ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -R "$top_srcdir/grammars/tree-sitter-rulecore" "$tmp/g"
chmod -R u+w "$tmp/g"
cd "$tmp/g"
echo "1..2"
# tree-sitter caches the compiled grammar by name and date; the copy's files
# are newer than any cached build, so the test always compiles this one.
cp src/parser.c "$tmp/parser.c.committed"
if "$ts" generate --abi 14 --no-bindings >"$tmp/gen.log" 2>&1 && cmp -s src/parser.c "$tmp/parser.c.committed"; then
  echo "ok 1 - committed src/parser.c matches grammar.js"
else
  echo "not ok 1 - src/parser.c is stale: regenerate it (see grammars/local.mk)"
  sed 's/^/# /' "$tmp/gen.log"
fi
if "$ts" test >"$tmp/test.log" 2>&1; then
  echo "ok 2 - tree-sitter test ($(grep -c '✓' "$tmp/test.log") cases)"
else
  echo "not ok 2 - tree-sitter test"
  grep -v '✓' "$tmp/test.log" | sed 's/^/# /'
fi
