"""Notification rules, planning and the outbox, against the real server.

- the rules API (list, create, validation errors, delete) and its audit log;
- the review queue (approve, reject) and dead-letter retry;
- `wismo notify preview`;
- a scenario with duplicated and out-of-order events from three sources
  (storefront, warehouse, carrier) leaves exactly one outbox row per
  (milestone, channel, recipient), and no "shipped" while only a label exists.

The channels point at closed ports on loopback: the worker's attempts fail
and are retried (or go dead), which changes rows' states but never their
number; what is delivered is the delivery tests' business.
"""
import os
import socket
import subprocess
import sys
import time
import unittest
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(__file__))
from harness import WISMO, Server, ev, main  # noqa: E402


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


NOW = datetime.now(timezone.utc).replace(microsecond=0)


def ago(hours):
    return iso(NOW - timedelta(hours=hours))


CUSTOMER = {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+15551230000"}


class NotifyRules(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server()
        dead = closed_port()
        cls.srv.config = os.path.join(cls.srv.tmp, "wismo.ini")
        with open(cls.srv.config, "w") as f:
            f.write(f"""
[smtp]
url = smtp://127.0.0.1:{dead}
from = shop@example.com

[sms]
api_base = http://127.0.0.1:{dead}
account_sid = AC1
auth_token = t
from = +15550000000

[webhook erp]
url = http://127.0.0.1:{dead}/hook
secret = s3cret

[outbox]
max_attempts = 1

[web]
public_url = https://shop.example
support_email = help@shop.example
""")
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def outbox(self, **q):
        qs = "&".join(f"{k}={v}" for k, v in q.items())
        st, body = self.srv.request("GET", "/v1/outbox?limit=1000&" + qs)
        self.assertEqual(st, 200, body)
        return body["messages"]

    def triples(self, order):
        return sorted((m["milestone"], m["channel"], m["recipient"]) for m in self.outbox(order=order))

    def post(self, events):
        st, body = self.srv.post_events(events)
        self.assertEqual(st, 200, body)
        return body

    # ---- rules API and audit ----

    def test_rules_api_and_audit(self):
        st, body = self.srv.request("GET", "/v1/rules")
        self.assertEqual(st, 200)
        names = [r["name"] for r in body["rules"]]
        for n in ("order_confirmed", "shipped", "delayed", "out_for_delivery", "delivered",
                  "exception_task", "exception_alert", "delivery_attempted", "address_issue", "pickup_reminder",
                  "stalled", "not_handed_over", "returning_to_sender", "return_approved", "return_received",
                  "refund_issued", "webhooks", "webhook_exceptions"):
            self.assertIn(n, names)
        ofd = next(r for r in body["rules"] if r["name"] == "out_for_delivery")
        self.assertEqual((ofd["channel"], ofd["origin"]), ("sms", "default"))

        st, _ = self.srv.request("GET", "/v1/rules", key="agent")
        self.assertEqual(st, 403)
        st, body = self.srv.request("PUT", "/v1/rules/vip", {"trigger": "teleported", "template": "shipped"})
        self.assertEqual(st, 422)
        self.assertEqual(body["error"]["code"], "invalid_rule")
        self.assertIn("unknown trigger 'teleported'", body["error"]["message"])
        st, body = self.srv.request("PUT", "/v1/rules/vip", {"trigger": "shipped", "channel": "fax",
                                                             "template": "shipped"})
        self.assertEqual((st, body["error"]["code"]), (422, "invalid_rule"))
        st, body = self.srv.request("PUT", "/v1/rules/vip", {"trigger": "shipped", "template": "no_such"})
        self.assertEqual((st, body["error"]["code"]), (422, "unknown_template"))
        st, body = self.srv.request("PUT", "/v1/rules/vip", {"trigger": "shipped", "template": "shipped",
                                                             "audience": "support", "delay_minutes": 5})
        self.assertEqual(st, 200, body)
        self.assertEqual((body["origin"], body["audience"], body["delay_minutes"]), ("api", "support", 5))
        st, body = self.srv.request("GET", "/v1/rules/vip")
        self.assertEqual((st, body["trigger"]), (200, "shipped"))

        st, _ = self.srv.request("DELETE", "/v1/rules/vip")
        self.assertEqual(st, 204)
        st, _ = self.srv.request("GET", "/v1/rules/vip")
        self.assertEqual(st, 404)
        st, _ = self.srv.request("DELETE", "/v1/rules/vip")
        self.assertEqual(st, 404)

        st, body = self.srv.request("GET", "/v1/audit?limit=50")
        self.assertEqual(st, 200)
        mine = [e for e in body["entries"] if e["subject"] == "vip"]
        self.assertEqual([e["action"] for e in mine], ["rule.delete", "rule.create"])
        for e in mine:  # the actor is the admin key's prefix
            self.assertGreaterEqual(len(e["actor"]), 6)
            self.assertTrue(self.srv.keys["admin"].startswith(e["actor"]), e["actor"])
        self.assertEqual(mine[1]["detail"]["trigger"], "shipped")
        self.assertIsNone(mine[0]["detail"])

    # ---- the scenario ----

    def test_one_row_per_milestone_from_three_sources(self):
        o, trk = "N5001", "1ZN5001"
        confirmed = ev(o, "confirmed", ago(10), source="shopify", customer=CUSTOMER)
        label = ev(o, "label_created", ago(9), source="shipstation", package=trk, carrier="ups")
        in_transit = ev(o, "in_transit", ago(5), source="ups", package=trk, carrier="ups")
        ofd = ev(o, "out_for_delivery", ago(1), source="ups", package=trk, carrier="ups")
        delivered = ev(o, "delivered", ago(0.5), source="ups", package=trk, carrier="ups")

        self.post([confirmed, label, confirmed])
        self.assertEqual(self.triples(o), [
            ("confirmed", "email", "ada@example.com"),
            ("confirmed", "webhook", "erp"),
        ])  # a label alone is not "shipped"
        self.post([label])
        self.assertNotIn("shipped", [t[0] for t in self.triples(o)])

        self.post([ofd])          # the carrier's later scan first
        self.post([in_transit])   # the earlier one late
        self.post([ofd, confirmed])
        rows = self.outbox(order=o)
        sms = [m for m in rows if m["channel"] == "sms"]
        self.assertEqual(len(sms), 1)
        self.assertEqual(sms[0]["state"], "cancelled")  # no SMS opt-in recorded
        self.assertIn("opt-in", sms[0]["last_error"])

        self.post([delivered])
        self.post([delivered, ofd, in_transit, label, confirmed])  # everything again, reordered
        expected = sorted([
            ("confirmed", "email", "ada@example.com"), ("confirmed", "webhook", "erp"),
            ("shipped", "email", "ada@example.com"), ("shipped", "webhook", "erp"),
            (f"out_for_delivery:{trk}", "sms", "+15551230000"), (f"out_for_delivery:{trk}", "webhook", "erp"),
            ("delivered", "email", "ada@example.com"), ("delivered", "webhook", "erp"),
        ])
        self.assertEqual(self.triples(o), expected)
        rows = self.outbox(order=o)
        self.assertEqual(len({m["key"] for m in rows}), len(rows))
        shipped = next(m for m in rows if m["milestone"] == "shipped" and m["channel"] == "email")
        view = shipped["view"]
        self.assertEqual((view["first_name"], view["order_number"]), ("Ada", o))
        self.assertTrue(view["tracking_url"].startswith("https://shop.example/track/"))
        self.assertNotIn("ada@example.com", str(view))
        self.assertNotIn("+1555", str(view))

    def test_sms_with_consent_and_old_orders(self):
        o, trk = "N5002", "1ZN5002"
        st, body = self.srv.request("POST", "/v1/consent", {"phone": "+15557770000", "sms": True,
                                                            "source": "checkout"})
        self.assertEqual((st, body["sms"]), (200, True), body)
        st, body = self.srv.request("POST", "/v1/consent", {"phone": "555", "sms": True})
        self.assertEqual(st, 422)
        cust = dict(CUSTOMER, phone="+15557770000")
        self.post([ev(o, "confirmed", ago(3), source="shopify", customer=cust),
                   ev(o, "out_for_delivery", ago(1), source="ups", package=trk, carrier="ups")])
        sms = [m for m in self.outbox(order=o) if m["channel"] == "sms"]
        self.assertEqual(len(sms), 1)
        self.assertNotEqual(sms[0]["state"], "cancelled")
        st, body = self.srv.request("GET", "/v1/audit")
        self.assertIn("consent.sms_opt_in", [e["action"] for e in body["entries"]])

        # first seen ten days after delivery: nothing at all
        old = "N5003"
        self.post([ev(old, "confirmed", ago(260), source="shopify", customer=CUSTOMER),
                   ev(old, "in_transit", ago(250), source="ups", package="1ZN5003", carrier="ups"),
                   ev(old, "delivered", ago(240), source="ups", package="1ZN5003", carrier="ups")])
        self.assertEqual(self.outbox(order=old), [])

    def test_review_queue_and_dead_letters(self):
        st, body = self.srv.request("PUT", "/v1/rules/refund_issued", {
            "trigger": "refunded", "template": "refund_issued", "requires_approval": True})
        self.assertEqual(st, 200, body)
        for o in ("N5101", "N5102"):
            self.post([ev(o, "confirmed", ago(2), source="shopify", customer=CUSTOMER),
                       ev(o, "refunded", ago(1), source="shopify", detail="full")])
        rev = {m["order"]: m for m in self.outbox(state="review") if m["order"] in ("N5101", "N5102")}
        self.assertEqual(sorted(rev), ["N5101", "N5102"])
        a, b = rev["N5101"]["id"], rev["N5102"]["id"]
        st, body = self.srv.request("POST", f"/v1/outbox/{a}/approve")
        self.assertEqual((st, body["state"]), (200, "pending"), body)
        st, body = self.srv.request("POST", f"/v1/outbox/{b}/reject")
        self.assertEqual((st, body["state"]), (200, "cancelled"))
        st, body = self.srv.request("POST", f"/v1/outbox/{b}/approve")
        self.assertEqual((st, body["error"]["code"]), (409, "wrong_state"))
        st, _ = self.srv.request("POST", "/v1/outbox/999999/approve")
        self.assertEqual(st, 404)
        st, body = self.srv.request("GET", "/v1/audit?limit=100")
        acts = [(e["action"], e["subject"]) for e in body["entries"]]
        self.assertIn(("outbox.approve", str(a)), acts)
        self.assertIn(("outbox.reject", str(b)), acts)

        # the approved message fails (closed port, max_attempts = 1): a dead letter, retried by hand
        deadline = time.time() + 20
        dead = []
        while time.time() < deadline and not dead:
            dead = [m for m in self.outbox(state="dead") if m["id"] == a]
            time.sleep(0.2)
        self.assertTrue(dead, "the approved message never became a dead letter")
        self.assertTrue(dead[0]["last_error"])
        st, body = self.srv.request("POST", f"/v1/outbox/{a}/retry")
        self.assertEqual((st, body["state"], body["attempts"]), (200, "pending", 0), body)
        st, body = self.srv.request("POST", f"/v1/outbox/{a}/retry")
        self.assertIn(st, (200, 409))  # 409 unless the worker already failed it again

    def test_preview(self):
        o = "N5201"
        self.post([ev(o, "confirmed", ago(4), source="shopify", customer=CUSTOMER,
                      items=[{"sku": "MUG", "name": "Blue mug", "quantity": 2}]),
                   ev(o, "in_transit", ago(2), source="ups", package="1ZN5201", carrier="ups")])
        r = self.srv.cli("notify", "preview", "--rule", "shipped", "--order", o)
        out = r.stdout
        self.assertIn("=== email to ada@example.com", out)
        self.assertIn(f"subject: Order {o} is on its way", out)
        self.assertIn("Hello Ada,", out)
        self.assertIn("- 2 x Blue mug", out)
        self.assertIn("https://www.ups.com/track?tracknum=1ZN5201", out)
        self.assertIn("https://shop.example/track/", out)  # the signed link, made for the row
        self.assertIn("<li>2 &times; Blue mug</li>", out)
        r = self.srv.cli("notify", "preview", "--rule", "delivered", "--order", o)
        self.assertIn("nothing to send now", r.stdout)
        r = self.srv.cli("notify", "preview", "--rule", "nope", "--order", o, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no rule 'nope'", r.stderr)


if __name__ == "__main__":
    main()
