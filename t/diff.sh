#!/bin/sh
# rulec diff beyond the golden files, and the decision log, as TAP: a
# version read from git (PATH@REV) without touching the work tree, a
# directory of case files, --fail-on-change; rulec eval --log's records
# (their fields, the commit of the rules' work tree) replayed by diff.  Without git the
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

# the README's example: a proposed change to the flagship ruleset (the large
# scale's QPS bound, 5000 -> 2000) over recorded contexts
cp -r "$top_srcdir/rules/architecture" "$dir/proposal"
chmod -R u+w "$dir/proposal"
sed 's/^    qps = 5000, /    qps = 2000, /' "$top_srcdir/rules/architecture/lib/figures.lua" >"$dir/proposal/lib/figures.lua"
"$RULEC" diff "$top_srcdir/rules/architecture" "$dir/proposal" \
  --cases "$top_srcdir/t/contexts/architecture-cases.jsonl" >"$dir/out" 2>&1
status=$?
expect "the flagship's change: cases counted" 0 ': 8 cases, 3 changed$'
expect "the flagship's change: from what to what, by which rules" 0 \
  '^  "medium" (rule scale-medium) -> "large" (rule scale-large): 3 cases, e.g. .*architecture-cases.jsonl:4,'
expect "the flagship's change: what did not change" 0 '^unchanged: team_level devops_level'

# the decision log round trip: written by rulec eval --cases --log, replayed by diff
"$RULEC" eval "$top_srcdir/t/rulesets/pricing" --cases "$cases" --log "$dir/log.jsonl" >/dev/null 2>&1
if [ "$(grep -c . "$dir/log.jsonl")" -eq 5 ]; then ok "eval --cases --log: one record per case evaluated"
else not_ok "eval --cases --log: $(grep -c . "$dir/log.jsonl") records"; fi
if "${PYTHON:-python3}" - "$dir/log.jsonl" <<'PY' >"$dir/out" 2>&1
import json, re, sys
ids = set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    assert set(r) == {"id", "time", "revision", "commit", "input", "decisions", "violations", "duration_ns"}, sorted(r)
    assert re.fullmatch(r"[0-9a-f]{32}", r["id"]) and r["id"] not in ids, r["id"]
    ids.add(r["id"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", r["time"]), r["time"]
    assert re.fullmatch(r"[0-9a-f]{64}", r["revision"]) and r["duration_ns"] > 0
    assert set(r["decisions"]) == {"discount", "shipping"} and "user" in r["input"], r
    assert all(set(d) == {"value", "rule", "outcome"} for d in r["decisions"].values())
PY
then ok "every record has its fields (id unique, time, revision, input, decisions, duration)"
else not_ok "the records' fields"; fi
"$RULEC" diff "$top_srcdir/t/rulesets/pricing" "$top_srcdir/t/rulesets/pricing" --cases "$dir/log.jsonl" >"$dir/out" 2>&1
status=$?
expect "a log replayed against the version that wrote it: nothing changes" 0 ': 5 cases, 0 changed$'
"$RULEC" diff "$top_srcdir/t/rulesets/pricing" "$top_srcdir/t/rulesets/pricing-v2" --cases "$dir/log.jsonl" >"$dir/out" 2>&1
status=$?
expect "... and against a change: the same report as from the contexts" 0 '^  0.0 (default) -> 0.1 (rule senior): 1 case'

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
  "$RULEC" eval "$dir/repo/rules/pricing" --ctx "$dir/repo/rules/pricing/order.json" --log "$dir/repo.log" >/dev/null 2>&1
  if grep -q "\"commit\": \"$(cd "$dir/repo" && git rev-parse HEAD)\"" "$dir/repo.log"; then
    ok "a record names the git commit of the rules' work tree"
  else
    not_ok "no commit in: $(cat "$dir/repo.log")"
  fi
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
