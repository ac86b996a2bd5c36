"""Appointment deliveries, proof of delivery and "I haven't received it", end
to end (docs/appointments.md): a missed appointment opens a support task and
the team hears before the customer, a new booking closes it; the page's
report through the signed link (rate-limited, refused for an order not
delivered and for a note that is not UTF-8) opens one support task with the
proof and the carrier's claim window, and mails the customer the next step."""
import os
import sys
import time
import unittest
import urllib.parse
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, ev, main  # noqa: E402
from receivers import SmtpReceiver  # noqa: E402


def at(delta):
    return (datetime.now(timezone.utc) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def hours_ago(h):
    return at(-timedelta(hours=h))


class Appointments(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.smtp = SmtpReceiver().start()
        cls.srv = Server()
        cls.srv.config = os.path.join(cls.srv.tmp, "wismo.ini")
        with open(cls.srv.config, "w") as f:
            f.write(f"""
[source fleet]
kind = carrier

[calendar]
business_days = all

[exceptions]
sweep_seconds = 1

[claims]
ups = 45

[web]
link_secret = appointments-link-secret
lookups_per_minute = 6
reschedule_url = https://shop.example/book?o={{order}}&t={{tracking}}

[teams]
support = support@shop.example

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

    def tasks(self, order, kind):
        st, body = self.srv.get("/v1/tasks?order=" + order)
        self.assertEqual(st, 200, body)
        return [t for t in body["tasks"] if t["kind"] == kind]

    def mails(self, rcpt, word):
        return [m for m in self.smtp.received() if rcpt in m["to"] and word in m["msg"]["Subject"]]

    def wait_mails(self, rcpt, word, secs=20):
        deadline = time.time() + secs
        while time.time() < deadline and not self.mails(rcpt, word):
            time.sleep(0.1)
        return self.mails(rcpt, word)

    def link(self, order):
        st, body = self.srv.request("POST", "/v1/track-links", {"order": order}, key="agent")
        self.assertEqual(st, 201, body)
        return "/track/" + body["url"].split("/track/", 1)[1]

    def report(self, path, note):
        raw = urllib.parse.urlencode({"note": note}).encode() if isinstance(note, str) else b"note=" + note
        return self.srv.request("POST", path + "/not-received", key=None, raw=raw,
                                headers={"Content-Type": "application/x-www-form-urlencoded"})

    def test_19_missed_appointment_team_first_then_the_customer_then_a_new_booking(self):
        # missed 1 h (the grace) minus 10 s ago: the task at once, the customer in ~10 s
        st, body = self.srv.post_events([
            ev("A-100", "placed", hours_ago(100), source="shopify",
               customer={"name": "Ada Lovelace", "email": "ada@example.org"}),
            ev("A-100", "in_transit", hours_ago(80), source="fleet", package="SOFA-100", carrier="fleet"),
            ev("A-100", "appointment_scheduled", hours_ago(70), source="fleet", package="SOFA-100",
               window={"start": hours_ago(4), "end": hours_ago(1)}),
            ev("A-100", "appointment_missed", at(-timedelta(hours=1) + timedelta(seconds=10)), source="fleet",
               package="SOFA-100", detail="recipient_unavailable"),
        ])
        self.assertEqual(st, 200, body)
        p = self.agent("A-100")["order"]["packages"][0]
        self.assertEqual((p["status"], p["appointment"]["state"]), ("in_transit", "missed"))
        self.assertEqual(p["appointment"]["reason"], "recipient_unavailable")
        kinds = [x["kind"] for x in self.agent("A-100")["exceptions"]]
        self.assertEqual(kinds, ["appointment_missed"])  # waiting for an appointment is not stalled
        t = self.tasks("A-100", "appointment_missed")
        self.assertEqual((len(t), t[0]["team"], t[0]["priority"]), (1, "support", "high"))
        team = self.wait_mails("support@shop.example", "appointment_missed")
        self.assertEqual(len(team), 1)
        self.assertEqual(self.mails("ada@example.org", "delivery time"), [])
        customer = self.wait_mails("ada@example.org", "delivery time", secs=40)
        self.assertEqual(len(customer), 1)
        self.assertLess(team[0]["at"], customer[0]["at"])
        # the page: what happened and where to book again
        st, html = self.srv.request("GET", self.link("A-100"), key=None)
        self.assertEqual(st, 200)
        self.assertIn("The delivery appointment was missed", html)
        self.assertIn('href="https://shop.example/book?o=A-100&amp;t=SOFA-100"', html)
        # booked again: closed, the task resolves by itself; the page gives the window's end without its
        # date when it ends the day it starts, and with it when it ends after midnight (UTC)
        day = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=2)
        iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
        shown = lambda t: f"{t:%b} {t.day}, {t:%H:%M} UTC"  # noqa: E731
        for n, (start, end, text) in enumerate([
                (day + timedelta(hours=9), day + timedelta(hours=13),
                 lambda a, b: f"{shown(a)} - {b:%H:%M} UTC"),
                (day + timedelta(hours=22), day + timedelta(hours=26),
                 lambda a, b: f"{shown(a)} - {shown(b)}")]):
            st, body = self.srv.post_events([ev("A-100", "appointment_rescheduled", hours_ago(0.5 - n / 100),
                                                source="fleet", package="SOFA-100",
                                                window={"start": iso(start), "end": iso(end)})])
            self.assertEqual(st, 200, body)
            self.assertEqual(self.agent("A-100")["exceptions"], [])
            t = self.tasks("A-100", "appointment_missed")
            self.assertEqual((t[0]["state"], t[0]["resolution"]), ("resolved", "auto"))
            st, html = self.srv.request("GET", self.link("A-100"), key=None)
            self.assertIn(f"Delivery appointment: {text(start, end)}<", html)

    def test_19_not_received_report_from_the_page(self):
        self.srv.post_events([
            ev("N-100", "placed", hours_ago(60), source="shopify",
               customer={"name": "Grace Hopper", "email": "grace@example.org"}),
            ev("N-100", "in_transit", hours_ago(30), package="1ZNR100", carrier="ups"),
            ev("N-100", "delivered", hours_ago(5), package="1ZNR100", carrier="ups",
               proof={"left_at": "Side gate", "signed_by": "T NEIGHBOUR", "url": "https://pod.example/1ZNR100"},
               installed=False),
        ])
        path = self.link("N-100")
        st, html = self.srv.request("GET", path, key=None)
        self.assertIn("Left at: Side gate", html)
        self.assertNotIn("NEIGHBOUR", html)
        self.assertNotIn("pod.example", html)
        self.assertIn('action="' + path + '/not-received"', html)
        st, body = self.report(path, "Nothing at the gate\r\nor with the neighbours")
        self.assertEqual(st, 200, body)  # urllib follows the 303 to the page
        self.assertIn("has not arrived", body)
        self.assertNotIn('id="not-received-form"', body)
        o = self.agent("N-100")["order"]
        self.assertEqual(o["not_received"]["note"], "Nothing at the gate  or with the neighbours")
        t = self.tasks("N-100", "not_received")
        self.assertEqual((len(t), t[0]["team"], t[0]["priority"], t[0]["package"]), (1, "support", "high", "1ZNR100"))
        self.assertIn("left at Side gate", t[0]["reason"])
        self.assertIn("signed by T NEIGHBOUR", t[0]["reason"])
        delivered = datetime.now(timezone.utc) - timedelta(hours=5)
        self.assertIn("claim with the carrier by " + (delivered + timedelta(days=45)).strftime("%Y-%m-%d"),
                      t[0]["reason"])
        self.assertEqual(len(self.wait_mails("grace@example.org", "looking into it")), 1)
        # a second press the same day: the same fact, still one task
        self.report(path, "again")
        self.assertEqual(len(self.tasks("N-100", "not_received")), 1)
        # the store refunds: closed
        self.srv.post_events([ev("N-100", "refunded", at(timedelta(seconds=2)), source="shopify", detail="full")])
        t = self.tasks("N-100", "not_received")
        self.assertEqual((t[0]["state"], t[0]["resolution"]), ("resolved", "auto"))

    def test_19_not_received_refusals(self):
        self.srv.post_events([
            ev("N-200", "placed", hours_ago(10), source="shopify"),
            ev("N-200", "in_transit", hours_ago(5), package="1ZNR200", carrier="ups"),
            ev("N-201", "placed", hours_ago(10), source="shopify"),
            ev("N-201", "delivered", hours_ago(2), package="1ZNR201", carrier="ups"),
        ])
        st, body = self.report(self.link("N-200"), "where is it")
        self.assertEqual(st, 409, body)
        self.assertNotIn("not_received", self.agent("N-200")["order"])
        st, body = self.report(self.link("N-201"), b"%ff%fe")
        self.assertEqual(st, 422, body)
        self.assertNotIn("not_received", self.agent("N-201")["order"])
        st, body = self.srv.request("POST", "/track/not-a-token/not-received", key=None, raw=b"note=x",
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(st, 404, body)

    def test_19_z_not_received_within_the_lookup_budget(self):
        # the lookup form's budget per client (six a minute here): past it, 429 and a page that says so
        self.srv.post_events([ev("N-300", "placed", hours_ago(10), source="shopify")])
        replies = [self.report(self.link("N-300"), "x") for _ in range(8)]
        self.assertEqual([st for st, _ in replies][-1], 429)
        self.assertIn("Too many attempts", replies[-1][1])
        self.assertIn("<h1>Your order</h1>", replies[-1][1])

    def test_19_zz_rebuild_compares_identical(self):
        r = self.srv.cli("rebuild", "--verify")
        self.assertIn("identical", r.stdout + r.stderr)


if __name__ == "__main__":
    main()
