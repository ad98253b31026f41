#!/bin/sh
# The tree-sitter grammar's own tests (test/corpus, test/highlight), and a
# check that the committed src/parser.c is what grammar.js generates.
# Needs the tree-sitter CLI ($TREE_SITTER, or the project's wrapper in
# ../shared/tools) and node (Debian's nodejs, from scripts/deps --test).
set -eu
: "${top_srcdir:=.}"
ts=${TREE_SITTER:-}
if [ -z "$ts" ]; then
  for c in "$top_srcdir/../shared/tools/tree-sitter" "$(command -v tree-sitter 2>/dev/null || true)"; do
    if [ -n "$c" ] && [ -x "$c" ]; then ts=$c; break; fi
  done
fi
if [ -z "$ts" ]; then
  # Only a release tarball built away from the workspace (no ../shared, as
  # in `make distcheck` without TREE_SITTER) may go without the CLI.
  if [ ! -d "$top_srcdir/../shared" ]; then
    echo "1..0 # SKIP tree-sitter CLI not found outside the workspace (set TREE_SITTER)"
    exit 0
  fi
  echo "1..1"
  echo "not ok 1 - tree-sitter CLI not found: set TREE_SITTER or restore ../shared/tools/tree-sitter"
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
# A generator that cannot run says nothing about the committed parser: that
# is reported as what it is (most often: no node, which reads grammar.js).
if ! command -v "${TREE_SITTER_JS_RUNTIME:-node}" >/dev/null 2>&1; then
  echo "not ok 1 - cannot regenerate src/parser.c: tree-sitter generate needs node" \
    "to read grammar.js (Debian package nodejs; scripts/deps --test installs it)"
elif ! "$ts" generate --abi 14 --no-bindings >"$tmp/gen.log" 2>&1; then
  echo "not ok 1 - cannot regenerate src/parser.c: tree-sitter generate failed"
  sed 's/^/# /' "$tmp/gen.log"
elif cmp -s src/parser.c "$tmp/parser.c.committed"; then
  echo "ok 1 - committed src/parser.c matches grammar.js"
else
  echo "not ok 1 - src/parser.c is stale: regenerate it (see grammars/local.mk)"
  diff "$tmp/parser.c.committed" src/parser.c | head -20 | sed 's/^/# /'
fi
if "$ts" test >"$tmp/test.log" 2>&1; then
  echo "ok 2 - tree-sitter test ($(grep -c '✓' "$tmp/test.log") cases)"
else
  echo "not ok 2 - tree-sitter test"
  grep -v '✓' "$tmp/test.log" | sed 's/^/# /'
fi
