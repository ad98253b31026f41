#!/usr/bin/env python3
"""Benchmark of the Python binding on the shared workloads W1 and W4.

    RULECORE_LIBRARY=_build/.libs/librulecore.so PYTHONPATH=bindings/python \\
        python3 bindings/python/bench.py [WORKLOADS.json] [--marshalling]

W1 (one expression) and W4 (22 prioritised rules, as a ruleset with one
collect decision, as bench/bench.c runs it) are each timed with a prepared
Context reused across evaluations and with the context built from a dict
every time.  Prints ns per evaluation (per context for W4), then one JSON
line with py_W1_prepared_ns, py_W1_dict_ns, py_W4_prepared_ns and
py_W4_dict_ns.  --marshalling also times filling W4's context with builder
calls against json.dumps + rulecore_activation_set_json (the measurement
behind the binding's choice of the builder).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from typing import Any, Callable

import rulecore
from rulecore import _lib

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT = os.path.join(HERE, "..", "..", "..", "shared", "bench", "workloads.json")


def timeit(fn: Callable[[], Any], min_time: float = 0.3, runs: int = 5) -> float:
    """Median over runs of ns per call of fn."""
    n = 1
    while True:  # calibrate
        t = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - t > min_time / 5:
            break
        n *= 2
    res = []
    for _ in range(runs):
        t = time.perf_counter_ns()
        for _ in range(n):
            fn()
        res.append((time.perf_counter_ns() - t) / n)
    res.sort()
    return res[len(res) // 2]


def schema_doc(w: dict[str, Any]) -> dict[str, Any]:
    ctx = w["context_true"]
    types = w["schema"]
    return {"types": types, "variables": {k: k for k in types if k in ctx}}


def write_w4(w: dict[str, Any], d: str) -> None:
    with open(os.path.join(d, "w4.schema.json"), "w") as f:
        json.dump(schema_doc(w), f)
    with open(os.path.join(d, "w4.lua"), "w") as f:
        f.write('schema "w4.schema.json"\ndecision "matched" {\n  type = "list(string)", hit = "collect",\n')
        for r in w["W4"]["rules"]:
            f.write(f'  rule "{r["id"]}" {{ priority = {r["priority"]}, when = [==[ {r["when"]} ]==], '
                    f'value = "\'{r["id"]}\'" }},\n')
        f.write("}\n")


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    path = args[0] if args else os.environ.get("WORKLOADS", DEFAULT)
    with open(path) as f:
        w = json.load(f)
    out: dict[str, float] = {}
    schema = rulecore.Schema(schema_doc(w))
    ctx_true, ctx_false = w["context_true"], w["context_false"]

    # W1
    e = rulecore.compile(w["W1"]["expr"], schema=schema)
    assert e(ctx_true) is w["W1"]["expect_true_ctx"] and e(ctx_false) is w["W1"]["expect_false_ctx"]
    prepared = e.context(ctx_true)
    assert e(prepared) is True
    out["py_W1_prepared_ns"] = timeit(lambda: e(prepared))
    out["py_W1_dict_ns"] = timeit(lambda: e(ctx_true))

    # W4
    expect = w["W4"]["expect_matched_in_priority_order"]
    with tempfile.TemporaryDirectory() as d:
        write_w4(w, d)
        rules = rulecore.load(d)
    pctx = rules.context(ctx_true)
    assert rules.decide(pctx)["matched"] == expect
    assert rules.decide(ctx_true).matched["matched"] == expect
    out["py_W4_prepared_ns"] = timeit(lambda: rules.decide(pctx)["matched"])
    out["py_W4_dict_ns"] = timeit(lambda: rules.decide(ctx_true)["matched"])
    batch = [ctx_true] * 100
    out["py_W4_decide_many_ns"] = timeit(lambda: rules.decide_many(batch)) / len(batch)

    if "--marshalling" in sys.argv:
        s = rules.schema
        act = rulecore.Context(s)

        def builder() -> None:
            _lib.lib.rulecore_activation_reset(act._ptr)
            for name, v in ctx_true.items():
                rulecore._set_var(act._ptr, s, name, v)

        def via_json() -> None:
            _lib.lib.rulecore_activation_reset(act._ptr)
            text = json.dumps(ctx_true).encode()
            st = _lib.lib.rulecore_activation_set_json(act._ptr, text, len(text), 0, None)
            assert st == 0

        out["py_fill_builder_ns"] = timeit(builder)
        out["py_fill_json_ns"] = timeit(via_json)
        out["py_json_dumps_ns"] = timeit(lambda: json.dumps(ctx_true))

    for k, v in out.items():
        print(f"{k:28s} {v:10.0f} ns")
    print(f"targets: W1 prepared <= 1500 ns ({'ok' if out['py_W1_prepared_ns'] <= 1500 else 'MISSED'}), "
          f"W4 from a dict <= 20000 ns ({'ok' if out['py_W4_dict_ns'] <= 20000 else 'MISSED'})")
    print(json.dumps({k: round(v, 1) for k, v in out.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
