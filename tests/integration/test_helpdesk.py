"""The customers' own help-desk tickets (docs/helpdesk.md), against a
Zendesk-shaped server on loopback: a signed ticket webhook finds the order
(by a number in the ticket, or the requester's only recent order), the
ticket gets one internal note with the answer and the timeline and wismo's
tags; a new milestone adds one more note; retries add nothing; an ambiguous
requester gets the tag wismo_order_ambiguous and no note; each ticket's
cause counts in the KPIs."""
import base64
import hashlib
import hmac
import json
import os
import sys
import time
import unittest
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, ev, main  # noqa: E402
from receivers import HttpReceiver  # noqa: E402

SECRET = "zd-webhook-signing-secret"
LINK = "helpdesk-link-secret"


def at(hours_ago):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - hours_ago * 3600))


def signed(body, secret=SECRET, ts=None):
    ts = ts or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    sig = base64.b64encode(hmac.new(secret.encode(), ts.encode() + body, hashlib.sha256).digest()).decode()
    return {"X-Zendesk-Webhook-Signature": sig, "X-Zendesk-Webhook-Signature-Timestamp": ts,
            "Content-Type": "application/json"}


class Helpdesk(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.zd = HttpReceiver().start()
        cls.srv = Server()
        cls.srv.config = os.path.join(cls.srv.tmp, "wismo.ini")
        with open(cls.srv.config, "w") as f:
            f.write(f"""
[helpdesk]
base_url = {cls.zd.url}
email = agent@shop.example
api_token = zd-token
[web]
link_secret = {LINK}
[tickets]
webhook_secret = {SECRET}
order_field = 360001
note_minutes = 0
resolve_tasks = true
[calendar]
business_days = all
[exceptions]
sweep_seconds = 1
[rule exception_task]
trigger = exception:any
channel = ticket
audience = owner
template = exception
[outbox]
poll_ms = 100
backoff_base = 1
backoff_max = 1
[notify]
default_rules = false
""")
        cls.srv.start()
        cls.srv.post_events([
            ev("2001", "placed", at(30), source="shopify", customer={"name": "Ada L", "email": "ada@zd.example"},
               items=[{"sku": "MUG-1", "name": "Mug", "quantity": 1}]),
            ev("2001", "in_transit", at(20), package="1ZZD2001", carrier="ups", location={"city": "Louisville"}),
            # one customer, two recent orders: never guessed between
            ev("2002", "placed", at(30), source="shopify", customer={"name": "Bo", "email": "bo@zd.example"}),
            ev("2003", "placed", at(29), source="shopify", customer={"name": "Bo", "email": "bo@zd.example"}),
            # one customer, one order
            ev("2004", "placed", at(30), source="shopify", customer={"name": "Cy", "email": "cy@zd.example"}),
            ev("2004", "in_transit", at(20), package="1ZZD2004", carrier="fedex"),
            # sources disagree
            ev("2005", "placed", at(30), source="shopify", customer={"name": "Di", "email": "di@zd.example"}),
            ev("2005", "in_transit", at(10), package="1ZZD2005", carrier="ups"),
            ev("2005", "delivered", at(9), source="shopify", package="1ZZD2005"),
        ])

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.zd.stop()

    def ticket(self, tid, **kw):
        with self.zd.lock:
            self.zd.tickets[tid] = {"id": tid, "status": "open", "comments": [], "tags": []}
        t = {"id": tid, "status": "open", "subject": kw.get("subject", ""), "description": kw.get("body", ""),
             "requester": {"email": kw.get("email", "")}, "tags": kw.get("tags", ""), "created_at": at(0)}
        if "field" in kw:
            t["custom_fields"] = [{"id": 360001, "value": kw["field"]}]
        return json.dumps({"ticket": t}).encode()

    def hook(self, body, headers=None):
        return self.srv.request("POST", "/hooks/helpdesk", raw=body, key=None,
                                headers=headers if headers is not None else signed(body))

    def zd_ticket(self, tid):
        return self.zd.snapshot("tickets")[tid]

    def wait_comments(self, tid, n, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.zd_ticket(tid)["comments"]) >= n:
                return self.zd_ticket(tid)
            time.sleep(0.1)
        self.fail(f"ticket {tid}: {len(self.zd_ticket(tid)['comments'])} comments, wanted {n}")

    def test_1_note_with_the_timeline_then_a_change(self):
        body = self.ticket(5001, subject="Where is my order #2001?", body="It has been days.", email="x@zd.example")
        st, r = self.hook(body)
        self.assertEqual(st, 200, r)
        self.assertEqual((r["order"], r["matched"], r["cause"], r["new"]), ("2001", "text", "healthy", True))
        t = self.wait_comments(5001, 1)
        note = t["comments"][0]
        self.assertIn("wismo found order 2001", note)
        self.assertIn("1ZZD2001", note)
        self.assertIn("Timeline (oldest first)", note)
        self.assertIn("in_transit", note)
        self.assertEqual(t["public"], [False])  # an internal note, never to the customer
        self.assertIn("wismo_order_found", t["tags"])
        self.assertIn("wismo_status_shipped", t["tags"])
        self.assertEqual(t["status"], "open")  # wismo leaves the ticket's status alone
        # the help desk retries, and sends the update of the same ticket: no second note
        self.assertEqual(self.hook(body)[1]["new"], False)
        time.sleep(1)
        self.assertEqual(len(self.zd_ticket(5001)["comments"]), 1)
        # a new milestone: one more, short note
        self.srv.post_events([ev("2001", "out_for_delivery", at(0), package="1ZZD2001", carrier="ups")])
        t = self.wait_comments(5001, 2)
        self.assertIn("changed: out_for_delivery", t["comments"][1])
        time.sleep(1)
        self.assertEqual(len(self.zd_ticket(5001)["comments"]), 2)
        # the agent view lists the ticket
        st, a = self.srv.get("/v1/orders/2001?view=agent")
        self.assertEqual([(x["id"], x["matched"], x["cause"]) for x in a["tickets"]], [("5001", "text", "healthy")])

    def test_2_the_order_field_and_the_requesters_only_order(self):
        st, r = self.hook(self.ticket(5010, subject="hello", field="2004"))
        self.assertEqual((r["order"], r["matched"]), ("2004", "field"))
        st, r = self.hook(self.ticket(5011, subject="where's my stuff", email="CY@zd.example"))
        self.assertEqual((r["order"], r["matched"]), ("2004", "email"))
        # a tracking number in the message finds its order too
        st, r = self.hook(self.ticket(5012, subject="parcel", body="Tracking 1ZZD2004 has not moved"))
        self.assertEqual((r["order"], r["matched"]), ("2004", "text"))
        self.wait_comments(5010, 1)

    def test_3_ambiguous_gets_a_tag_and_no_note(self):
        st, r = self.hook(self.ticket(5020, subject="where is my order", email="bo@zd.example"))
        self.assertEqual((st, r["order"], r["matched"]), (200, None, "ambiguous"))
        deadline = time.time() + 10
        while time.time() < deadline and "wismo_order_ambiguous" not in self.zd_ticket(5020)["tags"]:
            time.sleep(0.1)
        t = self.zd_ticket(5020)
        self.assertIn("wismo_order_ambiguous", t["tags"])
        self.assertEqual(t["comments"], [])

    def test_4_cause_at_the_moment_it_was_opened(self):
        st, r = self.hook(self.ticket(5030, subject="Order 2005 says delivered but it is not here"))
        self.assertEqual((r["order"], r["cause"]), ("2005", "conflict"))
        t = self.wait_comments(5030, 1)
        self.assertIn("wismo_conflict", t["tags"])
        self.assertIn("wismo_cause_conflict", t["tags"])

    def test_5_refused(self):
        body = self.ticket(5040, subject="#2001")
        st, r = self.hook(body, headers=signed(body, secret="wrong"))
        self.assertEqual((st, r["error"]["code"]), (401, "invalid_signature"))
        st, r = self.hook(body, headers=signed(body, ts="2020-01-01T00:00:00Z"))
        self.assertEqual(st, 401)
        st, r = self.hook(body, headers={"Content-Type": "application/json"})
        self.assertEqual(st, 401)
        bad = json.dumps({"ticket": {"subject": "no id"}}).encode()
        st, r = self.hook(bad)
        self.assertEqual((st, r["error"]["code"]), (400, "invalid_body"))
        st, r = self.hook(b'{"ticket": {"id": 1}} x')
        self.assertEqual((st, r["error"]["code"]), (400, "malformed_json"))

    def test_6_kpis(self):
        # the customer of 2005 (delivered) opened the tracking page
        from test_track import make_token  # noqa: E402
        self.srv.post_events([ev("2005", "delivered", at(8), package="1ZZD2005", carrier="ups")])
        for _ in range(2):
            st, _ = self.srv.request("GET", "/track/" + make_token("2005", int(time.time()) + 3600, secret=LINK),
                                     key=None)
            self.assertEqual(st, 200)
        st, k = self.srv.get("/v1/kpis")
        s = k["tickets"]["self_service"]
        self.assertEqual(s["tracking_page_opened"], 1)
        self.assertGreaterEqual(s["orders_delivered"], 1)
        t = k["tickets"]
        self.assertGreaterEqual(t["opened"], 6)
        self.assertGreaterEqual(t["linked"], 5)
        self.assertGreaterEqual(t["ambiguous"], 1)
        causes = {x["cause"]: x["tickets"] for x in t["by_cause"]}
        self.assertGreaterEqual(causes.get("conflict", 0), 1)
        self.assertIn("source:shopify", {x["link"] for x in t["by_link"]})

    def task_ticket(self, order, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for t in self.zd.snapshot("tickets").values():
                if t.get("external_id") == order:
                    return t
            time.sleep(0.1)
        self.fail(f"no task ticket for {order}")

    def live_tasks(self, order):
        st, b = self.srv.get(f"/v1/tasks?order={order}&state=live")
        return b["tasks"]

    def test_8_task_tickets_both_ways(self):
        # a label never handed over: a task, and its ticket for the warehouse
        self.srv.post_events([ev("2101", "placed", at(100), source="shopify"),
                              ev("2101", "label_created", at(50), source="shipstation", package="1ZZD2101",
                                 carrier="ups")])
        t = self.task_ticket("2101")
        self.assertEqual(len(self.live_tasks("2101")), 1)
        # an agent solves it in the help desk: the order's task resolves
        body = json.dumps({"ticket": {"id": t["id"], "status": "solved", "subject": t["subject"]}}).encode()
        st, r = self.hook(body)
        self.assertEqual((st, r["matched"], r["order"], r["resolved_tasks"]), (200, "task_ticket", "2101", 1), r)
        self.assertEqual(self.live_tasks("2101"), [])
        st, b = self.srv.get("/v1/tasks?order=2101")
        self.assertEqual((b["tasks"][0]["resolution"], b["tasks"][0]["note"]),
                         ("manual", f"solved in the help desk (ticket {t['id']})"))
        # the exception closes by itself on another order: its ticket is solved, with a word why
        self.srv.post_events([ev("2102", "placed", at(100), source="shopify"),
                              ev("2102", "label_created", at(50), source="shipstation", package="1ZZD2102",
                                 carrier="ups")])
        t = self.task_ticket("2102")
        self.srv.post_events([ev("2102", "in_transit", at(0), package="1ZZD2102", carrier="ups")])
        deadline = time.time() + 15
        while time.time() < deadline and self.zd_ticket(t["id"])["status"] != "solved":
            time.sleep(0.1)
        z = self.zd_ticket(t["id"])
        self.assertEqual(z["status"], "solved")
        self.assertIn("has closed by itself", z["comments"][-1])

    def test_9_an_exception_closing_is_a_change_too(self):
        self.srv.post_events([ev("2201", "placed", at(60), source="shopify"),
                              ev("2201", "label_created", at(50), source="shipstation", package="1ZZD2201",
                                 carrier="ups")])
        st, r = self.hook(self.ticket(5201, subject="Order 2201 has not moved"))
        self.assertEqual((r["order"], r["cause"]), ("2201", "stale"))
        t = self.wait_comments(5201, 1)
        self.assertIn("not_handed_over", t["comments"][0])  # the open exception, with its owner
        self.srv.post_events([ev("2201", "in_transit", at(0), package="1ZZD2201", carrier="ups")])
        deadline = time.time() + 15
        while time.time() < deadline and not any("exception not_handed_over closed" in c
                                                 for c in self.zd_ticket(5201)["comments"]):
            time.sleep(0.1)
        self.assertTrue(any("exception not_handed_over closed" in c for c in self.zd_ticket(5201)["comments"]),
                        self.zd_ticket(5201)["comments"])

    def test_10_real_ticket_objects(self):
        """Conformance: Zendesk's own ticket objects (../shared/corpora/zendesk, when present) are read as
        the webhook's ticket; a request body without an id is refused naming what is missing."""
        corpus = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "corpora", "zendesk")
        if not os.path.isdir(corpus):
            self.skipTest("no ../shared/corpora/zendesk")
        seen = 0
        for name in sorted(os.listdir(corpus)):
            if not name.endswith(".json"):
                continue
            with open(os.path.join(corpus, name), "rb") as f:
                raw = f.read()
            doc = json.loads(raw)
            t = doc.get("ticket") if isinstance(doc.get("ticket"), dict) else (doc if "id" in doc else None)
            body = raw if "ticket" in doc else json.dumps({"ticket": doc}).encode()
            st, r = self.hook(body)
            if t and isinstance(t.get("id"), int):
                self.assertEqual((st, r["ticket"]), (200, str(t["id"])), (name, r))
                seen += 1
            else:
                self.assertEqual((st, r["error"]["code"]), (400, "invalid_body"), (name, r))
        self.assertGreaterEqual(seen, 2)

    def test_7_the_monthly_report(self):
        month = time.strftime("%Y-%m", time.gmtime())
        r = self.srv.cli("report", "--month", month)
        self.assertIn(f"Where-is-my-order tickets, {month}", r.stdout)
        self.assertIn("What to fix first", r.stdout)
        self.assertRegex(r.stdout, r"1\s+source:shopify\s+1\s+")
        self.assertRegex(r.stdout, r"Tickets linked to an order\s+[0-9.]+ per 100 orders shipped")
        h = self.srv.cli("report", "--month", month, "--format", "html").stdout
        self.assertTrue(h.startswith("<!doctype html>"))
        self.assertIn("<td>source:shopify</td>", h)
        bad = self.srv.cli("report", "--month", "2026-13", check=False)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("usage:", bad.stderr)


if __name__ == "__main__":
    main()
