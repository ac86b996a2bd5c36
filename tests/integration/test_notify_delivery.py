"""Notification delivery end to end: the real `wismo serve` sends through real
receivers on loopback (an SMTP server, a Twilio-shaped SMS API, a webhook
subscriber, a Zendesk-shaped help desk) started here.

What it shows: duplicated and out-of-order events from three sources give
exactly one message per milestone and channel, each received once; a receiver
that is down for a while gets everything once it is back; dead letters are
listed and can be retried; no SMS without opt-in; STOP through /hooks/sms
stops the next SMS; a crash between commit and send delivers after restart
(once, counting the receiver's dedupe on the Message-ID); webhook signatures
verify with the recipe of docs/channels.md; a ticket opens on a failed
delivery attempt and is solved on delivery."""
import base64
import datetime
import hashlib
import hmac
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.parse

from harness import Server, main
from receivers import HttpReceiver, SmtpReceiver, basic_auth

SMS_TOKEN = "twilio-auth-token-test"
SMS_SID = "AC00000000000000000000000000000001"
SMS_PUBLIC_URL = "https://wismo.example.com/hooks/sms"
HOOK_SECRET = "whsec_test_0123456789"
ZD_TOKEN = "zendesk-api-token"


def iso(offset_min=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=offset_min)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def ev(order, status, minutes, source, package=None, **kw):
    e = {"source": source, "order": order, "status": status, "occurred_at": iso(minutes)}
    if package:
        e["package"] = package
    e.update(kw)
    return e


def customer(email=None, phone=None):
    c = {"name": "Ada Lovelace"}
    if email:
        c["email"] = email
    if phone:
        c["phone"] = phone
    return c


def twilio_signature(token, url, params):
    """Twilio's scheme: base64(HMAC-SHA1(token, url + name1 + value1 + ...)) sorted by name."""
    data = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def verify_webhook(secret, headers, body, now=None, tolerance=300):
    """The recipe of docs/channels.md, word for word."""
    ts = headers["x-wismo-timestamp"]
    sig = headers["x-wismo-signature"]
    if abs((now or time.time()) - int(ts)) > tolerance:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, sig)


class Delivery(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="wismo-delivery-")
        cls.smtp = SmtpReceiver().start()
        cls.sms = HttpReceiver().start()
        cls.hooks = HttpReceiver().start()
        cls.zd = HttpReceiver().start()
        # a ticket rule of the shop's own: solve the ticket when the order is
        # delivered, with a template from the override directory
        tdir = os.path.join(cls.tmp, "templates", "ticket", "en")
        os.makedirs(tdir)
        with open(os.path.join(tdir, "ticket_solved.subject"), "w") as f:
            f.write("Order {{order_number}} delivered\n")
        with open(os.path.join(tdir, "ticket_solved.txt"), "w") as f:
            f.write("Order {{order_number}} was delivered; closing.\n")
        cls.cfg = os.path.join(cls.tmp, "wismo.ini")
        with open(cls.cfg, "w") as f:
            f.write(f"""[smtp]
url = smtp://127.0.0.1:{cls.smtp.port}
from = shop@shop.example
from_name = The Shop
[sms]
api_base = {cls.sms.url}
account_sid = {SMS_SID}
auth_token = {SMS_TOKEN}
from = +15555550199
public_url = {SMS_PUBLIC_URL}
[webhook crm]
url = {cls.hooks.url}/crm
secret = {HOOK_SECRET}
[helpdesk]
base_url = {cls.zd.url}
email = agent@shop.example
api_token = {ZD_TOKEN}
[teams]
support = support@shop.example
[outbox]
max_attempts = 5
backoff_base = 1
backoff_max = 1
poll_ms = 100
lease = 4
[notify]
quiet_hours = off
templates = {os.path.join(cls.tmp, "templates")}
[rule ticket_solved]
trigger = delivered
channel = ticket
audience = support
template = ticket_solved
""")
        cls.s = Server(tmp=cls.tmp, config=cls.cfg).start()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        for r in (cls.smtp, cls.sms, cls.hooks, cls.zd):
            r.stop()

    # -- helpers ---------------------------------------------------------

    def post(self, events):
        st, body = self.s.post_events(events)
        self.assertEqual(st, 200, body)
        return body

    def outbox(self, order=None, state=None):
        q = {}
        if state:
            q["state"] = state
        if order:
            q["order"] = order
        st, body = self.s.get("/v1/outbox" + ("?" + urllib.parse.urlencode(q) if q else ""), key="admin")
        self.assertEqual(st, 200, body)
        rows = body["messages"] if isinstance(body, dict) and "messages" in body else body.get("outbox", body)
        return [r for r in rows if not order or r["order"] == order]

    def settle(self, order, timeout=20):
        """Waits until no message of order is pending or being sent."""
        deadline = time.time() + timeout
        rows = []
        while time.time() < deadline:
            rows = self.outbox(order)
            if rows and all(r["state"] not in ("pending", "sending") for r in rows):
                return rows
            time.sleep(0.1)
        self.fail(f"outbox of {order} did not settle: {rows}")

    def sms_hook(self, params, token=SMS_TOKEN, url=SMS_PUBLIC_URL):
        raw = urllib.parse.urlencode(params).encode()
        return self.s.request("POST", "/hooks/sms", raw=raw, key=None, headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": twilio_signature(token, url, params)})

    def mails_to(self, addr, order=None):
        out = []
        for m in self.smtp.received():
            if addr in m["to"] and (order is None or order in str(m["msg"]["Subject"])):
                out.append(m)
        return out

    def sms_to(self, phone):
        return [m for m in self.sms.snapshot("sms") if m["to"] == phone]

    def hooks_for(self, order):
        return [h for h in self.hooks.snapshot("hooks") if json.loads(h["body"])["order"] == order]

    # -- tests -------------------------------------------------------------

    def test_01_scenario_three_sources_duplicates_out_of_order(self):
        order, pkg, email, phone = "D1001", "1ZD1001", "ada1001@example.org", "+15555551001"
        self.assertEqual(self.sms_hook({"From": phone, "To": "+15555550199", "Body": "START",
                                        "MessageSid": "SMin1"})[0], 200)
        cust = customer(email, phone)
        placed = ev(order, "placed", -300, "shopify", id="o-1", customer=cust)
        confirmed = ev(order, "confirmed", -299, "shopify", id="o-2", customer=cust)
        label = ev(order, "label_created", -200, "shipstation", package=pkg, id="s-1")
        transit1 = ev(order, "in_transit", -150, "ups", package=pkg, code="I", id="u-1")
        transit2 = ev(order, "in_transit", -120, "ups", package=pkg, code="I", id="u-2")
        ofd = ev(order, "out_for_delivery", -60, "ups", package=pkg, code="O", id="u-3")
        delivered = ev(order, "delivered", -5, "ups", package=pkg, code="D", id="u-4")
        # each step: repeats, and a step's events in reverse order
        self.post([confirmed, placed, confirmed])
        self.post([placed])
        self.settle(order)
        self.post([transit1, label, transit1])
        self.post([label, transit1])
        self.settle(order)
        self.post([ofd, transit2, ofd])
        self.settle(order)
        self.post([delivered, ofd, delivered, transit2])
        self.post([delivered])
        rows = self.settle(order)
        by_channel = {}
        for r in rows:
            by_channel.setdefault(r["channel"], []).append(r)
        # what was received: exactly one per milestone and channel
        mails = self.mails_to(email)
        subjects = sorted(str(m["msg"]["Subject"]) for m in mails)
        self.assertEqual(len(mails), 3, subjects)
        self.assertEqual(sorted(r["milestone"] for r in by_channel["email"]), ["confirmed", "delivered", "shipped"])
        self.assertEqual(len({m["msg"]["Message-ID"] for m in mails}), 3)
        for m in mails:
            text, html = SmtpReceiver.parts(m["msg"])
            self.assertIn(order, text)
            self.assertIsNotNone(html)
            self.assertIn(order, html)
            self.assertEqual(m["msg"].get_content_type(), "multipart/alternative")
            self.assertNotIn(email, text)  # the view never holds the address
        sms = self.sms_to(phone)
        self.assertEqual(len(sms), 1, sms)
        self.assertIn(order, sms[0]["body"])
        self.assertEqual(sms[0]["from"], "+15555550199")
        self.assertEqual(basic_auth(sms[0]["auth"]), (SMS_SID, SMS_TOKEN))
        hooks = self.hooks_for(order)
        milestones = sorted(json.loads(h["body"])["milestone"] for h in hooks)
        self.assertEqual(len(milestones), len(set(milestones)), milestones)
        self.assertEqual(len(hooks), len(by_channel.get("webhook", [])))
        self.assertEqual(milestones, sorted(["confirmed", "shipped", "out_for_delivery:" + pkg, "delivered"]))
        # every row sent, with the receiver's id; the shop's "solve the
        # ticket on delivery" rule finds no ticket for this order
        for r in rows:
            if r["channel"] == "ticket":
                self.assertEqual((r["state"], r["last_error"]), ("cancelled", "no open ticket to solve"))
            else:
                self.assertEqual(r["state"], "sent", r)
        self.assertFalse([t for t in self.zd.snapshot("tickets").values() if t["external_id"] == order])
        sms_row = by_channel["sms"][0]
        self.assertEqual(sms_row["remote_id"], sms[0]["sid"])

    def test_02_webhook_signature_recipe(self):
        order = "D1002"
        self.post([ev(order, "confirmed", -10, "shopify", customer=customer("w@example.org"))])
        self.settle(order)
        hooks = self.hooks_for(order)
        self.assertTrue(hooks)
        h = hooks[0]
        self.assertTrue(verify_webhook(HOOK_SECRET, h["headers"], h["body"]))
        self.assertFalse(verify_webhook("wrong-secret", h["headers"], h["body"]))
        self.assertFalse(verify_webhook(HOOK_SECRET, h["headers"], h["body"] + b" "))
        body = json.loads(h["body"])
        self.assertEqual(h["headers"]["x-wismo-event-id"], body["id"])
        # the shell recipe of docs/channels.md
        ts, sig = h["headers"]["x-wismo-timestamp"], h["headers"]["x-wismo-signature"]
        bodyfile = os.path.join(self.tmp, "hook-body.json")
        with open(bodyfile, "wb") as f:
            f.write(h["body"])
        out = subprocess.run(["sh", "-c", 'printf "%s." "$TS" | cat - "$BODY" | '
                              'openssl dgst -sha256 -hmac "$SECRET" | sed "s/^.* /sha256=/"'],
                             env=dict(os.environ, TS=ts, BODY=bodyfile, SECRET=HOOK_SECRET),
                             capture_output=True, text=True, check=True).stdout.strip()
        self.assertEqual(out, sig)

    def test_03_receiver_down_then_back(self):
        order, email = "D1003", "down1003@example.org"
        self.smtp.stop()
        try:
            self.post([ev(order, "confirmed", -10, "shopify", customer=customer(email))])
            deadline = time.time() + 10
            while time.time() < deadline:
                rows = [r for r in self.outbox(order) if r["channel"] == "email"]
                # between attempts (a claim shows "sending" for a moment)
                if rows and rows[0]["attempts"] >= 2 and rows[0]["state"] == "pending":
                    break
                time.sleep(0.1)
            self.assertGreaterEqual(rows[0]["attempts"], 2, rows)
            self.assertEqual(rows[0]["state"], "pending")
            self.assertTrue(rows[0]["last_error"])
        finally:
            self.smtp.start()
        rows = self.settle(order)
        self.assertEqual([r["state"] for r in rows if r["channel"] == "email"], ["sent"])
        self.assertEqual(len(self.mails_to(email)), 1)

    def test_04_dead_letters_listed_and_retried(self):
        order = "D1004"
        self.hooks.fail(503)
        try:
            self.post([ev(order, "confirmed", -10, "shopify", customer=customer("dead@example.org"))])
            rows = self.settle(order, timeout=30)
            dead = [r for r in rows if r["channel"] == "webhook"]
            self.assertEqual([r["state"] for r in dead], ["dead"])
            self.assertEqual(dead[0]["attempts"], 5)
            self.assertIn("503", dead[0]["last_error"])
            listed = [r["id"] for r in self.outbox(state="dead")]
            self.assertIn(dead[0]["id"], listed)
            tried = [q for q in self.hooks.snapshot("requests") if q["headers"].get("x-wismo-event-id") == dead[0]["key"]]
            self.assertEqual(len(tried), 5)
        finally:
            self.hooks.heal()
        self.assertEqual(self.hooks_for(order), [])
        st, body = self.s.request("POST", f"/v1/outbox/{dead[0]['id']}/retry", key="admin")
        self.assertIn(st, (200, 202), body)
        rows = self.settle(order)
        self.assertEqual([r["state"] for r in rows if r["channel"] == "webhook"], ["sent"])
        self.assertEqual(len(self.hooks_for(order)), 1)

    def test_05_no_sms_without_opt_in(self):
        order, phone = "D1005", "+15555551005"
        self.post([ev(order, "placed", -100, "shopify", customer=customer("n@example.org", phone)),
                   ev(order, "in_transit", -60, "ups", package="1ZD1005"),
                   ev(order, "out_for_delivery", -5, "ups", package="1ZD1005")])
        rows = self.settle(order)
        time.sleep(0.5)
        self.assertEqual(self.sms_to(phone), [])
        self.assertFalse([r for r in rows if r["channel"] == "sms" and r["state"] == "sent"])

    def test_06_stop_stops_the_next_sms(self):
        phone = "+15555551006"
        self.assertEqual(self.sms_hook({"From": phone, "To": "+15555550199", "Body": "START",
                                        "MessageSid": "SM6a"})[0], 200)
        # a signature that does not match is refused and changes nothing
        params = {"From": phone, "To": "+15555550199", "Body": "STOP", "MessageSid": "SM6x"}
        st, _ = self.s.request("POST", "/hooks/sms", raw=urllib.parse.urlencode(params).encode(), key=None,
                               headers={"Content-Type": "application/x-www-form-urlencoded",
                                        "X-Twilio-Signature": twilio_signature("not-the-token", SMS_PUBLIC_URL,
                                                                               params)})
        self.assertEqual(st, 401)
        self.post([ev("D1006", "placed", -100, "shopify", customer=customer(None, phone)),
                   ev("D1006", "in_transit", -60, "ups", package="1ZD1006"),
                   ev("D1006", "out_for_delivery", -5, "ups", package="1ZD1006")])
        self.settle("D1006")
        self.assertEqual(len(self.sms_to(phone)), 1)
        # the provider is failing when the next SMS is planned; STOP arrives
        # while it waits for its retry: it is never sent
        self.sms.fail(503)
        try:
            self.post([ev("D1007", "placed", -100, "shopify", customer=customer(None, phone)),
                       ev("D1007", "in_transit", -60, "ups", package="1ZD1007"),
                       ev("D1007", "out_for_delivery", -5, "ups", package="1ZD1007")])
            deadline = time.time() + 10
            while time.time() < deadline and not [q for q in self.sms.snapshot("requests") if q["answered"] == 503]:
                time.sleep(0.05)
            st, body = self.sms_hook(params)
            self.assertEqual(st, 200)
            self.assertIn("<Response/>", body)
        finally:
            self.sms.heal()
        rows = self.settle("D1007")
        self.assertEqual([r["state"] for r in rows if r["channel"] == "sms"], ["cancelled"])
        self.assertEqual(len(self.sms_to(phone)), 1)
        # and START again lets the next one through
        self.assertEqual(self.sms_hook({"From": phone, "To": "+15555550199", "Body": "start",
                                        "MessageSid": "SM6c"})[0], 200)
        self.post([ev("D1008", "placed", -100, "shopify", customer=customer(None, phone)),
                   ev("D1008", "in_transit", -60, "ups", package="1ZD1008"),
                   ev("D1008", "out_for_delivery", -5, "ups", package="1ZD1008")])
        self.settle("D1008")
        self.assertEqual(len(self.sms_to(phone)), 2)

    def test_12_6_sms_start_replay_after_stop_refused(self):
        phone, to = "+15555551206", "+15555550199"

        def consent():
            return self.s.sql("SELECT sms, updated_at FROM consent WHERE phone = ?", (phone,))[0]

        def audited():
            st, body = self.s.request("GET", "/v1/audit?limit=200", key="admin")
            self.assertEqual(st, 200, body)
            return [e for e in body["entries"] if e["subject"] == phone]

        start = {"From": phone, "To": to, "Body": "START", "MessageSid": "SM12a"}
        stop = {"From": phone, "To": to, "Body": "STOP", "MessageSid": "SM12b"}
        self.assertEqual(self.sms_hook(start)[0], 200)
        self.assertEqual(consent()[0], 1)
        self.assertEqual(self.sms_hook(stop)[0], 200)
        after_stop = consent()
        self.assertEqual(after_stop[0], 0)
        self.assertEqual(len(audited()), 2)
        # the captured START, validly signed, sent again: answered, changes nothing
        st, body = self.sms_hook(start)
        self.assertEqual(st, 200)
        self.assertIn("<Response/>", body)
        self.assertEqual(consent(), after_stop)
        # so is a replayed STOP (its time is when it was first recorded)
        self.assertEqual(self.sms_hook(stop)[0], 200)
        self.assertEqual(consent(), after_stop)
        self.assertEqual(len(audited()), 2)
        # a keyword without a MessageSid cannot be told from a replay: ignored
        self.assertEqual(self.sms_hook({"From": phone, "To": to, "Body": "START"})[0], 200)
        self.assertEqual(consent(), after_stop)
        # a new message from the customer still counts
        self.assertEqual(self.sms_hook(dict(start, MessageSid="SM12c"))[0], 200)
        self.assertEqual(consent()[0], 1)
        self.assertEqual([e["action"] for e in audited()],
                         ["consent.sms_opt_in", "consent.sms_opt_out", "consent.sms_opt_in"])  # newest first

    def test_07_ticket_opened_then_solved(self):
        order, pkg = "D1009", "1ZD1009"
        self.post([ev(order, "placed", -300, "shopify", customer=customer("t@example.org")),
                   ev(order, "in_transit", -200, "ups", package=pkg),
                   ev(order, "out_for_delivery", -100, "ups", package=pkg),
                   ev(order, "delivery_attempted", -50, "ups", package=pkg, detail="recipient_unavailable")])
        self.settle(order)
        tickets = [t for t in self.zd.snapshot("tickets").values() if t["external_id"] == order]
        self.assertEqual(len(tickets), 1, tickets)
        t = tickets[0]
        self.assertIn(order, t["subject"])
        self.assertIn(pkg, t["comments"][0])
        self.assertIn("wismo", t["tags"])
        self.assertEqual(basic_auth(t["auth"]), ("agent@shop.example/token", ZD_TOKEN))
        self.assertEqual(t["status"], "open")
        self.post([ev(order, "delivered", -5, "ups", package=pkg)])
        self.settle(order)
        tickets = [t for t in self.zd.snapshot("tickets").values() if t["external_id"] == order]
        self.assertEqual(len(tickets), 1)
        self.assertEqual(tickets[0]["status"], "solved")
        self.assertEqual(len(tickets[0]["comments"]), 2)
        self.assertIn("delivered; closing", tickets[0]["comments"][1])


class Crash(unittest.TestCase):
    """SIGKILL between the commit that planned a message and its sending."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="wismo-crash-")
        self.smtp = SmtpReceiver()
        cfg = os.path.join(self.tmp, "wismo.ini")
        with open(cfg, "w") as f:
            f.write(f"[smtp]\nurl = smtp://127.0.0.1:{self.smtp.port}\nfrom = shop@shop.example\n"
                    "[outbox]\nmax_attempts = 8\nbackoff_base = 1\nbackoff_max = 1\npoll_ms = 100\nlease = 3\n")
        self.s = Server(tmp=self.tmp, config=cfg).start()

    def tearDown(self):
        if self.s.proc:
            self.s.stop()
        self.smtp.stop()

    def email_rows(self, order):
        st, body = self.s.get("/v1/outbox?" + urllib.parse.urlencode({"order": order}), key="admin")
        self.assertEqual(st, 200, body)
        rows = body["messages"] if isinstance(body, dict) and "messages" in body else body.get("outbox", body)
        return [r for r in rows if r["order"] == order and r["channel"] == "email"]

    def wait_sent(self, order, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            rows = self.email_rows(order)
            if rows and rows[0]["state"] == "sent":
                return rows
            time.sleep(0.1)
        self.fail(f"not sent: {self.email_rows(order)}")

    def test_crash_before_send(self):
        order, email = "C2001", "crash@example.org"
        # the SMTP server is not there yet: the message is committed, not sent
        st, body = self.s.post_events([ev(order, "confirmed", -10, "shopify", customer=customer(email))])
        self.assertEqual(st, 200, body)
        deadline = time.time() + 10
        while time.time() < deadline and not (self.email_rows(order) and self.email_rows(order)[0]["attempts"] >= 1):
            time.sleep(0.05)
        self.assertEqual(self.s.stop(sig=signal.SIGKILL), -signal.SIGKILL)
        self.smtp.start()
        self.s.start()
        self.wait_sent(order)
        msgs = self.smtp.wait_for(1)
        time.sleep(1)
        self.assertEqual(len(self.smtp.received()), 1)
        self.assertEqual(msgs[0]["to"], [email])

    def test_crash_while_sending(self):
        order, email = "C2002", "crash2@example.org"
        self.smtp.delay = 30  # takes the message, then holds the answer
        self.smtp.start()
        st, body = self.s.post_events([ev(order, "confirmed", -10, "shopify", customer=customer(email))])
        self.assertEqual(st, 200, body)
        self.smtp.wait_for(1)
        self.assertEqual(len(self.smtp.received()), 1)
        self.assertEqual(self.s.stop(sig=signal.SIGKILL), -signal.SIGKILL)
        self.smtp.delay = 0
        self.s.start()
        rows = self.wait_sent(order, timeout=30)
        msgs = self.smtp.received()
        # sent again after the lease ran out, with the same Message-ID: the
        # receiver's dedupe on it leaves one message
        self.assertEqual(len(msgs), 2)
        ids = {m["msg"]["Message-ID"] for m in msgs}
        self.assertEqual(len(ids), 1)
        self.assertIn(rows[0]["key"], ids.pop())


if __name__ == "__main__":
    main()
