"""rulecore: CEL-based business rules, from Python.

A ctypes binding of librulecore (standard library only)::

    import rulecore
    rules = rulecore.load("t/rulesets/pricing")          # or rulecore.watch(...)
    d = rules.decide({"user": {"tier": "gold", "age": 30}, "order": {"amount": 50.0}})
    d["discount"]          # 0.15
    d.rule("discount")     # 'gold'
    d.matched["discount"]  # ['gold']: the matched rules of each decision, in priority order
    d.violations           # [Violation(id=..., message=..., severity='error')]
    d.revision             # '48114faf...'
    expr = rulecore.compile("user.age > 18", schema=rules.schema)
    expr({"user": {"age": 30}})   # True

Objects that hold library memory (Schema, Expression, Context, Ruleset,
WatchedRuleset) have ``close()`` and are context managers; ``__del__``
frees them too when they are forgotten.  ``close()`` may be called any
number of times.

Values: bool, int, float, str, bytes, None, list/tuple, dict (maps and
records), dataclass instances (records), ``datetime`` with a tzinfo
(timestamps) and ``timedelta`` (durations) go in; results come out as
bool, int, float, str, bytes, None, list, dict (``Record`` for records),
``datetime`` in UTC and ``timedelta``.  Python's datetime and timedelta
hold microseconds: the nanosecond digits of CEL timestamps and durations
are truncated (dropped) when results are converted.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import weakref
from ctypes import byref, c_char_p, c_int, c_uint32, c_void_p
from typing import Any, Callable, Iterable, Iterator, Mapping, NamedTuple, Sequence

from . import _lib, _values
from ._lib import lib
from ._values import Opaque, Record, Type

__all__ = [
    "Error", "SourceError", "ContextError", "FileError", "EvalError", "Diagnostic", "Violation",
    "Schema", "Expression", "Context", "Ruleset", "Decisions", "DecisionInfo", "RuleInfo",
    "ValidationInfo", "TestResult", "WatchedRuleset", "WatchStatus", "ReloadEvent",
    "Record", "Type", "Opaque", "compile", "load", "watch", "version", "__version__",
]

#: The version of the librulecore loaded ("MAJOR.MINOR.PATCH").
version: str = _lib.VERSION
__version__ = "0.1.0"

_SEVERITY = {0: "error", 1: "warning", 2: "note"}
_OUTCOMES = {0: "none", 1: "swapped", 2: "unchanged", 3: "failed"}


# ---- errors ------------------------------------------------------------------

class Error(Exception):
    """Any failure reported by librulecore; ``.status`` is the C status code."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class Diagnostic(NamedTuple):
    """One diagnostic: where (1-based line and column, in code points), what, how bad."""
    file: str
    line: int
    column: int
    code: int
    name: str
    message: str
    severity: str  # "error", "warning" or "note"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.severity}: {self.message}"


class SourceError(Error):
    """The input (an expression, a schema, a rule file, a context) has errors.

    ``.diagnostics`` lists them all; ``str()`` prints them as ``rulec`` does,
    one ``file:line:col: error: message`` per line.
    """

    def __init__(self, diagnostics: list[Diagnostic], status: int = _lib.ERR_SOURCE,
                 what: str = "") -> None:
        self.diagnostics = diagnostics
        text = "\n".join(str(d) for d in diagnostics) or (what or "the input has errors")
        super().__init__(text, status)


class ContextError(SourceError, TypeError):
    """A context value does not fit the schema (or names nothing)."""


class FileError(SourceError, FileNotFoundError):
    """A file (ruleset, schema) cannot be read; ``.diagnostics`` may say why."""


class EvalError(Error):
    """Evaluation yielded a CEL error value (division by zero, no such key...).

    ``.message``; ``.line`` and ``.column`` (1-based, 0 when unknown) and
    ``.position`` == (line, column) in the expression or rule file;
    ``.file`` the expression's name or the rule file.
    """

    def __init__(self, message: str, line: int = 0, column: int = 0, file: str | None = None) -> None:
        self.message, self.line, self.column, self.file = message, line, column, file
        where = f"{file or '<input>'}:{line}:{column}: " if line else ""
        super().__init__(f"{where}error: {message}", _lib.ERR_EVAL)

    @property
    def position(self) -> tuple[int, int]:
        return (self.line, self.column)


def _diagnostics(d: int | None) -> list[Diagnostic]:
    out = []
    for i in range(lib.rulecore_diagnostics_count(d) if d else 0):
        def s(f: Callable[[Any, int], bytes | None]) -> str:
            b = f(d, i)
            return b.decode("utf-8", "replace") if b else ""
        out.append(Diagnostic(s(lib.rulecore_diagnostics_file), lib.rulecore_diagnostics_line(d, i),
                              lib.rulecore_diagnostics_column(d, i), lib.rulecore_diagnostics_code(d, i),
                              s(lib.rulecore_diagnostics_code_name), s(lib.rulecore_diagnostics_message),
                              _SEVERITY.get(lib.rulecore_diagnostics_severity(d, i), "error")))
    return out


def _take_diagnostics(d: c_void_p) -> list[Diagnostic]:
    try:
        return _diagnostics(d.value)
    finally:
        lib.rulecore_diagnostics_free(d.value)


def _status_error(st: int, what: str = "") -> Error:
    msg = lib.rulecore_status_message(st).decode()
    if st == _lib.ERR_NOMEM:
        return MemoryError(f"rulecore: {what}: {msg}" if what else msg)  # type: ignore[return-value]
    return Error(f"{what}: {msg}" if what else msg, st)


def _check(st: int, diags: c_void_p, what: str) -> None:
    """Raise for a failed status, freeing diags either way."""
    found = _take_diagnostics(diags)
    if st == _lib.OK:
        return
    if st == _lib.ERR_IO:
        raise FileError(found, st, f"{what}: cannot read it")
    if st == _lib.ERR_SOURCE or (found and any(d.severity == "error" for d in found)):
        raise SourceError(found, st, what)
    raise _status_error(st, what)


def _path(p: str | os.PathLike[str]) -> bytes:
    return os.fsencode(p)


class _Handle:
    """An owned C pointer freed exactly once, by close() or __del__."""

    _ptr: int | None = None
    _lock = threading.Lock()

    def _free(self, ptr: int) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def close(self) -> None:
        """Free the library object now.  Safe to call more than once."""
        with _Handle._lock:
            ptr, self._ptr = self._ptr, None
        if ptr:
            self._free(ptr)

    def _live(self) -> int:
        p = self._ptr
        if not p:
            raise Error(f"rulecore: this {type(self).__name__} is closed", _lib.ERR_ARGUMENT)
        return p

    def __enter__(self):  # type: ignore[no-untyped-def]
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may be gone
            pass


# ---- schemas -------------------------------------------------------------------

class Schema(_Handle):
    """A frozen schema: the record types and variables a context may hold.

    ``Schema({"variables": {"user": {"age": "int"}}})`` (a schema document
    as a dict or JSON text), ``Schema.from_file(path)``, or a ruleset's
    ``.schema``.
    """

    def __init__(self, document: Mapping[str, Any] | str | bytes | None = None, *,
                 file: str = "<schema>") -> None:
        self._ruleset_ref: int | None = None
        self._vars: dict[str, int] = {}
        self._fields: dict[str, dict[str, int]] = {}
        if document is None:
            return  # filled by a classmethod
        ptr = lib.rulecore_schema_new()
        if not ptr:
            raise MemoryError("rulecore: out of memory")
        self._ptr = ptr
        text = document if isinstance(document, (str, bytes)) else json.dumps(document)
        b = text.encode() if isinstance(text, str) else text
        d = c_void_p()
        _check(lib.rulecore_schema_load(ptr, b, len(b), file.encode(), byref(d)), d, "schema")
        self._freeze()

    def _freeze(self) -> None:
        d = c_void_p()
        _check(lib.rulecore_schema_freeze(self._ptr, byref(d)), d, "schema")

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> "Schema":
        """Load a schema file (JSON; see the README's Schemas section)."""
        s = cls()
        s._ptr = lib.rulecore_schema_new()
        d = c_void_p()
        _check(lib.rulecore_schema_load_file(s._ptr, _path(path), byref(d)), d, str(path))
        s._freeze()
        return s

    @classmethod
    def _of_ruleset(cls, rs: int) -> "Schema":
        s = cls()
        s._ruleset_ref = lib.rulecore_ruleset_ref(rs)  # keeps the (borrowed) schema alive
        s._ptr = lib.rulecore_ruleset_schema(rs)
        return s

    def _free(self, ptr: int) -> None:
        if self._ruleset_ref:
            ref, self._ruleset_ref = self._ruleset_ref, None
            lib.rulecore_ruleset_free(ref)
        else:
            lib.rulecore_schema_free(ptr)

    def slot(self, path: str) -> int:
        """The slot of a variable ("user") or a record variable's field ("user.age"), or -1."""
        return lib.rulecore_schema_slot(self._live(), path.encode())

    def _var_slot(self, name: str) -> int:
        s = self._vars.get(name)
        if s is None:
            s = self._vars[name] = lib.rulecore_schema_slot(self._live(), name.encode())
        return s

    def _field_slots(self, name: str) -> dict[str, int]:
        f = self._fields.get(name)
        if f is None:
            f = self._fields[name] = {}
        return f

    def context(self, data: Mapping[str, Any] | Any = None, /, **variables: Any) -> "Context":
        """A new Context for this schema, filled from data and variables."""
        return Context(self, data, **variables)


# ---- filling activations -------------------------------------------------------
#
# Marshalling, chosen by measurement (bench.py --marshalling, /usr/bin/python3
# 3.11, x86-64, W4's context: 2 record variables, 12 fields, a list of 2
# strings and a list of 3 records):
#   builder calls (typed setters; a record variable's fields through their
#     own slots, one ctypes call per scalar, ~42 calls)      ~ 20-26 us
#   json.dumps (~4.5 us) + one rulecore_activation_set_json (~9.5 us)  ~ 14 us
# A ctypes call costs 250-350 ns with its argument conversions, more than
# jansson spends on a value, so a whole dict goes in as JSON text: one
# json.dumps at C speed and one call.  Dicts whose values JSON cannot carry
# exactly (datetime, timedelta, bytes, dataclasses, uints beyond 2^63, NaN)
# go through the builder instead, which sets them by their Python types.
# Setting ONE value of a reusable Context (ctx["user.age"] = 31) is a
# single builder call through the field's slot (~0.4 us), which is what
# makes partial refills cheap.  When the builder refuses a value, the
# variable is set once more through set_json with diagnostics, which name
# the place where the value does not fit (raised as ContextError).
#
# Plain JSON reads a dict's keys as strings: int and bool keys are exact for
# a declared map(int, V) / map(bool, V), but under dyn they would arrive as
# strings; such dicts take the builder path when passed to Context.set().

_Mismatch = _values.Mismatch
_fill = _values.fill
_set_null = lib.rulecore_activation_set_null
_set_json = lib.rulecore_activation_set_json
_reset = lib.rulecore_activation_reset


class _NotJSON(Exception):
    pass


def _not_json(o: Any) -> Any:
    raise _NotJSON


_encode = json.JSONEncoder(separators=(",", ":"), check_circular=False, ensure_ascii=False,
                           allow_nan=False, default=_not_json).encode


def _set_var(a: int, schema: Schema, name: str, v: Any) -> None:
    """Set one variable with the builder (JSON fallback for the diagnostics)."""
    slot = schema._vars.get(name)
    if slot is None:
        slot = schema._var_slot(name)
    try:
        if slot < 0:
            raise _Mismatch
        if type(v) is dict and v:
            fields = schema._fields.get(name)
            if fields is None:
                fields = schema._field_slots(name)
            # A record variable: one call per field through the field's
            # slot; a map variable goes to the builder below.
            k0 = next(iter(v))
            if type(k0) is str and _field(schema, fields, name, k0) >= 0:
                if _set_null(a, slot):
                    raise _Mismatch
                for k, x in v.items():
                    fs = fields.get(k)
                    if fs is None:
                        fs = _field(schema, fields, name, k)
                    if fs < 0:
                        raise _Mismatch
                    _fill(a, fs, x)
                return
        _fill(a, slot, v)
    except _Mismatch:
        _set_json_var(a, name, v)


def _field(schema: Schema, fields: dict[str, int], name: str, k: Any) -> int:
    if type(k) is not str:
        return -1
    s = fields.get(k)
    if s is None:
        s = fields[k] = lib.rulecore_schema_slot(schema._live(), f"{name}.{k}".encode())
    return s


def _set_json_var(a: int, name: str, v: Any) -> None:
    text = json.dumps({name: _values.to_jsonable(v)}).encode()
    d = c_void_p()
    st = _set_json(a, text, len(text), _lib.JSON_PLAIN, byref(d))
    found = _take_diagnostics(d)
    if st == _lib.ERR_SOURCE:
        raise ContextError(found, st, "context")
    if st:
        raise _status_error(st, "context")


def _fill_all(a: int, schema: Schema, data: Any, variables: Mapping[str, Any]) -> None:
    """Fill activation a (just reset) from a mapping of variables and keywords."""
    if variables:
        data = {**_as_mapping(data), **variables} if data is not None else variables
    elif data is None:
        return
    elif type(data) is not dict:
        data = _as_mapping(data)
    try:
        text = _encode(data).encode()
    except (_NotJSON, ValueError, TypeError):
        text = None
    if text is not None and _set_json(a, text, len(text), 0, None) == 0:
        return
    # Not plain JSON data (or JSON the schema refuses): variable by variable
    # with the builder, whose failures report through set_json's diagnostics.
    for name, v in data.items():
        _set_var(a, schema, name, v)


def _as_mapping(data: Any) -> Mapping[str, Any]:
    if isinstance(data, Mapping):
        return data
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        return {f.name: getattr(data, f.name) for f in dataclasses.fields(data)}
    raise TypeError(f"rulecore: a context is a mapping of variable names (or a dataclass), "
                    f"not {type(data).__name__}")


class Context(_Handle):
    """A reusable context (a C activation) for one schema: the fast path.

    Fill it once, then change a few values and evaluate again::

        ctx = rules.context({"user": {"tier": "gold", "age": 30}, "order": {"amount": 50.0}})
        rules.decide(ctx)
        ctx["user.age"] = 70          # one field of a record variable
        ctx["order"] = {"amount": 9.5}  # a whole variable
        rules.decide(ctx)

    Setting a value copies it into the activation.  A Context may be read
    by several threads at once while nobody changes it; changing it is for
    one thread at a time.  It remembers what was set (shallow copies) so it
    can be refilled for a reloaded ruleset's schema (see WatchedRuleset).
    """

    # Partial sets of strings take new memory from the activation's pool;
    # after this many the context is reset and refilled from what it holds.
    _COMPACT_AFTER = 4096

    def __init__(self, schema: Schema, data: Mapping[str, Any] | Any = None, /,
                 **variables: Any) -> None:
        self._schema = schema
        self._sp = schema._live()
        ptr = lib.rulecore_activation_new(self._sp)
        if not ptr:
            raise MemoryError("rulecore: out of memory")
        self._ptr = ptr
        self._data: dict[str, Any] = {}
        self._sets = 0
        if data is not None or variables:
            self.update(data, **variables)

    def _free(self, ptr: int) -> None:
        lib.rulecore_activation_free(ptr)

    @property
    def schema(self) -> Schema:
        return self._schema

    def update(self, data: Mapping[str, Any] | Any = None, /, **variables: Any) -> None:
        """Set whole variables (others keep their values)."""
        a = self._live()
        items = dict(_as_mapping(data)) if data is not None else {}
        items.update(variables)
        _fill_all(a, self._schema, items, {})
        for name, v in items.items():
            self._data[name] = dict(v) if type(v) is dict else v
        self._count()

    def set(self, path: str, value: Any) -> None:
        """Set a variable ("order") or one field of a record variable ("user.age")."""
        a = self._live()
        var, dot, field = path.partition(".")
        if not dot:
            _set_var(a, self._schema, var, value)
            self._data[var] = dict(value) if type(value) is dict else value
        else:
            fields = self._schema._field_slots(var)
            slot = _field(self._schema, fields, var, field)
            cur = self._data.get(var)
            rec = dict(cur) if isinstance(cur, Mapping) else {}
            rec[field] = value
            try:
                if slot < 0:
                    raise _Mismatch
                _fill(a, slot, value)
            except _Mismatch:
                _set_json_var(a, var, rec)
            self._data[var] = rec
        self._count()

    __setitem__ = set

    def _count(self) -> None:
        self._sets += 1
        if self._sets > self._COMPACT_AFTER:
            self._refill()

    def _refill(self) -> None:
        a = self._live()
        _reset(a)
        self._sets = 0
        _fill_all(a, self._schema, self._data, {})

    def _rebind(self, schema: Schema) -> None:
        """Move to another schema (a reloaded ruleset's), refilling from what was set."""
        old = self._ptr
        ptr = lib.rulecore_activation_new(schema._live())
        if not ptr:
            raise MemoryError("rulecore: out of memory")
        self._ptr, self._schema, self._sp = ptr, schema, schema._ptr
        if old:
            lib.rulecore_activation_free(old)
        self._refill()

    def clear(self) -> None:
        """Make every variable absent (keeping the memory for reuse)."""
        _reset(self._live())
        self._data.clear()
        self._sets = 0

    def to_dict(self) -> dict[str, Any]:
        """What was set, by variable (shallow copies)."""
        return dict(self._data)

    def __repr__(self) -> str:
        return f"<rulecore.Context {sorted(self._data)}>"


# ---- expressions ---------------------------------------------------------------

_eval = lib.rulecore_eval
_kind = lib.rulecore_result_kind
_rbool = lib.rulecore_result_bool
_result_value = _values.result_value


class _Env(_Handle):
    def __init__(self, schema: Schema | None = None, unchecked: bool = False,
                 limits: Mapping[int, int] | None = None) -> None:
        ptr = lib.rulecore_env_new()
        if not ptr:
            raise MemoryError("rulecore: out of memory")
        self._ptr = ptr
        for k, v in (limits or {}).items():
            if v is not None:
                st = lib.rulecore_env_set_limit(ptr, k, int(v))
                if st:
                    raise ValueError(f"rulecore: bad limit value {v!r}")
        if unchecked:
            lib.rulecore_env_set_unchecked(ptr, 1)
        if schema is not None:
            d = c_void_p()
            _check(lib.rulecore_env_set_schema(ptr, schema._live(), byref(d)), d, "schema")

    def _free(self, ptr: int) -> None:
        lib.rulecore_env_free(ptr)


def _limits(cost_limit: int | None = None, load_memory: int | None = None,
            load_instructions: int | None = None) -> dict[int, int]:
    return {k: v for k, v in ((_lib.LIMIT_EVAL_COST, cost_limit), (_lib.LIMIT_LOAD_MEMORY, load_memory),
                              (_lib.LIMIT_LOAD_INSTRUCTIONS, load_instructions)) if v is not None}


def _as_schema(schema: Schema | Mapping[str, Any] | str | os.PathLike[str] | None) -> Schema | None:
    if schema is None or isinstance(schema, Schema):
        return schema
    if isinstance(schema, Mapping):
        return Schema(schema)
    return Schema.from_file(schema)


class _Scratch:
    """Per-call state from a pool: an activation (made lazily) and a result or decisions."""
    __slots__ = ("act", "sp", "out")

    def __init__(self, out: int) -> None:
        self.act: int | None = None
        self.sp: int | None = None
        self.out = out


class _Pooled(_Handle):
    """A handle with a pool of scratch objects, one per concurrent caller."""

    def _init_pool(self) -> None:
        self._pool: list[_Scratch] = []
        self._all: list[_Scratch] = []

    def _new_scratch(self) -> _Scratch:  # pragma: no cover - overridden
        raise NotImplementedError

    def _scratch(self) -> _Scratch:
        try:
            return self._pool.pop()
        except IndexError:
            s = self._new_scratch()
            with _Handle._lock:
                self._all.append(s)
            return s

    def _activation(self, s: _Scratch, schema: Schema) -> int:
        sp = schema._live()
        if s.sp != sp:
            if s.act:
                lib.rulecore_activation_free(s.act)
            s.act = lib.rulecore_activation_new(sp)
            if not s.act:
                raise MemoryError("rulecore: out of memory")
            s.sp = sp
        else:
            _reset(s.act)
        return s.act

    def _free_pool(self, free_out: Callable[[int], None]) -> None:
        with _Handle._lock:
            all_, self._all, self._pool = self._all, [], []
        for s in all_:
            if s.act:
                lib.rulecore_activation_free(s.act)
            free_out(s.out)


class Expression(_Pooled):
    """One compiled CEL expression; call it with a context to evaluate it.

    ``rulecore.compile("user.age > 18", schema=...)``.  Immutable and
    thread-safe: any number of threads may call it at once.
    """

    def __init__(self, source: str, schema: Schema | Mapping[str, Any] | str | None = None, *,
                 result_type: str | None = None, unchecked: bool = False, file: str = "<input>",
                 cost_limit: int | None = None) -> None:
        self._init_pool()
        self.source = source
        self.file = file
        self._schema = _as_schema(schema)
        if self._schema is None:
            self._schema = Schema({})
        with _Env(self._schema, unchecked, _limits(cost_limit)) as env:
            src = source.encode()
            out, d = c_void_p(), c_void_p()
            st = lib.rulecore_compile_source(env._ptr, src, len(src), file.encode(),
                                             result_type.encode() if result_type else None, byref(out), byref(d))
            _check(st, d, file)
        self._ptr = out.value
        self._sp = self._schema._ptr

    def _new_scratch(self) -> _Scratch:
        r = lib.rulecore_result_new()
        if not r:
            raise MemoryError("rulecore: out of memory")
        return _Scratch(r)

    def _free(self, ptr: int) -> None:
        self._free_pool(lib.rulecore_result_free)
        lib.rulecore_program_free(ptr)

    @property
    def type(self) -> str:
        """The expression's type as CEL spells it ("bool")."""
        return lib.rulecore_program_type(self._live()).decode()

    @property
    def schema(self) -> Schema:
        assert self._schema is not None
        return self._schema

    def context(self, data: Mapping[str, Any] | Any = None, /, **variables: Any) -> Context:
        """A reusable Context for this expression's schema."""
        return Context(self.schema, data, **variables)

    def __call__(self, context: Context | Mapping[str, Any] | Any = None, /, **variables: Any) -> Any:
        """Evaluate against a Context, a mapping of variables (or a dataclass), or keywords.

        Returns the value; raises EvalError for a CEL error value.
        """
        p = self._ptr
        if not p:
            self._live()
        try:
            s = self._pool.pop()
        except IndexError:
            s = self._scratch()
        try:
            r = s.out
            if type(context) is Context:
                if context._sp != self._sp:
                    raise Error("rulecore: this Context was made for another schema", _lib.ERR_ARGUMENT)
                a = context._ptr
            elif context is None and not variables:
                a = None
            else:
                a = self._activation(s, self._schema)  # type: ignore[arg-type]
                _fill_all(a, self._schema, context, variables)  # type: ignore[arg-type]
            st = _eval(p, a, r)
            if st == 0:
                if _kind(r) == 1:
                    return _rbool(r) != 0
                return _result_value(r)
            if st == _lib.ERR_EVAL:
                msg, line, col = _values.result_error(r)
                raise EvalError(msg, line, col, self.file)
            raise _status_error(st, "eval")
        finally:
            self._pool.append(s)

    eval = __call__

    def __repr__(self) -> str:
        return f"<rulecore.Expression {self.source!r}>"


def compile(source: str, schema: Schema | Mapping[str, Any] | str | None = None, *,
            result_type: str | None = None, unchecked: bool = False, file: str = "<input>",
            cost_limit: int | None = None) -> Expression:
    """Parse, type-check and compile one CEL expression.

    schema: a Schema (e.g. a ruleset's ``.schema``), a schema document as a
    dict, or a schema file's path.  result_type: the type the expression
    must have ("bool").  unchecked: leave what does not resolve to run
    time (CEL's disable_check).  Raises SourceError with every diagnostic.
    """
    return Expression(source, schema, result_type=result_type, unchecked=unchecked, file=file,
                      cost_limit=cost_limit)


# ---- rulesets --------------------------------------------------------------------

class Violation(NamedTuple):
    """A validation that does not hold: its id, message and severity ("error", "warning")."""
    id: str
    message: str
    severity: str


class RuleInfo(NamedTuple):
    id: str
    priority: int
    condition: str | None
    description: str | None
    tags: list[str]
    file: str | None
    line: int


class DecisionInfo(NamedTuple):
    """A decision's declaration: name, type ("double"), hit policy ("first",
    "collect sum"...), description, the decisions it reads, its rules in
    evaluation order."""
    name: str
    type: str
    hit_policy: str
    description: str | None
    inputs: list[str]
    rules: list[RuleInfo]


class ValidationInfo(NamedTuple):
    id: str
    severity: str


class TestResult(NamedTuple):
    """A declared test's outcome; report says what differed when it failed."""
    name: str
    passed: bool
    report: str | None


_NOT_EVALUATED = "not_evaluated"


class Decisions(Mapping[str, Any]):
    """The outcome of one ruleset evaluation (a snapshot: plain Python data).

    A mapping from each *evaluated* decision's name to its value:
    ``d["discount"]``.  A decision with no match and no default has the
    value None; one whose evaluation failed raises its EvalError when read
    (``d.error(name)`` returns it instead).

    - ``d.rule(name)``: the rule that decided ("default" for the default, None)
    - ``d.matched``: a dict from every evaluated decision to the ids of its
      matched rules, in priority order (for hit policy first: the winner);
      ``d.matched_rules(name)`` is one of those lists
    - ``d.outcome(name)``: "rule", "default", "no_match", "error" or "not_evaluated"
    - ``d.violations``: the failed validations (list of Violation)
    - ``d.revision``: the revision of the ruleset that decided
    - ``d.ok``: no decision failed and no validation of severity error failed
    - ``d.explanation`` (``decide(..., explain=True)`` only, else None): why,
      as ``rulec eval --explain`` prints it: every rule tried in priority
      order with the values of the sub-expressions that decided it;
      ``d.trace`` is the same as data (the C API's JSON trace, parsed)
    """

    __slots__ = ("revision", "violations", "_d", "explanation", "_trace")

    def __init__(self, doc: Mapping[str, Any], explanation: str | None = None, trace: str | None = None) -> None:
        self.revision: str = doc.get("revision", "")
        self.violations: list[Violation] = [Violation(v["id"], v["message"], v["severity"])
                                            for v in doc.get("violations", ())]
        self._d: dict[str, Mapping[str, Any]] = doc.get("decisions", {})
        self.explanation: str | None = explanation
        self._trace = trace

    @property
    def trace(self) -> dict[str, Any] | None:
        """The explained evaluation as data: {"revision", "decisions": [{"name",
        "outcome", "value", "rule", "rules": [{"id", "status", "when": tree...}]}],
        "validations": [...]}, each expression a tree of "expr", "value",
        "decided_by", "parts" (see rulecore_decisions_explain)."""
        return None if self._trace is None else _loads(self._trace)

    def __getitem__(self, name: str) -> Any:
        e = self._d[name]
        if e["outcome"] == "error":
            raise self._error(name, e)
        v = e["value"]
        return None if v is None else _values.from_typed(v)

    def __iter__(self) -> Iterator[str]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    @staticmethod
    def _error(name: str, e: Mapping[str, Any]) -> EvalError:
        return EvalError(f"{name}: {e.get('error', 'error')}", e.get("line", 0), e.get("column", 0), e.get("file"))

    def rule(self, name: str) -> str | None:
        e = self._d.get(name)
        return e["rule"] if e else None

    def outcome(self, name: str) -> str:
        e = self._d.get(name)
        return e["outcome"] if e else _NOT_EVALUATED

    def error(self, name: str) -> EvalError | None:
        e = self._d.get(name)
        return self._error(name, e) if e and e["outcome"] == "error" else None

    def type(self, name: str) -> str:
        return self._d[name]["type"]

    def matched_rules(self, name: str) -> list[str]:
        e = self._d.get(name)
        return list(e["matched"]) if e else []

    @property
    def matched(self) -> dict[str, list[str]]:
        return {k: list(e["matched"]) for k, e in self._d.items()}

    @property
    def ok(self) -> bool:
        return (all(e["outcome"] != "error" for e in self._d.values())
                and all(v.severity != "error" for v in self.violations))

    def to_dict(self) -> dict[str, Any]:
        """Every evaluated decision's value (None for errors and no match)."""
        return {k: (None if e["value"] is None or e["outcome"] == "error" else _values.from_typed(e["value"]))
                for k, e in self._d.items()}

    def __repr__(self) -> str:
        return f"<rulecore.Decisions {self.to_dict()!r} violations={self.violations!r}>"


_ruleset_eval = lib.rulecore_ruleset_eval
_render_decisions = lib.rulecore_decisions_render
_rfree = lib.rulecore_free
_string_at = __import__("ctypes").string_at
_loads = json.loads


def _s(b: bytes | None) -> str | None:
    return b.decode("utf-8", "replace") if b is not None else None


class _Evaluator(_Pooled):
    """What Ruleset and WatchedRuleset share: decide() and decide_many()."""

    _names_cache: dict[tuple[str, ...], Any]

    def _new_scratch(self) -> _Scratch:
        d = lib.rulecore_decisions_new()
        if not d:
            raise MemoryError("rulecore: out of memory")
        return _Scratch(d)

    def _names(self, names: Sequence[str] | str | None) -> tuple[Any, int]:
        if names is None:
            return None, 0
        if isinstance(names, str):
            names = (names,)
        key = tuple(names)
        arr = self._names_cache.get(key)
        if arr is None:
            arr = (c_char_p * len(key))(*(n.encode() for n in key))
            if len(self._names_cache) < 256:
                self._names_cache[key] = arr
        return arr, len(key)

    def _run(self, rs: int, schema: Schema, s: _Scratch, context: Any, variables: Mapping[str, Any],
             names: Any, n: int, explain: bool = False) -> Decisions:
        if type(context) is Context:
            if context._sp != schema._ptr:
                self._foreign_context(context, schema)
            a = context._ptr
        elif context is None and not variables:
            a = None
        else:
            a = self._activation(s, schema)
            _fill_all(a, schema, context, variables)
        if explain:
            lib.rulecore_decisions_set_explain(s.out, True)
            try:
                return self._decisions(_ruleset_eval(rs, a, names, n, s.out), s, names, n, True)
            finally:  # the pooled decisions goes back untraced
                lib.rulecore_decisions_set_explain(s.out, False)
        return self._decisions(_ruleset_eval(rs, a, names, n, s.out), s, names, n, False)

    @staticmethod
    def _decisions(st: int, s: _Scratch, names: Any, n: int, explain: bool) -> Decisions:
        if st:
            if st == _lib.ERR_ARGUMENT and n:
                raise KeyError(f"rulecore: unknown decision among {list(names)!r}")  # type: ignore[arg-type]
            raise _status_error(st, "decide")
        # The outcome is read through one JSON rendering: one call instead
        # of several per decision, and plain data once parsed.
        p = _render_decisions(s.out, _lib.FORMAT_JSON)
        if not p:
            raise MemoryError("rulecore: out of memory")
        try:
            text = _string_at(p)
        finally:
            _rfree(p)
        if not explain:
            return Decisions(_loads(text))
        color = 0  # text for a log or a notebook, not a terminal
        return Decisions(_loads(text), _lib.take_string(lib.rulecore_decisions_explain(s.out, _lib.FORMAT_TEXT, color)),
                         _lib.take_string(lib.rulecore_decisions_explain(s.out, _lib.FORMAT_JSON, 0)))

    # Metrics and the decision log: the C functions differ between a
    # ruleset and a watch (which keeps them across reloads).
    _c_enable_metrics: Any
    _c_metrics: Any
    _c_set_log: Any

    def enable_metrics(self) -> None:
        """Count every evaluation from now on (evaluations, errors by kind, each
        decision's outcomes, each rule's matches, failed validations, a latency
        histogram): lock-free counters, a few increments per evaluation."""
        st = type(self)._c_enable_metrics(self._live())
        if st:
            raise _status_error(st, "enable_metrics")

    def metrics(self) -> str:
        """The counts in Prometheus's text exposition format (what a /metrics
        endpoint serves); all zero until enable_metrics()."""
        text = _lib.take_string(type(self)._c_metrics(self._live()))
        if text is None:
            raise MemoryError("rulecore: out of memory")
        return text

    def set_log(self, sink: Callable[[dict[str, Any]], Any] | None, *, digest: bool = False) -> None:
        """Send one record per evaluation to sink(record: dict): its id, time,
        revision, the rules' git commit, the input (or with digest=True its
        SHA-256 only), the decisions with their winning rules, the failed
        validations and the duration.  A log replays: ``rulec diff OLD NEW
        --cases LOG.jsonl`` reads such records written one JSON per line.

        sink runs ON THE EVALUATING THREAD (from many threads at once when
        they decide concurrently; ctypes takes the GIL), so it must be
        thread-safe and quick; exceptions it raises are printed and ignored.
        None removes it.  Every sink ever set stays referenced for the life
        of the process: an evaluation in flight may still call the one set
        before, and a version a watch served may outlive the watch.
        """
        cb = _lib.LOG_FN()  # NULL: no sink
        if sink is not None:
            cb = _lib.LOG_FN(_log_callback(sink))
            _LOG_SINKS.append(cb)
        st = type(self)._c_set_log(self._live(), cb, None, _lib.LOG_INPUT_DIGEST if digest else 0)
        if st:
            raise _status_error(st, "set_log")

    def _foreign_context(self, context: Context, schema: Schema) -> None:
        raise Error("rulecore: this Context was made for another schema", _lib.ERR_ARGUMENT)


_LOG_SINKS: list[Any] = []  # see _Evaluator.set_log


def _log_callback(sink: Callable[[dict[str, Any]], Any]) -> Callable[[Any, int, int], None]:
    def cb(user: Any, record: int, length: int) -> None:
        try:
            sink(_loads(_string_at(record, length)))
        except BaseException:  # never unwind into C
            import traceback
            traceback.print_exc()
    return cb


class Ruleset(_Evaluator):
    """A loaded ruleset: typed, checked decisions, rules, validations, tests.

    Immutable and thread-safe: any number of threads may decide at once.
    """

    _c_enable_metrics = lib.rulecore_ruleset_enable_metrics
    _c_metrics = lib.rulecore_ruleset_metrics
    _c_set_log = lib.rulecore_ruleset_set_log

    def __init__(self, path: str | os.PathLike[str] | None = None, *, cost_limit: int | None = None,
                 load_memory: int | None = None, load_instructions: int | None = None) -> None:
        self._init_pool()
        self._names_cache = {}
        self._schema: Schema | None = None
        if path is None:
            return  # _of_ptr
        self.path = os.fspath(path)
        with _Env(None, False, _limits(cost_limit, load_memory, load_instructions)) as env:
            out, d = c_void_p(), c_void_p()
            st = lib.rulecore_ruleset_load(env._ptr, _path(path), byref(out), byref(d))
            _check(st, d, self.path)
        self._ptr = out.value

    @classmethod
    def _of_ptr(cls, rs: int, path: str) -> "Ruleset":
        r = cls()
        r.path = path
        r._ptr = rs
        return r

    def _free(self, ptr: int) -> None:
        self._free_pool(lib.rulecore_decisions_free)
        self._schema = None  # it holds its own reference to the ruleset: freed when dropped
        lib.rulecore_ruleset_free(ptr)

    @property
    def schema(self) -> Schema:
        """The ruleset's schema (for contexts and for rulecore.compile(..., schema=))."""
        if self._schema is None:
            self._schema = Schema._of_ruleset(self._live())
        return self._schema

    @property
    def revision(self) -> str:
        """SHA-256 (hex) of every file the load read."""
        return lib.rulecore_ruleset_revision(self._live()).decode()

    @property
    def commit(self) -> str | None:
        """The git commit of the work tree holding the rule files when they
        loaded (None outside one); uncommitted changes show in the revision."""
        return _s(lib.rulecore_ruleset_commit(self._live()))

    @property
    def decisions(self) -> list[DecisionInfo]:
        """Every decision, in declaration order."""
        rs = self._live()
        out = []
        n = lib.rulecore_ruleset_decision_count(rs)
        names = [lib.rulecore_ruleset_decision_name(rs, i).decode() for i in range(n)]
        for i in range(n):
            rules = []
            for k in range(lib.rulecore_ruleset_rule_count(rs, i)):
                line = c_uint32()
                f = lib.rulecore_ruleset_rule_file(rs, i, k, byref(line))
                rules.append(RuleInfo(
                    lib.rulecore_ruleset_rule_id(rs, i, k).decode(), lib.rulecore_ruleset_rule_priority(rs, i, k),
                    _s(lib.rulecore_ruleset_rule_condition(rs, i, k)),
                    _s(lib.rulecore_ruleset_rule_description(rs, i, k)),
                    [lib.rulecore_ruleset_rule_tag(rs, i, k, t).decode()
                     for t in range(lib.rulecore_ruleset_rule_tag_count(rs, i, k))],
                    _s(f), line.value))
            out.append(DecisionInfo(
                names[i], lib.rulecore_ruleset_decision_type(rs, i).decode(),
                lib.rulecore_ruleset_decision_hit_policy(rs, i).decode(),
                _s(lib.rulecore_ruleset_decision_description(rs, i)),
                [names[lib.rulecore_ruleset_decision_input(rs, i, k)]
                 for k in range(lib.rulecore_ruleset_decision_input_count(rs, i))],
                rules))
        return out

    @property
    def validations(self) -> list[ValidationInfo]:
        rs = self._live()
        return [ValidationInfo(lib.rulecore_ruleset_validation_id(rs, i).decode(),
                               _SEVERITY.get(lib.rulecore_ruleset_validation_severity(rs, i), "error"))
                for i in range(lib.rulecore_ruleset_validation_count(rs))]

    @property
    def tests(self) -> list[str]:
        """The names of the tests the rule files declare."""
        rs = self._live()
        return [lib.rulecore_ruleset_test_name(rs, i).decode() for i in range(lib.rulecore_ruleset_test_count(rs))]

    def run_tests(self) -> list[TestResult]:
        """Run every declared test (as ``rulec test``)."""
        rs = self._live()
        s = self._scratch()
        try:
            res = []
            for i in range(lib.rulecore_ruleset_test_count(rs)):
                passed, report = c_int(), c_void_p()
                st = lib.rulecore_ruleset_test_run(rs, i, s.out, byref(passed), byref(report))
                rep = _lib.take_string(report.value)
                if st:
                    raise _status_error(st, "test")
                res.append(TestResult(lib.rulecore_ruleset_test_name(rs, i).decode(), bool(passed.value), rep))
            return res
        finally:
            self._pool.append(s)

    def context(self, data: Mapping[str, Any] | Any = None, /, **variables: Any) -> Context:
        """A reusable Context for this ruleset's schema."""
        return Context(self.schema, data, **variables)

    def decide(self, context: Context | Mapping[str, Any] | Any = None, /, names: Sequence[str] | str | None = None,
               *, explain: bool = False, **variables: Any) -> Decisions:
        """Evaluate every decision (or those in names, and what they read).

        context: a Context, a mapping of variables (dicts, lists, dataclasses...),
        or keywords.  Unknown names raise KeyError; a context that does not fit
        the schema raises ContextError.  explain: also trace why (see
        Decisions.explanation and .trace); the first explained call compiles
        a traced copy of the rules, later ones cost a few times an untraced one.
        """
        rs = self._ptr or self._live()
        arr, n = self._names(names) if names is not None else (None, 0)
        try:
            s = self._pool.pop()
        except IndexError:
            s = self._scratch()
        try:
            return self._run(rs, self._schema or self.schema, s, context, variables, arr, n, explain)
        finally:
            self._pool.append(s)

    def decide_many(self, contexts: Iterable[Mapping[str, Any] | Context | Any],
                    names: Sequence[str] | str | None = None) -> list[Decisions]:
        """decide() for each context of a batch, reusing one activation."""
        rs = self._live()
        arr, n = self._names(names)
        schema = self.schema
        s = self._scratch()
        try:
            return [self._run(rs, schema, s, c, {}, arr, n) for c in contexts]
        finally:
            self._pool.append(s)

    def __repr__(self) -> str:
        return f"<rulecore.Ruleset {getattr(self, 'path', '?')!r} rev {self.revision[:7] if self._ptr else 'closed'}>"


def load(path: str | os.PathLike[str], *, cost_limit: int | None = None, load_memory: int | None = None,
         load_instructions: int | None = None) -> Ruleset:
    """Load a ruleset (a directory of rule files, or one .lua file).

    Raises SourceError with every error of the load, FileNotFoundError when
    the path cannot be read.
    """
    return Ruleset(path, cost_limit=cost_limit, load_memory=load_memory, load_instructions=load_instructions)


# ---- watched rulesets ------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class WatchStatus:
    """rulecore_watch_get_status: the revision serving and the last reload attempt."""
    revision: str
    last_outcome: str       # "none", "swapped", "unchanged", "failed"
    last_attempt_ns: int    # CLOCK_REALTIME ns since the epoch; 0: none yet
    last_swap_ns: int
    attempts: int
    swaps: int
    failures: int
    last_errors: int
    polling: bool


class ReloadEvent(NamedTuple):
    """What on_reload receives after every reload attempt."""
    outcome: str                    # "swapped", "unchanged", "failed"
    revision: str                   # serving now
    diagnostics: list[Diagnostic]   # the attempt's (errors when it failed)


def _diagnostics_json(text: str | None) -> list[Diagnostic]:
    if not text:
        return []
    doc = json.loads(text)
    return [Diagnostic(d.get("file", ""), d.get("line", 0), d.get("column", 0), d.get("code", 0),
                       d.get("name", ""), d.get("message", ""), d.get("severity", "error"))
            for d in doc.get("diagnostics", ())]


class WatchedRuleset(_Evaluator):
    """A ruleset kept current with its files (``rulecore.watch(path)``).

    A thread of the library watches the directory, reloads after changes
    have been quiet for debounce_ms, and swaps the new version in; a load
    that fails keeps the last good version serving.  ``decide()`` acquires
    the version serving for the call and releases it after, so one call
    sees one revision.

    on_reload(event: ReloadEvent) is called after every reload attempt ON
    THE WATCH'S THREAD (ctypes takes the GIL for it), or on the thread
    calling ``reload()``.  Keep it short; exceptions it raises are printed
    and ignored; it must not close the watch.

    enable_metrics() and set_log() apply to every version the watch serves,
    now and after each reload; metrics() adds the watch's own counts
    (reloads by outcome, last reload and swap times).
    """

    _c_enable_metrics = lib.rulecore_watch_enable_metrics
    _c_metrics = lib.rulecore_watch_metrics
    _c_set_log = lib.rulecore_watch_set_log

    def __init__(self, path: str | os.PathLike[str], *, debounce_ms: int = 0, poll_ms: int = 0,
                 poll: bool = False, on_reload: Callable[[ReloadEvent], Any] | None = None,
                 cost_limit: int | None = None, load_memory: int | None = None,
                 load_instructions: int | None = None) -> None:
        self._init_pool()
        self._names_cache = {}
        self.path = os.fspath(path)
        self._cb_thread: int | None = None
        self._current_schema: tuple[int, Schema] | None = None
        opts = _lib.WatchOptions(debounce_ms, poll_ms, 1 if poll else 0, None, None)
        self._callback = None
        if on_reload is not None:
            self._callback = _lib.RELOAD_FN(self._make_callback(on_reload, weakref.ref(self)))
            opts.on_reload = __import__("ctypes").cast(self._callback, c_void_p)
        with _Env(None, False, _limits(cost_limit, load_memory, load_instructions)) as env:
            out, d = c_void_p(), c_void_p()
            st = lib.rulecore_watch_new(env._ptr, _path(path), byref(opts), byref(out), byref(d))
            _check(st, d, self.path)
        self._ptr = out.value

    @staticmethod
    def _make_callback(fn: Callable[[ReloadEvent], Any], me: "weakref.ref[WatchedRuleset]"
                       ) -> Callable[[Any, int, bytes | None, Any], None]:
        # Holds the watch only weakly: the C watch owns this callback, not the reverse.
        def cb(user: Any, outcome: int, revision: bytes | None, diags: Any) -> None:
            w = me()
            if w is not None:
                w._cb_thread = threading.get_ident()
            del w  # so that the watch may be collected while fn runs
            try:
                fn(ReloadEvent(_OUTCOMES.get(outcome, str(outcome)), (revision or b"").decode(),
                               _diagnostics(diags)))
            except BaseException:  # never unwind into C
                import traceback
                traceback.print_exc()
            finally:
                w = me()
                if w is not None:
                    w._cb_thread = None
        return cb

    def _free(self, ptr: int) -> None:
        self._free_pool(lib.rulecore_decisions_free)
        self._current_schema = None
        if self._cb_thread == threading.get_ident():
            # Freed from inside the callback (e.g. by the garbage collector):
            # the watch's thread cannot join itself, so another thread frees it.
            cb = self._callback
            threading.Thread(target=lambda: (lib.rulecore_watch_free(ptr), cb), daemon=True).start()
            return
        lib.rulecore_watch_free(ptr)  # joins the watch's thread (ctypes releases the GIL)
        self._callback = None

    def status(self) -> WatchStatus:
        st = _lib.WatchStatus()
        lib.rulecore_watch_get_status(self._live(), byref(st))
        return WatchStatus(st.revision.decode(), _OUTCOMES.get(st.last_outcome, str(st.last_outcome)),
                           st.last_attempt_ns, st.last_swap_ns, st.attempts, st.swaps, st.failures,
                           st.last_errors, bool(st.polling))

    @property
    def revision(self) -> str:
        """The revision serving now."""
        return self.status().revision

    def diagnostics(self) -> list[Diagnostic]:
        """The last reload attempt's diagnostics (its errors when it failed)."""
        return _diagnostics_json(_lib.take_string(lib.rulecore_watch_diagnostics(self._live(), _lib.FORMAT_JSON)))

    def reload(self) -> ReloadEvent:
        """Reload now, in this thread, whatever the files' state."""
        d = c_void_p()
        outcome = lib.rulecore_watch_reload(self._live(), byref(d))
        diags = _take_diagnostics(d)
        return ReloadEvent(_OUTCOMES.get(outcome, str(outcome)), self.revision, diags)

    def current(self) -> Ruleset:
        """The version serving now, as a Ruleset of its own (close it when done)."""
        w = self._live()
        rs = lib.rulecore_watch_acquire(w)
        try:
            return Ruleset._of_ptr(lib.rulecore_ruleset_ref(rs), self.path)
        finally:
            lib.rulecore_watch_release(w, rs)

    def _schema_of(self, rs: int) -> Schema:
        sp = lib.rulecore_ruleset_schema(rs)
        cs = self._current_schema
        if cs is None or cs[0] != sp:
            cs = self._current_schema = (sp, Schema._of_ruleset(rs))
        return cs[1]

    @property
    def schema(self) -> Schema:
        """The serving version's schema."""
        w = self._live()
        rs = lib.rulecore_watch_acquire(w)
        try:
            return self._schema_of(rs)
        finally:
            lib.rulecore_watch_release(w, rs)

    def context(self, data: Mapping[str, Any] | Any = None, /, **variables: Any) -> Context:
        """A reusable Context; refilled automatically when a reload changes the schema."""
        return Context(self.schema, data, **variables)

    def _foreign_context(self, context: Context, schema: Schema) -> None:
        context._rebind(schema)

    def decide(self, context: Context | Mapping[str, Any] | Any = None, /, names: Sequence[str] | str | None = None,
               *, explain: bool = False, **variables: Any) -> Decisions:
        """As Ruleset.decide, on the version serving at the call."""
        w = self._ptr or self._live()
        arr, n = self._names(names) if names is not None else (None, 0)
        try:
            s = self._pool.pop()
        except IndexError:
            s = self._scratch()
        rs = lib.rulecore_watch_acquire(w)
        try:
            return self._run(rs, self._schema_of(rs), s, context, variables, arr, n, explain)
        finally:
            lib.rulecore_watch_release(w, rs)
            self._pool.append(s)

    def decide_many(self, contexts: Iterable[Mapping[str, Any] | Context | Any],
                    names: Sequence[str] | str | None = None) -> list[Decisions]:
        """decide() for each context of a batch, all on one version."""
        w = self._live()
        arr, n = self._names(names)
        s = self._scratch()
        rs = lib.rulecore_watch_acquire(w)
        try:
            schema = self._schema_of(rs)
            return [self._run(rs, schema, s, c, {}, arr, n) for c in contexts]
        finally:
            lib.rulecore_watch_release(w, rs)
            self._pool.append(s)

    def __repr__(self) -> str:
        return f"<rulecore.WatchedRuleset {self.path!r}>"


def watch(path: str | os.PathLike[str], *, debounce_ms: int = 0, poll_ms: int = 0, poll: bool = False,
          on_reload: Callable[[ReloadEvent], Any] | None = None, cost_limit: int | None = None,
          load_memory: int | None = None, load_instructions: int | None = None) -> WatchedRuleset:
    """Load a ruleset and keep it current with its files (see WatchedRuleset).

    debounce_ms: quiet time after the last change before reloading (0: 100 ms);
    poll_ms / poll: polling interval, and polling even where inotify works.
    The first load failing raises SourceError (no watch is made).
    """
    return WatchedRuleset(path, debounce_ms=debounce_ms, poll_ms=poll_ms, poll=poll, on_reload=on_reload,
                          cost_limit=cost_limit, load_memory=load_memory, load_instructions=load_instructions)
