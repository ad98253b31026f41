"""Python values to and from librulecore (private).

Into an activation: the builder calls (typed setters, begin/key/end), by
the Python type of each value, with a JSON fallback (see ``Context``).
Out of a result: scalars through the typed accessors, everything else
through the result's typed-JSON rendering.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import ipaddress
import json

import re
from ctypes import byref, c_size_t, c_uint32, string_at
from typing import Any, NamedTuple

from . import _lib
from ._lib import lib

UTC = _dt.timezone.utc
EPOCH = _dt.datetime(1970, 1, 1, tzinfo=UTC)
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


class Mismatch(Exception):
    """A value the builder could not store (private; triggers the JSON fallback)."""


class Type(str):
    """A CEL type value (``type(1)`` evaluates to ``Type('int')``)."""

    def __repr__(self) -> str:
        return f"Type({str.__repr__(self)})"


class Record(dict):
    """A record value: a dict of its fields, with the record type's name in ``.type``."""

    type: str = ""

    def __repr__(self) -> str:
        return f"Record({self.type!r}, {dict.__repr__(self)})"


class Opaque(NamedTuple):
    """A library-defined value without a Python counterpart: its type and text."""
    type: str
    value: str


# ---- into an activation -------------------------------------------------

_set_null = lib.rulecore_activation_set_null
_set_bool = lib.rulecore_activation_set_bool
_set_int = lib.rulecore_activation_set_int
_set_uint = lib.rulecore_activation_set_uint
_set_double = lib.rulecore_activation_set_double
_set_string = lib.rulecore_activation_set_string
_set_bytes = lib.rulecore_activation_set_bytes
_set_ts = lib.rulecore_activation_set_timestamp
_set_dur = lib.rulecore_activation_set_duration
_begin_list = lib.rulecore_activation_begin_list
_begin_map = lib.rulecore_activation_begin_map
_key_string = lib.rulecore_activation_key_string
_key_int = lib.rulecore_activation_key_int
_key_uint = lib.rulecore_activation_key_uint
_key_bool = lib.rulecore_activation_key_bool
_end = lib.rulecore_activation_end


def timestamp_parts(v: _dt.datetime) -> tuple[int, int]:
    """(seconds since the epoch, nanos) of an aware datetime."""
    if v.tzinfo is None or v.utcoffset() is None:
        raise TypeError("rulecore: a naive datetime has no time zone; give it a tzinfo "
                        "(e.g. datetime.timezone.utc)")
    d = v - EPOCH
    return d.days * 86400 + d.seconds, d.microseconds * 1000


def duration_ns(v: _dt.timedelta) -> int:
    return (v.days * 86400 + v.seconds) * 1_000_000_000 + v.microseconds * 1000


def fill(a: int, slot: int, v: Any) -> None:
    """Store v at slot (or NEXT) of activation a with the builder; Mismatch on failure."""
    t = type(v)
    if t is str:
        b = v.encode()
        st = _set_string(a, slot, b, len(b))
    elif t is int:
        st = _set_int(a, slot, v) if _INT64_MIN <= v <= _INT64_MAX else (
            _set_uint(a, slot, v) if 0 <= v < (1 << 64) else 3)
    elif t is float:
        st = _set_double(a, slot, v)
    elif t is bool:
        st = _set_bool(a, slot, v)
    elif v is None:
        st = _set_null(a, slot)
    elif t is dict:
        st = _begin_map(a, slot)
        if st:
            raise Mismatch
        for k, x in v.items():
            _key(a, k)
            fill(a, -1, x)
        st = _end(a)
    elif t is list or t is tuple:
        st = _begin_list(a, slot)
        if st:
            raise Mismatch
        for x in v:
            fill(a, -1, x)
        st = _end(a)
    else:
        st = _fill_other(a, slot, v)
    if st:
        raise Mismatch


def _fill_other(a: int, slot: int, v: Any) -> int:
    if isinstance(v, bool):
        return _set_bool(a, slot, v)
    if isinstance(v, int):
        fill(a, slot, int(v))
        return 0
    if isinstance(v, float):
        return _set_double(a, slot, v)
    if isinstance(v, str):
        fill(a, slot, str(v))
        return 0
    if isinstance(v, (bytes, bytearray, memoryview)):
        b = bytes(v)
        return _set_bytes(a, slot, b, len(b))
    if isinstance(v, _dt.datetime):
        s, n = timestamp_parts(v)
        return _set_ts(a, slot, s, n)
    if isinstance(v, _dt.timedelta):
        ns = duration_ns(v)
        if not _INT64_MIN <= ns <= _INT64_MAX:
            return 3
        return _set_dur(a, slot, ns)
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        st = _begin_map(a, slot)
        if st:
            raise Mismatch
        for f in dataclasses.fields(v):
            _key(a, f.name)
            fill(a, -1, getattr(v, f.name))
        return _end(a)
    if hasattr(v, "items"):  # any other mapping
        fill(a, slot, dict(v.items()))
        return 0
    if isinstance(v, (list, tuple)):
        fill(a, slot, list(v))
        return 0
    raise TypeError(f"rulecore: cannot pass a value of type {type(v).__name__} to an expression")


def _key(a: int, k: Any) -> None:
    t = type(k)
    if t is str:
        b = k.encode()
        st = _key_string(a, b, len(b))
    elif t is bool:
        st = _key_bool(a, k)
    elif isinstance(k, int):
        st = _key_int(a, k) if _INT64_MIN <= k <= _INT64_MAX else _key_uint(a, k)
    elif isinstance(k, str):
        b = str(k).encode()
        st = _key_string(a, b, len(b))
    else:
        raise TypeError(f"rulecore: a map key must be str, int or bool, not {t.__name__}")
    if st:
        raise Mismatch


def to_jsonable(v: Any) -> Any:
    """The plain-JSON form the library reads (RULECORE_JSON_PLAIN) of a Python value."""
    if isinstance(v, (str, bool, float)) or v is None:
        return v
    if isinstance(v, int):
        return v if -(1 << 53) <= v <= (1 << 53) else str(v)
    if isinstance(v, dict) or (hasattr(v, "items") and not isinstance(v, type)):
        return {_json_key(k): to_jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_jsonable(x) for x in v]
    if isinstance(v, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(v)).decode()
    if isinstance(v, _dt.datetime):
        s, n = timestamp_parts(v)
        return format_timestamp(s, n)
    if isinstance(v, _dt.timedelta):
        ns = duration_ns(v)
        sign = "-" if ns < 0 else ""
        q, r = divmod(abs(ns), 1_000_000_000)
        return f"{sign}{q}.{r:09d}s" if r else f"{sign}{q}s"
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {f.name: to_jsonable(getattr(v, f.name)) for f in dataclasses.fields(v)}
    raise TypeError(f"rulecore: cannot pass a value of type {type(v).__name__} to an expression")


def _json_key(k: Any) -> str:
    if isinstance(k, bool):
        return "true" if k else "false"
    if isinstance(k, (str, int)):
        return str(k)
    raise TypeError(f"rulecore: a map key must be str, int or bool, not {type(k).__name__}")


def format_timestamp(sec: int, nanos: int) -> str:
    d = EPOCH + _dt.timedelta(seconds=sec)
    frac = f".{nanos:09d}" if nanos else ""
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:{d.second:02d}{frac}Z"


# ---- out of a result ----------------------------------------------------

_TS = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)\Z")
_DUR = re.compile(r"(-?)(\d+)(?:\.(\d+))?s\Z")


def parse_timestamp(s: str) -> _dt.datetime:
    """A datetime in UTC; digits below the microsecond are dropped (truncated)."""
    m = _TS.match(s)
    if not m:
        raise ValueError(f"rulecore: bad timestamp {s!r}")
    y, mo, d, h, mi, se, frac, tz = m.groups()
    us = int((frac or "0")[:6].ljust(6, "0"))
    tzinfo = UTC
    if tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        tzinfo = _dt.timezone(sign * _dt.timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6])))
    return _dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(se), us, tzinfo=tzinfo).astimezone(UTC)


def parse_duration(s: str) -> _dt.timedelta:
    """A timedelta; digits below the microsecond are dropped (truncated toward zero)."""
    m = _DUR.match(s)
    if not m:
        raise ValueError(f"rulecore: bad duration {s!r}")
    sign, sec, frac = m.groups()
    us = int(sec) * 1_000_000 + int((frac or "0")[:6].ljust(6, "0"))
    return _dt.timedelta(microseconds=-us if sign else us)


def _double(x: Any) -> float:
    return float(x)  # numbers, and "NaN", "Infinity", "-Infinity"


def _opaque(tag: str, x: Any) -> Any:
    try:
        if tag == "net.IP":
            return ipaddress.ip_address(x)
        if tag == "net.CIDR":
            return ipaddress.ip_interface(x)
    except ValueError:
        pass
    return Opaque(tag, x if isinstance(x, str) else json.dumps(x))


def from_typed(j: Any) -> Any:
    """A Python value of a typed-JSON value ({"int": "5"}, {"list": [...]}...)."""
    ((tag, x),) = j.items()
    if tag == "string" or tag == "bool":
        return x
    if tag == "int" or tag == "uint":
        return int(x)
    if tag == "double":
        return _double(x)
    if tag == "null":
        return None
    if tag == "list":
        if x and "string" in x[0]:
            try:  # the common list(string): no call per element
                return [e["string"] for e in x]
            except KeyError:
                pass
        return [from_typed(e) for e in x]
    if tag == "map":
        return {from_typed(k): from_typed(e) for k, e in x}
    if tag == "bytes":
        return base64.b64decode(x)
    if tag == "timestamp":
        return parse_timestamp(x)
    if tag == "duration":
        return parse_duration(x)
    if tag == "record":
        r = Record((k, from_typed(e)) for k, e in x.get("fields", {}).items())
        r.type = x.get("type", "")
        return r
    if tag == "type":
        return Type(x)
    return _opaque(tag, x)


_kind = lib.rulecore_result_kind
_rbool = lib.rulecore_result_bool
_rint = lib.rulecore_result_int
_ruint = lib.rulecore_result_uint
_rdouble = lib.rulecore_result_double
_rstring = lib.rulecore_result_string
_render = lib.rulecore_result_render


def result_value(r: int) -> Any:
    """The value of result r (not an error: the caller checked the status)."""
    k = _kind(r)
    if k == 1:
        return _rbool(r) != 0
    if k == 2:
        return _rint(r)
    if k == 4:
        return _rdouble(r)
    if k == 5 or k == 6:
        n = c_size_t()
        p = _rstring(r, byref(n))
        b = string_at(p, n.value) if n.value else b""
        return b.decode("utf-8", "surrogateescape") if k == 5 else b
    if k == 0:
        return None
    if k == 3:
        return _ruint(r)
    text = _lib.take_string(_render(r, _lib.FORMAT_TYPED_JSON))
    if text is None:
        raise MemoryError("rulecore: out of memory rendering a result")
    return from_typed(json.loads(text))


def result_error(r: int) -> tuple[str, int, int]:
    line, col = c_uint32(), c_uint32()
    msg = lib.rulecore_result_error(r, byref(line), byref(col))
    return (msg.decode("utf-8", "replace") if msg else "error"), line.value, col.value


