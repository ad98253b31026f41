/*
 * internal.h: what every module of librulecore includes first.
 *
 * Internal functions are not static when another module calls them; they
 * carry their module's prefix (mem_, src_, diag_, ast_, lit_, syn_, type_,
 * schema_, json_, check_, regex_, suggest_, rtime_) and INTERNAL, so they
 * stay out of the shared library's dynamic symbol table even if
 * -fvisibility=hidden is dropped.
 */
#ifndef RULECORE_INTERNAL_H
#define RULECORE_INTERNAL_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rulecore.h"

#if defined(__GNUC__)
#define INTERNAL __attribute__((visibility("hidden")))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#define INTERNAL
#define PRINTF_LIKE(f, a)
#endif

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
