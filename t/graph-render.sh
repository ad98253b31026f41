#!/bin/sh
# rulec graph's output, read by the real tools, as TAP: each command of
# the t/golden/rulesets/graph_*.cmd cases that draws (exits 0) is run
# again, and its DOT is rendered by Graphviz (`dot -Tsvg`: exit 0 and
# nothing on stderr) or its Mermaid parsed by the mermaid package (under
# Node, in jsdom: t/mermaid/parse.mjs).  Then a broken text of each format
# must fail, so a tool that accepts anything cannot pass.
#
# The mermaid package comes from t/mermaid/package-lock.json, installed
# by `scripts/deps --test` into $RULECORE_MERMAID_DIR (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/rulecore/mermaid), outside the source
# tree.  Without dot, node or that directory the cases of that format
# are skipped, saying why.
set -u
: "${top_srcdir:=.}" "${RULEC:=./rulec}"
case $RULEC in /*) ;; *) RULEC=$(pwd)/$RULEC ;; esac
case $top_srcdir in /*) ;; *) top_srcdir=$(pwd)/$top_srcdir ;; esac
golden=$top_srcdir/t/golden/rulesets
mdir=${RULECORE_MERMAID_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rulecore/mermaid}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

dot_skip= mermaid_skip=
command -v dot >/dev/null 2>&1 || dot_skip="Graphviz's dot is not installed (Debian package graphviz; scripts/deps --test)"
if ! command -v node >/dev/null 2>&1; then
  mermaid_skip="node is not installed (Debian package nodejs; scripts/deps --test)"
elif [ ! -d "$mdir/node_modules/mermaid" ] || [ ! -d "$mdir/node_modules/jsdom" ]; then
  mermaid_skip="the mermaid package is not installed in $mdir (scripts/deps --test installs it)"
fi

cases=$(cd "$golden" && ls graph_*.cmd 2>/dev/null | sort)
n=0 failed=0
total=$(( $(echo "$cases" | grep -c .) + 2 ))
echo "1..$total"

# check FORMAT FILE NAME: one TAP line for FILE in FORMAT
check() {
  n=$((n + 1))
  if [ "$1" = dot ]; then
    if [ -n "$dot_skip" ]; then echo "ok $n - $3 # SKIP $dot_skip"; return; fi
    dot -Tsvg "$2" >"$tmp/out.svg" 2>"$tmp/err"
    status=$?
    if [ "$status" -eq 0 ] && [ ! -s "$tmp/err" ] && grep -q '<svg' "$tmp/out.svg"; then
      echo "ok $n - $3 (dot -Tsvg)"
    else
      failed=$((failed + 1))
      echo "not ok $n - $3 (dot -Tsvg exit $status)"
      sed 's/^/# /' "$tmp/err"
    fi
  else
    if [ -n "$mermaid_skip" ]; then echo "ok $n - $3 # SKIP $mermaid_skip"; return; fi
    if node "$top_srcdir/t/mermaid/parse.mjs" "$mdir" "$2" >"$tmp/err" 2>&1; then
      echo "ok $n - $3 (mermaid.parse: $(sed -n 's/.*(\(.*\))$/\1/p' "$tmp/err"))"
    else
      failed=$((failed + 1))
      echo "not ok $n - $3 (mermaid.parse)"
      sed 's/^/# /' "$tmp/err"
    fi
  fi
}

for c in $cases; do
  name=${c%.cmd}
  args=$(cat "$golden/$c")
  # shellcheck disable=SC2086
  (cd "$top_srcdir/t" && "$RULEC" $args) >"$tmp/graph" 2>"$tmp/stderr"
  status=$?
  if [ "$status" -ne 0 ]; then
    n=$((n + 1))
    # an error case: the golden test checks its message; here, no output
    if [ -s "$tmp/graph" ]; then
      failed=$((failed + 1))
      echo "not ok $n - $name (exit $status, yet it printed a graph)"
    else
      echo "ok $n - $name (an error case: exit $status, nothing drawn)"
    fi
    continue
  fi
  case " $args " in *" --format dot "*) format=dot ;; *) format=mermaid ;; esac
  check "$format" "$tmp/graph" "$name"
done

# The tools must reject what is broken: an unescaped quote in a label.
printf 'flowchart LR\n  a["say "hi" twice"] --> b\n' >"$tmp/broken.mmd"
printf 'digraph g {\n  "a" [label="say "hi""];\n}\n' >"$tmp/broken.dot"
for f in mermaid dot; do
  n=$((n + 1))
  skip=$mermaid_skip
  [ $f = dot ] && skip=$dot_skip
  if [ -n "$skip" ]; then echo "ok $n - a broken $f text fails # SKIP $skip"; continue; fi
  if [ $f = dot ]; then
    dot -Tsvg "$tmp/broken.dot" >/dev/null 2>&1
  else
    node "$top_srcdir/t/mermaid/parse.mjs" "$mdir" "$tmp/broken.mmd" >/dev/null 2>&1
  fi
  status=$?
  if [ "$status" -ne 0 ]; then
    echo "ok $n - a broken $f text fails (exit $status)"
  else
    failed=$((failed + 1))
    echo "not ok $n - a broken $f text was accepted"
  fi
done
[ "$failed" -eq 0 ]
