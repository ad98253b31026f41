#!/bin/sh
# rulec diff beyond the golden files, as TAP: a version read from git
# (PATH@REV) without touching the work tree, decision-log records as
# cases, a directory of case files, and --fail-on-change.  Without git the
# git cases are a visible SKIP (scripts/deps --test installs git).
set -u
: "${top_srcdir:=.}" "${RULEC:=./rulec}"
case $RULEC in /*) ;; *) RULEC=$(pwd)/$RULEC ;; esac
dir=$(mktemp -d) || exit 99
trap 'rm -rf "$dir"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; [ -f "$dir/out" ] && sed 's/^/# /' "$dir/out"; }
expect() { # NAME STATUS PATTERN: the last run exited STATUS and printed a line matching PATTERN
  if [ "$status" -eq "$2" ] && grep -q -e "$3" "$dir/out"; then ok "$1"; else not_ok "$1 (exit $status)"; fi
}
cases=$(cd "$top_srcdir/t/contexts" && pwd)/pricing-cases.jsonl

# a directory of case files, and decision-log records among plain contexts
mkdir "$dir/cases"
cp "$cases" "$dir/cases/a.jsonl"
printf '%s\n' '{"id": "1", "revision": "x", "input": {"user": {"tier": "silver", "age": 61}, "order": {"amount": 1.0}}, "decisions": {}}' \
  >"$dir/cases/b.jsonl"
echo 'not a case file' >"$dir/cases/ignored.txt"
"$RULEC" diff "$top_srcdir/t/rulesets/pricing" "$top_srcdir/t/rulesets/pricing-v2" --cases "$dir/cases" >"$dir/out" 2>&1
status=$?
expect "a directory of case files: every .jsonl in it" 0 ': 6 cases, 4 changed, 2 skipped$'
expect "a decision-log record's input is the case" 0 '0.0 (default) -> 0.1 (rule senior): 2 cases, e.g. .*a.jsonl:8, .*b.jsonl:1$'
"$RULEC" diff "$top_srcdir/t/rulesets/pricing" "$top_srcdir/t/rulesets/pricing-v2" --cases "$dir/cases" --fail-on-change >"$dir/out" 2>&1
status=$?
expect "--fail-on-change: exit 1 when something changed" 1 '^discount: 4 of 6 cases changed$'
"$RULEC" diff "$top_srcdir/t/rulesets/pricing" --cases "$cases" >"$dir/out" 2>&1
status=$?
expect "one ruleset is a usage error" 2 'diff needs two rulesets'
"$RULEC" diff "$top_srcdir/t/rulesets/pricing" "$top_srcdir/t/rulesets/pricing" >"$dir/out" 2>&1
status=$?
expect "no --cases is a usage error" 2 'diff needs --cases'

if ! command -v git >/dev/null 2>&1; then
  n=$((n + 1)); echo "ok $n - PATH@REV from git # SKIP git not found"
else
  # a repository holding the pricing ruleset, then an uncommitted change
  mkdir -p "$dir/repo/rules"
  cp -r "$top_srcdir/t/rulesets/pricing" "$dir/repo/rules/pricing"
  chmod -R u+w "$dir/repo"
  (cd "$dir/repo" && git init -q && git add . &&
    git -c user.name=t -c user.email=t@example.invalid commit -q -m v1) >"$dir/out" 2>&1
  sed -i 's/value = "0.15"/value = "0.12"/' "$dir/repo/rules/pricing/pricing.lua"
  before=$(cd "$dir/repo" && git status --porcelain)
  "$RULEC" diff "$dir/repo/rules/pricing@HEAD" "$dir/repo/rules/pricing" --cases "$cases" >"$dir/out" 2>&1
  status=$?
  expect "PATH@HEAD against the work tree" 0 '^  0.15 (rule gold) -> 0.12 (rule gold): 2 cases'
  after=$(cd "$dir/repo" && git status --porcelain)
  if [ "$before" = "$after" ] && grep -q 'value = "0.12"' "$dir/repo/rules/pricing/pricing.lua"; then
    ok "the work tree is untouched"
  else
    not_ok "the work tree changed: '$before' -> '$after'"
  fi
  # a single-file ruleset at a revision, from another directory
  (cd / && "$RULEC" diff "$dir/repo/rules/pricing/pricing.lua@HEAD" "$dir/repo/rules/pricing/pricing.lua" \
    --cases "$cases") >"$dir/out" 2>&1
  status=$?
  expect "FILE.lua@HEAD, from another directory" 0 '^discount: 2 of 5 cases changed$'
  "$RULEC" diff "$dir/repo/rules/pricing@no-such-rev" "$dir/repo/rules/pricing" --cases "$cases" >"$dir/out" 2>&1
  status=$?
  expect "an unknown revision is an error" 2 'cannot read .* at no-such-rev from git'
fi
echo "1..$n"
[ $failed -eq 0 ]
