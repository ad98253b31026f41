#!/bin/sh
# make check: the Python binding's unittest suites (bindings/python/tests),
# reported as TAP through tests/tap.py.  Runs against the build tree's
# library; never writes into the source tree (no __pycache__).
#
#   top_srcdir, top_builddir: set by make check (default: .)
#   PYTHON: the interpreter (default python3 on PATH)
#   RULECORE_ASAN=yes (an --enable-asan build, from make) or a library that
#   links libasan: preload the sanitizer runtimes, which must come first in
#   a Python that was not built with them, and leave CPython's own leaks
#   unreported.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}" "${PYTHON:=python3}"
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "1..0 # SKIP $PYTHON not found: the Python binding is not tested"
  exit 0
fi
lib=${RULECORE_LIBRARY:-$top_builddir/.libs/librulecore.so}
if [ ! -f "$lib" ]; then
  echo "1..1"
  echo "not ok 1 - $lib not found (build the library first)"
  exit 1
fi
if [ "${RULECORE_ASAN:-}" = yes ] || { command -v ldd >/dev/null 2>&1 && ldd "$lib" 2>/dev/null | grep -q libasan; }; then
  cc=${CC:-gcc}
  LD_PRELOAD="$($cc -print-file-name=libasan.so) $($cc -print-file-name=libubsan.so)${LD_PRELOAD:+ $LD_PRELOAD}"
  ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
  export LD_PRELOAD ASAN_OPTIONS
fi
RULECORE_LIBRARY=$lib
# rulec, for the test that replays a log written from Python
RULEC=${RULEC:-$(cd "$top_builddir" && pwd)/rulec}
export RULEC
PYTHONPATH=$top_srcdir/bindings/python${PYTHONPATH:+:$PYTHONPATH}
PYTHONDONTWRITEBYTECODE=1
export RULECORE_LIBRARY PYTHONPATH PYTHONDONTWRITEBYTECODE top_srcdir
exec "$PYTHON" "$top_srcdir/bindings/python/tests/tap.py"
