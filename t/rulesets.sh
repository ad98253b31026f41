#!/bin/sh
# The tests declared in the bundled rulesets (rules/NAME/ and the test
# rulesets t/rulesets/NAME/ whose tests should pass), run by `rulec test`,
# as TAP: one line per declared test, the differences as comments.
set -u
: "${top_srcdir:=.}" "${RULEC:=./rulec}"
tmp=$(mktemp) || exit 99
trap 'rm -f "$tmp"' EXIT
n=0 failed=0
out=""
for dir in "$top_srcdir"/rules/*/ "$top_srcdir"/t/rulesets/*/; do
  [ -d "$dir" ] || continue
  [ -f "$dir/.golden-only" ] && continue # broken on purpose: the golden files cover it
  "$RULEC" test "${dir%/}" >"$tmp" 2>&1
  status=$?
  while IFS= read -r line; do
    case $line in
    "PASS "*) n=$((n + 1)); out="$out
ok $n - ${dir#"$top_srcdir"/}: ${line#PASS }" ;;
    "FAIL "*) n=$((n + 1)); failed=$((failed + 1)); out="$out
not ok $n - ${dir#"$top_srcdir"/}: ${line#FAIL }" ;;
    *" passed, "*" failed") ;;
    *) out="$out
# $line" ;;
    esac
  done <"$tmp"
  if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    n=$((n + 1)); failed=$((failed + 1))
    out="$out
not ok $n - ${dir#"$top_srcdir"/}: rulec test exited with status $status"
  fi
done
echo "1..$n"
printf '%s\n' "$out" | sed '1d'
[ "$failed" -eq 0 ]
