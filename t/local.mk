# Tests: check suites (one per stage) and golden-file tests of rulec, all
# through automake's TAP driver so each test case is one PASS/FAIL line.
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
TEST_LOG_DRIVER = $(LOG_DRIVER)
AM_TESTS_ENVIRONMENT = CK_TAP_LOG_FILE_NAME=- CK_VERBOSITY=silent \
	top_srcdir='$(top_srcdir)' top_builddir='$(top_builddir)' \
	RULEC='$(top_builddir)/rulec'; export CK_TAP_LOG_FILE_NAME CK_VERBOSITY top_srcdir top_builddir RULEC;

# Golden-file tests of rulec (t/golden/KIND/NAME.rule -> NAME.out).
TESTS += t/golden.sh
EXTRA_DIST += t/golden.sh t/golden

# The grammar's corpus and highlight tests, and parser.c freshness.
TESTS += t/grammar.sh
EXTRA_DIST += t/grammar.sh t/consumer.c
