import dataclasses
import datetime as dt
import ipaddress
import math
import threading
import unittest

import rulecore
from rulecore import EvalError, SourceError

SCHEMA = {
    "types": {"Item": {"sku": "string", "qty": "int", "price": "double"}},
    "variables": {
        "user": {"age": "int", "city": "string", "tags": "list(string)", "score": "double",
                 "id": "uint", "blob": "bytes", "born": "timestamp", "ttl": "duration", "meta": "dyn"},
        "items": "list(Item)",
        "counts": "map(string, int)",
        "byid": "map(int, string)",
        "any": "dyn",
    },
}


@dataclasses.dataclass
class User:
    age: int
    city: str
    tags: list


class ExpressionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.schema = rulecore.Schema(SCHEMA)

    @classmethod
    def tearDownClass(cls):
        cls.schema.close()

    def ev(self, src, ctx=None, **kw):
        with rulecore.compile(src, schema=self.schema) as e:
            return e(ctx, **kw)

    def test_origin_example(self):
        e = rulecore.compile('user.age > 18 && user.city == "Beijing"', schema=self.schema, result_type="bool")
        self.assertEqual(e.type, "bool")
        self.assertIs(e({"user": {"age": 30, "city": "Beijing"}}), True)
        self.assertIs(e({"user": {"age": 12, "city": "Beijing"}}), False)
        self.assertIs(e(user={"age": 30, "city": "Beijing"}), True)
        e.close()

    def test_scalar_results(self):
        self.assertIs(self.ev("true"), True)
        self.assertEqual(self.ev("1 + 2"), 3)
        self.assertIsInstance(self.ev("1 + 2"), int)
        self.assertEqual(self.ev("18446744073709551615u"), 18446744073709551615)
        self.assertEqual(self.ev("1.5 * 2.0"), 3.0)
        self.assertEqual(self.ev("'héllo' + '!'"), "héllo!")
        self.assertEqual(self.ev("b'\\x00\\xff'"), b"\x00\xff")
        self.assertIsNone(self.ev("null"))
        self.assertTrue(math.isnan(self.ev("0.0/0.0")))
        self.assertEqual(self.ev("1.0/0.0"), math.inf)
        self.assertEqual(self.ev("-9223372036854775807 - 1"), -(1 << 63))

    def test_composite_results(self):
        self.assertEqual(self.ev("[1, 'a', [true, null]]"), [1, "a", [True, None]])
        self.assertEqual(self.ev("{'a': 1, 'b': 2}"), {"a": 1, "b": 2})
        self.assertEqual(self.ev("{1: 'x', true: 2u}"), {1: "x", True: 2})
        self.assertEqual(self.ev("type(1)"), "int")
        self.assertIsInstance(self.ev("type(1)"), rulecore.Type)
        self.assertEqual(self.ev("ip('10.0.0.1')"), ipaddress.ip_address("10.0.0.1"))
        r = self.ev("items[0]", {"items": [{"sku": "A1", "qty": 2, "price": 9.5}]})
        self.assertEqual(r, {"sku": "A1", "qty": 2, "price": 9.5})
        self.assertEqual(r.type, "Item")

    def test_timestamps_and_durations(self):
        t = self.ev("timestamp('2009-02-13T23:31:30.123456789Z')")
        self.assertEqual(t, dt.datetime(2009, 2, 13, 23, 31, 30, 123456, tzinfo=dt.timezone.utc))
        self.assertIsNotNone(t.tzinfo)
        # sub-microsecond digits are truncated, toward zero for durations
        self.assertEqual(self.ev("duration('1.5s')"), dt.timedelta(seconds=1.5))
        self.assertEqual(self.ev("duration('-0.0000019s')"), dt.timedelta(microseconds=-1))
        self.assertEqual(self.ev("duration('0.000000999s')"), dt.timedelta(0))
        born = dt.datetime(1990, 5, 17, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        self.assertEqual(self.ev("user.born", user={"born": born}), born)
        self.assertEqual(self.ev("user.born.getFullYear()", user={"born": born}), 1990)
        self.assertEqual(self.ev("user.ttl + duration('1s')", user={"ttl": dt.timedelta(minutes=1)}),
                         dt.timedelta(seconds=61))
        # strings are read by the declared type too
        self.assertEqual(self.ev("user.born", user={"born": "1990-05-17T00:30:00Z"}),
                         born)
        with self.assertRaises(TypeError):
            self.ev("user.born", user={"born": dt.datetime(1990, 1, 1)})  # naive

    def test_context_values(self):
        ctx = {"user": {"age": 30, "city": "Beijing", "tags": ["vip", "x"], "score": 1, "id": 7,
                        "blob": b"\x01\x02", "meta": {"k": [1, 2]}},
               "items": [{"sku": "A1", "qty": 2, "price": 99.5}, {"sku": "B2", "qty": 3, "price": 1.0}],
               "counts": {"a": 1}, "byid": {5: "five"}, "any": (1, "two")}
        self.assertEqual(self.ev("user.tags", ctx), ["vip", "x"])
        self.assertEqual(self.ev("user.score", ctx), 1.0)
        self.assertEqual(self.ev("user.id", ctx), 7)
        self.assertEqual(self.ev("user.blob", ctx), b"\x01\x02")
        self.assertEqual(self.ev("user.meta.k[1]", ctx), 2)
        self.assertEqual(self.ev("items.map(i, i.qty).sum()" if False else "items[1].qty", ctx), 3)
        self.assertEqual(self.ev("counts['a']", ctx), 1)
        self.assertEqual(self.ev("byid[5]", ctx), "five")
        self.assertEqual(self.ev("any", ctx), [1, "two"])
        self.assertEqual(self.ev("user.id", user={"id": 18446744073709551615}), 18446744073709551615)
        self.assertTrue(self.ev("user.age == 30 && 'vip' in user.tags", user=User(30, "B", ["vip"])))

    def test_context_errors(self):
        with self.assertRaises(rulecore.ContextError) as cm:
            self.ev("user.age", user={"age": "thirty"})
        self.assertTrue(cm.exception.diagnostics)
        self.assertEqual(cm.exception.diagnostics[0].name, "context-mismatch")
        with self.assertRaises(rulecore.ContextError):
            self.ev("1", nosuch=1)
        with self.assertRaises(TypeError):
            self.ev("1", {"any": object()})

    def test_source_errors_have_positions(self):
        with self.assertRaises(SourceError) as cm:
            rulecore.compile("user.agee > 18", schema=self.schema)
        e = cm.exception
        self.assertEqual(len(e.diagnostics), 1)
        d = e.diagnostics[0]
        self.assertEqual((d.file, d.line, d.column, d.code, d.name, d.severity),
                         ("<input>", 1, 6, 201, "no-such-field", "error"))
        self.assertIn("did you mean 'age'", d.message)
        self.assertEqual(str(e), "<input>:1:6: error: " + d.message)
        with self.assertRaises(SourceError) as cm:
            rulecore.compile('user.age > 18 && user.city == "Beijing', schema=self.schema, file="rule.cel")
        self.assertEqual(str(cm.exception), "rule.cel:1:31: error: unterminated string literal")
        with self.assertRaises(SourceError) as cm:
            rulecore.compile("user.age", schema=self.schema, result_type="bool")
        self.assertEqual(cm.exception.diagnostics[0].name, "wrong-result-type")
        self.assertIsInstance(cm.exception, rulecore.Error)

    def test_eval_errors(self):
        with self.assertRaises(EvalError) as cm:
            self.ev("1 + 1/0")
        self.assertEqual(cm.exception.message, "division by zero")
        self.assertEqual(cm.exception.position, (1, 6))
        self.assertEqual(str(cm.exception), "<input>:1:6: error: division by zero")
        with self.assertRaises(EvalError) as cm:
            self.ev("counts['zz']", counts={})
        self.assertIn("no such key", cm.exception.message)
        self.assertIs(self.ev("false && 1/0 > 2"), False)

    def test_cost_limit(self):
        e = rulecore.compile("[1,2,3,4,5,6,7,8,9].all(x, [1,2,3,4,5,6,7,8,9].all(y, x > 0))", cost_limit=10)
        with self.assertRaises(EvalError):
            e()
        e.close()

    def test_unchecked(self):
        e = rulecore.compile("1 + 1", unchecked=True)
        self.assertEqual(e(), 2)

    def test_context_reuse(self):
        e = rulecore.compile('user.age > 18 && user.city == "Beijing"', schema=self.schema)
        with e.context({"user": {"age": 30, "city": "Beijing"}}) as ctx:
            self.assertTrue(e(ctx))
            ctx["user.age"] = 12
            self.assertFalse(e(ctx))
            ctx.set("user.age", 40)
            self.assertTrue(e(ctx))
            ctx["user.city"] = "Shanghai"
            self.assertFalse(e(ctx))
            self.assertEqual(ctx.to_dict()["user"], {"age": 40, "city": "Shanghai"})
            ctx.update(user={"age": 50, "city": "Beijing"})
            self.assertTrue(e(ctx))
            for i in range(rulecore.Context._COMPACT_AFTER + 10):  # the pool is compacted
                ctx["user.city"] = "Beijing" if i % 2 else "X" * 100
            self.assertTrue(e(ctx))
            with self.assertRaises(rulecore.ContextError):
                ctx["user.age"] = "old"
            ctx.clear()
            with self.assertRaises(EvalError):
                e(ctx)
        other = rulecore.Schema({"variables": {"user": {"age": "int"}}})
        with self.assertRaises(rulecore.Error):
            e(other.context())

    def test_close_twice_and_closed_use(self):
        e = rulecore.compile("1")
        e.close()
        e.close()
        with self.assertRaises(rulecore.Error):
            e()
        s = rulecore.Schema({"variables": {"x": "int"}})
        c = s.context(x=1)
        c.close()
        c.close()
        s.close()
        s.close()

    def test_threads(self):
        e = rulecore.compile("user.age * 2", schema=self.schema)
        errors = []

        def work(k):
            try:
                for i in range(300):
                    if e({"user": {"age": k * 1000 + i}}) != 2 * (k * 1000 + i):
                        errors.append((k, i))
            except Exception as ex:  # pragma: no cover
                errors.append(ex)
        ts = [threading.Thread(target=work, args=(k,)) for k in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(errors, [])
        e.close()

    def test_version(self):
        self.assertRegex(rulecore.version, r"^0\.\d+\.\d+$")


if __name__ == "__main__":
    unittest.main()
