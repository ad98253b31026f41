#!/bin/sh
# Metrics (src/metrics.c) in the Prometheus text format, as TAP: what
# `rulec eval --metrics` writes and what `rulec watch --metrics HOST:PORT`
# serves pass `promtool check metrics` (Debian's prometheus package;
# scripts/deps --test installs it), and count what happened.  Without
# promtool the checks by promtool are a visible SKIP.
set -u
: "${top_srcdir:=.}" "${RULEC:=./rulec}" "${PYTHON:=python3}"
case $RULEC in /*) ;; *) RULEC=$(pwd)/$RULEC ;; esac
dir=$(mktemp -d) || exit 99
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
has() { # NAME FILE LINE: FILE holds LINE exactly
  if grep -qxF -e "$3" "$2"; then ok "$1"; else not_ok "$1"; echo "# no line '$3' in:"; sed 's/^/# /' "$2"; fi
}
promtool_ok() { # NAME FILE
  if ! command -v promtool >/dev/null 2>&1; then
    skip "$1" "promtool not found (apt-get install prometheus, or scripts/deps --test)"
  elif promtool check metrics <"$2" >"$dir/lint" 2>&1; then
    ok "$1"
  else
    not_ok "$1"; sed 's/^/# /' "$dir/lint"
  fi
}

cp -r "$top_srcdir/t/rulesets/pricing" "$dir/rs"
chmod -R u+w "$dir/rs"

# rulec eval --metrics: one evaluation counted
"$RULEC" eval "$dir/rs" --ctx "$dir/rs/order.json" --metrics "$dir/eval.prom" >"$dir/eval.out" 2>&1
status=$?
if [ $status -eq 0 ] && grep -q '^discount = 0.15' "$dir/eval.out"; then ok "eval --metrics FILE: the outcome still printed"
else not_ok "eval --metrics FILE: exit $status"; sed 's/^/# /' "$dir/eval.out"; fi
promtool_ok "eval: promtool check metrics" "$dir/eval.prom"
has "eval: one evaluation" "$dir/eval.prom" 'rulecore_evaluations_total 1'
has "eval: rule gold matched once" "$dir/eval.prom" 'rulecore_rule_matches_total{decision="discount",rule="gold"} 1'
has "eval: rule senior not" "$dir/eval.prom" 'rulecore_rule_matches_total{decision="discount",rule="senior"} 0'
has "eval: outcomes by decision" "$dir/eval.prom" 'rulecore_decision_outcomes_total{decision="shipping",outcome="rule"} 1'
has "eval: the histogram counts it" "$dir/eval.prom" 'rulecore_evaluation_duration_seconds_count 1'
if grep -q '^rulecore_ruleset_info{revision="[0-9a-f]\{64\}"} 1$' "$dir/eval.prom"; then ok "eval: the revision, as an info gauge"
else not_ok "eval: the revision, as an info gauge"; fi

# a minor with the gold discount: the validation fails
printf '{"user": {"tier": "gold", "age": 15}, "order": {"amount": 50.0}}' >"$dir/minor.json"
"$RULEC" eval "$dir/rs" --ctx "$dir/minor.json" --metrics - >"$dir/minor.prom" 2>&1
status=$?
if [ $status -eq 1 ]; then ok "eval --metrics: exit 1 when a validation of severity error fails"
else not_ok "eval --metrics: exit $status for a failed validation"; fi
promtool_ok "eval --metrics -: promtool check metrics" "$dir/minor.prom"
has "eval: the failed validation counted" "$dir/minor.prom" \
  'rulecore_validation_failures_total{validation="minor-discount",severity="error"} 1'

# promtool itself refuses a broken exposition (the check can fail)
printf '# TYPE x counter\nx{a="b"} not-a-number\n' >"$dir/bad.prom"
if command -v promtool >/dev/null 2>&1; then
  if promtool check metrics <"$dir/bad.prom" >/dev/null 2>&1; then not_ok "promtool refuses a broken exposition"
  else ok "promtool refuses a broken exposition"; fi
else
  skip "promtool refuses a broken exposition" "promtool not found"
fi

# rulec watch --metrics: scraped over HTTP; a reload is counted
fetch() { # PATH OUT: GET http://127.0.0.1:$port/PATH into OUT; its status on stdout
  "$PYTHON" - "$port" "$1" "$2" <<'PY'
import sys, urllib.request, urllib.error
port, path, out = sys.argv[1:]
try:
    with urllib.request.urlopen("http://127.0.0.1:%s%s" % (port, path), timeout=5) as r:
        open(out, "wb").write(r.read()); print(r.status, r.headers.get("Content-Type"))
except urllib.error.HTTPError as e:
    print(e.code)
except Exception as e:
    print("failed", e)
PY
}
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  skip "watch --metrics" "$PYTHON not found"
else
  port=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$RULEC" watch "$dir/rs" --ctx "$dir/rs/order.json" --metrics "127.0.0.1:$port" >"$dir/watch.out" 2>&1 &
  pid=$!
  i=0
  until [ "$(fetch /metrics "$dir/w1.prom" | cut -c1-3)" = 200 ] || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.1; done
  got=$(fetch /metrics "$dir/w1.prom")
  case $got in "200 text/plain; version=0.0.4"*) ok "watch: GET /metrics answers 200, text format 0.0.4" ;;
    *) not_ok "watch: GET /metrics: $got"; sed 's/^/# /' "$dir/watch.out" ;; esac
  promtool_ok "watch: promtool check metrics" "$dir/w1.prom"
  has "watch: the first evaluation counted" "$dir/w1.prom" 'rulecore_evaluations_total 1'
  has "watch: no reload yet" "$dir/w1.prom" 'rulecore_reloads_total{outcome="swapped"} 0'
  got=$(fetch /nope "$dir/nope")
  if [ "$got" = 404 ]; then ok "watch: another path is 404"; else not_ok "watch: /nope gave $got"; fi
  sed -i 's/value = "0.15"/value = "0.12"/' "$dir/rs/pricing.lua"
  i=0
  until grep -q '^discount = 0.12' "$dir/watch.out" || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.1; done
  fetch /metrics "$dir/w2.prom" >/dev/null
  promtool_ok "watch: after a reload, promtool check metrics" "$dir/w2.prom"
  has "watch: the reload counted" "$dir/w2.prom" 'rulecore_reloads_total{outcome="swapped"} 1'
  has "watch: the new revision's evaluation counted" "$dir/w2.prom" 'rulecore_evaluations_total 1'
  kill -TERM $pid
  wait $pid
  status=$?
  pid=
  if [ $status -eq 0 ]; then ok "watch: exit 0 on SIGTERM"; else not_ok "watch: exit $status on SIGTERM"; fi
fi
# a --metrics that is not HOST:PORT
"$RULEC" watch "$dir/rs" --ctx "$dir/rs/order.json" --metrics nonsense >"$dir/bad.out" 2>&1
status=$?
if [ $status -eq 2 ] && grep -q 'needs HOST:PORT' "$dir/bad.out"; then ok "watch: --metrics nonsense is refused (exit 2)"
else not_ok "watch: --metrics nonsense: exit $status"; sed 's/^/# /' "$dir/bad.out"; fi
echo "1..$n"
[ $failed -eq 0 ]
