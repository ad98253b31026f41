import gc
import os
import shutil
import tempfile
import threading
import time
import unittest

import rulecore
from tests.helpers import PRICING

GOLD = {"user": {"tier": "gold", "age": 30}, "order": {"amount": 50.0}}


def wait_for(pred, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


class WatchTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rulecore-py-")
        for f in ("pricing.lua", "pricing.schema.json"):
            shutil.copy(os.path.join(PRICING, f), self.dir)
        self.lua = os.path.join(self.dir, "pricing.lua")
        with open(self.lua) as f:
            self.text = f.read()

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def rewrite(self, text):
        tmp = self.lua + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.lua)  # an editor's save-by-rename

    def test_reload_and_broken_rewrite(self):
        events = []
        w = rulecore.watch(self.dir, debounce_ms=20, on_reload=events.append)
        try:
            rev0 = w.revision
            self.assertRegex(rev0, r"^[0-9a-f]{64}$")
            self.assertEqual(w.decide(GOLD)["discount"], 0.15)
            self.assertEqual(w.status().last_outcome, "none")
            ctx = w.context(GOLD)
            self.assertEqual(w.decide(ctx)["discount"], 0.15)

            self.rewrite(self.text.replace('value = "0.15"', 'value = "0.20"'))
            self.assertTrue(wait_for(lambda: w.revision != rev0), "no reload")
            rev1 = w.revision
            d = w.decide(GOLD)
            self.assertEqual(d["discount"], 0.20)
            self.assertEqual(d.revision, rev1)
            self.assertEqual(w.decide(ctx)["discount"], 0.20)  # the context follows the new schema
            self.assertTrue(wait_for(lambda: any(e.outcome == "swapped" for e in events)))
            self.assertEqual([e for e in events if e.outcome == "swapped"][-1].revision, rev1)

            # a broken rewrite keeps the old version and exposes its errors
            self.rewrite(self.text.replace("user.age >= 65", "user.agee >= 65"))
            self.assertTrue(wait_for(lambda: w.status().last_outcome == "failed"), w.status())
            self.assertEqual(w.revision, rev1)
            self.assertEqual(w.decide(GOLD)["discount"], 0.20)
            diags = w.diagnostics()
            self.assertTrue(diags)
            self.assertEqual(diags[0].name, "no-such-field")
            self.assertTrue(diags[0].file.endswith("pricing.lua"))
            self.assertEqual(diags[0].line, 7)
            st = w.status()
            self.assertGreaterEqual(st.failures, 1)
            self.assertGreaterEqual(st.last_errors, 1)
            self.assertTrue(wait_for(lambda: any(e.outcome == "failed" and e.diagnostics for e in events)))

            # reload() in this thread
            self.rewrite(self.text)
            ev = w.reload()
            self.assertIn(ev.outcome, ("swapped", "unchanged"))
            self.assertEqual(w.decide(GOLD)["discount"], 0.15)
            with w.current() as rs:
                self.assertEqual(rs.revision, w.revision)
                self.assertEqual(rs.decide(GOLD)["discount"], 0.15)
            ctx.close()
        finally:
            w.close()
            w.close()
        with self.assertRaises(rulecore.Error):
            w.decide(GOLD)

    def test_first_load_failing(self):
        self.rewrite("this is not lua")
        with self.assertRaises(rulecore.SourceError) as cm:
            rulecore.watch(self.dir)
        self.assertEqual(cm.exception.diagnostics[0].name, "lua-error")

    def test_threads_during_reloads(self):
        w = rulecore.watch(self.dir, debounce_ms=10, on_reload=lambda e: None)
        stop = threading.Event()
        errors = []

        def work():
            try:
                while not stop.is_set():
                    d = w.decide(GOLD)
                    if d["discount"] not in (0.15, 0.20):
                        errors.append(d["discount"])
            except Exception as e:  # pragma: no cover
                errors.append(e)
        ts = [threading.Thread(target=work) for _ in range(4)]
        for t in ts:
            t.start()
        try:
            for k in range(4):
                self.rewrite(self.text.replace('value = "0.15"', 'value = "0.20"') if k % 2 == 0 else self.text)
                w.reload()
                time.sleep(0.05)
        finally:
            stop.set()
            for t in ts:
                t.join()
            w.close()
        self.assertEqual(errors, [])

    def test_garbage_collected(self):
        w = rulecore.watch(self.dir, on_reload=lambda e: None)
        del w
        gc.collect()


if __name__ == "__main__":
    unittest.main()
