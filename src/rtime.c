/*
 * rtime.c: CEL timestamps and durations.  Named rtime, not time: src/ is
 * on the include path, and a src/time.h would hide the C library's
 * <time.h> from every module, pthread.h included.
 *
 * Calendar arithmetic uses Howard Hinnant's days-from-civil algorithms,
 * exact over the whole proleptic Gregorian range.  Zones come from TZif
 * files (RFC 8536, versions 1-4) under ZONEINFO_DIR: the 64-bit section
 * when there is one, and the footer's POSIX TZ rule for instants after the
 * last transition.
 */
#include "rtime.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"

#define NS_PER_SEC INT64_C(1000000000)
#ifndef ZONEINFO_DIR /* overridable for tests of a missing database */
#define ZONEINFO_DIR "/usr/share/zoneinfo"
#endif
#define ZONE_FILE_MAX (1 << 20) /* bytes read of one TZif file */
#define ZONE_CACHE_MAX 64        /* zones kept loaded */

static bool fail(char *err, size_t errlen, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* Write a message into err and return false. */
static bool fail(char *err, size_t errlen, const char *fmt, ...) {
  if (err && errlen > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return false;
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ---- civil dates ---- */

int64_t rtime_days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = floor_div(y, 400);
  int64_t yoe = y - era * 400;                                  /* [0, 399] */
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1; /* [0, 365] */
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          /* [0, 146096] */
  return era * 146097 + doe - 719468;
}

void rtime_civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
  z += 719468;
  int64_t era = floor_div(z, 146097);
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

static int days_in_month(int64_t y, int m) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* ---- timestamps ---- */

bool rtime_timestamp_valid(rtime_ts t) {
  return t.nanos >= 0 && t.nanos < NS_PER_SEC && t.sec >= RTIME_TS_MIN_SEC && t.sec <= RTIME_TS_MAX_SEC;
}

bool rtime_timestamp_from_seconds(int64_t sec, rtime_ts *out, char *err, size_t errlen) {
  rtime_ts t = {sec, 0};
  if (!rtime_timestamp_valid(t))
    return fail(err, errlen, "timestamp %lld seconds out of range", (long long)sec);
  *out = t;
  return true;
}

/* Read exactly k digits at s[*i] into *v. */
static bool digits(const char *s, size_t n, size_t *i, int k, int *v) {
  int x = 0;
  for (int j = 0; j < k; j++) {
    if (*i >= n || s[*i] < '0' || s[*i] > '9')
      return false;
    x = x * 10 + (s[(*i)++] - '0');
  }
  *v = x;
  return true;
}

static bool expect(const char *s, size_t n, size_t *i, char c) {
  if (*i >= n || s[*i] != c)
    return false;
  (*i)++;
  return true;
}

bool rtime_parse_timestamp(const char *s, size_t n, rtime_ts *out, char *err, size_t errlen) {
  size_t i = 0;
  int year, mon, day, hour, min, sec, nanos = 0, off = 0;
  if (!digits(s, n, &i, 4, &year) || !expect(s, n, &i, '-') || !digits(s, n, &i, 2, &mon) ||
      !expect(s, n, &i, '-') || !digits(s, n, &i, 2, &day))
    return fail(err, errlen, "timestamp: expected a date YYYY-MM-DD at offset %zu", i);
  if (i >= n || (s[i] != 'T' && s[i] != 't'))
    return fail(err, errlen, "timestamp: expected 'T' after the date at offset %zu", i);
  i++;
  if (!digits(s, n, &i, 2, &hour) || !expect(s, n, &i, ':') || !digits(s, n, &i, 2, &min) ||
      !expect(s, n, &i, ':') || !digits(s, n, &i, 2, &sec))
    return fail(err, errlen, "timestamp: expected a time HH:MM:SS at offset %zu", i);
  if (i < n && s[i] == '.') {
    i++;
    int k = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
      if (++k > 9)
        return fail(err, errlen, "timestamp: more than 9 fraction digits");
      nanos = nanos * 10 + (s[i++] - '0');
    }
    if (k == 0)
      return fail(err, errlen, "timestamp: expected fraction digits at offset %zu", i);
    for (; k < 9; k++)
      nanos *= 10;
  }
  if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
    i++;
  } else if (i < n && (s[i] == '+' || s[i] == '-')) {
    int sign = s[i++] == '-' ? -1 : 1, oh, om;
    if (!digits(s, n, &i, 2, &oh) || !expect(s, n, &i, ':') || !digits(s, n, &i, 2, &om))
      return fail(err, errlen, "timestamp: expected an offset +HH:MM at offset %zu", i);
    if (oh > 23 || om > 59)
      return fail(err, errlen, "timestamp: offset %c%02d:%02d out of range", sign < 0 ? '-' : '+', oh, om);
    off = sign * (oh * 3600 + om * 60);
  } else {
    return fail(err, errlen, "timestamp: expected 'Z' or an offset at offset %zu", i);
  }
  if (i != n)
    return fail(err, errlen, "timestamp: unexpected text at offset %zu", i);
  if (mon < 1 || mon > 12)
    return fail(err, errlen, "timestamp: month %02d out of range", mon);
  if (day < 1 || day > days_in_month(year, mon))
    return fail(err, errlen, "timestamp: day %02d out of range for %04d-%02d", day, year, mon);
  if (hour > 23 || min > 59 || sec > 59)
    return fail(err, errlen, "timestamp: time %02d:%02d:%02d out of range", hour, min, sec);
  rtime_ts t;
  t.sec = rtime_days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec - off;
  t.nanos = nanos;
  if (!rtime_timestamp_valid(t))
    return fail(err, errlen, "timestamp out of range");
  *out = t;
  return true;
}

/* Append the nonzero nanos as ".ddd" without trailing zeros. */
static int format_fraction(char *z, int32_t nanos) {
  if (nanos == 0)
    return 0;
  int k = 9;
  while (nanos % 10 == 0) {
    nanos /= 10;
    k--;
  }
  return sprintf(z, ".%0*ld", k, (long)nanos);
}

size_t rtime_format_timestamp(rtime_ts t, char *out, size_t n) {
  char z[RTIME_FORMAT_MAX];
  int64_t days = floor_div(t.sec, 86400), secs = t.sec - days * 86400, y;
  int m, d;
  rtime_civil_from_days(days, &y, &m, &d);
  int k = sprintf(z, "%04lld-%02d-%02dT%02d:%02d:%02d", (long long)y, m, d, (int)(secs / 3600),
                  (int)(secs / 60 % 60), (int)(secs % 60));
  k += format_fraction(z + k, t.nanos);
  z[k++] = 'Z';
  z[k] = '\0';
  if (n > 0)
    snprintf(out, n, "%s", z);
  return (size_t)k;
}

/* ---- durations ---- */

/* A duration is an int64 count of nanoseconds; these convert. */
static bool dur_to_ns(rtime_dur d, int64_t *ns) {
  return !__builtin_mul_overflow(d.sec, NS_PER_SEC, ns) && !__builtin_add_overflow(*ns, d.nanos, ns);
}

static rtime_dur dur_from_ns(int64_t ns) {
  rtime_dur d = {ns / NS_PER_SEC, (int32_t)(ns % NS_PER_SEC)};
  return d;
}

bool rtime_duration_valid(rtime_dur d) {
  int64_t ns;
  if (d.nanos <= -NS_PER_SEC || d.nanos >= NS_PER_SEC || (d.sec > 0 && d.nanos < 0) || (d.sec < 0 && d.nanos > 0))
    return false;
  return dur_to_ns(d, &ns);
}

bool rtime_parse_duration(const char *s, size_t n, rtime_dur *out, char *err, size_t errlen) {
  static const struct {
    const char *name;
    int64_t ns;
  } units[] = {
      {"ns", 1},
      {"us", 1000},
      {"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
      {"\xce\xbcs", 1000}, /* U+03BC greek mu */
      {"ms", 1000000},
      {"s", NS_PER_SEC},
      {"m", 60 * NS_PER_SEC},
      {"h", 3600 * NS_PER_SEC},
  };
  size_t i = 0;
  bool neg = false;
  if (i < n && (s[i] == '-' || s[i] == '+'))
    neg = s[i++] == '-';
  if (n - i == 1 && s[i] == '0') {
    out->sec = 0;
    out->nanos = 0;
    return true;
  }
  if (i == n)
    return fail(err, errlen, "duration: empty");
  /* Accumulate the magnitude in unsigned 64 bits: 2^63 is allowed when
   * negative. */
  uint64_t total = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  while (i < n) {
    uint64_t whole = 0, frac = 0, scale = 1;
    bool pre = false, post = false, big = false;
    size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
      if (whole > (UINT64_MAX - 9) / 10)
        big = true;
      else
        whole = whole * 10 + (uint64_t)(s[i] - '0');
      i++;
      pre = true;
    }
    if (i < n && s[i] == '.') {
      i++;
      while (i < n && s[i] >= '0' && s[i] <= '9') {
        if (scale < UINT64_C(1000000000000000000)) { /* digits past 18 are dropped */
          frac = frac * 10 + (uint64_t)(s[i] - '0');
          scale *= 10;
        }
        i++;
        post = true;
      }
    }
    if (!pre && !post)
      return fail(err, errlen, "duration: expected a number at offset %zu", start);
    size_t u = i;
    while (u < n && s[u] != '.' && (s[u] < '0' || s[u] > '9'))
      u++;
    if (u == i)
      return fail(err, errlen, "duration: missing unit at offset %zu", i);
    int64_t unit = 0;
    for (size_t k = 0; k < ARRAY_LEN(units); k++)
      if (strlen(units[k].name) == u - i && memcmp(units[k].name, s + i, u - i) == 0)
        unit = units[k].ns;
    if (unit == 0)
      return fail(err, errlen, "duration: unknown unit \"%.*s\"", (int)(u - i), s + i);
    i = u;
    uint64_t v;
    if (big || __builtin_mul_overflow(whole, (uint64_t)unit, &v))
      return fail(err, errlen, "duration out of range");
    if (frac > 0) {
      unsigned __int128 f = (unsigned __int128)frac * (uint64_t)unit / scale;
      if (__builtin_add_overflow(v, (uint64_t)f, &v))
        return fail(err, errlen, "duration out of range");
    }
    if (__builtin_add_overflow(total, v, &total) || total > limit)
      return fail(err, errlen, "duration out of range");
  }
  int64_t ns = neg ? (int64_t)(0 - total) : (int64_t)total;
  *out = dur_from_ns(ns);
  return true;
}

size_t rtime_format_duration(rtime_dur d, char *out, size_t n) {
  char z[RTIME_FORMAT_MAX];
  bool neg = d.sec < 0 || d.nanos < 0;
  /* Magnitudes, careful with INT64_MIN nanoseconds. */
  uint64_t sec = d.sec < 0 ? 0 - (uint64_t)d.sec : (uint64_t)d.sec;
  int32_t nanos = d.nanos < 0 ? -d.nanos : d.nanos;
  int k = sprintf(z, "%s%llu", neg ? "-" : "", (unsigned long long)sec);
  k += format_fraction(z + k, nanos);
  z[k++] = 's';
  z[k] = '\0';
  if (n > 0)
    snprintf(out, n, "%s", z);
  return (size_t)k;
}

/* ---- arithmetic ---- */

/* t + sign * d, range checked.  A valid duration is below 2^34 seconds,
 * so nothing here overflows. */
static bool ts_shift(rtime_ts t, rtime_dur d, int sign, rtime_ts *out) {
  if (!rtime_timestamp_valid(t) || !rtime_duration_valid(d))
    return false;
  rtime_ts r;
  int64_t nanos = (int64_t)t.nanos + sign * (int64_t)d.nanos;
  r.sec = t.sec + sign * d.sec;
  if (nanos < 0) {
    nanos += NS_PER_SEC;
    r.sec--;
  } else if (nanos >= NS_PER_SEC) {
    nanos -= NS_PER_SEC;
    r.sec++;
  }
  r.nanos = (int32_t)nanos;
  if (!rtime_timestamp_valid(r))
    return false;
  *out = r;
  return true;
}

bool rtime_ts_add(rtime_ts t, rtime_dur d, rtime_ts *out) { return ts_shift(t, d, 1, out); }

bool rtime_ts_sub(rtime_ts t, rtime_dur d, rtime_ts *out) { return ts_shift(t, d, -1, out); }

bool rtime_ts_diff(rtime_ts a, rtime_ts b, rtime_dur *out) {
  /* Both in range, so the seconds differ by less than 2^39. */
  int64_t sec = a.sec - b.sec, ns;
  if (__builtin_mul_overflow(sec, NS_PER_SEC, &ns) || __builtin_add_overflow(ns, (int64_t)a.nanos - b.nanos, &ns))
    return false;
  *out = dur_from_ns(ns);
  return true;
}

bool rtime_dur_add(rtime_dur a, rtime_dur b, rtime_dur *out) {
  int64_t x, y, r;
  if (!dur_to_ns(a, &x) || !dur_to_ns(b, &y) || __builtin_add_overflow(x, y, &r))
    return false;
  *out = dur_from_ns(r);
  return true;
}

bool rtime_dur_sub(rtime_dur a, rtime_dur b, rtime_dur *out) {
  int64_t x, y, r;
  if (!dur_to_ns(a, &x) || !dur_to_ns(b, &y) || __builtin_sub_overflow(x, y, &r))
    return false;
  *out = dur_from_ns(r);
  return true;
}

bool rtime_dur_neg(rtime_dur d, rtime_dur *out) {
  int64_t x;
  if (!dur_to_ns(d, &x) || x == INT64_MIN)
    return false;
  *out = dur_from_ns(-x);
  return true;
}

int rtime_ts_cmp(rtime_ts a, rtime_ts b) {
  if (a.sec != b.sec)
    return a.sec < b.sec ? -1 : 1;
  return (a.nanos > b.nanos) - (a.nanos < b.nanos);
}

int rtime_dur_cmp(rtime_dur a, rtime_dur b) {
  if (a.sec != b.sec)
    return a.sec < b.sec ? -1 : 1;
  return (a.nanos > b.nanos) - (a.nanos < b.nanos);
}

/* ---- zones ---- */

/* When a POSIX TZ rule switches: day kind 'J' (Julian 1-365, no Feb 29),
 * 'N' (zero-based 0-365) or 'M' (month.week.weekday), at secs local time
 * (may be negative or past 24h in TZif v3). */
typedef struct tz_when {
  char kind;
  int a, b, c;
  int32_t secs;
} tz_when;

/* A POSIX TZ rule, as in a TZif footer; offsets in seconds east of UTC. */
typedef struct tz_rule {
  bool valid, has_dst;
  int32_t std_off, dst_off;
  tz_when start, end;
} tz_rule;

/* A loaded zone: immutable once in the cache. */
typedef struct zone {
  char *name;
  size_t count;      /* transitions */
  int64_t *at;       /* transition instants, ascending */
  int32_t *off;      /* the offset from each transition on */
  int32_t first_off; /* before the first transition (local time type 0) */
  tz_rule rule;      /* after the last transition, when valid */
} zone;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static zone *cache[ZONE_CACHE_MAX];
static size_t cache_count;

static void zone_free(zone *z) {
  if (!z)
    return;
  mem_free(z->name);
  mem_free(z->at);
  mem_free(z->off);
  mem_free(z);
}

/* Parse [+-]hh[:mm[:ss]] at s[*i] (hours up to max_h) into seconds. */
static bool tz_hms(const char *s, size_t n, size_t *i, int max_h, int32_t *out) {
  int sign = 1, h = 0, m = 0, sec = 0, k = 0;
  if (*i < n && (s[*i] == '+' || s[*i] == '-'))
    sign = s[(*i)++] == '-' ? -1 : 1;
  while (*i < n && s[*i] >= '0' && s[*i] <= '9' && k < 3) {
    h = h * 10 + (s[(*i)++] - '0');
    k++;
  }
  if (k == 0 || h > max_h)
    return false;
  if (*i < n && s[*i] == ':') {
    (*i)++;
    if (!digits(s, n, i, 2, &m) || m > 59)
      return false;
    if (*i < n && s[*i] == ':') {
      (*i)++;
      if (!digits(s, n, i, 2, &sec) || sec > 59)
        return false;
    }
  }
  *out = sign * (h * 3600 + m * 60 + sec);
  return true;
}

/* Skip a zone abbreviation: <...> or three or more letters. */
static bool tz_name(const char *s, size_t n, size_t *i) {
  size_t start = *i;
  if (*i < n && s[*i] == '<') {
    while (*i < n && s[*i] != '>')
      (*i)++;
    return *i < n && (*i)++ > start + 1;
  }
  while (*i < n && ((s[*i] >= 'a' && s[*i] <= 'z') || (s[*i] >= 'A' && s[*i] <= 'Z')))
    (*i)++;
  return *i - start >= 3;
}

static bool tz_number(const char *s, size_t n, size_t *i, int lo, int hi, int *out) {
  int v = 0, k = 0;
  while (*i < n && s[*i] >= '0' && s[*i] <= '9' && k < 4) {
    v = v * 10 + (s[(*i)++] - '0');
    k++;
  }
  *out = v;
  return k > 0 && v >= lo && v <= hi;
}

static bool tz_when_parse(const char *s, size_t n, size_t *i, tz_when *w) {
  memset(w, 0, sizeof *w);
  if (*i < n && s[*i] == 'J') {
    (*i)++;
    w->kind = 'J';
    if (!tz_number(s, n, i, 1, 365, &w->a))
      return false;
  } else if (*i < n && s[*i] == 'M') {
    (*i)++;
    w->kind = 'M';
    if (!tz_number(s, n, i, 1, 12, &w->a) || !expect(s, n, i, '.') || !tz_number(s, n, i, 1, 5, &w->b) ||
        !expect(s, n, i, '.') || !tz_number(s, n, i, 0, 6, &w->c))
      return false;
  } else {
    w->kind = 'N';
    if (!tz_number(s, n, i, 0, 365, &w->a))
      return false;
  }
  w->secs = 7200;
  if (*i < n && s[*i] == '/') {
    (*i)++;
    return tz_hms(s, n, i, 167, &w->secs);
  }
  return true;
}

/* Parse a POSIX TZ string ("PST8PDT,M3.2.0,M11.1.0") into *r. */
static bool tz_rule_parse(const char *s, size_t n, tz_rule *r) {
  size_t i = 0;
  int32_t west;
  memset(r, 0, sizeof *r);
  if (!tz_name(s, n, &i) || !tz_hms(s, n, &i, 24, &west))
    return false;
  r->std_off = -west;
  if (i == n) {
    r->valid = true;
    return true;
  }
  if (!tz_name(s, n, &i))
    return false;
  r->has_dst = true;
  r->dst_off = r->std_off + 3600;
  if (i < n && s[i] != ',') {
    if (!tz_hms(s, n, &i, 24, &west))
      return false;
    r->dst_off = -west;
  }
  if (i == n) { /* no rule given: the US rule, as Go and glibc do */
    r->start = (tz_when){'M', 3, 2, 0, 7200};
    r->end = (tz_when){'M', 11, 1, 0, 7200};
  } else if (!expect(s, n, &i, ',') || !tz_when_parse(s, n, &i, &r->start) || !expect(s, n, &i, ',') ||
             !tz_when_parse(s, n, &i, &r->end) || i != n) {
    return false;
  }
  r->valid = true;
  return true;
}

/* The local-time second (seconds since the epoch, as if UTC) at which w
 * happens in year y. */
static int64_t tz_when_local(const tz_when *w, int64_t y) {
  int64_t day;
  if (w->kind == 'J') {
    day = rtime_days_from_civil(y, 1, 1) + w->a - 1 + (is_leap(y) && w->a >= 60);
  } else if (w->kind == 'N') {
    day = rtime_days_from_civil(y, 1, 1) + w->a;
  } else {
    int64_t first = rtime_days_from_civil(y, w->a, 1);
    int wd = (int)((first % 7 + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
    int d = 1 + (w->c - wd + 7) % 7 + (w->b - 1) * 7;
    while (d > days_in_month(y, w->a))
      d -= 7;
    day = first + d - 1;
  }
  return day * 86400 + w->secs;
}

static int32_t tz_rule_offset(const tz_rule *r, int64_t t) {
  if (!r->has_dst)
    return r->std_off;
  int64_t y;
  int m, d;
  rtime_civil_from_days(floor_div(t + r->std_off, 86400), &y, &m, &d);
  int64_t start = tz_when_local(&r->start, y) - r->std_off;
  int64_t end = tz_when_local(&r->end, y) - r->dst_off;
  bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
  return dst ? r->dst_off : r->std_off;
}

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p) { return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4)); }

/* Decode a TZif file b[0..len) into z (name aside). */
static bool tzif_parse(const unsigned char *b, size_t len, zone *z) {
  size_t pos = 0, tsize = 4;
  uint32_t cnt[6]; /* isut, isstd, leap, time, type, char */
  for (int pass = 0; pass < 2; pass++) {
    if (len - pos < 44 || memcmp(b + pos, "TZif", 4) != 0)
      return false;
    char version = (char)b[pos + 4];
    for (int k = 0; k < 6; k++)
      cnt[k] = be32(b + pos + 20 + 4 * k);
    pos += 44;
    uint64_t data = (uint64_t)cnt[3] * (tsize + 1) + (uint64_t)cnt[4] * 6 + cnt[5] + (uint64_t)cnt[2] * (tsize + 4) +
                    cnt[1] + cnt[0];
    if (data > len - pos)
      return false;
    if (pass == 1 || version < '2')
      break;
    pos += (size_t)data; /* skip the 32-bit data; read the 64-bit section */
    tsize = 8;
  }
  size_t ntime = cnt[3], ntype = cnt[4];
  if (ntype == 0 || ntype > 256)
    return false;
  const unsigned char *times = b + pos, *idx = times + ntime * tsize, *types = idx + ntime;
  if (ntime > 0) {
    z->at = mem_alloc(ntime * sizeof *z->at);
    z->off = mem_alloc(ntime * sizeof *z->off);
    if (!z->at || !z->off)
      return false;
  }
  for (size_t k = 0; k < ntime; k++) {
    if (idx[k] >= ntype)
      return false;
    z->at[k] = tsize == 8 ? be64(times + 8 * k) : (int64_t)(int32_t)be32(times + 4 * k);
    z->off[k] = (int32_t)be32(types + 6 * idx[k]);
    if (k > 0 && z->at[k] <= z->at[k - 1])
      return false;
  }
  z->count = ntime;
  z->first_off = (int32_t)be32(types);
  if (tsize == 8) { /* the footer: "\nTZ\n" */
    const unsigned char *f = b + pos + (ntime * 9 + ntype * 6 + cnt[5] + (size_t)cnt[2] * 12 + cnt[1] + cnt[0]);
    size_t rest = len - (size_t)(f - b);
    if (rest >= 2 && f[0] == '\n') {
      const unsigned char *e = memchr(f + 1, '\n', rest - 1);
      if (e && e > f + 1 && !tz_rule_parse((const char *)f + 1, (size_t)(e - f - 1), &z->rule))
        memset(&z->rule, 0, sizeof z->rule); /* unreadable rule: last transition's offset */
    }
  }
  return true;
}

static int32_t zone_offset(const zone *z, int64_t t) {
  if (z->count == 0 || t < z->at[0])
    return z->count == 0 && z->rule.valid ? tz_rule_offset(&z->rule, t) : z->first_off;
  if (t >= z->at[z->count - 1] && z->rule.valid)
    return tz_rule_offset(&z->rule, t);
  size_t lo = 0, hi = z->count; /* the last transition at or before t */
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (z->at[mid] <= t)
      lo = mid;
    else
      hi = mid;
  }
  return z->off[lo];
}

/* Whether name[0..n) can be a path below ZONEINFO_DIR: no "." or ".."
 * component, no leading "/", only the characters of IANA names. */
static bool zone_name_ok(const char *name, size_t n) {
  if (n == 0 || n > 255 || name[0] == '/' || name[n - 1] == '/')
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '_' ||
          c == '-' || c == '+' || c == '.'))
      return false;
    if (c == '.' && (i == 0 || name[i - 1] == '/'))
      return false;
    if (c == '/' && name[i - 1] == '/')
      return false;
  }
  return true;
}

/* Read and decode zone name[0..n) from ZONEINFO_DIR; NULL with err set. */
static zone *zone_load(const char *name, size_t n, char *err, size_t errlen) {
  char path[sizeof ZONEINFO_DIR + 257];
  unsigned char *data = NULL;
  zone *z = NULL;
  snprintf(path, sizeof path, "%s/%.*s", ZONEINFO_DIR, (int)n, name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    FILE *dir = fopen(ZONEINFO_DIR "/UTC", "rb");
    if (dir)
      fclose(dir);
    else
      fail(err, errlen, "unknown time zone \"%.*s\": no zone database in " ZONEINFO_DIR
                        " (install the Debian package tzdata)", (int)n, name);
    if (dir)
      fail(err, errlen, "unknown time zone \"%.*s\"", (int)n, name);
    return NULL;
  }
  long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
  if (size <= 0 || size > ZONE_FILE_MAX || fseek(f, 0, SEEK_SET) != 0)
    size = 0; /* a directory, or unreadable: rejected below */
  data = mem_alloc((size_t)size + 1);
  z = mem_calloc(1, sizeof *z);
  if (!data || !z) {
    fail(err, errlen, "out of memory loading time zone \"%.*s\"", (int)n, name);
    goto fail;
  }
  size_t len = size > 0 ? fread(data, 1, (size_t)size, f) : 0;
  z->name = mem_strndup(name, n);
  if (!z->name || !tzif_parse(data, len, z)) {
    fail(err, errlen, "time zone \"%.*s\": %s", (int)n, name, z->name ? "not a valid TZif file" : "out of memory");
    goto fail;
  }
  fclose(f);
  mem_free(data);
  return z;
fail:
  fclose(f);
  mem_free(data);
  zone_free(z);
  return NULL;
}

/* Parse a fixed offset "+HH:MM" / "-HH:MM" into seconds east. */
static bool fixed_offset(const char *s, size_t n, int32_t *off) {
  size_t i = 1;
  int h, m;
  if (n != 6 || (s[0] != '+' && s[0] != '-') || !digits(s, n, &i, 2, &h) || !expect(s, n, &i, ':') ||
      !digits(s, n, &i, 2, &m) || h > 23 || m > 59)
    return false;
  *off = (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
  return true;
}

bool rtime_zone_offset(rtime_ts t, const char *name, size_t n, int32_t *offset, char *err, size_t errlen) {
  if (n == 3 && memcmp(name, "UTC", 3) == 0) {
    *offset = 0;
    return true;
  }
  if (n > 0 && (name[0] == '+' || name[0] == '-')) {
    if (!fixed_offset(name, n, offset))
      return fail(err, errlen, "invalid time zone offset \"%.*s\" (want +HH:MM or -HH:MM)", (int)(n > 64 ? 64 : n),
                  name);
    return true;
  }
  if (!zone_name_ok(name, n))
    return fail(err, errlen, "unknown time zone \"%.*s\"", (int)(n > 64 ? 64 : n), name);
  zone *z = NULL;
  pthread_mutex_lock(&cache_lock);
  for (size_t i = 0; i < cache_count && !z; i++)
    if (strlen(cache[i]->name) == n && memcmp(cache[i]->name, name, n) == 0)
      z = cache[i];
  pthread_mutex_unlock(&cache_lock);
  if (z) { /* cached zones stay until rtime_cleanup */
    *offset = zone_offset(z, t.sec);
    return true;
  }
  zone *loaded = zone_load(name, n, err, errlen);
  if (!loaded)
    return false;
  *offset = zone_offset(loaded, t.sec);
  /* Cache it unless another thread was faster or the cache is full. */
  pthread_mutex_lock(&cache_lock);
  bool keep = cache_count < ZONE_CACHE_MAX;
  for (size_t i = 0; i < cache_count && keep; i++)
    if (strcmp(cache[i]->name, loaded->name) == 0)
      keep = false;
  if (keep)
    cache[cache_count++] = loaded;
  pthread_mutex_unlock(&cache_lock);
  if (!keep)
    zone_free(loaded);
  return true;
}

void rtime_cleanup(void) {
  pthread_mutex_lock(&cache_lock);
  for (size_t i = 0; i < cache_count; i++)
    zone_free(cache[i]);
  cache_count = 0;
  pthread_mutex_unlock(&cache_lock);
}

/* ---- accessors ---- */

bool rtime_ts_get(rtime_ts t, rtime_field f, const char *zone_name, size_t n, int64_t *out, char *err,
                  size_t errlen) {
  int32_t off = 0;
  if (zone_name && !rtime_zone_offset(t, zone_name, n, &off, err, errlen))
    return false;
  int64_t local = t.sec + off, days = floor_div(local, 86400), secs = local - days * 86400, y;
  int m, d;
  rtime_civil_from_days(days, &y, &m, &d);
  switch (f) {
  case RTIME_FULL_YEAR: *out = y; break;
  case RTIME_MONTH: *out = m - 1; break;
  case RTIME_DAY_OF_YEAR: *out = days - rtime_days_from_civil(y, 1, 1); break;
  case RTIME_DAY_OF_MONTH: *out = d - 1; break;
  case RTIME_DATE: *out = d; break;
  case RTIME_DAY_OF_WEEK: *out = (days % 7 + 7 + 4) % 7; break;
  case RTIME_HOURS: *out = secs / 3600; break;
  case RTIME_MINUTES: *out = secs / 60 % 60; break;
  case RTIME_SECONDS: *out = secs % 60; break;
  case RTIME_MILLISECONDS: *out = t.nanos / 1000000; break;
  default: return fail(err, errlen, "not a timestamp field");
  }
  return true;
}

bool rtime_dur_get(rtime_dur d, rtime_field f, int64_t *out) {
  switch (f) {
  case RTIME_HOURS: *out = d.sec / 3600; return true;
  case RTIME_MINUTES: *out = d.sec / 60; return true;
  case RTIME_SECONDS: *out = d.sec; return true;
  case RTIME_MILLISECONDS: *out = d.sec * 1000 + d.nanos / 1000000; return true;
  default: return false;
  }
}
