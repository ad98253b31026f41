# libFuzzer targets: ./configure CC=clang --enable-fuzzer && make fuzz/fuzz_parse
# Run: scripts/fuzz (corpus in fuzz/corpus/parse, seeded from the golden files).
if ENABLE_FUZZER
noinst_PROGRAMS += fuzz/fuzz_parse
fuzz_fuzz_parse_SOURCES = %reldir%/fuzz_parse.c
fuzz_fuzz_parse_CPPFLAGS = $(AM_CPPFLAGS)
fuzz_fuzz_parse_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
fuzz_fuzz_parse_LDFLAGS = -fsanitize=fuzzer,address,undefined
fuzz_fuzz_parse_LDADD = librulecore_core.la
endif
EXTRA_DIST += %reldir%/fuzz_parse.c %reldir%/cel.dict
