"""Loading librulecore and declaring its prototypes (private).

Every C function the binding calls is declared exactly once, here, with
its ``argtypes`` and ``restype``; the rest of the package calls them as
attributes of :data:`lib`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_double, c_int, c_int32,
                    c_int64, c_size_t, c_uint32, c_uint64, c_void_p)

#: The major version of librulecore this binding is written for.
MAJOR = 0

# Opaque handles are c_void_p: ctypes passes a Python int through without
# wrapping it in an object, which keeps the per-call cost down.
_p = c_void_p
_status = c_int


class WatchOptions(Structure):
    _fields_ = [("debounce_ms", c_uint32), ("poll_ms", c_uint32), ("poll", c_int),
                ("on_reload", c_void_p), ("user", c_void_p)]


class WatchStatus(Structure):
    _fields_ = [("revision", c_char * 65), ("last_outcome", c_int), ("last_attempt_ns", c_int64),
                ("last_swap_ns", c_int64), ("attempts", c_uint64), ("swaps", c_uint64),
                ("failures", c_uint64), ("last_errors", c_size_t), ("polling", c_int)]


#: void (*)(void *user, rulecore_reload_outcome, const char *revision, const rulecore_diagnostics *)
RELOAD_FN = CFUNCTYPE(None, c_void_p, c_int, c_char_p, c_void_p)
#: void (*)(void *user, const char *record, size_t length): the decision log's sink.
#: The record is not NUL-terminated: taken as a pointer, read with string_at.
LOG_FN = CFUNCTYPE(None, c_void_p, c_void_p, c_size_t)


def _load() -> ctypes.CDLL:
    name = os.environ.get("RULECORE_LIBRARY")
    if name:
        return ctypes.CDLL(name)
    candidates = []
    found = ctypes.util.find_library("rulecore")
    if found:
        candidates.append(found)
    candidates.append("librulecore.so.0")
    err: OSError | None = None
    for c in candidates:
        try:
            return ctypes.CDLL(c)
        except OSError as e:  # try the next one
            err = e
    raise ImportError(f"rulecore: cannot load librulecore ({err}); set RULECORE_LIBRARY to the "
                      "path of librulecore.so") from err


lib = _load()

# (name, restype, argtypes): every prototype the binding uses, once.
_PROTOTYPES = [
    ("rulecore_version", c_char_p, []),
    ("rulecore_version_number", c_int, []),
    ("rulecore_status_message", c_char_p, [c_int]),
    ("rulecore_free", None, [_p]),
    # diagnostics
    ("rulecore_diagnostics_count", c_size_t, [_p]),
    ("rulecore_diagnostics_error_count", c_size_t, [_p]),
    ("rulecore_diagnostics_severity", c_int, [_p, c_size_t]),
    ("rulecore_diagnostics_code", c_int, [_p, c_size_t]),
    ("rulecore_diagnostics_code_name", c_char_p, [_p, c_size_t]),
    ("rulecore_diagnostics_message", c_char_p, [_p, c_size_t]),
    ("rulecore_diagnostics_file", c_char_p, [_p, c_size_t]),
    ("rulecore_diagnostics_line", c_uint32, [_p, c_size_t]),
    ("rulecore_diagnostics_column", c_uint32, [_p, c_size_t]),
    ("rulecore_diagnostics_render", _p, [_p, c_int]),
    ("rulecore_diagnostics_free", None, [_p]),
    # schemas
    ("rulecore_schema_new", _p, []),
    ("rulecore_schema_free", None, [_p]),
    ("rulecore_schema_load", _status, [_p, c_char_p, c_size_t, c_char_p, POINTER(_p)]),
    ("rulecore_schema_load_file", _status, [_p, c_char_p, POINTER(_p)]),
    ("rulecore_schema_freeze", _status, [_p, POINTER(_p)]),
    ("rulecore_schema_slot", c_int32, [_p, c_char_p]),
    # environments
    ("rulecore_env_new", _p, []),
    ("rulecore_env_free", None, [_p]),
    ("rulecore_env_set_schema", _status, [_p, _p, POINTER(_p)]),
    ("rulecore_env_set_unchecked", _status, [_p, c_int]),
    ("rulecore_env_set_limit", _status, [_p, c_int, c_uint64]),
    # programs
    ("rulecore_compile_source", _status, [_p, c_char_p, c_size_t, c_char_p, c_char_p, POINTER(_p), POINTER(_p)]),
    ("rulecore_program_type", c_char_p, [_p]),
    ("rulecore_program_free", None, [_p]),
    # activations
    ("rulecore_activation_new", _p, [_p]),
    ("rulecore_activation_free", None, [_p]),
    ("rulecore_activation_reset", None, [_p]),
    ("rulecore_activation_set_null", _status, [_p, c_int32]),
    ("rulecore_activation_set_bool", _status, [_p, c_int32, c_int]),
    ("rulecore_activation_set_int", _status, [_p, c_int32, c_int64]),
    ("rulecore_activation_set_uint", _status, [_p, c_int32, c_uint64]),
    ("rulecore_activation_set_double", _status, [_p, c_int32, c_double]),
    ("rulecore_activation_set_string", _status, [_p, c_int32, c_char_p, c_size_t]),
    ("rulecore_activation_set_bytes", _status, [_p, c_int32, c_char_p, c_size_t]),
    ("rulecore_activation_set_timestamp", _status, [_p, c_int32, c_int64, c_int32]),
    ("rulecore_activation_set_duration", _status, [_p, c_int32, c_int64]),
    ("rulecore_activation_begin_list", _status, [_p, c_int32]),
    ("rulecore_activation_begin_map", _status, [_p, c_int32]),
    ("rulecore_activation_key_string", _status, [_p, c_char_p, c_size_t]),
    ("rulecore_activation_key_int", _status, [_p, c_int64]),
    ("rulecore_activation_key_uint", _status, [_p, c_uint64]),
    ("rulecore_activation_key_bool", _status, [_p, c_int]),
    ("rulecore_activation_end", _status, [_p]),
    ("rulecore_activation_set_json", _status, [_p, c_char_p, c_size_t, c_int, POINTER(_p)]),
    # evaluation
    ("rulecore_result_new", _p, []),
    ("rulecore_result_free", None, [_p]),
    ("rulecore_eval", _status, [_p, _p, _p]),
    ("rulecore_result_kind", c_int, [_p]),
    ("rulecore_result_bool", c_int, [_p]),
    ("rulecore_result_int", c_int64, [_p]),
    ("rulecore_result_uint", c_uint64, [_p]),
    ("rulecore_result_double", c_double, [_p]),
    ("rulecore_result_string", _p, [_p, POINTER(c_size_t)]),
    ("rulecore_result_error", c_char_p, [_p, POINTER(c_uint32), POINTER(c_uint32)]),
    ("rulecore_result_render", _p, [_p, c_int]),
    # rulesets
    ("rulecore_ruleset_load", _status, [_p, c_char_p, POINTER(_p), POINTER(_p)]),
    ("rulecore_ruleset_ref", _p, [_p]),
    ("rulecore_ruleset_free", None, [_p]),
    ("rulecore_ruleset_schema", _p, [_p]),
    ("rulecore_ruleset_revision", c_char_p, [_p]),
    ("rulecore_ruleset_decision_count", c_size_t, [_p]),
    ("rulecore_ruleset_decision_index", c_int32, [_p, c_char_p]),
    ("rulecore_ruleset_decision_name", c_char_p, [_p, c_size_t]),
    ("rulecore_ruleset_decision_type", c_char_p, [_p, c_size_t]),
    ("rulecore_ruleset_decision_hit_policy", c_char_p, [_p, c_size_t]),
    ("rulecore_ruleset_decision_description", c_char_p, [_p, c_size_t]),
    ("rulecore_ruleset_decision_input_count", c_size_t, [_p, c_size_t]),
    ("rulecore_ruleset_decision_input", c_size_t, [_p, c_size_t, c_size_t]),
    ("rulecore_ruleset_rule_count", c_size_t, [_p, c_size_t]),
    ("rulecore_ruleset_rule_id", c_char_p, [_p, c_size_t, c_size_t]),
    ("rulecore_ruleset_rule_priority", c_int64, [_p, c_size_t, c_size_t]),
    ("rulecore_ruleset_rule_description", c_char_p, [_p, c_size_t, c_size_t]),
    ("rulecore_ruleset_rule_condition", c_char_p, [_p, c_size_t, c_size_t]),
    ("rulecore_ruleset_rule_tag_count", c_size_t, [_p, c_size_t, c_size_t]),
    ("rulecore_ruleset_rule_tag", c_char_p, [_p, c_size_t, c_size_t, c_size_t]),
    ("rulecore_ruleset_rule_file", c_char_p, [_p, c_size_t, c_size_t, POINTER(c_uint32)]),
    ("rulecore_ruleset_validation_count", c_size_t, [_p]),
    ("rulecore_ruleset_validation_id", c_char_p, [_p, c_size_t]),
    ("rulecore_ruleset_validation_severity", c_int, [_p, c_size_t]),
    ("rulecore_ruleset_eval", _status, [_p, _p, POINTER(c_char_p), c_size_t, _p]),
    ("rulecore_ruleset_commit", c_char_p, [_p]),
    ("rulecore_ruleset_enable_metrics", _status, [_p]),
    ("rulecore_ruleset_metrics", _p, [_p]),
    ("rulecore_ruleset_set_log", _status, [_p, LOG_FN, _p, ctypes.c_uint]),
    ("rulecore_ruleset_test_count", c_size_t, [_p]),
    ("rulecore_ruleset_test_name", c_char_p, [_p, c_size_t]),
    ("rulecore_ruleset_test_run", _status, [_p, c_size_t, _p, POINTER(c_int), POINTER(_p)]),
    # decisions
    ("rulecore_decisions_new", _p, []),
    ("rulecore_decisions_free", None, [_p]),
    ("rulecore_decisions_outcome", c_int, [_p, c_size_t]),
    ("rulecore_decisions_value", _p, [_p, c_size_t]),
    ("rulecore_decisions_rule", c_char_p, [_p, c_size_t]),
    ("rulecore_decisions_matched_count", c_size_t, [_p, c_size_t]),
    ("rulecore_decisions_matched", c_char_p, [_p, c_size_t, c_size_t]),
    ("rulecore_decisions_violation_count", c_size_t, [_p]),
    ("rulecore_decisions_render", _p, [_p, c_int]),
    ("rulecore_decisions_set_explain", _status, [_p, ctypes.c_bool]),
    ("rulecore_decisions_explain", _p, [_p, c_int, ctypes.c_uint]),
    # watched rulesets
    ("rulecore_watch_new", _status, [_p, c_char_p, POINTER(WatchOptions), POINTER(_p), POINTER(_p)]),
    ("rulecore_watch_free", None, [_p]),
    ("rulecore_watch_acquire", _p, [_p]),
    ("rulecore_watch_release", None, [_p, _p]),
    ("rulecore_watch_reload", c_int, [_p, POINTER(_p)]),
    ("rulecore_watch_get_status", None, [_p, POINTER(WatchStatus)]),
    ("rulecore_watch_diagnostics", _p, [_p, c_int]),
    ("rulecore_watch_enable_metrics", _status, [_p]),
    ("rulecore_watch_metrics", _p, [_p]),
    ("rulecore_watch_set_log", _status, [_p, LOG_FN, _p, ctypes.c_uint]),
]

for _name, _res, _args in _PROTOTYPES:
    _f = getattr(lib, _name)
    _f.restype = _res
    _f.argtypes = _args
del _name, _res, _args, _f

VERSION: str = lib.rulecore_version().decode()
VERSION_NUMBER: int = lib.rulecore_version_number()
if VERSION_NUMBER // 10000 != MAJOR:
    raise ImportError(f"rulecore: the library loaded is version {VERSION} (major "
                      f"{VERSION_NUMBER // 10000}); this binding needs major version {MAJOR}")

# Status codes, formats, kinds, outcomes (values of the C enums).
OK, ERR_SOURCE, ERR_NOMEM, ERR_ARGUMENT, ERR_IO, ERR_EVAL = range(6)
FORMAT_TEXT, FORMAT_JSON, FORMAT_SEXP, FORMAT_TYPED_JSON = range(4)
JSON_PLAIN, JSON_TYPED = 0, 1
(KIND_NULL, KIND_BOOL, KIND_INT, KIND_UINT, KIND_DOUBLE, KIND_STRING, KIND_BYTES, KIND_TIMESTAMP,
 KIND_DURATION, KIND_LIST, KIND_MAP, KIND_RECORD, KIND_TYPE, KIND_ERROR, KIND_OPAQUE) = range(15)
NEXT = -1
LOG_INPUT_DIGEST = 1
EXPLAIN_COLOR = 1
LIMIT_SOURCE_BYTES, LIMIT_NESTING_DEPTH, LIMIT_ERRORS, LIMIT_EVAL_COST, LIMIT_LOAD_MEMORY, \
    LIMIT_LOAD_INSTRUCTIONS = range(6)


def take_string(ptr: int | None) -> str | None:
    """Decode a ``char *`` the library returned and free it."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        lib.rulecore_free(ptr)
