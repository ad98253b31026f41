/*
 * check_time.c: CEL timestamps and durations of src/time.c, called
 * directly (the test links the static convenience library).
 *
 * Cases marked "conformance" are copied from
 * ../shared/conformance/core/timestamps.jsonl: they are the spec.  The IANA
 * zone cases read /usr/share/zoneinfo; without it they fail naming the
 * Debian package tzdata rather than skip.
 */
#include "rtime.h"

#include <dirent.h>
#include <pthread.h>
#include <unistd.h>

#include "check_main.h"

Suite *suite_time(void);

#define ZONEINFO "/usr/share/zoneinfo"

/* Fail the test unless the system zone database is installed. */
static void require_tzdata(void) {
  ck_assert_msg(access(ZONEINFO "/America/Los_Angeles", R_OK) == 0,
                ZONEINFO " is missing or incomplete: install the Debian package tzdata (scripts/deps --test)");
}

/* Whether zone names an IANA zone (so the case needs tzdata). */
static bool is_iana(const char *zone) {
  return zone && zone[0] != '+' && zone[0] != '-' && strcmp(zone, "UTC") != 0;
}

static rtime_ts ts_of(const char *s) {
  rtime_ts t = {0, 0};
  char err[128] = "";
  ck_assert_msg(rtime_parse_timestamp(s, strlen(s), &t, err, sizeof err), "timestamp \"%s\": %s", s, err);
  return t;
}

static rtime_dur dur_of(const char *s) {
  rtime_dur d = {0, 0};
  char err[128] = "";
  ck_assert_msg(rtime_parse_duration(s, strlen(s), &d, err, sizeof err), "duration \"%s\": %s", s, err);
  return d;
}

/* ---- rtime_days_from_civil / rtime_civil_from_days ---- */

/* Every day of CEL's range (and year 0 and 10000 around it) round-trips
 * and follows its predecessor. */
START_TEST(test_civil_every_day) {
  int64_t first = rtime_days_from_civil(0, 1, 1), last = rtime_days_from_civil(10000, 12, 31);
  int64_t py = -1;
  int pm = 12, pd = 31;
  ck_assert_int_eq(rtime_days_from_civil(1970, 1, 1), 0);
  ck_assert_int_eq(rtime_days_from_civil(1, 1, 1) * 86400, RTIME_TS_MIN_SEC);
  ck_assert_int_eq(rtime_days_from_civil(9999, 12, 31) * 86400 + 86399, RTIME_TS_MAX_SEC);
  for (int64_t z = first; z <= last; z++) {
    int64_t y;
    int m, d;
    rtime_civil_from_days(z, &y, &m, &d);
    bool next = (y == py && m == pm && d == pd + 1) || (y == py && m == pm + 1 && d == 1 && pd >= 28) ||
                (y == py + 1 && m == 1 && d == 1 && pm == 12 && pd == 31);
    if (!next || rtime_days_from_civil(y, m, d) != z)
      ck_abort_msg("day %lld: %lld-%02d-%02d after %lld-%02d-%02d", (long long)z, (long long)y, m, d, (long long)py,
                   pm, pd);
    if (d == 1 && m == 3)
      ck_assert_msg(pd == ((y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28), "February of %lld", (long long)y);
    py = y;
    pm = m;
    pd = d;
  }
}
END_TEST

/* ---- rtime_parse_timestamp / rtime_format_timestamp ---- */

static const struct {
  const char *s;
  int64_t sec;
  int32_t nanos;
  const char *text; /* formatted back */
} ts_cases[] = {
    {"2009-02-13T23:31:30Z", 1234567890, 0, "2009-02-13T23:31:30Z"}, /* conformance toInt, toString */
    {"1970-01-01T00:00:00Z", 0, 0, "1970-01-01T00:00:00Z"},
    {"2009-02-13t23:31:30z", 1234567890, 0, "2009-02-13T23:31:30Z"},
    {"2009-02-14T00:31:30+01:00", 1234567890, 0, "2009-02-13T23:31:30Z"},
    {"2009-02-13T15:31:30-08:00", 1234567890, 0, "2009-02-13T23:31:30Z"},
    {"2009-02-14T05:01:30+05:30", 1234567890, 0, "2009-02-13T23:31:30Z"},
    {"2009-02-13T23:31:30-00:00", 1234567890, 0, "2009-02-13T23:31:30Z"},
    {"1970-01-01T00:00:00.1Z", 0, 100000000, "1970-01-01T00:00:00.1Z"},
    {"1970-01-01T00:00:00.12Z", 0, 120000000, "1970-01-01T00:00:00.12Z"},
    {"1970-01-01T00:00:00.123Z", 0, 123000000, "1970-01-01T00:00:00.123Z"},
    {"1970-01-01T00:00:00.1234Z", 0, 123400000, "1970-01-01T00:00:00.1234Z"},
    {"1970-01-01T00:00:00.12345Z", 0, 123450000, "1970-01-01T00:00:00.12345Z"},
    {"1970-01-01T00:00:00.123456Z", 0, 123456000, "1970-01-01T00:00:00.123456Z"},
    {"1970-01-01T00:00:00.1234567Z", 0, 123456700, "1970-01-01T00:00:00.1234567Z"},
    {"1970-01-01T00:00:00.12345678Z", 0, 123456780, "1970-01-01T00:00:00.12345678Z"},
    {"1970-01-01T00:00:00.123456789Z", 0, 123456789, "1970-01-01T00:00:00.123456789Z"},
    {"1970-01-01T00:00:00.500Z", 0, 500000000, "1970-01-01T00:00:00.5Z"},
    {"1970-01-01T00:00:00.000000001Z", 0, 1, "1970-01-01T00:00:00.000000001Z"},
    {"1970-01-01T00:00:00.000000000Z", 0, 0, "1970-01-01T00:00:00Z"},
    {"1969-12-31T23:59:59.999999999Z", -1, 999999999, "1969-12-31T23:59:59.999999999Z"},
    {"2009-02-13T23:31:20.123456789Z", 1234567880, 123456789, "2009-02-13T23:31:20.123456789Z"},
    {"2000-02-29T00:00:00Z", 951782400, 0, "2000-02-29T00:00:00Z"},
    {"2024-02-29T12:00:00Z", 1709208000, 0, "2024-02-29T12:00:00Z"},
    {"1600-02-29T00:00:00Z", INT64_C(-11670998400), 0, "1600-02-29T00:00:00Z"},
    {"0001-01-01T00:00:00Z", RTIME_TS_MIN_SEC, 0, "0001-01-01T00:00:00Z"},
    {"9999-12-31T23:59:59.999999999Z", RTIME_TS_MAX_SEC, 999999999, "9999-12-31T23:59:59.999999999Z"},
    /* Year 0 or 10000 in local time, in range in UTC. */
    {"0000-12-31T23:00:00-01:00", RTIME_TS_MIN_SEC, 0, "0001-01-01T00:00:00Z"},
    {"9999-12-31T23:59:59-00:00", RTIME_TS_MAX_SEC, 0, "9999-12-31T23:59:59Z"},
    {"0001-01-01T00:59:00+00:59", RTIME_TS_MIN_SEC, 0, "0001-01-01T00:00:00Z"},
};

START_TEST(test_parse_timestamp_table) {
  const char *s = ts_cases[_i].s;
  rtime_ts t = ts_of(s);
  ck_assert_msg(t.sec == ts_cases[_i].sec && t.nanos == ts_cases[_i].nanos, "\"%s\" gave %lld.%09d, expected %lld.%09d",
                s, (long long)t.sec, t.nanos, (long long)ts_cases[_i].sec, ts_cases[_i].nanos);
  char z[RTIME_FORMAT_MAX];
  size_t n = rtime_format_timestamp(t, z, sizeof z);
  assert_text_eq(z, ts_cases[_i].text);
  ck_assert_uint_eq(n, strlen(z));
  /* And the text parses back to the same instant. */
  rtime_ts back = ts_of(z);
  ck_assert(rtime_ts_cmp(back, t) == 0);
}
END_TEST

static const struct {
  const char *s;
  const char *message; /* a substring of the error */
} ts_errors[] = {
    {"", "expected a date"},
    {"2009", "expected a date"},
    {"09-02-13T23:31:30Z", "expected a date"},
    {"2009-2-13T23:31:30Z", "expected a date"},
    {"10000-01-01T00:00:00Z", "expected a date"},
    {"-001-01-01T00:00:00Z", "expected a date"},
    {"2009-02-13 23:31:30Z", "expected 'T'"},
    {"2009-02-13", "expected 'T'"},
    {"2009-02-13T23:31Z", "expected a time"},
    {"2009-02-13T23:31:3Z", "expected a time"},
    {"2009-02-13T23:31:30", "expected 'Z' or an offset"},
    {"2009-02-13T23:31:30UTC", "expected 'Z' or an offset"},
    {"2009-02-13T23:31:30.Z", "expected fraction digits"},
    {"2009-02-13T23:31:30.1234567891Z", "more than 9 fraction digits"},
    {"2009-02-13T23:31:30ZZ", "unexpected text"},
    {"2009-02-13T23:31:30Z ", "unexpected text"},
    {"2009-02-13T23:31:30+05", "expected an offset"},
    {"2009-02-13T23:31:30+0530", "expected an offset"},
    {"2009-02-13T23:31:30+5:30", "expected an offset"},
    {"2009-02-13T23:31:30+24:00", "offset +24:00 out of range"},
    {"2009-02-13T23:31:30-05:60", "offset -05:60 out of range"},
    {"2009-13-13T23:31:30Z", "month 13 out of range"},
    {"2009-00-13T23:31:30Z", "month 00 out of range"},
    {"2009-01-32T23:31:30Z", "day 32 out of range"},
    {"2009-01-00T23:31:30Z", "day 00 out of range"},
    {"2009-02-29T00:00:00Z", "day 29 out of range for 2009-02"},
    {"1900-02-29T00:00:00Z", "day 29 out of range for 1900-02"},
    {"2009-04-31T00:00:00Z", "day 31 out of range"},
    {"2009-02-13T24:00:00Z", "time 24:00:00 out of range"},
    {"2009-02-13T23:60:00Z", "time 23:60:00 out of range"},
    {"2009-02-13T23:59:60Z", "time 23:59:60 out of range"},
    {"0000-12-31T23:59:59.999999999Z", "timestamp out of range"},
    {"0001-01-01T00:00:00+00:01", "timestamp out of range"},
    {"9999-12-31T23:59:59-00:01", "timestamp out of range"},
    {"9999-12-31T23:59:59.999999999-00:01", "timestamp out of range"},
};

START_TEST(test_parse_timestamp_errors) {
  const char *s = ts_errors[_i].s;
  rtime_ts t = {42, 7};
  char err[128] = "";
  ck_assert_msg(!rtime_parse_timestamp(s, strlen(s), &t, err, sizeof err), "\"%s\" was accepted", s);
  ck_assert_msg(strstr(err, ts_errors[_i].message) != NULL, "\"%s\": message \"%s\", expected \"%s\"", s, err,
                ts_errors[_i].message);
  ck_assert(t.sec == 42 && t.nanos == 7);
}
END_TEST

/* Only s[0..n) is read; a message is cut to errlen. */
START_TEST(test_parse_timestamp_length) {
  rtime_ts t;
  char err[8];
  ck_assert(rtime_parse_timestamp("2009-02-13T23:31:30Zjunk", 20, &t, NULL, 0));
  ck_assert_int_eq(t.sec, 1234567890);
  ck_assert(!rtime_parse_timestamp("2009-02-13T23:31:30Z", 19, &t, err, sizeof err));
  ck_assert_uint_eq(strlen(err), sizeof err - 1);
}
END_TEST

START_TEST(test_format_timestamp_truncates) {
  char z[8];
  rtime_ts t = {0, 5};
  ck_assert_uint_eq(rtime_format_timestamp(t, z, sizeof z), strlen("1970-01-01T00:00:00.000000005Z"));
  assert_text_eq(z, "1970-01");
  ck_assert_uint_eq(rtime_format_timestamp(t, NULL, 0), 30);
}
END_TEST

START_TEST(test_timestamp_from_seconds) {
  rtime_ts t;
  char err[64];
  ck_assert(rtime_timestamp_from_seconds(RTIME_TS_MIN_SEC, &t, err, sizeof err));
  ck_assert(rtime_timestamp_from_seconds(RTIME_TS_MAX_SEC, &t, err, sizeof err));
  /* conformance from_int_under, from_int_over */
  ck_assert(!rtime_timestamp_from_seconds(INT64_C(-62135596801), &t, err, sizeof err));
  ck_assert_msg(strstr(err, "out of range") != NULL, "%s", err);
  ck_assert(!rtime_timestamp_from_seconds(INT64_C(253402300800), &t, err, sizeof err));
  ck_assert(!rtime_timestamp_valid((rtime_ts){0, -1}));
  ck_assert(!rtime_timestamp_valid((rtime_ts){0, 1000000000}));
}
END_TEST

/* ---- rtime_parse_duration / rtime_format_duration ---- */

#define DUR_MAX_SEC INT64_C(9223372036)

static const struct {
  const char *s;
  int64_t sec;
  int32_t nanos;
  const char *text;
} dur_cases[] = {
    {"0", 0, 0, "0s"},
    {"-0", 0, 0, "0s"},
    {"+0", 0, 0, "0s"},
    {"0s", 0, 0, "0s"},
    {"1000000s", 1000000, 0, "1000000s"}, /* conformance toString_duration */
    {"3730s", 3730, 0, "3730s"},
    {"1h", 3600, 0, "3600s"},
    {"1m", 60, 0, "60s"},
    {"1s", 1, 0, "1s"},
    {"1ms", 0, 1000000, "0.001s"},
    {"1us", 0, 1000, "0.000001s"},
    {"1\xc2\xb5s", 0, 1000, "0.000001s"},
    {"1\xce\xbcs", 0, 1000, "0.000001s"},
    {"1ns", 0, 1, "0.000000001s"},
    {"100ms", 0, 100000000, "0.1s"},
    {"1h2m3.5s", 3723, 500000000, "3723.5s"},
    {"-1.5h", -5400, 0, "-5400s"},
    {"-1.5s", -1, -500000000, "-1.5s"},
    {"+5s", 5, 0, "5s"},
    {"1.5m", 90, 0, "90s"},
    {".5s", 0, 500000000, "0.5s"},
    {"5.s", 5, 0, "5s"},
    {"1h1h", 7200, 0, "7200s"},
    {"1s1ms1us1ns", 1, 1001001, "1.001001001s"},
    {"123.321456789s", 123, 321456789, "123.321456789s"},
    {"0.1234567891s", 0, 123456789, "0.123456789s"}, /* digits past nanoseconds truncate */
    {"0.000000000000000000009h", 0, 0, "0s"},
    {"-999999999ns", 0, -999999999, "-0.999999999s"},
    {"2562047h47m16.854775807s", DUR_MAX_SEC, 854775807, "9223372036.854775807s"},
    {"9223372036854775807ns", DUR_MAX_SEC, 854775807, "9223372036.854775807s"},
    {"-9223372036854775808ns", -DUR_MAX_SEC, -854775808, "-9223372036.854775808s"},
    {"-2562047h47m16.854775808s", -DUR_MAX_SEC, -854775808, "-9223372036.854775808s"},
};

START_TEST(test_parse_duration_table) {
  const char *s = dur_cases[_i].s;
  rtime_dur d = dur_of(s);
  ck_assert_msg(d.sec == dur_cases[_i].sec && d.nanos == dur_cases[_i].nanos, "\"%s\" gave %lld s %d ns", s,
                (long long)d.sec, d.nanos);
  ck_assert(rtime_duration_valid(d));
  char z[RTIME_FORMAT_MAX];
  size_t n = rtime_format_duration(d, z, sizeof z);
  assert_text_eq(z, dur_cases[_i].text);
  ck_assert_uint_eq(n, strlen(z));
  rtime_dur back = dur_of(z);
  ck_assert(rtime_dur_cmp(back, d) == 0);
}
END_TEST

static const struct {
  const char *s;
  const char *message;
} dur_errors[] = {
    {"", "empty"},
    {"-", "empty"},
    {"1", "missing unit"},
    {"1.5", "missing unit"},
    {"1h2", "missing unit"},
    {"s", "expected a number"},
    {".s", "expected a number"},
    {" 1s", "expected a number"},
    {"1s ", "unknown unit \"s \""},
    {"1x", "unknown unit \"x\""},
    {"1hh", "unknown unit \"hh\""},
    {"1e3s", "unknown unit \"e\""},
    {"1S", "unknown unit \"S\""},
    {"--1s", "expected a number"},
    {"9223372036854775808ns", "out of range"},
    {"-9223372036854775809ns", "out of range"},
    {"2562048h", "out of range"},
    {"2562047h47m16.854775808s", "out of range"},
    {"9223372036.854775808s", "out of range"},
    {"99999999999999999999999s", "out of range"},
    {"320000000000s", "out of range"},  /* conformance from_string_over */
    {"-320000000000s", "out of range"}, /* conformance from_string_under */
    {"200000000000s", "out of range"},  /* conformance add_over's operands */
    {"5124095576030431h", "out of range"},
};

START_TEST(test_parse_duration_errors) {
  const char *s = dur_errors[_i].s;
  rtime_dur d = {42, 7};
  char err[128] = "";
  ck_assert_msg(!rtime_parse_duration(s, strlen(s), &d, err, sizeof err), "\"%s\" was accepted", s);
  ck_assert_msg(strstr(err, dur_errors[_i].message) != NULL, "\"%s\": message \"%s\", expected \"%s\"", show(s, strlen(s)),
                err, dur_errors[_i].message);
  ck_assert(d.sec == 42 && d.nanos == 7);
}
END_TEST

START_TEST(test_duration_valid) {
  ck_assert(rtime_duration_valid((rtime_dur){0, 0}));
  ck_assert(rtime_duration_valid((rtime_dur){-1, -1}));
  ck_assert(!rtime_duration_valid((rtime_dur){1, -1}));
  ck_assert(!rtime_duration_valid((rtime_dur){-1, 1}));
  ck_assert(!rtime_duration_valid((rtime_dur){0, 1000000000}));
  ck_assert(!rtime_duration_valid((rtime_dur){DUR_MAX_SEC, 854775808}));
  ck_assert(!rtime_duration_valid((rtime_dur){DUR_MAX_SEC + 1, 0}));
  ck_assert(!rtime_duration_valid((rtime_dur){INT64_MIN, 0}));
}
END_TEST

/* ---- arithmetic ---- */

typedef enum { TS_ADD, TS_SUB, TS_DIFF, DUR_ADD, DUR_SUB, DUR_NEG } arith_op;

static const struct {
  arith_op op;
  const char *a, *b; /* b unused for DUR_NEG */
  const char *want;  /* formatted result, NULL: out of range */
} arith_cases[] = {
    /* conformance timestamp_arithmetic */
    {TS_ADD, "2009-02-13T23:00:00Z", "240s", "2009-02-13T23:04:00Z"},
    {TS_ADD, "2009-02-13T23:01:00Z", "120s", "2009-02-13T23:03:00Z"},
    {TS_ADD, "0001-01-01T00:00:01.000000001Z", "-999999999ns", "0001-01-01T00:00:00.000000002Z"},
    {TS_ADD, "0001-01-01T00:00:01.999999999Z", "999999999ns", "0001-01-01T00:00:02.999999998Z"},
    {TS_SUB, "2009-02-13T23:10:00Z", "600s", "2009-02-13T23:00:00Z"},
    {TS_DIFF, "2009-02-13T23:31:00Z", "2009-02-13T23:29:00Z", "120s"},
    {DUR_ADD, "600s", "50s", "650s"},
    {DUR_SUB, "900s", "42s", "858s"},
    /* conformance timestamp_range */
    {TS_ADD, "0001-01-01T00:00:00Z", "-1s", NULL},
    {TS_ADD, "9999-12-31T23:59:59Z", "1s", NULL},
    {TS_ADD, "9999-12-31T23:59:59.999999999Z", "1ns", NULL},
    {TS_ADD, "0001-01-01T00:00:00Z", "-1ns", NULL},
    {TS_DIFF, "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", NULL},
    /* Edges. */
    {TS_DIFF, "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", NULL},
    {TS_DIFF, "2262-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "9214646400s"},
    {TS_DIFF, "2263-01-01T00:00:00Z", "1970-01-01T00:00:00Z", NULL},
    {TS_DIFF, "1970-01-01T00:00:00Z", "1970-01-01T00:00:00.5Z", "-0.5s"},
    {TS_DIFF, "1970-01-01T00:00:01Z", "1970-01-01T00:00:00.000000001Z", "0.999999999s"},
    {TS_ADD, "9999-12-31T23:59:58.5Z", "1.499999999s", "9999-12-31T23:59:59.999999999Z"},
    {TS_ADD, "1970-01-01T00:00:00Z", "-0.5s", "1969-12-31T23:59:59.5Z"},
    {TS_ADD, "1970-01-01T00:00:00Z", "-9223372036854775808ns", "1677-09-21T00:12:43.145224192Z"},
    {TS_ADD, "1970-01-01T00:00:00Z", "9223372036854775807ns", "2262-04-11T23:47:16.854775807Z"},
    {TS_SUB, "1970-01-01T00:00:00Z", "-1.5s", "1970-01-01T00:00:01.5Z"},
    {TS_SUB, "1970-01-01T00:00:00Z", "-9223372036854775808ns", "2262-04-11T23:47:16.854775808Z"},
    {TS_SUB, "0001-01-01T00:00:00Z", "1ns", NULL},
    {TS_SUB, "9999-12-31T23:59:59Z", "-1s", NULL},
    {DUR_ADD, "9223372036854775807ns", "1ns", NULL},
    {DUR_ADD, "9223372036854775807ns", "-1ns", "9223372036.854775806s"},
    {DUR_ADD, "5000000000s", "5000000000s", NULL},
    {DUR_ADD, "1.5s", "-2.25s", "-0.75s"},
    {DUR_SUB, "-9223372036854775808ns", "1ns", NULL},
    {DUR_SUB, "-5000000000s", "5000000000s", NULL},
    {DUR_SUB, "5000000000s", "-5000000000s", NULL},
    {DUR_SUB, "0s", "-9223372036854775807ns", "9223372036.854775807s"},
    {DUR_NEG, "-9223372036854775808ns", NULL, NULL},
    {DUR_NEG, "9223372036854775807ns", NULL, "-9223372036.854775807s"},
    {DUR_NEG, "1.5s", NULL, "-1.5s"},
    {DUR_NEG, "0", NULL, "0s"},
};

START_TEST(test_arith_table) {
  const char *a = arith_cases[_i].a, *b = arith_cases[_i].b, *want = arith_cases[_i].want;
  char z[RTIME_FORMAT_MAX] = "";
  rtime_ts t = {1, 1};
  rtime_dur d = {1, 1};
  bool ok = false, is_ts = false;
  switch (arith_cases[_i].op) {
  case TS_ADD: ok = rtime_ts_add(ts_of(a), dur_of(b), &t), is_ts = true; break;
  case TS_SUB: ok = rtime_ts_sub(ts_of(a), dur_of(b), &t), is_ts = true; break;
  case TS_DIFF: ok = rtime_ts_diff(ts_of(a), ts_of(b), &d); break;
  case DUR_ADD: ok = rtime_dur_add(dur_of(a), dur_of(b), &d); break;
  case DUR_SUB: ok = rtime_dur_sub(dur_of(a), dur_of(b), &d); break;
  case DUR_NEG: ok = rtime_dur_neg(dur_of(a), &d); break;
  }
  if (!want) {
    ck_assert_msg(!ok, "case %d (%s, %s) did not overflow", _i, a, b ? b : "");
    ck_assert(t.sec == 1 && t.nanos == 1 && d.sec == 1 && d.nanos == 1);
    return;
  }
  ck_assert_msg(ok, "case %d (%s, %s) failed", _i, a, b ? b : "");
  if (is_ts)
    rtime_format_timestamp(t, z, sizeof z);
  else
    rtime_format_duration(d, z, sizeof z), ck_assert(rtime_duration_valid(d));
  assert_text_eq(z, want);
}
END_TEST

/* Operands outside the range are refused rather than wrapped. */
START_TEST(test_arith_invalid_operands) {
  rtime_ts t;
  rtime_dur d;
  ck_assert(!rtime_ts_add((rtime_ts){RTIME_TS_MAX_SEC + 1, 0}, (rtime_dur){-1, 0}, &t));
  ck_assert(!rtime_ts_add((rtime_ts){0, 0}, (rtime_dur){INT64_MAX, 0}, &t));
  ck_assert(!rtime_ts_sub((rtime_ts){0, 0}, (rtime_dur){INT64_MIN, 0}, &t));
  ck_assert(!rtime_dur_add((rtime_dur){INT64_MAX, 0}, (rtime_dur){INT64_MIN, 0}, &d));
  ck_assert(!rtime_dur_neg((rtime_dur){INT64_MIN, 0}, &d));
}
END_TEST

START_TEST(test_cmp) {
  /* conformance comparisons */
  ck_assert_int_eq(rtime_ts_cmp(ts_of("2009-02-13T23:31:29Z"), ts_of("2009-02-13T23:31:30Z")), -1);
  ck_assert_int_eq(rtime_ts_cmp(ts_of("1945-05-07T02:41:00Z"), ts_of("1945-05-07T02:41:00Z")), 0);
  ck_assert_int_eq(rtime_ts_cmp(ts_of("2009-03-13T23:00:00Z"), ts_of("2009-02-13T23:00:00Z")), 1);
  ck_assert_int_eq(rtime_ts_cmp(ts_of("1970-01-01T00:00:00.2Z"), ts_of("1970-01-01T00:00:00.1Z")), 1);
  ck_assert_int_eq(rtime_dur_cmp(dur_of("123s"), dur_of("123s")), 0);
  ck_assert_int_eq(rtime_dur_cmp(dur_of("60s"), dur_of("1m")), 0);
  ck_assert_int_eq(rtime_dur_cmp(dur_of("120s"), dur_of("200s")), -1);
  ck_assert_int_eq(rtime_dur_cmp(dur_of("-0.5s"), dur_of("-0.25s")), -1);
  ck_assert_int_eq(rtime_dur_cmp(dur_of("86400s"), dur_of("86164s")), 1);
}
END_TEST

/* ---- rtime_zone_offset ---- */

static const struct {
  const char *ts, *zone;
  bool ok;
  int32_t offset;      /* when ok */
  const char *message; /* otherwise, a substring */
} zone_cases[] = {
    {"2009-02-13T23:31:30Z", "UTC", true, 0, NULL},
    {"2009-02-13T23:31:30Z", "+05:30", true, 19800, NULL},
    {"2009-02-13T23:31:30Z", "-08:00", true, -28800, NULL},
    {"2009-02-13T23:31:30Z", "-00:00", true, 0, NULL},
    {"2009-02-13T23:31:30Z", "+23:59", true, 86340, NULL},
    {"2009-02-13T23:31:30Z", "+24:00", false, 0, "invalid time zone offset \"+24:00\""},
    {"2009-02-13T23:31:30Z", "+05:60", false, 0, "invalid time zone offset"},
    {"2009-02-13T23:31:30Z", "+5:30", false, 0, "invalid time zone offset"},
    {"2009-02-13T23:31:30Z", "+0530", false, 0, "invalid time zone offset"},
    {"2009-02-13T23:31:30Z", "+05:30:00", false, 0, "invalid time zone offset"},
    {"2009-02-13T23:31:30Z", "-", false, 0, "invalid time zone offset"},
    {"2009-02-13T23:31:30Z", "05:30", false, 0, "unknown time zone \"05:30\""},
    {"2009-02-13T23:31:30Z", "", false, 0, "unknown time zone \"\""},
    {"2009-02-13T23:31:30Z", "Mars/Olympus_Mons", false, 0, "unknown time zone \"Mars/Olympus_Mons\""},
    {"2009-02-13T23:31:30Z", "../../etc/passwd", false, 0, "unknown time zone"},
    {"2009-02-13T23:31:30Z", "America/../Asia/Tokyo", false, 0, "unknown time zone"},
    {"2009-02-13T23:31:30Z", "/etc/localtime", false, 0, "unknown time zone"},
    {"2009-02-13T23:31:30Z", "America//Chicago", false, 0, "unknown time zone"},
    {"2009-02-13T23:31:30Z", "America", false, 0, "time zone \"America\""},
    {"2009-02-13T23:31:30Z", "utc", false, 0, "unknown time zone"},
    /* America/Los_Angeles around the 2023 transitions, and 2038 (after
     * the transitions a fat TZif file lists: the footer rule). */
    {"2023-03-12T09:59:59Z", "America/Los_Angeles", true, -28800, NULL},
    {"2023-03-12T10:00:00Z", "America/Los_Angeles", true, -25200, NULL},
    {"2023-11-05T08:59:59Z", "America/Los_Angeles", true, -25200, NULL},
    {"2023-11-05T09:00:00Z", "America/Los_Angeles", true, -28800, NULL},
    {"2038-03-14T09:59:59Z", "America/Los_Angeles", true, -28800, NULL},
    {"2038-03-14T10:00:00Z", "America/Los_Angeles", true, -25200, NULL},
    {"2099-07-01T12:00:00Z", "America/Los_Angeles", true, -25200, NULL},
    {"2099-01-01T12:00:00Z", "America/Los_Angeles", true, -28800, NULL},
    {"9999-12-31T23:59:59Z", "America/Los_Angeles", true, -28800, NULL},
    {"1800-01-01T00:00:00Z", "America/Los_Angeles", true, -28378, NULL}, /* LMT */
    {"0001-01-01T00:00:00Z", "America/Los_Angeles", true, -28378, NULL},
    {"2023-07-01T00:00:00Z", "Asia/Shanghai", true, 28800, NULL},
    {"1988-07-01T00:00:00Z", "Asia/Shanghai", true, 32400, NULL}, /* China's DST, 1986-1991 */
    {"2099-07-01T00:00:00Z", "Australia/Sydney", true, 36000, NULL},
    {"2099-01-01T00:00:00Z", "Australia/Sydney", true, 39600, NULL},
    {"2009-02-13T23:31:30Z", "Asia/Kathmandu", true, 20700, NULL},
    {"2009-02-13T02:00:00Z", "America/St_Johns", true, -12600, NULL},
    {"2009-02-13T02:00:00Z", "US/Central", true, -21600, NULL},
    {"2009-02-13T02:00:00Z", "Etc/UTC", true, 0, NULL},
};

START_TEST(test_zone_offset_table) {
  const char *zone = zone_cases[_i].zone;
  if (is_iana(zone) && zone_cases[_i].ok)
    require_tzdata();
  int32_t off = 12345;
  char err[160] = "";
  bool ok = rtime_zone_offset(ts_of(zone_cases[_i].ts), zone, strlen(zone), &off, err, sizeof err);
  if (zone_cases[_i].ok) {
    ck_assert_msg(ok, "%s in \"%s\": %s", zone_cases[_i].ts, zone, err);
    ck_assert_msg(off == zone_cases[_i].offset, "%s in \"%s\": offset %d, expected %d", zone_cases[_i].ts, zone, off,
                  zone_cases[_i].offset);
  } else {
    ck_assert_msg(!ok, "zone \"%s\" was accepted", zone);
    ck_assert_msg(strstr(err, zone_cases[_i].message) != NULL, "\"%s\": message \"%s\", expected \"%s\"", zone, err,
                  zone_cases[_i].message);
  }
}
END_TEST

/* A second lookup comes from the cache and agrees with the first. */
START_TEST(test_zone_offset_cached) {
  require_tzdata();
  rtime_ts t = ts_of("2023-03-12T10:00:00Z");
  for (int k = 0; k < 3; k++) {
    int32_t off = 0;
    ck_assert(rtime_zone_offset(t, "America/Los_Angeles", 19, &off, NULL, 0));
    ck_assert_int_eq(off, -25200);
  }
}
END_TEST

/* More zones than the cache holds: the overflow is loaded per call. */
START_TEST(test_zone_offset_many) {
  require_tzdata();
  DIR *dir = opendir(ZONEINFO "/America");
  ck_assert_msg(dir != NULL, "no " ZONEINFO "/America: install the Debian package tzdata");
  char names[100][80];
  int count = 0;
  struct dirent *e;
  while (count < 100 && (e = readdir(dir)) != NULL) {
    if (e->d_name[0] == '.' || strlen(e->d_name) > 60)
      continue;
    char path[200];
    snprintf(path, sizeof path, ZONEINFO "/America/%s", e->d_name);
    DIR *sub = opendir(path);
    if (sub) { /* America/Argentina etc. */
      closedir(sub);
      continue;
    }
    snprintf(names[count++], sizeof names[0], "America/%s", e->d_name);
  }
  closedir(dir);
  ck_assert_int_ge(count, 80);
  for (int pass = 0; pass < 2; pass++)
    for (int k = 0; k < count; k++) {
      int32_t off = 99999;
      char err[160] = "";
      ck_assert_msg(rtime_zone_offset(ts_of("2009-02-13T23:31:30Z"), names[k], strlen(names[k]), &off, err, sizeof err),
                    "%s: %s", names[k], err);
      ck_assert_msg(off > -13 * 3600 && off <= 0, "%s: offset %d", names[k], off);
    }
}
END_TEST

static void *lookup_thread(void *arg) {
  static const char *const zones[] = {"America/Los_Angeles", "Asia/Shanghai", "Europe/Paris", "Australia/Sydney"};
  intptr_t bad = 0;
  (void)arg;
  for (int k = 0; k < 400; k++) {
    const char *z = zones[k % 4];
    int32_t off = 0;
    rtime_ts t = {1234567890, 0};
    if (!rtime_zone_offset(t, z, strlen(z), &off, NULL, 0))
      bad++;
  }
  return (void *)bad;
}

/* Concurrent first lookups of the same zones. */
START_TEST(test_zone_offset_threads) {
  require_tzdata();
  pthread_t th[4];
  for (int k = 0; k < 4; k++)
    ck_assert_int_eq(pthread_create(&th[k], NULL, lookup_thread, NULL), 0);
  intptr_t bad = 0;
  for (int k = 0; k < 4; k++) {
    void *r;
    pthread_join(th[k], &r);
    bad += (intptr_t)r;
  }
  ck_assert_int_eq(bad, 0);
}
END_TEST

/* ---- rtime_ts_get ---- */

static const struct {
  const char *ts, *zone; /* zone NULL: UTC */
  rtime_field field;
  int64_t value;
} get_cases[] = {
    /* conformance timestamp_selectors */
    {"2009-02-13T23:31:30Z", NULL, RTIME_DATE, 13},
    {"2009-02-13T23:31:30Z", NULL, RTIME_DAY_OF_MONTH, 12},
    {"2009-02-13T23:31:30Z", NULL, RTIME_DAY_OF_WEEK, 5},
    {"2009-02-13T23:31:30Z", NULL, RTIME_DAY_OF_YEAR, 43},
    {"2009-02-13T23:31:30Z", NULL, RTIME_FULL_YEAR, 2009},
    {"2009-02-13T23:31:30Z", NULL, RTIME_HOURS, 23},
    {"2009-02-13T23:31:20.123456789Z", NULL, RTIME_MILLISECONDS, 123},
    {"2009-02-13T23:31:30Z", NULL, RTIME_MINUTES, 31},
    {"2009-02-13T23:31:30Z", NULL, RTIME_MONTH, 1},
    {"2009-02-13T23:31:30Z", NULL, RTIME_SECONDS, 30},
    /* conformance timestamp_selectors_tz */
    {"2009-02-13T23:31:30Z", "Australia/Sydney", RTIME_DATE, 14},
    {"2009-02-13T23:31:30Z", "US/Central", RTIME_DAY_OF_MONTH, 12},
    {"2009-02-13T23:31:30Z", "+11:00", RTIME_DAY_OF_MONTH, 13},
    {"2009-02-13T02:00:00Z", "-02:30", RTIME_DAY_OF_MONTH, 11},
    {"2009-02-13T02:00:00Z", "America/St_Johns", RTIME_DAY_OF_MONTH, 11},
    {"2009-02-13T23:31:30Z", "UTC", RTIME_DAY_OF_WEEK, 5},
    {"2009-02-13T23:31:30Z", "US/Central", RTIME_DAY_OF_YEAR, 43},
    {"2009-02-13T23:31:30Z", "-09:30", RTIME_FULL_YEAR, 2009},
    {"2009-02-13T23:31:30Z", "Asia/Kathmandu", RTIME_MINUTES, 16},
    {"2009-02-13T23:31:30Z", "-00:00", RTIME_SECONDS, 30},
    /* Los Angeles across the spring-forward gap: 01:59:59 PST, 03:00 PDT. */
    {"2023-03-12T09:59:59Z", "America/Los_Angeles", RTIME_HOURS, 1},
    {"2023-03-12T10:00:00Z", "America/Los_Angeles", RTIME_HOURS, 3},
    {"2023-03-12T10:00:00Z", "America/Los_Angeles", RTIME_DATE, 12},
    {"2023-03-12T07:59:59Z", "America/Los_Angeles", RTIME_DATE, 11},
    {"2023-03-12T07:59:59Z", "America/Los_Angeles", RTIME_DAY_OF_WEEK, 6},
    {"2099-07-01T12:00:00Z", "America/Los_Angeles", RTIME_HOURS, 5},
    {"1800-01-01T00:00:00Z", "America/Los_Angeles", RTIME_HOURS, 16},
    {"1800-01-01T00:00:00Z", "America/Los_Angeles", RTIME_MINUTES, 7},
    {"1800-01-01T00:00:00Z", "America/Los_Angeles", RTIME_SECONDS, 2},
    {"1800-01-01T00:00:00Z", "America/Los_Angeles", RTIME_FULL_YEAR, 1799},
    /* Shanghai: already the next day. */
    {"2009-02-13T23:31:30Z", "Asia/Shanghai", RTIME_DATE, 14},
    {"2009-02-13T23:31:30Z", "Asia/Shanghai", RTIME_HOURS, 7},
    {"2009-02-13T23:31:30Z", "Asia/Shanghai", RTIME_DAY_OF_WEEK, 6},
    {"2009-02-13T23:31:30Z", "Asia/Shanghai", RTIME_DAY_OF_YEAR, 44},
    {"2009-12-31T16:00:00Z", "Asia/Shanghai", RTIME_FULL_YEAR, 2010},
    {"2009-12-31T16:00:00Z", "Asia/Shanghai", RTIME_MONTH, 0},
    /* Range edges, in UTC and past them in local time. */
    {"0001-01-01T00:00:00Z", NULL, RTIME_DAY_OF_WEEK, 1},
    {"0001-01-01T00:00:00Z", NULL, RTIME_DAY_OF_YEAR, 0},
    {"0001-01-01T00:00:00Z", "-08:00", RTIME_FULL_YEAR, 0},
    {"0001-01-01T00:00:00Z", "-08:00", RTIME_DAY_OF_YEAR, 365},
    {"0001-01-01T00:00:00Z", "-08:00", RTIME_HOURS, 16},
    {"9999-12-31T23:59:59.999999999Z", NULL, RTIME_MILLISECONDS, 999},
    {"9999-12-31T23:59:59.999999999Z", NULL, RTIME_DAY_OF_WEEK, 5},
    {"9999-12-31T23:59:59Z", "+01:00", RTIME_FULL_YEAR, 10000},
    {"9999-12-31T23:59:59Z", "+01:00", RTIME_DAY_OF_MONTH, 0},
    {"1970-01-01T00:00:00Z", NULL, RTIME_DAY_OF_WEEK, 4},
    {"1969-12-31T23:59:59Z", NULL, RTIME_DAY_OF_WEEK, 3},
    {"1969-12-31T23:59:59Z", NULL, RTIME_SECONDS, 59},
    {"2024-12-31T12:00:00Z", NULL, RTIME_DAY_OF_YEAR, 365},
    {"2023-12-31T12:00:00Z", NULL, RTIME_DAY_OF_YEAR, 364},
    {"2024-12-31T12:00:00Z", NULL, RTIME_MONTH, 11},
};

START_TEST(test_ts_get_table) {
  const char *zone = get_cases[_i].zone;
  if (is_iana(zone))
    require_tzdata();
  int64_t v = -999;
  char err[160] = "";
  ck_assert_msg(rtime_ts_get(ts_of(get_cases[_i].ts), get_cases[_i].field, zone, zone ? strlen(zone) : 0, &v, err,
                             sizeof err),
                "%s in %s: %s", get_cases[_i].ts, zone ? zone : "UTC", err);
  ck_assert_msg(v == get_cases[_i].value, "%s in %s, field %d: %lld, expected %lld", get_cases[_i].ts,
                zone ? zone : "UTC", (int)get_cases[_i].field, (long long)v, (long long)get_cases[_i].value);
}
END_TEST

START_TEST(test_ts_get_errors) {
  int64_t v = 7;
  char err[160] = "";
  rtime_ts t = ts_of("2009-02-13T23:31:30Z");
  ck_assert(!rtime_ts_get(t, RTIME_HOURS, "Nowhere/Special", 15, &v, err, sizeof err));
  ck_assert_msg(strstr(err, "unknown time zone \"Nowhere/Special\"") != NULL, "%s", err);
  ck_assert(!rtime_ts_get(t, RTIME_HOURS, "+5", 2, &v, err, sizeof err));
  ck_assert(!rtime_ts_get(t, (rtime_field)99, NULL, 0, &v, err, sizeof err));
  ck_assert_int_eq(v, 7);
}
END_TEST

/* ---- rtime_dur_get ---- */

static const struct {
  const char *d;
  rtime_field field;
  int64_t value;
} dur_get_cases[] = {
    {"10000s", RTIME_HOURS, 2},   /* conformance get_hours */
    {"3730s", RTIME_SECONDS, 3730}, /* conformance get_seconds */
    {"3730s", RTIME_HOURS, 1},
    {"3730s", RTIME_MINUTES, 62},
    {"3730s", RTIME_MILLISECONDS, 3730000},
    {"-3730.5s", RTIME_HOURS, -1},
    {"-3730.5s", RTIME_MINUTES, -62},
    {"-3730.5s", RTIME_SECONDS, -3730},
    {"-3730.5s", RTIME_MILLISECONDS, -3730500},
    {"1.9999s", RTIME_MILLISECONDS, 1999},
    {"0.5s", RTIME_SECONDS, 0},
    {"59m59s", RTIME_HOURS, 0},
    {"9223372036854775807ns", RTIME_MILLISECONDS, INT64_C(9223372036854)},
    {"-9223372036854775808ns", RTIME_MILLISECONDS, INT64_C(-9223372036854)},
};

START_TEST(test_dur_get_table) {
  int64_t v = -999;
  ck_assert(rtime_dur_get(dur_of(dur_get_cases[_i].d), dur_get_cases[_i].field, &v));
  ck_assert_msg(v == dur_get_cases[_i].value, "%s field %d: %lld, expected %lld", dur_get_cases[_i].d,
                (int)dur_get_cases[_i].field, (long long)v, (long long)dur_get_cases[_i].value);
}
END_TEST

START_TEST(test_dur_get_not_a_field) {
  int64_t v = 7;
  ck_assert(!rtime_dur_get(dur_of("1s"), RTIME_DATE, &v));
  ck_assert(!rtime_dur_get(dur_of("1s"), RTIME_FULL_YEAR, &v));
  ck_assert_int_eq(v, 7);
}
END_TEST

Suite *suite_time(void) {
  Suite *s = suite_create("time");
  TCase *tc;

  tc = tcase_create("rtime_civil_from_days");
  tcase_add_test(tc, test_civil_every_day);
  suite_add_tcase(s, tc);

  tc = tcase_create("rtime_parse_timestamp");
  tcase_add_loop_test(tc, test_parse_timestamp_table, 0, (int)ARRAY_LEN(ts_cases));
  tcase_add_loop_test(tc, test_parse_timestamp_errors, 0, (int)ARRAY_LEN(ts_errors));
  tcase_add_test(tc, test_parse_timestamp_length);
  suite_add_tcase(s, tc);

  tc = tcase_create("rtime_format_timestamp");
  tcase_add_test(tc, test_format_timestamp_truncates);
  suite_add_tcase(s, tc);

  tc = tcase_create("rtime_timestamp_from_seconds");
  tcase_add_test(tc, test_timestamp_from_seconds);
  suite_add_tcase(s, tc);

  tc = tcase_create("rtime_parse_duration");
  tcase_add_loop_test(tc, test_parse_duration_table, 0, (int)ARRAY_LEN(dur_cases));
  tcase_add_loop_test(tc, test_parse_duration_errors, 0, (int)ARRAY_LEN(dur_errors));
  tcase_add_test(tc, test_duration_valid);
  suite_add_tcase(s, tc);

  tc = tcase_create("rtime_arithmetic");
  tcase_add_loop_test(tc, test_arith_table, 0, (int)ARRAY_LEN(arith_cases));
  tcase_add_test(tc, test_arith_invalid_operands);
  tcase_add_test(tc, test_cmp);
  suite_add_tcase(s, tc);

  tc = tcase_create("rtime_zone_offset");
  tcase_add_checked_fixture(tc, NULL, rtime_cleanup);
  tcase_add_loop_test(tc, test_zone_offset_table, 0, (int)ARRAY_LEN(zone_cases));
  tcase_add_test(tc, test_zone_offset_cached);
  tcase_add_test(tc, test_zone_offset_many);
  tcase_add_test(tc, test_zone_offset_threads);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);

  tc = tcase_create("rtime_ts_get");
  tcase_add_checked_fixture(tc, NULL, rtime_cleanup);
  tcase_add_loop_test(tc, test_ts_get_table, 0, (int)ARRAY_LEN(get_cases));
  tcase_add_test(tc, test_ts_get_errors);
  suite_add_tcase(s, tc);

  tc = tcase_create("rtime_dur_get");
  tcase_add_loop_test(tc, test_dur_get_table, 0, (int)ARRAY_LEN(dur_get_cases));
  tcase_add_test(tc, test_dur_get_not_a_field);
  suite_add_tcase(s, tc);

  return s;
}

int main(void) { return check_main(suite_time()); }
