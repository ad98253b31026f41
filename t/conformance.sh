#!/bin/sh
# CEL's conformance cases, run by `rulec conformance`, as TAP.
#
# The cases are the .jsonl files under $CONFORMANCE_DIR, else
# $top_srcdir/../shared/conformance; t/conformance-skips.txt lists those
# rulecore does not support, with reasons.  One test per file, ok when none
# of its cases failed (each failure follows as a diagnostic), then one test
# that the skip list is honest: every entry names exactly one case that
# still fails (or, with NAME *, a file).  Without the directory the run
# fails, unless RULECORE_NO_CONFORMANCE=1 says the shared tree is absent on
# purpose (make distcheck builds from a tarball that lacks it): then the
# whole test is skipped.
set -u
: "${top_srcdir:=.}" "${RULEC:=./rulec}"
skips=$top_srcdir/t/conformance-skips.txt
dir=${CONFORMANCE_DIR:-$top_srcdir/../shared/conformance}

if [ ! -d "$dir" ] && [ "${RULECORE_NO_CONFORMANCE:-}" = 1 ]; then
  echo "1..0 # SKIP $dir is absent and RULECORE_NO_CONFORMANCE=1 (a release tarball has no conformance cases)"
  exit 0
fi

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

"$RULEC" conformance --skips "$skips" "$dir" >"$tmp/out" 2>"$tmp/err"
status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
  # Exit 2: the run itself could not happen (a missing directory, an
  # unreadable file, a malformed skip list); anything else is a crash.
  echo "1..1"
  echo "not ok 1 - rulec conformance --skips $skips $dir (exit status $status)"
  sed 's/^/# /' "$tmp/err"
  tail -n 5 "$tmp/out" | sed 's/^/# /'
  exit 1
fi

# rulec prints per file `F.jsonl: N passed, N failed, N skipped` followed by
# the file's `FAIL F.jsonl ...` lines; then `FAIL SKIPS:LINE: ...` for the
# skip list's own problems, and the totals last.
awk -v skips="$skips" -v status="$status" '
  function add(list, line) { return list "# " line "\n" }
  /\.jsonl: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$/ && !/^(FAIL|SKIP) / {
    n++
    name[n] = $0; sub(/: [0-9]+ passed, .*$/, "", name[n])
    counts[n] = substr($0, length(name[n]) + 3)
    bad[n] = $(NF - 3) + 0
    next
  }
  index($0, "FAIL " skips ":") == 1 { skipdiag = add(skipdiag, $0); next }
  /^FAIL / {
    if (n) diag[n] = add(diag[n], $0)
    else orphan = add(orphan, $0)
    if (index($0, ": listed as skipped (")) skipdiag = add(skipdiag, $0)
    next
  }
  /^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$/ { totals = $0; next }
  { other = add(other, $0) }
  END {
    printf "1..%d\n", n + 1
    failed = 0
    for (i = 1; i <= n; i++) {
      ok = bad[i] == 0 ? "ok" : "not ok"
      if (bad[i]) failed++
      printf "%s %d - %s (%s)\n%s", ok, i, name[i], counts[i], diag[i]
    }
    problem = skipdiag orphan other
    if (totals == "") problem = problem "# rulec printed no totals line\n"
    if (n == 0) problem = problem "# rulec reported no case file\n"
    if (status == 1 && failed == 0 && skipdiag == "") problem = problem "# rulec exited 1 with no failure reported\n"
    title = skips ": every entry names a case that still fails"
    if (problem == "") {
      printf "ok %d - %s\n", n + 1, title
    } else {
      failed++
      printf "not ok %d - %s\n%s", n + 1, title, problem
    }
    if (totals != "") print "# " totals
    exit failed ? 1 : 0
  }
' "$tmp/out" || exit 1
if [ -s "$tmp/err" ]; then
  sed 's/^/# stderr: /' "$tmp/err"
fi
exit 0
