# librulecore: every stage of the pipeline is one file (see ../shared/STYLE.md).
# The objects are built once into a convenience library, which the shared
# library exports (only rulecore_* symbols) and the check tests link
# directly, so tests can reach internal functions without exporting them.
noinst_LTLIBRARIES += librulecore_core.la
librulecore_core_la_SOURCES = \
	%reldir%/internal.h \
	%reldir%/mem.c %reldir%/mem.h \
	%reldir%/source.c %reldir%/source.h \
	%reldir%/diag.c %reldir%/diag.h \
	%reldir%/ast.c %reldir%/ast.h \
	%reldir%/literal.c %reldir%/literal.h \
	%reldir%/syntax.c %reldir%/syntax.h \
	%reldir%/type.c %reldir%/type.h \
	%reldir%/suggest.c %reldir%/suggest.h \
	%reldir%/schema.c %reldir%/schema.h \
	%reldir%/strmap.c %reldir%/strmap.h \
	%reldir%/json.c %reldir%/json.h \
	%reldir%/check.c %reldir%/check.h %reldir%/overloads.def \
	%reldir%/regex.c %reldir%/regex.h \
	%reldir%/rtime.c %reldir%/rtime.h \
	%reldir%/value.c %reldir%/value.h \
	%reldir%/activation.c %reldir%/activation.h \
	%reldir%/compile.c %reldir%/eval.h %reldir%/closures.def \
	%reldir%/eval.c \
	%reldir%/ext.c %reldir%/ext.h %reldir%/ext_net.c \
	%reldir%/sha256.c %reldir%/sha256.h \
	%reldir%/ruleset.h %reldir%/luahost.c %reldir%/ruleset.c %reldir%/explain.c %reldir%/metrics.c %reldir%/declog.c \
	%reldir%/watch.c \
	%reldir%/graph.c %reldir%/graph.h \
	%reldir%/api.c %reldir%/api.h
librulecore_core_la_CPPFLAGS = $(AM_CPPFLAGS) -DRULECORE_BUILDING \
	$(TREE_SITTER_CFLAGS) $(JANSSON_CFLAGS) $(PCRE2_CFLAGS) $(LUA_CFLAGS)
librulecore_core_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
librulecore_core_la_LIBADD = libtsrulecore.la \
	$(TREE_SITTER_LIBS) $(JANSSON_LIBS) $(PCRE2_LIBS) $(LUA_LIBS) -lm

# The generated tree-sitter parser, compiled without our warning flags.
noinst_LTLIBRARIES += libtsrulecore.la
libtsrulecore_la_SOURCES = grammars/tree-sitter-rulecore/src/parser.c \
	grammars/tree-sitter-rulecore/src/tree_sitter/parser.h \
	grammars/tree-sitter-rulecore/src/tree_sitter/alloc.h \
	grammars/tree-sitter-rulecore/src/tree_sitter/array.h
libtsrulecore_la_CPPFLAGS = -I$(top_srcdir)/grammars/tree-sitter-rulecore/src
libtsrulecore_la_CFLAGS = -fvisibility=hidden $(SAN_CFLAGS)

lib_LTLIBRARIES += librulecore.la
librulecore_la_SOURCES =
librulecore_la_LIBADD = librulecore_core.la
librulecore_la_LDFLAGS = $(AM_LDFLAGS) -version-info $(RULECORE_LT_VERSION_INFO) \
	-export-symbols-regex '^rulecore_' -no-undefined

bin_PROGRAMS += rulec
rulec_SOURCES = %reldir%/rulec.c %reldir%/rulec.h %reldir%/rulec_rules.c %reldir%/rulec_graph.c %reldir%/rulec_http.c %reldir%/rulec_diff.c \
	%reldir%/conformance.c
rulec_CPPFLAGS = -I$(top_builddir)/include -I$(top_srcdir)/include $(JANSSON_CFLAGS)
rulec_LDADD = librulecore.la $(JANSSON_LIBS)
