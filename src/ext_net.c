/*
 * ext_net.c: CEL's network extension library: IP addresses (net.IP) and
 * CIDR prefixes (net.CIDR) as opaque values, with the semantics of cel-go's
 * ext.Network (itself Kubernetes' CEL network library on Go's net/netip).
 *
 * Addresses are parsed as netip.ParseAddr parses them, written out here
 * rather than left to inet_pton, which accepts what Go rejects (IPv4
 * fields with leading zeros, "1.2.3" forms on some libcs) and rejects
 * zones: dotted-decimal IPv4 with exactly four fields, no leading zeros,
 * each at most 255; IPv6 with hex fields of at most four digits, at most
 * one "::" standing for at least one zero field, an embedded IPv4 only as
 * the last 32 bits, and an optional "%zone".  On top of Go's parsing, as
 * the library says: an address or prefix with a zone is an error, and so
 * is an IPv4-mapped IPv6 address (::ffff:a.b.c.d).  The conformance corpus
 * draws that last line where the text shows the mapping: ip() rejects the
 * dotted form but reads the hex form (::ffff:c0a8:1) as the IPv4 address
 * it maps to, equal to ip('192.168.0.1'); cidr() rejects both, as cel-go.
 *
 * string() is Go's String(): dotted decimal, and RFC 5952 for IPv6
 * (lowercase, no leading zeros, the longest run of two or more zero fields,
 * the first of equal runs, as "::"); a prefix is its address as parsed
 * (not masked), "/" and its length.  Two addresses are equal when family
 * and bytes are; two prefixes when their addresses and lengths are (so
 * cidr('10.0.0.1/8') != cidr('10.0.0.0/8')).  Values live in the
 * evaluation's pool, or in the program's arena once folded (a copy of the
 * bytes: they point at nothing).
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "ext.h"

/* ---- the opaque values ---- */

typedef struct net_addr {
  uint8_t b[16]; /* IPv4: b[0..4), the rest zero */
  bool v4;
} net_addr;

typedef struct net_ip {
  vopaque h;
  net_addr a;
} net_ip;

typedef struct net_cidr {
  vopaque h;
  net_addr a;    /* as written, not masked */
  uint8_t bits;  /* prefix length: at most 32 (IPv4) or 128 */
} net_cidr;

static unsigned addr_len(const net_addr *a) { return a->v4 ? 4 : 16; }

static bool addr_equal(const net_addr *x, const net_addr *y) {
  return x->v4 == y->v4 && memcmp(x->b, y->b, addr_len(x)) == 0;
}

/* Whether x and y agree in their first bits bits (same family assumed). */
static bool prefix_match(const net_addr *x, const net_addr *y, unsigned bits) {
  unsigned whole = bits / 8, rest = bits % 8;
  if (memcmp(x->b, y->b, whole) != 0) return false;
  if (!rest) return true;
  uint8_t mask = (uint8_t)(0xFF << (8 - rest));
  return ((x->b[whole] ^ y->b[whole]) & mask) == 0;
}

/* a with every bit past the first bits cleared. */
static net_addr addr_masked(net_addr a, unsigned bits) {
  unsigned len = addr_len(&a);
  for (unsigned i = 0; i < len; i++) {
    unsigned keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? bits - 8 * i : 0;
    a.b[i] &= (uint8_t)(0xFF00 >> keep);
  }
  return a;
}

static unsigned field16(const net_addr *a, unsigned i) { return (unsigned)a->b[2 * i] << 8 | a->b[2 * i + 1]; }

/* ::ffff:0:0/96, an IPv4 address mapped into IPv6. */
static bool addr_is_4in6(const net_addr *a) {
  static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  return !a->v4 && memcmp(a->b, prefix, 12) == 0;
}

/* Append Go's String() of a: dotted decimal, RFC 5952 for IPv6 (an
 * IPv4-mapped one as ::ffff:a.b.c.d). */
static void addr_format(buf *b, const net_addr *a) {
  if (a->v4 || addr_is_4in6(a)) {
    const uint8_t *q = a->v4 ? a->b : a->b + 12;
    buf_printf(b, "%s%u.%u.%u.%u", a->v4 ? "" : "::ffff:", q[0], q[1], q[2], q[3]);
    return;
  }
  unsigned zstart = 8, zlen = 0; /* the longest run of >= 2 zero fields, the first of equals */
  for (unsigned i = 0; i < 8; i++) {
    unsigned j = i;
    while (j < 8 && field16(a, j) == 0) j++;
    if (j - i >= 2 && j - i > zlen) {
      zstart = i;
      zlen = j - i;
    }
  }
  for (unsigned i = 0; i < 8; i++) {
    if (i == zstart) {
      buf_puts(b, "::");
      i += zlen - 1;
      continue;
    }
    if (i && i != zstart + zlen) buf_putc(b, ':');
    buf_printf(b, "%x", field16(a, i));
  }
}

static bool ip_equal(const vopaque *x, const vopaque *y) {
  return addr_equal(&((const net_ip *)x)->a, &((const net_ip *)y)->a);
}

static void ip_format(buf *b, const vopaque *o) { addr_format(b, &((const net_ip *)o)->a); }

static bool cidr_equal(const vopaque *x, const vopaque *y) {
  const net_cidr *p = (const net_cidr *)x, *q = (const net_cidr *)y;
  return p->bits == q->bits && addr_equal(&p->a, &q->a);
}

static void cidr_format(buf *b, const vopaque *o) {
  const net_cidr *p = (const net_cidr *)o;
  addr_format(b, &p->a);
  buf_printf(b, "/%u", p->bits);
}

static const opaque_ops ip_ops = {T_NET_IP, "ip", sizeof(net_ip), ip_equal, ip_format};
static const opaque_ops cidr_ops = {T_NET_CIDR, "cidr", sizeof(net_cidr), cidr_equal, cidr_format};

static const net_addr *ip_of(value v) { return &((const net_ip *)v.o)->a; }
static const net_cidr *cidr_of(value v) { return (const net_cidr *)v.o; }

/* ---- parsing (Go's netip.ParseAddr and ParsePrefix) ---- */

/* The four dotted-decimal fields of s[0..n) into out; NULL, or why not. */
static const char *parse_ipv4_fields(const char *s, size_t n, uint8_t out[4]) {
  unsigned val = 0, pos = 0, digits = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      if (digits == 1 && val == 0) return "IPv4 field has octet with leading zero";
      val = val * 10 + (unsigned)(c - '0');
      digits++;
      if (val > 255) return "IPv4 field has value >255";
    } else if (c == '.') {
      if (i == 0 || i == n - 1 || s[i - 1] == '.') return "IPv4 field must have at least one digit";
      if (pos == 3) return "IPv4 address too long";
      out[pos++] = (uint8_t)val;
      val = digits = 0;
    } else {
      return "unexpected character";
    }
  }
  if (pos < 3) return "IPv4 address too short";
  out[3] = (uint8_t)val;
  return NULL;
}

/* IPv6 s[0..n) into out; *zone set when it ends in a (non-empty) zone and
 * *dotted when its last 32 bits were written as IPv4.  NULL, or why not. */
static const char *parse_ipv6(const char *s, size_t n, net_addr *out, bool *zone, bool *dotted) {
  const char *pct = memchr(s, '%', n);
  if (pct) {
    if (pct == s + n - 1) return "zone must be a non-empty string";
    *zone = true;
    n = (size_t)(pct - s);
  }
  uint8_t ip[16] = {0};
  int ellipsis = -1; /* where the :: stands, in bytes */
  size_t k = 0;      /* next character */
  unsigned i = 0;    /* next byte of ip */
  if (n >= 2 && s[0] == ':' && s[1] == ':') {
    ellipsis = 0;
    k = 2;
    if (k == n) {
      memset(out, 0, sizeof *out);
      return NULL;
    }
  }
  while (i < 16) {
    size_t off = 0;
    unsigned acc = 0;
    for (; k + off < n; off++) {
      char c = s[k + off];
      if (c >= '0' && c <= '9')
        acc = (acc << 4) + (unsigned)(c - '0');
      else if (c >= 'a' && c <= 'f')
        acc = (acc << 4) + (unsigned)(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        acc = (acc << 4) + (unsigned)(c - 'A' + 10);
      else
        break;
      if (off > 3) return "each colon-separated field must have at least one digit";
      if (acc > 0xFFFF) return "IPv6 field has value >=2^16";
    }
    if (off == 0) return "each colon-separated field must have at least one digit";
    if (k + off < n && s[k + off] == '.') {
      if (ellipsis < 0 && i != 12) return "embedded IPv4 address must replace the final 2 fields of the address";
      if (i + 4 > 16) return "too many hex fields to fit an embedded IPv4 at the end of the address";
      const char *why = parse_ipv4_fields(s + k, n - k, ip + i);
      if (why) return why;
      *dotted = true;
      k = n;
      i += 4;
      break;
    }
    ip[i] = (uint8_t)(acc >> 8);
    ip[i + 1] = (uint8_t)acc;
    i += 2;
    k += off;
    if (k == n) break;
    if (s[k] != ':') return "unexpected character, want colon";
    if (k + 1 == n) return "colon must be followed by more characters";
    k++;
    if (s[k] == ':') {
      if (ellipsis >= 0) return "multiple :: in address";
      ellipsis = (int)i;
      k++;
      if (k == n) break;
    }
  }
  if (k != n) return "trailing garbage after address";
  if (i < 16) {
    if (ellipsis < 0) return "address string too short";
    unsigned shift = 16 - i;
    for (int j = (int)i - 1; j >= ellipsis; j--) ip[j + (int)shift] = ip[j];
    memset(ip + ellipsis, 0, shift);
  } else if (ellipsis >= 0) {
    return "the :: must expand to at least one field of zeros";
  }
  memset(out, 0, sizeof *out);
  memcpy(out->b, ip, 16);
  return NULL;
}

/* Parse s[0..n) as netip.ParseAddr does; NULL, or why not. */
static const char *parse_addr(const char *s, size_t n, net_addr *out, bool *zone, bool *dotted) {
  *zone = *dotted = false;
  for (size_t i = 0; i < n; i++) {
    switch (s[i]) {
    case '.':
      memset(out, 0, sizeof *out);
      out->v4 = true;
      return parse_ipv4_fields(s, n, out->b);
    case ':': return parse_ipv6(s, n, out, zone, dotted);
    case '%': return "missing IPv6 address";
    default: break;
    }
  }
  return n ? "unable to parse IP" : "missing IP address";
}

/* How a string failed to be an address or prefix. */
typedef enum net_status { NET_OK, NET_SYNTAX, NET_ZONE, NET_MAPPED } net_status;

/* What ip(s) gives: NET_OK with *a set, or what is wrong (*why says what
 * for NET_SYNTAX). */
static net_status ip_parse(str s, net_addr *a, const char **why) {
  bool zone, dotted;
  if ((*why = parse_addr(s.p, s.n, a, &zone, &dotted))) return NET_SYNTAX;
  if (zone) return NET_ZONE;
  if (addr_is_4in6(a)) {
    if (dotted) return NET_MAPPED;
    net_addr v4 = {.v4 = true};
    memcpy(v4.b, a->b + 12, 4);
    *a = v4;
  }
  return NET_OK;
}

/* What cidr(s) gives: NET_OK with p's address and length set, or what is
 * wrong, as ip_parse. */
static net_status cidr_parse(str s, net_cidr *p, const char **why) {
  const char *slash = NULL;
  for (size_t i = s.n; i-- > 0;)
    if (s.p[i] == '/') {
      slash = s.p + i;
      break;
    }
  *why = "no '/'";
  if (!slash) return NET_SYNTAX;
  bool zone, dotted;
  if ((*why = parse_addr(s.p, (size_t)(slash - s.p), &p->a, &zone, &dotted))) return NET_SYNTAX;
  if (zone) return NET_ZONE; /* Go's "IPv6 zones cannot be present in a prefix" */
  const char *bits = slash + 1;
  size_t nb = (size_t)(s.p + s.n - bits);
  unsigned v = 0;
  /* Decimal digits, no sign, no leading zero. */
  *why = "bad bits after slash";
  if (nb == 0 || (nb > 1 && (bits[0] < '1' || bits[0] > '9'))) return NET_SYNTAX;
  for (size_t i = 0; i < nb; i++) {
    if (bits[i] < '0' || bits[i] > '9') return NET_SYNTAX;
    if (v <= 128) v = v * 10 + (unsigned)(bits[i] - '0');
  }
  *why = "prefix length out of range";
  if (v > (p->a.v4 ? 32u : 128u)) return NET_SYNTAX;
  *why = NULL;
  p->bits = (uint8_t)v;
  return addr_is_4in6(&p->a) ? NET_MAPPED : NET_OK;
}

/* Raise the error of st (not NET_OK) for ip(s) or cidr(s). */
static value parse_fail(ev *e, const cnode *n, bool cidr, net_status st, str s, const char *why) {
  int len = (int)(s.n > 200 ? 200 : s.n);
  switch (st) {
  case NET_ZONE:
    ev_fail(e, n, cidr ? "CIDR with zone value is not allowed" : "IP Address with zone value is not allowed");
    break;
  case NET_MAPPED: ev_fail(e, n, "IPv4-mapped IPv6 address is not allowed"); break;
  default:
    ev_failf(e, n, "%s '%.*s' parse error during conversion from string: %s", cidr ? "network address" : "IP Address",
             len, s.p, why);
    break;
  }
  return (value){0};
}

/* ---- the functions ---- */

/* Memory ran out outside the pool (in a buf): the evaluation stops, as
 * when ev_alloc fails. */
static value fail_oom(ev *e, const cnode *n) {
  e->oom = true;
  e->err = NULL;
  ev_fail(e, n, "out of memory");
  return (value){0};
}

static value new_ip(ev *e, const cnode *n, net_addr a) {
  net_ip *o = ev_alloc(e, n, sizeof *o);
  if (!o) return (value){0};
  *o = (net_ip){.h = {&ip_ops}, .a = a};
  return v_opaque(&o->h);
}

static value new_cidr(ev *e, const cnode *n, net_addr a, unsigned bits) {
  net_cidr *o = ev_alloc(e, n, sizeof *o);
  if (!o) return (value){0};
  *o = (net_cidr){.h = {&cidr_ops}, .a = a, .bits = (uint8_t)bits};
  return v_opaque(&o->h);
}

/* string(x) of an opaque value: its string form in the pool. */
static value to_string(ev *e, const cnode *n, value v) {
  buf b = {0};
  v.o->ops->format(&b, v.o);
  value r = {0};
  if (b.oom) {
    r = fail_oom(e, n);
  } else {
    char *p = ev_alloc(e, n, b.len + 1);
    if (p) {
      memcpy(p, b.data, b.len);
      p[b.len] = '\0';
      r = v_string(p, (uint32_t)b.len);
    }
  }
  buf_release(&b);
  return r;
}

/* Go's Addr predicates, on an address that is no IPv4-mapped one. */
static bool is_unspecified(const net_addr *a) {
  static const uint8_t zero[16];
  return memcmp(a->b, zero, addr_len(a)) == 0;
}

static bool is_loopback(const net_addr *a) {
  if (a->v4) return a->b[0] == 127;
  static const uint8_t one[16] = {[15] = 1};
  return memcmp(a->b, one, 16) == 0;
}

static bool is_multicast(const net_addr *a) { return a->v4 ? (a->b[0] & 0xF0) == 0xE0 : a->b[0] == 0xFF; }

static bool is_link_local_multicast(const net_addr *a) {
  if (a->v4) return a->b[0] == 224 && a->b[1] == 0 && a->b[2] == 0; /* 224.0.0.0/24 */
  return (field16(a, 0) & 0xFF0F) == 0xFF02;                        /* ff02::/16, any flags */
}

static bool is_link_local_unicast(const net_addr *a) {
  if (a->v4) return a->b[0] == 169 && a->b[1] == 254; /* 169.254.0.0/16 */
  return (field16(a, 0) & 0xFFC0) == 0xFE80;          /* fe80::/10 */
}

/* As package net: private IPv4 ranges and ULAs count as global unicast. */
static bool is_global_unicast(const net_addr *a) {
  if (a->v4 && a->b[0] == 255 && a->b[1] == 255 && a->b[2] == 255 && a->b[3] == 255) return false;
  return !is_unspecified(a) && !is_loopback(a) && !is_multicast(a) && !is_link_local_unicast(a);
}

/* cidr.containsCIDR: child is of the same family, no shorter, and inside. */
static bool contains_cidr(const net_cidr *parent, const net_cidr *child) {
  return parent->a.v4 == child->a.v4 && parent->bits <= child->bits &&
         prefix_match(&parent->a, &child->a, parent->bits);
}

static bool contains_ip(const net_cidr *p, const net_addr *a) {
  return p->a.v4 == a->v4 && prefix_match(&p->a, a, p->bits);
}

/* Whether v fits parameter type t (a dyn operand's value may not). */
static bool fits(const type *t, value v) {
  switch (t->kind) {
  case TYPE_STRING: return v.kind == V_STRING;
  case TYPE_OPAQUE: return v.kind == V_OPAQUE && v.o->ops->type == t;
  default: return false;
  }
}

value ext_net_overload(ev *e, const cnode *n, uint16_t id, const value *a, uint32_t nargs) {
  const overload *o = check_overload(id);
  bool ok = o && o->nparams == nargs;
  for (uint32_t i = 0; ok && i < nargs; i++) ok = fits(o->params[i], a[i]);
  if (!ok) {
    char t0[64], t1[64];
    ev_failf(e, n, "no such overload: %s(%s%s%s)", o ? o->function : "?",
             nargs > 0 ? value_type_name(value_type_of(a[0]), false, t0, sizeof t0) : "", nargs > 1 ? ", " : "",
             nargs > 1 ? value_type_name(value_type_of(a[1]), false, t1, sizeof t1) : "");
    return (value){0};
  }
  str s = {a[nargs - 1].s, a[nargs - 1].n}; /* the string argument, where there is one */
  net_addr addr;
  net_cidr pfx;
  net_status st;
  const char *why;
  switch ((overload_id)id) {
  case OV_NET_IS_IP: return v_bool(ip_parse(s, &addr, &why) == NET_OK);
  case OV_NET_IS_CIDR: return v_bool(cidr_parse(s, &pfx, &why) == NET_OK);
  case OV_NET_IP_FROM_STRING:
    if ((st = ip_parse(s, &addr, &why))) return parse_fail(e, n, false, st, s, why);
    return new_ip(e, n, addr);
  case OV_NET_CIDR_FROM_STRING:
    if ((st = cidr_parse(s, &pfx, &why))) return parse_fail(e, n, true, st, s, why);
    return new_cidr(e, n, pfx.a, pfx.bits);
  case OV_NET_IP_IS_CANONICAL: {
    if ((st = ip_parse(s, &addr, &why))) return parse_fail(e, n, false, st, s, why);
    buf b = {0};
    addr_format(&b, &addr);
    if (b.oom) {
      buf_release(&b);
      return fail_oom(e, n);
    }
    bool same = b.len == s.n && memcmp(b.data, s.p, s.n) == 0;
    buf_release(&b);
    return v_bool(same);
  }
  case OV_NET_IP_FAMILY: return v_int(ip_of(a[0])->v4 ? 4 : 6);
  case OV_NET_IP_IS_UNSPECIFIED: return v_bool(is_unspecified(ip_of(a[0])));
  case OV_NET_IP_IS_LOOPBACK: return v_bool(is_loopback(ip_of(a[0])));
  case OV_NET_IP_IS_GLOBAL_UNICAST: return v_bool(is_global_unicast(ip_of(a[0])));
  case OV_NET_IP_IS_LINK_LOCAL_MULTICAST: return v_bool(is_link_local_multicast(ip_of(a[0])));
  case OV_NET_IP_IS_LINK_LOCAL_UNICAST: return v_bool(is_link_local_unicast(ip_of(a[0])));
  case OV_NET_CIDR_CONTAINS_IP: return v_bool(contains_ip(cidr_of(a[0]), ip_of(a[1])));
  case OV_NET_CIDR_CONTAINS_IP_STRING:
    if ((st = ip_parse(s, &addr, &why))) return parse_fail(e, n, false, st, s, why);
    return v_bool(contains_ip(cidr_of(a[0]), &addr));
  case OV_NET_CIDR_CONTAINS_CIDR: return v_bool(contains_cidr(cidr_of(a[0]), cidr_of(a[1])));
  case OV_NET_CIDR_CONTAINS_CIDR_STRING:
    if ((st = cidr_parse(s, &pfx, &why))) return parse_fail(e, n, true, st, s, why);
    return v_bool(contains_cidr(cidr_of(a[0]), &pfx));
  case OV_NET_CIDR_IP: return new_ip(e, n, cidr_of(a[0])->a);
  case OV_NET_CIDR_MASKED: {
    const net_cidr *p = cidr_of(a[0]);
    return new_cidr(e, n, addr_masked(p->a, p->bits), p->bits);
  }
  case OV_NET_CIDR_PREFIX_LENGTH: return v_int(cidr_of(a[0])->bits);
  case OV_NET_STRING_FROM_IP:
  case OV_NET_STRING_FROM_CIDR: return to_string(e, n, a[0]);
  default: break;
  }
  ev_failf(e, n, "no such overload (%u)", id);
  return (value){0};
}
