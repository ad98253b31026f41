"""Why it was decided, from Python: explain traces, metrics, the decision log."""
import hashlib
import json
import os
import shutil
import tempfile
import threading
import unittest

import rulecore
from tests.helpers import PRICING

GOLD = {"user": {"tier": "gold", "age": 30}, "order": {"amount": 50.0}}
SENIOR = {"user": {"tier": "silver", "age": 70}, "order": {"amount": 10.0}}


class ExplainTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rules = rulecore.load(PRICING)

    @classmethod
    def tearDownClass(cls):
        cls.rules.close()

    def test_unexplained_has_none(self):
        d = self.rules.decide(GOLD)
        self.assertIsNone(d.explanation)
        self.assertIsNone(d.trace)

    def test_text_names_rules_and_values(self):
        d = self.rules.decide(SENIOR, explain=True)
        self.assertEqual(d["discount"], 0.10)  # the result is the same as unexplained
        text = d.explanation
        self.assertIn("discount", text)
        self.assertIn("senior", text)
        self.assertIn("70 >= 65", text)  # the sub-expression with its operands' values
        self.assertNotIn("\x1b[", text)  # no colour outside a terminal

    def test_trace_as_data(self):
        d = self.rules.decide(SENIOR, explain=True)
        t = d.trace
        self.assertEqual(t["revision"], self.rules.revision)
        disc = next(x for x in t["decisions"] if x["name"] == "discount")
        self.assertEqual(disc["rule"], "senior")
        statuses = {r["id"]: r["status"] for r in disc["rules"]}
        self.assertEqual(statuses["gold"], "no match")
        self.assertEqual(statuses["senior"], "matched")
        gold = next(r for r in disc["rules"] if r["id"] == "gold")
        self.assertEqual(gold["when"][0]["expr"], 'user.tier == "gold"')
        self.assertEqual(gold["when"][0]["value"], "false")
        self.assertEqual(gold["when"][0]["operands"], ['"silver"', '"gold"'])
        self.assertIn("minor-discount", [v["id"] for v in t["validations"]])

    def test_explain_does_not_stick(self):
        self.rules.decide(GOLD, explain=True)
        self.assertIsNone(self.rules.decide(GOLD).explanation)  # the pooled decisions was reset

    def test_explain_some_decisions(self):
        d = self.rules.decide(GOLD, names=["discount"], explain=True)
        names = [x["name"] for x in d.trace["decisions"]]
        self.assertEqual(names, ["discount"])


class MetricsTest(unittest.TestCase):
    def test_counts_in_prometheus_text(self):
        with rulecore.load(PRICING) as rules:
            self.assertIn("rulecore_evaluations_total 0", rules.metrics())
            rules.enable_metrics()
            rules.enable_metrics()  # idempotent
            for _ in range(3):
                rules.decide(GOLD)
            rules.decide(SENIOR)
            m = rules.metrics()
            self.assertIn("rulecore_evaluations_total 4", m)
            self.assertIn('rulecore_rule_matches_total{decision="discount",rule="gold"} 3', m)
            self.assertIn('rulecore_rule_matches_total{decision="discount",rule="senior"} 1', m)
            self.assertIn('rulecore_ruleset_info{revision="%s"} 1' % rules.revision, m)

    def test_counts_from_threads(self):
        with rulecore.load(PRICING) as rules:
            rules.enable_metrics()

            def work():
                for _ in range(200):
                    rules.decide(GOLD)
            ts = [threading.Thread(target=work) for _ in range(4)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            self.assertIn("rulecore_evaluations_total 800", rules.metrics())


class LogTest(unittest.TestCase):
    def test_records(self):
        records = []
        with rulecore.load(PRICING) as rules:
            rules.set_log(records.append)
            rules.decide(GOLD)
            rules.decide({"user": {"tier": "gold", "age": 15}, "order": {"amount": 50.0}})
            rules.set_log(None)
            rules.decide(GOLD)  # not logged
            self.assertEqual(len(records), 2)
            r = records[0]
            self.assertRegex(r["id"], r"^[0-9a-f]{32}$")
            self.assertNotEqual(r["id"], records[1]["id"])
            self.assertEqual(r["revision"], rules.revision)
            self.assertEqual(r["input"], GOLD)
            self.assertEqual(r["decisions"]["discount"]["rule"], "gold")
            self.assertEqual(r["decisions"]["discount"]["value"], 0.15)
            self.assertEqual(records[1]["violations"], ["minor-discount"])
            self.assertGreater(r["duration_ns"], 0)
            self.assertEqual(r["commit"], rules.commit)

    def test_digest(self):
        records = []
        with rulecore.load(PRICING) as rules:
            rules.set_log(records.append, digest=True)
            rules.decide(GOLD)
        self.assertNotIn("input", records[0])
        self.assertRegex(records[0]["input_sha256"], r"^[0-9a-f]{64}$")

    def test_sink_raising_is_ignored(self):
        def bad(record):
            raise RuntimeError("sink failed")
        with rulecore.load(PRICING) as rules:
            rules.set_log(bad)
            import contextlib
            import io
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                d = rules.decide(GOLD)
            self.assertEqual(d["discount"], 0.15)
            self.assertIn("sink failed", err.getvalue())

    def test_replayed_by_rulec_diff(self):
        """A log written from Python is what rulec diff replays (if rulec is at hand)."""
        rulec = os.environ.get("RULEC", "rulec")  # run-tests.sh sets it to the build's
        records = []
        with rulecore.load(PRICING) as rules:
            rules.set_log(records.append)
            rules.decide(GOLD)
            rules.decide(SENIOR)
        d = tempfile.mkdtemp(prefix="rulecore-py-")
        try:
            log = os.path.join(d, "log.jsonl")
            with open(log, "w") as f:
                for r in records:
                    f.write(json.dumps(r) + "\n")
            import subprocess
            out = subprocess.run([rulec, "diff", PRICING, PRICING, "--cases", log], capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn("2 cases, 0 changed", out.stdout)
        finally:
            shutil.rmtree(d, ignore_errors=True)


class WatchTraceabilityTest(unittest.TestCase):
    def test_watch_metrics_and_log(self):
        d = tempfile.mkdtemp(prefix="rulecore-py-")
        try:
            for f in ("pricing.lua", "pricing.schema.json"):
                shutil.copy(os.path.join(PRICING, f), d)
            records = []
            with rulecore.watch(d, debounce_ms=20) as w:
                w.enable_metrics()
                w.set_log(records.append)
                w.decide(GOLD)
                ev = w.reload()
                self.assertEqual(ev.outcome, "unchanged")
                w.decide(SENIOR)
                m = w.metrics()
                self.assertIn('rulecore_reloads_total{outcome="unchanged"} 1', m)
                self.assertIn("rulecore_evaluations_total 2", m)
            self.assertEqual([r["decisions"]["discount"]["rule"] for r in records], ["gold", "senior"])
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
