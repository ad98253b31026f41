/*
 * rtime.h: CEL timestamps and durations: parsing, formatting, checked
 * arithmetic and the calendar accessors, in UTC or in a time zone.
 *
 * Pure functions over small value structs, tested on their own; the
 * evaluator turns a false return into an error value.  The only state is a
 * bounded, mutex-protected cache of zones loaded from the system zoneinfo
 * (never TZ, localtime or setenv, which are not thread-safe), so every
 * function may be called from any thread.
 *
 * Ranges (cel-spec, "Overflow"):
 *  - a timestamp lies in [0001-01-01T00:00:00Z, 9999-12-31T23:59:59.999999999Z];
 *  - a duration is a single int64 count of nanoseconds, roughly +-292
 *    years.  This is narrower than google.protobuf.Duration (+-10000
 *    years): the conformance case timestamps/timestamp_range/
 *    sub_time_duration_under requires it.
 *
 * The header is rtime.h, not time.h: src/ is on every module's include
 * path, where a time.h would hide the C library's <time.h> (which
 * <pthread.h> includes).  The definitions are in src/time.c.
 */
#ifndef RULECORE_RTIME_H
#define RULECORE_RTIME_H

#include "internal.h"

/* An instant: seconds since 1970-01-01T00:00:00Z and nanos in
 * [0, 999999999]. */
typedef struct rtime_ts {
  int64_t sec;
  int32_t nanos;
} rtime_ts;

/* A signed span: sec and nanos have the same sign (or are 0), |nanos| is
 * below 1e9, and the total fits an int64 count of nanoseconds. */
typedef struct rtime_dur {
  int64_t sec;
  int32_t nanos;
} rtime_dur;

#define RTIME_TS_MIN_SEC INT64_C(-62135596800) /* 0001-01-01T00:00:00Z */
#define RTIME_TS_MAX_SEC INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

/* Room for any formatted timestamp or duration, with its NUL. */
#define RTIME_FORMAT_MAX 40

/* The calendar and clock fields CEL can read, and the duration ones. */
typedef enum rtime_field {
  RTIME_FULL_YEAR,    /* getFullYear */
  RTIME_MONTH,        /* getMonth: 0-11 */
  RTIME_DAY_OF_YEAR,  /* getDayOfYear: 0-365 */
  RTIME_DAY_OF_MONTH, /* getDayOfMonth: 0-30 */
  RTIME_DATE,         /* getDate: 1-31 */
  RTIME_DAY_OF_WEEK,  /* getDayOfWeek: 0 = Sunday */
  RTIME_HOURS,        /* getHours: 0-23; of a duration, whole hours */
  RTIME_MINUTES,      /* getMinutes: 0-59; of a duration, whole minutes */
  RTIME_SECONDS,      /* getSeconds: 0-59; of a duration, whole seconds */
  RTIME_MILLISECONDS  /* getMilliseconds: 0-999; of a duration, the total */
} rtime_field;

/* Every function taking err, errlen writes a NUL-terminated one-line
 * message into err[0..errlen) when it returns false (err may be NULL when
 * errlen is 0).  Range errors say "out of range". */

/* Parse an RFC 3339 timestamp s[0..n) ("2009-02-13T23:31:30.5+01:00"; 'T'
 * and 'Z' may be lower case; 1-9 fraction digits) into *out (UTC).  false
 * when malformed, when a field is out of its range (month 13, Feb 30,
 * hour 24, second 60), or when the instant is outside CEL's range. */
INTERNAL bool rtime_parse_timestamp(const char *s, size_t n, rtime_ts *out, char *err, size_t errlen);
/* Write t as RFC 3339 in UTC ("...Z"), with a fraction only when nanos is
 * not 0 and its trailing zeros removed, into out[0..n).  Returns the
 * length the text has (as snprintf: truncated when that is >= n).  t must
 * be in range. */
INTERNAL size_t rtime_format_timestamp(rtime_ts t, char *out, size_t n);
/* Whether t is a valid timestamp in CEL's range. */
INTERNAL bool rtime_timestamp_valid(rtime_ts t);
/* The timestamp sec seconds after the epoch (CEL's timestamp(int)); false
 * when out of range. */
INTERNAL bool rtime_timestamp_from_seconds(int64_t sec, rtime_ts *out, char *err, size_t errlen);

/* Parse a Go time.ParseDuration string s[0..n) ("1h2m3.5s", "-1.5h",
 * "100ms", "0"; units h m s ms us µs μs ns) into *out.  false when
 * malformed or outside the int64 nanosecond range. */
INTERNAL bool rtime_parse_duration(const char *s, size_t n, rtime_dur *out, char *err, size_t errlen);
/* Write d as CEL prints it: seconds, a fraction without trailing zeros
 * when nanos is not 0, and "s" ("0s", "-1.5s", "123.321456789s").
 * Returns the text's length as snprintf does. */
INTERNAL size_t rtime_format_duration(rtime_dur d, char *out, size_t n);
/* Whether d is normalized and in range. */
INTERNAL bool rtime_duration_valid(rtime_dur d);

/* Checked arithmetic: each stores the result and returns true, or returns
 * false (leaving *out alone) when the result is out of range. */
INTERNAL bool rtime_ts_add(rtime_ts t, rtime_dur d, rtime_ts *out);
INTERNAL bool rtime_ts_sub(rtime_ts t, rtime_dur d, rtime_ts *out);
INTERNAL bool rtime_ts_diff(rtime_ts a, rtime_ts b, rtime_dur *out); /* a - b */
INTERNAL bool rtime_dur_add(rtime_dur a, rtime_dur b, rtime_dur *out);
INTERNAL bool rtime_dur_sub(rtime_dur a, rtime_dur b, rtime_dur *out);
INTERNAL bool rtime_dur_neg(rtime_dur d, rtime_dur *out);
/* -1, 0 or 1 as a is before, at or after b. */
INTERNAL int rtime_ts_cmp(rtime_ts a, rtime_ts b);
INTERNAL int rtime_dur_cmp(rtime_dur a, rtime_dur b);

/* The offset from UTC, in seconds east, of zone[0..n) at instant t.  The
 * zone is "UTC", a fixed offset "+05:30" / "-08:00" (sign required, as
 * cel-spec's FixedTZ), or an IANA name read from the system zoneinfo and
 * cached.  false for an unknown or malformed zone. */
INTERNAL bool rtime_zone_offset(rtime_ts t, const char *zone, size_t n, int32_t *offset, char *err, size_t errlen);
/* Field f of t in zone[0..n) (zone NULL: UTC).  false when the zone is
 * unknown or f is not a timestamp field. */
INTERNAL bool rtime_ts_get(rtime_ts t, rtime_field f, const char *zone, size_t n, int64_t *out, char *err,
                           size_t errlen);
/* Field f (RTIME_HOURS .. RTIME_MILLISECONDS) of d, truncated toward zero
 * (duration('3730s').getMinutes() == 62); false for another field. */
INTERNAL bool rtime_dur_get(rtime_dur d, rtime_field f, int64_t *out);

/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d (m 1-12). */
INTERNAL int64_t rtime_days_from_civil(int64_t y, int m, int d);
/* The date of day z after 1970-01-01. */
INTERNAL void rtime_civil_from_days(int64_t z, int64_t *y, int *m, int *d);

/* Free the zone cache (for tests and valgrind; not concurrently with any
 * other call).  Later calls load zones again. */
INTERNAL void rtime_cleanup(void);

#endif
