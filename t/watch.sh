#!/bin/sh
# rulec watch on a scratch copy of t/rulesets/pricing, as TAP: the first
# evaluation, a change, a broken change (its positioned error, the revision
# kept), the fix; text and --format json; exit 0 on SIGTERM and SIGINT.
set -u
: "${top_srcdir:=.}" "${RULEC:=./rulec}"
dir=$(mktemp -d) || exit 99
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; [ -f "$dir/out" ] && sed 's/^/# /' "$dir/out"; }
# wait up to 10 s for the output to hold PATTERN COUNT times
wait_for() {
  i=0
  while [ "$(grep -c -e "$1" "$dir/out" 2>/dev/null)" -lt "${2:-1}" ]; do
    i=$((i + 1)); [ $i -gt 200 ] && return 1
    sleep 0.05
  done
}
check() { if wait_for "$2" "${3:-1}"; then ok "$1"; else not_ok "$1"; fi; }

for format in text json; do
  rm -rf "$dir/rs" "$dir/out"
  cp -r "$top_srcdir/t/rulesets/pricing" "$dir/rs"
  chmod -R u+w "$dir/rs"
  "$RULEC" watch "$dir/rs" --ctx "$dir/rs/order.json" --format $format >"$dir/out" 2>&1 &
  pid=$!
  if [ $format = text ]; then
    check "text: first evaluation" '^discount = 0.15 '
    sed -i 's/value = "0.15"/value = "0.12"/' "$dir/rs/pricing.lua"
    check "text: a change is evaluated" '^discount = 0.12 '
    sed -i 's/user.age >= 65/user.agee >= 65/' "$dir/rs/pricing.lua"
    check "text: a broken change gives its positioned error" "pricing.lua:7:49: error: no field 'agee' on type user; did you mean 'age'?"
    check "text: ... and keeps the revision" '^\[rev [0-9a-f]\{7\} kept: reload failed, 1 error\]$'
    sed -i 's/user.agee >= 65/user.age >= 65/' "$dir/rs/pricing.lua"
    check "text: the fix serves again" '^discount = 0.12 ' 2
    kill -TERM $pid
  else
    check "json: first evaluation, one line" '^{"revision": "[0-9a-f]*", "decisions": {"discount": .*"double":0.15'
    sed -i 's/user.age >= 65/user.agee >= 65/' "$dir/rs/pricing.lua"
    check "json: a broken change, one line" '^{"kept": "[0-9a-f]*", "diagnostics": \[.*"line": *7'
    kill -INT $pid
  fi
  wait $pid
  status=$?
  pid=
  if [ $status -eq 0 ]; then ok "$format: exit 0 on a signal"; else not_ok "$format: exit status $status on a signal"; fi
done

# the first load failing is an error, not a watch
"$RULEC" watch "$dir/none" --ctx "$dir/rs/order.json" >"$dir/out" 2>&1
status=$?
if [ $status -eq 1 ]; then ok "a ruleset that does not load: exit 1"; else not_ok "a ruleset that does not load: exit $status"; fi
echo "1..$n"
[ "$failed" -eq 0 ]
