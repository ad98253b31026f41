import dataclasses
import os
import shutil
import tempfile
import threading
import unittest

import rulecore
from tests.helpers import PRICING, RULESETS

GOLD = {"user": {"tier": "gold", "age": 30}, "order": {"amount": 50.0}}


@dataclasses.dataclass
class U:
    tier: str
    age: int


@dataclasses.dataclass
class O:
    amount: float


@dataclasses.dataclass
class Ctx:
    user: U
    order: O


class RulesetTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rules = rulecore.load(PRICING)

    @classmethod
    def tearDownClass(cls):
        cls.rules.close()

    def test_issue_example(self):
        rules = self.rules
        d = rules.decide(GOLD)
        self.assertEqual(d["discount"], 0.15)
        self.assertEqual(d.rule("discount"), "gold")
        self.assertEqual(d.matched["discount"], ["gold"])
        self.assertEqual(d.matched_rules("shipping"), ["free"])
        self.assertEqual(d["shipping"], "free")
        self.assertEqual(d.violations, [])
        self.assertTrue(d.ok)
        self.assertRegex(d.revision, r"^[0-9a-f]{64}$")
        self.assertEqual(d.revision, rules.revision)
        self.assertEqual(dict(d), {"discount": 0.15, "shipping": "free"})
        expr = rulecore.compile("user.age > 18", schema=rules.schema)
        self.assertIs(expr({"user": {"age": 30}}), True)
        expr.close()

    def test_violations(self):
        d = self.rules.decide({"user": {"tier": "gold", "age": 15}, "order": {"amount": 50.0}})
        self.assertEqual(d.violations, [rulecore.Violation(
            "minor-discount", "discount 0.15 is not allowed for minors", "error")])
        self.assertFalse(d.ok)

    def test_default_and_names(self):
        d = self.rules.decide({"user": {"tier": "none", "age": 30}, "order": {"amount": 5.0}}, names=["shipping"])
        self.assertEqual(d["shipping"], "standard")
        self.assertEqual(d.rule("shipping"), "default")
        self.assertEqual(d.outcome("shipping"), "default")
        self.assertEqual(d["discount"], 0.0)  # read by shipping, so evaluated
        d = self.rules.decide(GOLD, names="discount")
        self.assertEqual(list(d), ["discount"])
        self.assertEqual(d.outcome("shipping"), "not_evaluated")
        with self.assertRaises(KeyError):
            d["shipping"]
        with self.assertRaises(KeyError):
            self.rules.decide(GOLD, names=["nosuch"])

    def test_dataclass_context_and_keywords(self):
        d = self.rules.decide(Ctx(U("gold", 30), O(50.0)))
        self.assertEqual(d["discount"], 0.15)
        d = self.rules.decide(user={"tier": "x", "age": 70}, order={"amount": 1.0})
        self.assertEqual(d.rule("discount"), "senior")

    def test_metadata(self):
        decs = self.rules.decisions
        self.assertEqual([x.name for x in decs], ["discount", "shipping"])
        self.assertEqual((decs[0].type, decs[0].hit_policy), ("double", "first"))
        self.assertEqual([r.id for r in decs[0].rules], ["gold", "senior"])
        self.assertEqual(decs[0].rules[0].priority, 20)
        self.assertIn('user.tier == "gold"', decs[0].rules[0].condition)
        self.assertTrue(decs[0].rules[0].file.endswith("pricing.lua"))
        self.assertEqual(decs[0].rules[0].line, 6)
        self.assertEqual(decs[1].inputs, ["discount"])
        self.assertEqual(self.rules.validations, [rulecore.ValidationInfo("minor-discount", "error")])
        self.assertEqual(self.rules.tests, ["gold member", "gold minor"])

    def test_hit_policies(self):
        with rulecore.load(os.path.join(RULESETS, "hits")) as rs:
            pol = {x.name: x.hit_policy for x in rs.decisions}
            self.assertEqual(pol["labels"], "collect")
            self.assertEqual(pol["fees"], "collect sum")
            types = {x.name: x.type for x in rs.decisions}
            self.assertEqual(types["labels"], "list(string)")
            self.assertTrue(all(t.passed for t in rs.run_tests()), rs.run_tests())

    def test_run_tests(self):
        res = self.rules.run_tests()
        self.assertEqual([(t.name, t.passed) for t in res], [("gold member", True), ("gold minor", True)])
        with rulecore.load(os.path.join(RULESETS, "failing-tests")) as rs:
            res = rs.run_tests()
            bad = [t for t in res if not t.passed]
            self.assertTrue(bad)
            self.assertTrue(all(t.report for t in bad))

    def test_load_errors(self):
        with self.assertRaises(rulecore.SourceError) as cm:
            rulecore.load(os.path.join(RULESETS, "broken-types"))
        ds = cm.exception.diagnostics
        self.assertGreaterEqual(len(ds), 5)
        self.assertTrue(ds[0].file.endswith("types.lua"))
        self.assertEqual((ds[0].line, ds[0].column), (6, 33))
        self.assertIn("types.lua:6:33: error: no field 'agee'", str(cm.exception))
        with self.assertRaises(FileNotFoundError):
            rulecore.load(os.path.join(RULESETS, "does-not-exist"))

    def test_decide_many_and_context(self):
        batch = [{"user": {"tier": t, "age": a}, "order": {"amount": 10.0}}
                 for t, a in [("gold", 30), ("x", 70), ("x", 20)]]
        out = self.rules.decide_many(batch)
        self.assertEqual([d["discount"] for d in out], [0.15, 0.10, 0.0])
        self.assertEqual([d.rule("discount") for d in out], ["gold", "senior", "default"])
        self.assertEqual(self.rules.decide_many(iter(batch), names=["discount"])[0].matched, {"discount": ["gold"]})
        with self.rules.context(GOLD) as ctx:
            self.assertEqual(self.rules.decide(ctx)["discount"], 0.15)
            ctx["user.tier"] = "silver"
            self.assertEqual(self.rules.decide(ctx)["discount"], 0.0)
            ctx["user.age"] = 80
            self.assertEqual(self.rules.decide(ctx).rule("discount"), "senior")
            ctx["order"] = {"amount": 500.0}
            self.assertEqual(self.rules.decide(ctx)["shipping"], "free")
            mixed = self.rules.decide_many([ctx, GOLD])
            self.assertEqual([d.rule("discount") for d in mixed], ["senior", "gold"])

    def test_threads(self):
        errors = []

        def work(age):
            try:
                for _ in range(200):
                    d = self.rules.decide({"user": {"tier": "x", "age": age}, "order": {"amount": 1.0}})
                    if d["discount"] != (0.10 if age >= 65 else 0.0):
                        errors.append(age)
            except Exception as e:  # pragma: no cover
                errors.append(e)
        ts = [threading.Thread(target=work, args=(a,)) for a in (10, 70, 30, 90)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(errors, [])

    def test_close(self):
        rs = rulecore.load(PRICING)
        schema = rs.schema
        e = rulecore.compile("user.age", schema=schema)
        rs.close()
        rs.close()
        self.assertEqual(e({"user": {"age": 3}}), 3)  # the schema has its own reference
        with self.assertRaises(rulecore.Error):
            rs.decide(GOLD)
        e.close()
        schema.close()
        schema.close()

    def test_single_file(self):
        tmp = tempfile.mkdtemp()
        try:
            shutil.copy(os.path.join(PRICING, "pricing.lua"), tmp)
            shutil.copy(os.path.join(PRICING, "pricing.schema.json"), tmp)
            with rulecore.load(os.path.join(tmp, "pricing.lua")) as rs:
                self.assertEqual(rs.decide(GOLD)["discount"], 0.15)
        finally:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    unittest.main()
