"""The shop's own milestones end to end (docs/milestones.md): a B2B order
through the six milestones of the shipped preset, from three sources, in the
agent view, on the tracking page and in the customer's mail; one order stuck
in production raises milestone_overdue and its task, which the next step
closes; a word nobody configured is refused; rebuild compares identical."""
import os
import re
import sys
import time
import unittest
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, ev, main  # noqa: E402
from receivers import SmtpReceiver  # noqa: E402


def at(delta):
    return (datetime.now(timezone.utc) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def hours_ago(h):
    return at(-timedelta(hours=h))


class Milestones(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.smtp = SmtpReceiver().start()
        cls.srv = Server()
        cls.srv.config = os.path.join(cls.srv.tmp, "wismo.ini")
        with open(cls.srv.config, "w") as f:
            f.write(f"""
[milestones]
preset = b2b

[milestone production_started]
expected_hours = 48

[source erp]
kind = warehouse

[calendar]
business_days = all

[exceptions]
sweep_seconds = 1

[web]
link_secret = milestones-link-secret

[smtp]
url = smtp://127.0.0.1:{cls.smtp.port}
from = shop@shop.example

[outbox]
poll_ms = 100
""")
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.smtp.stop()

    def agent(self, order):
        st, body = self.srv.get(f"/v1/orders/{order}?view=agent")
        self.assertEqual(st, 200, body)
        return body

    def tasks(self, order):
        st, body = self.srv.get("/v1/tasks?order=" + order)
        self.assertEqual(st, 200, body)
        return body["tasks"]

    def page(self, order):
        st, body = self.srv.request("POST", "/v1/track-links", {"order": order}, key="agent")
        self.assertEqual(st, 201, body)
        path = "/track/" + body["url"].split("/track/", 1)[1]
        st, html = self.srv.request("GET", path, key=None)
        self.assertEqual(st, 200, html)
        return html

    def test_19_b2b_order_through_the_six_milestones(self):
        buyer = {"name": "Grace Hopper", "email": "grace@buyer.example"}
        st, body = self.srv.post_events([
            ev("B-100", "placed", hours_ago(300), source="shopify", customer=buyer),
            # the name itself as the status, or status "milestone" with the name
            ev("B-100", "po_accepted", hours_ago(290), source="shopify"),
            ev("B-100", "milestone", hours_ago(250), source="erp", milestone="materials_received"),
            ev("B-100", "production_started", hours_ago(240), source="erp"),
            ev("B-100", "quality_check_passed", hours_ago(200), source="erp"),
            ev("B-100", "freight_booked", hours_ago(190), source="shipstation"),
        ])
        self.assertEqual(st, 200, body)
        self.assertEqual([r["outcome"] for r in body["results"]], ["accepted"] * 6)
        o = self.agent("B-100")["order"]
        self.assertEqual([m["name"] for m in o["milestones"]],
                         ["po_accepted", "materials_received", "production_started", "quality_check_passed",
                          "freight_booked"])
        self.assertEqual([m["current"] for m in o["milestones"]], [False] * 4 + [True])
        self.assertEqual(o["milestones"][2]["source"], "erp")
        # the carrier takes it; customs clears; the order moves past the last one
        self.srv.post_events([
            ev("B-100", "in_transit", hours_ago(100), package="1ZB2B", carrier="ups"),
            ev("B-100", "customs_cleared", hours_ago(50), source="broker"),
        ])
        o = self.agent("B-100")["order"]
        self.assertEqual(o["status"], "shipped")
        self.assertEqual(o["milestones"][-1]["name"], "customs_cleared")
        self.assertTrue(o["milestones"][-1]["current"])
        html = self.page("B-100")
        steps = re.findall(r'data-milestone="([a-z_]+)"', html)
        # the customer sees the visible ones; materials_received is internal
        self.assertEqual(steps, ["po_accepted", "production_started", "quality_check_passed", "freight_booked",
                                 "customs_cleared"])
        self.assertIn("Cleared customs", html)
        self.assertNotIn("Materials received", html)
        self.srv.post_events([ev("B-100", "delivered", hours_ago(2), package="1ZB2B")])
        o = self.agent("B-100")["order"]
        self.assertEqual(o["status"], "delivered")
        self.assertFalse(any(m["current"] for m in o["milestones"]))
        self.assertEqual(len(o["milestones"]), 6)
        # the customer heard of the milestone the order was in when it
        # arrived (the older ones are stale), once
        deadline = time.time() + 15
        mails = []
        while time.time() < deadline and not mails:
            mails = [m for m in self.smtp.received()
                     if "grace@buyer.example" in m["to"] and "Cleared customs" in m["msg"]["Subject"]]
            time.sleep(0.1)
        self.assertEqual(len(mails), 1, [m["msg"]["Subject"] for m in self.smtp.received()])
        self.assertFalse([m for m in self.smtp.received() if "Materials received" in m["msg"]["Subject"]])

    def test_19_stuck_in_production_opens_a_task_the_next_step_closes(self):
        self.srv.post_events([
            ev("B-200", "placed", hours_ago(80), source="shopify"),
            ev("B-200", "production_started", hours_ago(60), source="erp"),
        ])
        x = [e for e in self.agent("B-200")["exceptions"] if e["kind"] == "milestone_overdue"]
        self.assertEqual(len(x), 1, self.agent("B-200")["exceptions"])
        self.assertEqual(x[0]["package"], "production_started")
        t = [t for t in self.tasks("B-200") if t["kind"] == "milestone_overdue"]
        self.assertEqual((len(t), t[0]["team"], t[0]["state"]), (1, "operations", "open"))
        self.srv.post_events([ev("B-200", "quality_check_passed", hours_ago(1), source="erp")])
        self.assertEqual([e for e in self.agent("B-200")["exceptions"] if e["kind"] == "milestone_overdue"], [])
        t = [t for t in self.tasks("B-200") if t["kind"] == "milestone_overdue"]
        self.assertEqual((t[0]["state"], t[0]["resolution"]), ("resolved", "auto"))

    def test_19_the_sweep_finds_it_with_nothing_arriving(self):
        # 48 h in production minus 6 s: nothing yet; the sweep opens it
        self.srv.post_events([
            ev("B-300", "placed", hours_ago(50), source="shopify"),
            ev("B-300", "production_started", at(-timedelta(hours=48) + timedelta(seconds=6)), source="erp"),
        ])
        self.assertEqual(self.agent("B-300")["exceptions"], [])
        deadline = time.time() + 30
        kinds = []
        while time.time() < deadline and not kinds:
            kinds = [e["kind"] for e in self.agent("B-300")["exceptions"]]
            time.sleep(0.5)
        self.assertEqual(kinds, ["milestone_overdue"])

    def test_19_a_word_nobody_configured_is_refused(self):
        st, body = self.srv.post_events([
            ev("B-400", "placed", hours_ago(5), source="shopify"),
            ev("B-400", "painting_done", hours_ago(4), source="erp"),
            ev("B-400", "milestone", hours_ago(4), source="erp"),
        ])
        self.assertEqual(st, 200, body)
        r = body["results"]
        self.assertEqual(r[0]["outcome"], "accepted")
        self.assertEqual((r[1]["outcome"], r[1]["error"]["code"]), ("rejected", "unknown_status"))
        self.assertEqual((r[2]["outcome"], r[2]["error"]["code"]), ("rejected", "missing_field"))

    def test_19_kpis_time_in_each_milestone(self):
        # a January 2025 day no other test of the class writes in; channels of this test's own
        def t(day, hour):
            return f"2025-01-{day:02d}T{hour:02d}:00:00Z"
        plan = [  # order, channel, po_accepted, production_started, quality_check_passed
            ("K-1", "kpi-wholesale", t(5, 10), t(6, 1), None),   # po: 15 h, left in the day
            ("K-2", "kpi-wholesale", t(5, 20), t(6, 2), None),   # po: 6 h
            ("K-3", "kpi-retail", t(5, 22), t(6, 3), t(6, 13)),  # po: 5 h; production: 10 h
            ("K-4", None, t(5, 23), t(6, 6), None),              # po: 7 h, no channel
            ("K-5", "kpi-retail", t(5, 12), t(7, 1), None),      # po left after the day
            ("K-6", "kpi-retail", t(4, 0), t(5, 0), None),       # po left before it
        ]
        events = []
        for order, channel, po, prod, qc in plan:
            extra = {"channel": channel} if channel else {}
            events.append(ev(order, "placed", t(3, 12), source="shopify", **extra))
            events.append(ev(order, "po_accepted", po, source="shopify"))
            events.append(ev(order, "production_started", prod, source="erp"))
            if qc:
                events.append(ev(order, "quality_check_passed", qc, source="erp"))
        st, body = self.srv.post_events(events)
        self.assertEqual(st, 200, body)
        self.assertEqual({r["outcome"] for r in body["results"]}, {"accepted"})
        st, k = self.srv.get("/v1/kpis?from=2025-01-06T00:00:00Z&to=2025-01-07T00:00:00Z")
        self.assertEqual(st, 200, k)
        ms = {m["name"]: m for m in k["milestones"]}
        hour = 3600000

        def chan(m, name):
            return {c["channel"]: c for c in ms[m]["by_channel"]}.get(name)

        # po_accepted left in the day after 5, 6, 7, 15 h: p50 rank 2, p90 rank ceil(3.6) = 4
        po = ms["po_accepted"]
        self.assertEqual((po["n"], po["p50_ms"], po["p90_ms"]), (4, 6 * hour, 15 * hour))
        self.assertEqual(chan("po_accepted", "kpi-wholesale"),
                         {"channel": "kpi-wholesale", "n": 2, "p50_ms": 6 * hour, "p90_ms": 15 * hour, "open": 0})
        self.assertEqual(chan("po_accepted", "kpi-retail"),
                         {"channel": "kpi-retail", "n": 1, "p50_ms": 5 * hour, "p90_ms": 5 * hour, "open": 0})
        none = chan("po_accepted", "none")
        self.assertEqual((none["n"], none["p50_ms"], none["p90_ms"]), (1, 7 * hour, 7 * hour))
        # production_started: K-3 left it after 10 h; K-1, K-2, K-4, K-5, K-6 are in it
        prod = ms["production_started"]
        self.assertEqual((prod["n"], prod["p50_ms"], prod["p90_ms"]), (1, 10 * hour, 10 * hour))
        self.assertGreaterEqual(prod["open"], 5)  # other tests' orders may be in it too
        self.assertEqual(chan("production_started", "kpi-wholesale"),
                         {"channel": "kpi-wholesale", "n": 0, "p50_ms": None, "p90_ms": None, "open": 2})
        self.assertEqual(chan("production_started", "kpi-retail"),
                         {"channel": "kpi-retail", "n": 1, "p50_ms": 10 * hour, "p90_ms": 10 * hour, "open": 2})
        self.assertEqual(chan("quality_check_passed", "kpi-retail"),
                         {"channel": "kpi-retail", "n": 0, "p50_ms": None, "p90_ms": None, "open": 1})
        # a day before: only K-6's po_accepted (24 h) left in it
        st, k = self.srv.get("/v1/kpis?from=2025-01-05T00:00:00Z&to=2025-01-06T00:00:00Z")
        self.assertEqual(st, 200, k)
        po = {m["name"]: m for m in k["milestones"]}["po_accepted"]
        self.assertEqual((po["n"], po["p50_ms"], po["p90_ms"]), (1, 24 * hour, 24 * hour))

    def test_19_z_rebuild_compares_identical(self):
        self.srv.post_events([
            ev("B-500", "placed", hours_ago(30), source="shopify"),
            ev("B-500", "production_started", hours_ago(20), source="shopify"),  # a claim: not the owner
            ev("B-500", "production_started", hours_ago(10), source="erp"),
        ])
        o = self.agent("B-500")["order"]
        self.assertEqual([(m["name"], m["source"]) for m in o["milestones"]], [("production_started", "erp")])
        r = self.srv.cli("rebuild", "--verify")
        self.assertIn("identical", r.stdout + r.stderr)


if __name__ == "__main__":
    main()
