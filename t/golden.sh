#!/bin/sh
# Golden-file tests of rulec's output, as TAP.
#
# Each t/golden/KIND/NAME.rule is run as `rulec KIND [ARGS] -f NAME.rule`
# from its own directory (so diagnostics name NAME.rule), where ARGS is the
# content of NAME.args if it exists.  The result -- the input, the command,
# the exit status and everything printed (stdout then stderr) -- must equal
# NAME.out (rulesets: see render_cmd below).  REGEN=1 rewrites the .out files instead; review them with git
# diff before committing.
set -u
: "${top_srcdir:=.}" "${RULEC:=./rulec}"
case $RULEC in /*) ;; *) RULEC=$(pwd)/$RULEC ;; esac
golden=$top_srcdir/t/golden
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

render() { # KIND NAME: print the .out text for one case
  kind=$1 name=$2
  args=
  [ -f "$name.args" ] && args=$(cat "$name.args")
  # shellcheck disable=SC2086
  "$RULEC" "$kind" $args -f "$name.rule" >"$tmp/stdout" 2>"$tmp/stderr"
  status=$?
  echo "# input ($name.rule):"
  sed 's/^/| /' "$name.rule"
  echo "# command: rulec $kind${args:+ $args} -f $name.rule"
  echo "# exit: $status"
  echo "# stdout:"
  cat "$tmp/stdout"
  echo "# stderr:"
  cat "$tmp/stderr"
}

# Each t/golden/rulesets/NAME.cmd holds one rulec command line over the
# rulesets in t/rulesets/, run from t/ (so paths read rulesets/...).
render_cmd() { # NAME
  args=$(cat "$golden/rulesets/$1.cmd")
  # shellcheck disable=SC2086
  (cd "$top_srcdir/t" && "$RULEC" $args) >"$tmp/stdout" 2>"$tmp/stderr"
  status=$?
  echo "# command: rulec $args"
  echo "# exit: $status"
  echo "# stdout:"
  cat "$tmp/stdout"
  echo "# stderr:"
  cat "$tmp/stderr"
}

n=0 failed=0
list=$(cd "$golden" && { ls -d */*.rule; ls -d rulesets/*.cmd; } 2>/dev/null | sort)
total=$(echo "$list" | grep -c . || true)
echo "1..$total"
for case in $list; do
  n=$((n + 1))
  kind=${case%%/*} file=${case#*/} name=${file%.*}
  if [ "$kind" = rulesets ]; then
    render_cmd "$name" >"$tmp/actual"
  else
    (cd "$golden/$kind" && render "$kind" "$name") >"$tmp/actual"
  fi
  expected=$golden/$kind/$name.out
  if [ "${REGEN:-}" = 1 ]; then
    cp "$tmp/actual" "$expected"
    echo "ok $n - $kind/$name # regenerated"
  elif [ -f "$expected" ] && cmp -s "$tmp/actual" "$expected"; then
    echo "ok $n - $kind/$name"
  else
    failed=$((failed + 1))
    echo "not ok $n - $kind/$name"
    if [ -f "$expected" ]; then
      diff -u "$expected" "$tmp/actual" | sed 's/^/# /'
    else
      echo "# missing $expected (run with REGEN=1 to create it)"
    fi
  fi
done
[ "$failed" -eq 0 ]
