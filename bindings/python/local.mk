# bindings/python: the ctypes binding (standard library only; see its README).
# `make check` runs its unittest suites against the build tree's library,
# as TAP (bindings/python/run-tests.sh); without python3 on PATH the test
# is reported as SKIP.  `make check PYTHON=/usr/bin/python3` picks another
# interpreter.  The benchmark is not a test: see bindings/python/README.md.
PYTHON ?= python3
TESTS += bindings/python/run-tests.sh
AM_TESTS_ENVIRONMENT += PYTHON='$(PYTHON)'; export PYTHON;
if ENABLE_ASAN
AM_TESTS_ENVIRONMENT += RULECORE_ASAN=yes; export RULECORE_ASAN;
endif
EXTRA_DIST += bindings/python/README.md bindings/python/pyproject.toml \
	bindings/python/run-tests.sh bindings/python/bench.py \
	bindings/python/rulecore/__init__.py bindings/python/rulecore/_lib.py \
	bindings/python/rulecore/_values.py bindings/python/rulecore/py.typed \
	bindings/python/tests/__init__.py bindings/python/tests/helpers.py \
	bindings/python/tests/tap.py bindings/python/tests/test_expressions.py \
	bindings/python/tests/test_rulesets.py bindings/python/tests/test_watch.py \
	bindings/python/tests/test_traceability.py
