# Tests: check suites (one per stage) and golden-file tests of rulec, all
# through automake's TAP driver so each test case is one PASS/FAIL line.
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
TEST_LOG_DRIVER = $(LOG_DRIVER)
AM_TESTS_ENVIRONMENT = CK_TAP_LOG_FILE_NAME=- CK_VERBOSITY=silent \
	top_srcdir='$(top_srcdir)' top_builddir='$(top_builddir)' \
	RULEC='$(top_builddir)/rulec'; export CK_TAP_LOG_FILE_NAME CK_VERBOSITY top_srcdir top_builddir RULEC;

# Golden-file tests of rulec (t/golden/KIND/NAME.rule -> NAME.out).
TESTS += t/golden.sh
EXTRA_DIST += t/golden.sh t/golden t/schemas t/contexts

# Metrics in the Prometheus text format, checked by promtool (Debian's
# prometheus package), from rulec eval and from rulec watch over HTTP.
TESTS += t/metrics.sh
EXTRA_DIST += t/metrics.sh

# rulec diff: versions from git (PATH@REV), decision-log records as cases.
TESTS += t/diff.sh
EXTRA_DIST += t/diff.sh

# The grammar's corpus and highlight tests, and parser.c freshness.
TESTS += t/grammar.sh
EXTRA_DIST += t/grammar.sh t/consumer.c

# Unit tests: one check suite per stage (t/check_<stage>.c), linked with
# the static convenience library so internal functions are reachable.
# Without libcheck, `make check` fails with a test saying what to install
# rather than skipping them.
if HAVE_CHECK
check_PROGRAMS += t/check_literal t/check_syntax t/check_diag
TESTS += t/check_literal t/check_syntax t/check_diag
# src/ is searched for "quoted" includes only: src/check.h (the type
# checker) must not hide libcheck's <check.h>.
t_check_cppflags = -I$(top_builddir)/include -I$(top_srcdir)/include \
	-iquote $(top_srcdir)/src -I$(top_builddir)
t_check_literal_SOURCES = t/check_literal.c t/check_main.h
t_check_literal_CPPFLAGS = $(t_check_cppflags)
t_check_literal_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
t_check_literal_LDADD = librulecore_core.la $(CHECK_LIBS)
t_check_syntax_SOURCES = t/check_syntax.c t/check_main.h
t_check_syntax_CPPFLAGS = $(t_check_cppflags)
t_check_syntax_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
t_check_syntax_LDADD = librulecore_core.la $(CHECK_LIBS)
t_check_diag_SOURCES = t/check_diag.c t/check_main.h
t_check_diag_CPPFLAGS = $(t_check_cppflags) $(JANSSON_CFLAGS)
t_check_diag_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
t_check_diag_LDADD = librulecore_core.la $(CHECK_LIBS) $(JANSSON_LIBS)
check_PROGRAMS += t/check_schema
TESTS += t/check_schema
t_check_schema_SOURCES = t/check_schema.c t/check_main.h
t_check_schema_CPPFLAGS = $(t_check_cppflags)
t_check_schema_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
t_check_schema_LDADD = librulecore_core.la $(CHECK_LIBS)
else
check_SCRIPTS = t/check-missing
TESTS += t/check-missing
CLEANFILES += t/check-missing
t/check-missing: Makefile
	$(AM_V_GEN)$(MKDIR_P) t && printf '%s\n' '#!/bin/sh' \
	  'echo "1..1"' \
	  'echo "check (libcheck) was not found at configure time: install the Debian package check" >&2' \
	  'echo "not ok 1 - the check unit tests were not built: install the Debian package check (apt-get install check), then re-run configure"' \
	  'exit 1' >$@ && chmod +x $@
endif

# The type checker's suite.
if HAVE_CHECK
check_PROGRAMS += t/check_check
TESTS += t/check_check
t_check_check_SOURCES = t/check_check.c t/check_main.h
t_check_check_CPPFLAGS = $(t_check_cppflags)
t_check_check_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
t_check_check_LDADD = librulecore_core.la $(CHECK_LIBS)
endif

# CEL's conformance cases ($CONFORMANCE_DIR, else ../shared/conformance next
# to the source tree) run by `rulec conformance`: one TAP test per .jsonl
# file, and one that t/conformance-skips.txt (the cases rulecore does not
# support, with reasons) stays honest.  The shared tree is absent from a
# release tarball (make distcheck): only then, with no CONFORMANCE_DIR
# given, is RULECORE_NO_CONFORMANCE=1 set, which makes the test a SKIP;
# anywhere else a missing directory fails it.
TESTS += t/conformance.sh
EXTRA_DIST += t/conformance.sh t/conformance-skips.txt
AM_TESTS_ENVIRONMENT += test -n "$${CONFORMANCE_DIR}" || test -d '$(top_srcdir)/../shared/conformance' || \
	{ RULECORE_NO_CONFORMANCE=1; export RULECORE_NO_CONFORMANCE; };

# CEL timestamps and durations (src/time.c).  Its IANA zone cases read
# /usr/share/zoneinfo and fail naming the Debian package tzdata without it.
if HAVE_CHECK
check_PROGRAMS += t/check_time
TESTS += t/check_time
t_check_time_SOURCES = t/check_time.c t/check_main.h
t_check_time_CPPFLAGS = $(t_check_cppflags)
t_check_time_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
t_check_time_LDADD = librulecore_core.la $(CHECK_LIBS) -lpthread
endif

# The evaluator (src/compile.c, src/eval.c, src/activation.c): CEL's run-time
# semantics, activations and their builder and JSON fills, results, limits,
# and one program shared by several threads.
if HAVE_CHECK
check_PROGRAMS += t/check_eval
TESTS += t/check_eval
t_check_eval_SOURCES = t/check_eval.c t/check_main.h
t_check_eval_CPPFLAGS = $(t_check_cppflags)
t_check_eval_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
t_check_eval_LDADD = librulecore_core.la $(CHECK_LIBS) -lpthread
endif

# Rulesets (src/luahost.c, src/ruleset.c): loading, the sandbox, ordering,
# hit policies, the decision graph, validations, tests, allocation failure.
# Rule files of its cases are written into a scratch directory per test.
if HAVE_CHECK
check_PROGRAMS += t/check_ruleset
TESTS += t/check_ruleset
t_check_ruleset_SOURCES = t/check_ruleset.c t/check_main.h
t_check_ruleset_CPPFLAGS = $(t_check_cppflags)
t_check_ruleset_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
t_check_ruleset_LDADD = librulecore_core.la $(CHECK_LIBS) -lpthread
endif

# Watched rulesets (src/watch.c): reloads by inotify and polling, the
# last good version kept, and the stress cases: evaluating threads while a
# writer replaces the files hundreds of times (rename, in place, ConfigMap).
if HAVE_CHECK
check_PROGRAMS += t/check_watch
TESTS += t/check_watch
t_check_watch_SOURCES = t/check_watch.c t/check_main.h
t_check_watch_CPPFLAGS = $(t_check_cppflags)
t_check_watch_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
t_check_watch_LDADD = librulecore_core.la $(CHECK_LIBS) -lpthread
endif

# The tests the bundled rulesets declare (rules/*/ and t/rulesets/*/), run
# by `rulec test`: one TAP line per ruleset test.
TESTS += t/rulesets.sh
EXTRA_DIST += t/rulesets.sh t/rulesets rules

# rulec watch on a scratch copy of a ruleset, changed while it runs.
TESTS += t/watch.sh
EXTRA_DIST += t/watch.sh

# Diagrams (src/graph.c): the fields rulesets record, rulecore_ruleset_graph
# and rulecore_decisions_graph, escaping of hostile labels.
if HAVE_CHECK
check_PROGRAMS += t/check_graph
TESTS += t/check_graph
t_check_graph_SOURCES = t/check_graph.c t/check_main.h
t_check_graph_CPPFLAGS = $(t_check_cppflags)
t_check_graph_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
t_check_graph_LDADD = librulecore_core.la $(CHECK_LIBS)
endif

# rulec graph's output read by Graphviz's dot and by the mermaid package
# (t/mermaid: pinned versions, installed outside the tree by
# scripts/deps --test).
TESTS += t/graph-render.sh
EXTRA_DIST += t/graph-render.sh t/mermaid/package.json t/mermaid/package-lock.json t/mermaid/parse.mjs
