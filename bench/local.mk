# Benchmarks (not tests): `make bench` builds bench/bench and runs it on the
# shared workloads (../shared/bench/workloads.json next to the source tree;
# `make bench WORKLOADS=FILE` or WORKLOADS=FILE in the environment to use
# another), printing a table and writing $(top_srcdir)/bench/results.json.
# bench/bench is an EXTRA_PROGRAM: `make`, `make check` and `make distcheck`
# never build or run it.  It uses only the public header and jansson.
EXTRA_PROGRAMS = bench/bench
bench_bench_SOURCES = %reldir%/bench.c
bench_bench_CPPFLAGS = -I$(top_builddir)/include -I$(top_srcdir)/include $(JANSSON_CFLAGS)
bench_bench_LDADD = librulecore.la $(JANSSON_LIBS) -lm
# A real binary linked against the build tree's library, not a libtool
# wrapper script, so perf and gdb see the program itself.
bench_bench_LDFLAGS = $(AM_LDFLAGS) -no-install
CLEANFILES += bench/bench$(EXEEXT)

bench_workloads = $(top_srcdir)/../shared/bench/workloads.json
bench_results = $(top_srcdir)/bench/results.json

# The shell default lets WORKLOADS come from make's command line (which GNU
# make exports to recipes) or from the environment.
bench: bench/bench$(EXEEXT)
	bench/bench$(EXEEXT) "$${WORKLOADS:-$(bench_workloads)}" $(bench_results) $(top_srcdir)/rules/architecture
.PHONY: bench
