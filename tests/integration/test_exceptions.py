"""Exceptions over time and their tasks, end to end (docs/exceptions.md):
the exceptions an order shows when nothing arrives, the sweep that opens one
when its threshold passes, the task each opens and closes, the tasks API,
and a rebuild that compares identical."""
import json
import os
import sqlite3
import sys
import time
import unittest
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, ev, main, sqlite_only  # noqa: E402
from receivers import HttpReceiver, SmtpReceiver  # noqa: E402
from test_kpis import SSE  # noqa: E402


def at(delta):
    return (datetime.now(timezone.utc) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def hours_ago(h):
    return at(-timedelta(hours=h))


class Exceptions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server()
        cls.srv.config = os.path.join(cls.srv.tmp, "wismo.ini")
        with open(cls.srv.config, "w") as f:
            # every day a working day: the thresholds below do not depend
            # on the weekday the test runs on
            f.write("""
[calendar]
business_days = all

[exceptions]
sweep_seconds = 1
not_handed_over_hours = 24

[promises]
express = 0,2
""")
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def agent(self, order):
        st, body = self.srv.get(f"/v1/orders/{order}?view=agent")
        self.assertEqual(st, 200, body)
        return body

    def kinds(self, order):
        return sorted((x["kind"], x["package"]) for x in self.agent(order)["exceptions"])

    def tasks(self, **q):
        query = "&".join(f"{k}={v}" for k, v in q.items())
        st, body = self.srv.get("/v1/tasks?" + query)
        self.assertEqual(st, 200, body)
        return body["tasks"]

    def test_13_label_four_days_without_scan_is_not_handed_over(self):
        st, _ = self.srv.post_events([
            ev("X-100", "placed", hours_ago(100), source="shopify"),
            ev("X-100", "label_created", hours_ago(96), source="shipstation", package="1ZNOSCAN", carrier="ups"),
        ])
        self.assertEqual(st, 200)
        self.assertEqual(self.kinds("X-100"), [("not_handed_over", "1ZNOSCAN")])
        x = self.agent("X-100")["exceptions"][0]
        self.assertIn("tracking number not found", x["reason"])
        t = self.tasks(order="X-100")
        self.assertEqual(len(t), 1)
        self.assertEqual((t[0]["kind"], t[0]["team"], t[0]["state"]), ("not_handed_over", "warehouse", "open"))
        # the same events again: still one task
        self.srv.post_events([ev("X-100", "label_created", hours_ago(96), source="shipstation",
                                 package="1ZNOSCAN", carrier="ups")])
        self.assertEqual(len(self.tasks(order="X-100")), 1)
        # a carrier scan closes the exception and resolves the task by itself
        self.srv.post_events([ev("X-100", "in_transit", hours_ago(1), package="1ZNOSCAN")])
        self.assertEqual(self.kinds("X-100"), [])
        t = self.tasks(order="X-100")
        self.assertEqual((t[0]["state"], t[0]["resolution"]), ("resolved", "auto"))
        st, audit = self.srv.get("/v1/audit", key="admin")
        actions = [a["action"] for a in audit["entries"] if a["subject"] == f"task:{t[0]['id']}"]
        self.assertEqual(sorted(actions), ["task.auto_resolve", "task.open"])

    def test_13_five_days_in_transit_past_promise(self):
        self.srv.post_events([
            ev("X-200", "placed", hours_ago(200), source="shopify", promised_by=hours_ago(48)),
            ev("X-200", "in_transit", hours_ago(120), package="1ZLATE"),
        ])
        self.assertEqual(self.kinds("X-200"), [("late_vs_promise", None), ("stalled", "1ZLATE")])
        stalled = [x for x in self.agent("X-200")["exceptions"] if x["kind"] == "stalled"][0]
        self.assertEqual(stalled["rhythm"], "default")
        self.assertEqual(stalled["threshold_hours"], 48)
        teams = sorted((t["kind"], t["team"], t["priority"]) for t in self.tasks(order="X-200"))
        self.assertEqual(teams, [("late_vs_promise", "support", "high"), ("stalled", "operations", "normal")])

    def test_13_the_shipping_methods_promise_when_the_store_gives_none(self):
        self.srv.post_events([ev("X-250", "placed", hours_ago(80), source="shopify", shipping_method="Express")])
        o = self.agent("X-250")["order"]
        self.assertEqual(o["promise_source"], "policy")
        placed = datetime.fromisoformat(o["placed_at"].replace("Z", "+00:00"))
        ship_by = datetime.fromisoformat(o["promised_ship_by"].replace("Z", "+00:00"))
        self.assertEqual(ship_by.date(), placed.date())  # 0 days: the order's own day
        self.assertEqual(self.kinds("X-250"), [("late_vs_promise", None), ("not_shipped_by_promise", None)])
        # the store's promise wins over the policy's
        self.srv.post_events([ev("X-251", "placed", hours_ago(80), source="shopify", shipping_method="express",
                                 promised_by=at(timedelta(days=3)), promised_ship_by=at(timedelta(days=1)))])
        o = self.agent("X-251")["order"]
        self.assertEqual(o["promise_source"], "store")
        self.assertEqual(self.kinds("X-251"), [])

    def test_13_the_sweep_opens_an_exception_when_its_time_comes(self):
        # a label 24 h minus 8 s ago: nothing yet; the sweep opens it without any new event
        label = at(-timedelta(hours=24) + timedelta(seconds=8))
        self.srv.post_events([ev("X-300", "label_created", label, source="shipstation", package="1ZSOON")])
        self.assertEqual(self.kinds("X-300"), [])
        deadline = time.time() + 40
        while time.time() < deadline and not self.kinds("X-300"):
            time.sleep(0.5)
        self.assertEqual(self.kinds("X-300"), [("not_handed_over", "1ZSOON")])
        self.assertEqual(len(self.tasks(order="X-300", state="open")), 1)

    @sqlite_only
    def test_13_the_sweep_reads_only_due_orders(self):
        with sqlite3.connect(self.srv.db, timeout=10) as c:
            plan = " ".join(r[3] for r in c.execute(
                "EXPLAIN QUERY PLAN SELECT order_no FROM exception_checks WHERE next_at <= 1 ORDER BY next_at"))
        self.assertIn("exception_checks_due", plan)

    def test_13_task_actions(self):
        self.srv.post_events([ev("X-400", "delivery_attempted", hours_ago(3), package="1ZATTEMPT")])
        t = self.tasks(order="X-400")
        self.assertEqual([(x["kind"], x["team"]) for x in t], [("delivery_attempted", "support")])
        tid = t[0]["id"]
        # a person's action reaches open dashboard pages as a change of the order
        dash = SSE(self.srv.port, "/v1/stream/dashboard", self.srv.keys["agent"])
        try:
            while dash.event(0.3):
                pass  # what the events above published
            st, body = self.srv.request("POST", f"/v1/tasks/{tid}/ack", key="agent")
            self.assertEqual((st, body["state"]), (200, "acknowledged"))
            got = dash.event(5.0)
            self.assertIsNotNone(got, "no live update after the acknowledgement")
            self.assertEqual((got[0], json.loads(got[1])["order"]), ("order", "X-400"))
        finally:
            dash.close()
        st, body = self.srv.request("POST", f"/v1/tasks/{tid}/ack", key="agent")
        self.assertEqual((st, body["error"]["code"]), (409, "wrong_state"))
        st, body = self.srv.request("POST", f"/v1/tasks/{tid}/assign", {"assignee": "dana"}, key="agent")
        self.assertEqual((st, body["assignee"]), (200, "dana"))
        st, body = self.srv.request("POST", f"/v1/tasks/{tid}/resolve", {}, key="agent")
        self.assertEqual((st, body["error"]["code"]), (422, "missing_field"))
        st, body = self.srv.request("POST", f"/v1/tasks/{tid}/resolve", {"note": "called the customer"}, key="agent")
        self.assertEqual((st, body["state"], body["resolution"]), (200, "resolved", "manual"))
        st, body = self.srv.request("POST", f"/v1/tasks/{tid}/assign", {"assignee": "lee"}, key="agent")
        self.assertEqual(st, 409)
        st, body = self.srv.get(f"/v1/tasks/{tid}")
        self.assertEqual((st, body["note"]), (200, "called the customer"))
        self.assertEqual(self.srv.get("/v1/tasks/999999")[0], 404)
        self.assertEqual(self.srv.request("POST", f"/v1/tasks/{tid}/close", {}, key="agent")[0], 404)
        self.assertEqual(self.srv.get("/v1/tasks?team=nobody")[1]["error"]["code"], "invalid_query")
        self.assertEqual(self.srv.get("/v1/tasks?state=closed")[1]["error"]["code"], "invalid_query")
        self.assertEqual(self.srv.request("GET", "/v1/tasks", key="ingest")[0], 403)
        for x in self.tasks(team="support", state="live"):
            self.assertIn(x["state"], ("open", "acknowledged"))
            self.assertEqual(x["team"], "support")

    def test_zx_dashboard_task_queues_and_the_timeline(self):
        import re
        st, page = self.srv.get("/dashboard/tasks")
        self.assertEqual(st, 200, page)
        live = self.tasks(state="live", limit=1000)
        for team in ("support", "warehouse", "operations", "returns"):
            m = re.search(r'data-team="%s"><span class="count">(\d+)</span>' % team, page)
            self.assertIsNotNone(m, team)
            self.assertEqual(int(m.group(1)), len([t for t in live if t["team"] == team]), team)
        self.assertEqual(sorted(map(int, re.findall(r'<tr data-task="(\d+)"', page))),
                         sorted(t["id"] for t in live))
        # one team's queue, soonest due first
        st, page = self.srv.get("/dashboard/tasks?team=operations")
        ids = list(map(int, re.findall(r'<tr data-task="(\d+)"', page)))
        ops = [t["id"] for t in sorted((t for t in live if t["team"] == "operations"),
                                       key=lambda t: (t["due_at"], t["id"]))]
        self.assertEqual(ids, ops)
        self.assertIn("X-200", page)
        st, body = self.srv.get("/dashboard/tasks?team=nobody")
        self.assertEqual(st, 400)
        # the order page: the task's opening and its closing among the events
        st, page = self.srv.get("/dashboard/orders/X-100")
        self.assertEqual(st, 200)
        actions = re.findall(r'<li class="event task"[^>]*>\s*<time[^>]*>[^<]*</time>\s*<span class="source">task \d+</span>\s*<span><strong>(\w+)</strong> (\w+)', page)
        self.assertEqual(actions, [("opened", "not_handed_over"), ("resolved", "not_handed_over")])

    def test_zy_kpis_count_through_the_tasks(self):
        st, k = self.srv.get(f"/v1/kpis?from={hours_ago(24 * 30)}&to={at(timedelta(hours=1))}")
        self.assertEqual(st, 200, k)
        tasks = self.tasks(limit=1000)
        x = k["exceptions"]
        self.assertEqual(x["opened"], len(tasks))
        resolved = [t for t in tasks if t["state"] == "resolved"]
        self.assertEqual(x["closed"], len(resolved))
        self.assertEqual(x["resolved_n"], len(resolved))
        self.assertEqual(x["open_tasks"], len(tasks) - len(resolved))
        self.assertEqual(x["overdue_tasks"], len([t for t in tasks if t["overdue"]]))
        kinds = {b["kind"]: b for b in x["by_kind"]}
        self.assertEqual(kinds["delivery_attempted"]["closed"], 1)
        self.assertEqual(kinds["not_handed_over"]["opened"], len([t for t in tasks if t["kind"] == "not_handed_over"]))
        teams = {b["team"]: b for b in x["by_team"]}
        self.assertEqual(set(teams), {"support", "warehouse", "operations", "returns"})
        self.assertEqual(sum(b["open_tasks"] for b in teams.values()), x["open_tasks"])

    def test_zz_rebuild_compares_identical(self):
        r = self.srv.cli("rebuild", "--verify")
        self.assertIn("projections identical", r.stdout)
        self.assertGreater(self.srv.sql("SELECT count(*) FROM order_exceptions")[0][0], 0)


class InternalFirst(unittest.TestCase):
    """The exception's owning team hears at once (email and a help-desk
    ticket with the timeline and the task's priority); the customer only
    when the team's grace is over, from the sweep, with nothing arriving."""

    @classmethod
    def setUpClass(cls):
        cls.smtp = SmtpReceiver().start()
        cls.zd = HttpReceiver().start()
        cls.srv = Server()
        cls.srv.config = os.path.join(cls.srv.tmp, "wismo.ini")
        with open(cls.srv.config, "w") as f:
            f.write(f"""
[calendar]
business_days = all

[exceptions]
sweep_seconds = 1
not_handed_over_hours = 1
grace.not_handed_over = 1

[smtp]
url = smtp://127.0.0.1:{cls.smtp.port}
from = shop@shop.example

[helpdesk]
base_url = {cls.zd.url}
email = agent@shop.example
api_token = zd-token

[teams]
warehouse = wh@shop.example

[outbox]
poll_ms = 100
""")
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.smtp.stop()
        cls.zd.stop()

    def mails_to(self, rcpt):
        return [m for m in self.smtp.received() if rcpt in m["to"]]

    def test_13_team_first_customer_after_the_grace(self):
        # the label: 1 h (threshold) + 1 h (grace) - 10 s ago: the exception
        # is open at once, the customer's grace ends in 10 s
        label = at(-timedelta(hours=2) + timedelta(seconds=10))
        st, _ = self.srv.post_events([
            ev("G-1", "placed", hours_ago(3), source="shopify",
               customer={"name": "Ada Lovelace", "email": "ada@example.org"}),
            ev("G-1", "label_created", label, source="shipstation", package="1ZGRACE", carrier="ups"),
        ])
        self.assertEqual(st, 200)
        deadline = time.time() + 20
        while time.time() < deadline and not self.mails_to("wh@shop.example"):
            time.sleep(0.1)
        team = self.mails_to("wh@shop.example")
        self.assertEqual(len(team), 1, team)
        self.assertIn("not_handed_over", team[0]["msg"]["Subject"])
        self.assertEqual([m for m in self.mails_to("ada@example.org") if "longer" in m["msg"]["Subject"]], [])
        tickets = [t for t in self.zd.snapshot("tickets").values() if t["external_id"] == "G-1"]
        self.assertEqual(len(tickets), 1, tickets)
        self.assertEqual(tickets[0]["priority"], "normal")
        self.assertIn("Timeline", tickets[0]["comments"][0])
        self.assertIn("label_created", tickets[0]["comments"][0])
        self.assertNotIn("ada@example.org", tickets[0]["comments"][0])
        # the grace ends: the sweep refolds the order and the customer hears
        deadline = time.time() + 40
        late = []
        while time.time() < deadline and not late:
            late = [m for m in self.mails_to("ada@example.org") if "longer" in m["msg"]["Subject"]]
            time.sleep(0.2)
        self.assertEqual(len(late), 1, self.smtp.received())
        self.assertLess(team[0]["at"], late[0]["at"])
        st, body = self.srv.get("/v1/outbox?order=G-1", key="admin")
        self.assertEqual(st, 200, body)
        rows = sorted((r["created_at"], r["rule"]) for r in body["messages"] if r["rule"] != "order_confirmed")
        self.assertEqual([r for _, r in rows][-1], "not_handed_over")
        self.assertLess(min(t for t, r in rows if r == "exception_alert"),
                        min(t for t, r in rows if r == "not_handed_over"))


if __name__ == "__main__":
    main()
