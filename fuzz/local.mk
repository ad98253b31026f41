# libFuzzer targets: ./configure CC=clang --enable-fuzzer && make fuzz/fuzz_parse fuzz/fuzz_ruleset fuzz/fuzz_context
# Run: scripts/fuzz [SECONDS] [parse|ruleset|context] (corpus in fuzz/corpus/TARGET,
# seeded from the golden files, or for ruleset from fuzz/seeds/ruleset and t/rulesets,
# or for context from fuzz/seeds/context and t/contexts).
if ENABLE_FUZZER
noinst_PROGRAMS += fuzz/fuzz_parse fuzz/fuzz_ruleset fuzz/fuzz_context
fuzz_fuzz_parse_SOURCES = %reldir%/fuzz_parse.c
fuzz_fuzz_parse_CPPFLAGS = $(AM_CPPFLAGS)
fuzz_fuzz_parse_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
fuzz_fuzz_parse_LDFLAGS = -fsanitize=fuzzer,address,undefined
fuzz_fuzz_parse_LDADD = librulecore_core.la
fuzz_fuzz_ruleset_SOURCES = %reldir%/fuzz_ruleset.c
fuzz_fuzz_ruleset_CPPFLAGS = $(AM_CPPFLAGS)
fuzz_fuzz_ruleset_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
fuzz_fuzz_ruleset_LDFLAGS = -fsanitize=fuzzer,address,undefined
fuzz_fuzz_ruleset_LDADD = librulecore_core.la
fuzz_fuzz_context_SOURCES = %reldir%/fuzz_context.c
fuzz_fuzz_context_CPPFLAGS = $(AM_CPPFLAGS)
fuzz_fuzz_context_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
fuzz_fuzz_context_LDFLAGS = -fsanitize=fuzzer,address,undefined
fuzz_fuzz_context_LDADD = librulecore_core.la
endif
EXTRA_DIST += %reldir%/fuzz_parse.c %reldir%/cel.dict \
	%reldir%/fuzz_ruleset.c %reldir%/lua.dict %reldir%/seeds \
	%reldir%/fuzz_context.c %reldir%/json.dict
