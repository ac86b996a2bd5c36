"""Returns end to end (docs/returns.md): a delivered order's return told by
the store's webhooks, the store's own API, an aggregator and the warehouse
scan feed, each twice; the messages it sends (a real SMTP receiver), the
tasks it opens and closes, the KPIs, the returns API with its errors, the
customer's own request on the tracking page (CSRF, window, auto-approval),
and a rebuild that compares identical."""
import base64
import hashlib
import hmac
import os
import re
import sys
import time
import unittest
import urllib.parse
import http.client

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, ev, main  # noqa: E402
from receivers import SmtpReceiver  # noqa: E402
from test_track import make_token, Page  # noqa: E402

SHOPIFY_SECRET = "shpss_returns_secret"
EASYPOST_SECRET = "ep_returns_secret"
SCANS_SECRET = "scans-returns-secret"
LINK_SECRET = "integration-link-secret"
INSTRUCTIONS = "Use the prepaid label in the box and drop the parcel at any UPS point."


def at(hours_ago):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - hours_ago * 3600))


def shopify(body, topic):
    sig = base64.b64encode(hmac.new(SHOPIFY_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return {"X-Shopify-Hmac-Sha256": sig, "X-Shopify-Topic": topic, "Content-Type": "application/json"}


def easypost(body):
    sig = hmac.new(EASYPOST_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hmac-Signature": "hmac-sha256-hex=" + sig, "Content-Type": "application/json"}


def scans(body):
    ts = str(int(time.time()))
    sig = "sha256=" + hmac.new(SCANS_SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Wismo-Timestamp": ts, "X-Wismo-Signature": sig, "Content-Type": "application/x-ndjson"}


class Returns(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.smtp = SmtpReceiver().start()
        cls.srv = Server()
        cls.srv.config = os.path.join(cls.srv.tmp, "wismo.ini")
        with open(cls.srv.config, "w") as f:
            f.write(f"""
[calendar]
business_days = all

[exceptions]
sweep_seconds = 1
return_inspect_hours = 24
return_refund_hours = 24

[smtp]
url = smtp://127.0.0.1:{cls.smtp.port}
from = shop@shop.example

[web]
link_secret = {LINK_SECRET}

[returns]
window_days = 30
instructions = {INSTRUCTIONS}

[source shopify]
secret = {SHOPIFY_SECRET}

[source easypost]
secret = {EASYPOST_SECRET}

[source scans]
secret = {SCANS_SECRET}
""")
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.smtp.stop()

    # -- helpers --------------------------------------------------------

    def hook(self, source, body, headers):
        raw = body.encode() if isinstance(body, str) else body
        st, r = self.srv.request("POST", "/hooks/" + source, raw=raw, key=None, headers=headers(raw))
        self.assertEqual(st, 200, r)
        return r

    def shopify_hook(self, topic, obj):
        import json
        body = json.dumps(obj).encode()
        return self.hook("shopify", body, lambda b: shopify(b, topic))

    def order(self, order):
        st, body = self.srv.get(f"/v1/orders/{order}")
        self.assertEqual(st, 200, body)
        return body

    def ret(self, order, rid):
        return next(r for r in self.order(order)["returns"] if r["id"] == rid)

    def tasks(self, **q):
        st, body = self.srv.get("/v1/tasks?" + urllib.parse.urlencode(q))
        self.assertEqual(st, 200, body)
        return body["tasks"]

    def wait(self, cond, what, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            v = cond()
            if v:
                return v
            time.sleep(0.1)
        self.fail("timed out waiting for " + what)

    def mails(self, to, subject_part):
        return [m for m in self.smtp.received() if to in m["msg"]["To"] and subject_part in m["msg"]["Subject"]]

    # -- the whole reverse flow, from four sources with repeats ----------

    def test_1_flow_from_four_sources(self):
        o, email = "1101", "ada.returns@example.org"
        shop_order = {
            "id": 777001, "order_number": 1101, "name": "#1101", "created_at": at(100), "updated_at": at(100),
            "financial_status": "paid", "email": email,
            "customer": {"id": 9, "first_name": "Ada", "last_name": "Lovelace", "email": email},
            "line_items": [{"id": 1, "sku": "MUG-1", "name": "Mug", "title": "Mug", "quantity": 2}],
            "fulfillments": [],
        }
        self.shopify_hook("orders/create", shop_order)
        st, r = self.srv.post_events([
            ev(o, "in_transit", at(90), package="1ZOUT1101", carrier="ups"),
            ev(o, "delivered", at(60), package="1ZOUT1101", carrier="ups"),
        ])
        self.assertEqual(st, 200, r)
        self.assertEqual(self.order(o)["status"], "delivered")
        self.wait(lambda: self.mails(email, "delivered") or self.mails(email, "Delivered"), "the delivered email")

        # 1. the customer asks in Shopify (twice: Shopify retries)
        req = {"id": 9101, "admin_graphql_api_id": "gid://shopify/Return/9101", "status": "requested",
               "order": {"id": 777001}, "created_at": at(50), "updated_at": at(50),
               "return_line_items": [{"id": 1, "quantity": 1, "return_reason": "SIZE_TOO_SMALL",
                                      "fulfillment_line_item": {"id": 5, "line_item": {"id": 1, "sku": "MUG-1",
                                                                                       "name": "Mug"}}}]}
        self.shopify_hook("returns/request", req)
        self.shopify_hook("returns/request", req)
        x = self.ret(o, "9101")
        self.assertEqual((x["state"], x["reason"], x["items"][0]["quantity"]), ("requested", "too_small", 1))
        self.wait(lambda: [t for t in self.tasks(order=o, state="live") if t["kind"] == "return_approval"],
                  "the approval task")

        # 2. the shop approves: the customer hears how to send it back, once
        appr = dict(req, status="open", updated_at=at(49))
        self.shopify_hook("returns/approve", appr)
        self.shopify_hook("returns/approve", appr)
        self.assertEqual(self.ret(o, "9101")["state"], "approved")
        self.wait(lambda: not [t for t in self.tasks(order=o, state="live") if t["kind"] == "return_approval"],
                  "the approval task to close")

        # 3. the store's return label through its own API, naming the parcel
        st, r = self.srv.post_events([ev(o, "return_label_created", at(48), source="shopify",
                                         package="1ZBACK1101", carrier="ups", return_id="9101")])
        self.assertEqual((st, r["accepted"]), (200, 1), r)

        # 4. the parcel moves and arrives, told by EasyPost (twice)
        def tracker(status, detail, when, msg):
            return {"object": "TrackingDetail", "message": msg, "status": status, "status_detail": detail,
                    "datetime": when, "source": "UPS", "tracking_location": {"city": "Louisville", "state": "KY",
                                                                             "country": "US"}}
        import json
        shipment = {"object": "Shipment", "id": "shp_back1101", "is_return": True, "tracker": {
            "id": "trk_back1101", "object": "Tracker", "tracking_code": "1ZBACK1101", "carrier": "UPS",
            "status": "in_transit", "tracking_details": [tracker("in_transit", "arrived_at_facility", at(40),
                                                                 "Arrived at Facility")]}}
        self.hook("easypost", json.dumps(shipment), easypost)
        self.wait(lambda: [t for t in self.tasks(order=o, state="live") if t["kind"] == "return_moving"],
                  "the warehouse's heads-up task")
        shipment["tracker"]["tracking_details"].append(tracker("delivered", "arrived_at_destination", at(30),
                                                               "Delivered"))
        for _ in range(2):
            self.hook("easypost", json.dumps(shipment), easypost)
        ordj = self.order(o)
        # the return parcel's delivery is the receipt, never the order's
        self.assertEqual(ordj["status"], "delivered")
        back = next(p for p in ordj["packages"] if p["tracking_number"] == "1ZBACK1101")
        self.assertEqual((back["status"], back["return_id"]), ("delivered", "9101"))
        self.assertEqual(self.ret(o, "9101")["state"], "received")
        self.wait(lambda: not [t for t in self.tasks(order=o, state="live") if t["kind"] == "return_moving"],
                  "the heads-up task to close")

        # 5. the warehouse inspects and restocks (the feed retried whole)
        feed = (f'{{"scan_id":"RI-1101","order":"{o}","return_id":"9101","event":"return_inspecting",'
                f'"time":"{at(20)}"}}\n'
                f'{{"scan_id":"RD-1101","order":"{o}","return_id":"9101","event":"restocked","time":"{at(19)}"}}\n')
        self.hook("scans", feed, scans)
        self.hook("scans", feed, scans)
        x = self.ret(o, "9101")
        self.assertEqual((x["state"], x["disposition"]), ("disposed", "restock"))

        # 6. the refund for the return (Shopify refunds/create, twice)
        refund = {"id": 88001, "order_id": 777001, "created_at": at(10), "processed_at": at(10),
                  "return": {"id": 9101}, "refund_line_items": [],
                  "transactions": [{"id": 1, "kind": "refund", "status": "success", "amount": "12.50",
                                    "currency": "USD"}]}
        self.shopify_hook("refunds/create", refund)
        self.shopify_hook("refunds/create", refund)
        x = self.ret(o, "9101")
        self.assertEqual((x["state"], x["resolution"], x["refund"]), ("refunded", "refunded",
                                                                      {"amount": 12.5, "currency": "USD"}))
        self.assertEqual(x["parcels"], ["1ZBACK1101"])
        self.assertIsNotNone(x["received_at"])

        # the messages: each once, in words that agree with the page
        approved = self.wait(lambda: self.mails(email, "return is approved"), "the approval email")
        received = self.wait(lambda: self.mails(email, "received your return"), "the receipt email")
        refunded = self.wait(lambda: self.mails(email, "Refund") or self.mails(email, "refund"), "the refund email")
        time.sleep(1.5)
        self.assertEqual(len(self.mails(email, "return is approved")), 1)
        self.assertEqual(len(self.mails(email, "received your return")), 1)
        self.assertEqual(len(refunded), 1)
        delivered = [m for m in self.smtp.received() if email in m["msg"]["To"]
                     and "deliver" in m["msg"]["Subject"].lower()]
        self.assertEqual(len(delivered), 1, [m["msg"]["Subject"] for m in delivered])
        text, _ = SmtpReceiver.parts(approved[0]["msg"])
        self.assertIn(INSTRUCTIONS, text)
        self.assertIn("1 x Mug", text)
        text, _ = SmtpReceiver.parts(received[0]["msg"])
        self.assertIn("9101", text)

        # the agent view tells the return; the page shows it with the outbound parcel
        st, agent = self.srv.get(f"/v1/orders/{o}?view=agent")
        self.assertEqual(st, 200)
        self.assertIn("return (9101) is complete: Refund issued", agent["answer"])
        status, _, page = self.page(o)
        self.assertEqual(status, 200)
        p = Page(page)
        self.assertTrue(p.find("section", class_="return"))
        self.assertIn("Refund issued", page)
        self.assertIn("Return received", page)  # the timeline's words for the parcel's delivery
        self.assertEqual(len(p.find("section", class_="package")), 1)  # the outbound parcel only

    # -- the returns API ----------------------------------------------------

    def test_2_api(self):
        o = "1102"
        items = [{"sku": "LAMP-1", "name": "Desk lamp", "quantity": 1}, {"sku": "BULB-2", "name": "Bulb",
                                                                         "quantity": 3}]
        st, r = self.srv.post_events([
            ev(o, "placed", at(80), source="shopify", items=items, value=90, currency="USD",
               customer={"name": "Grace Hopper", "email": "grace@example.org"}),
            ev(o, "in_transit", at(70), package="1ZOUT1102", carrier="ups"),
        ])
        self.assertEqual(st, 200, r)
        body = {"order": o, "items": [{"sku": "BULB-2", "quantity": 2}], "reason": "too_small"}
        st, r = self.srv.request("POST", "/v1/returns", body, key="agent")
        self.assertEqual((st, r["error"]["code"]), (409, "not_returnable"), r)
        self.srv.post_events([ev(o, "delivered", at(60), package="1ZOUT1102", carrier="ups")])
        for bad, code in (({**body, "reason": "meh"}, "invalid_field"),
                          ({**body, "items": [{"sku": "BULB-2", "quantity": 4}]}, "not_returnable"),
                          ({**body, "items": [{"sku": "NOPE", "quantity": 1}]}, "not_returnable"),
                          ({**body, "items": []}, "invalid_field"),
                          ({"order": "no-such-order", "items": body["items"], "reason": "too_small"}, "not_found")):
            st, r = self.srv.request("POST", "/v1/returns", bad, key="agent")
            self.assertEqual(r["error"]["code"], code, (bad, r))
        # a small change of mind approves itself under the shop's policy
        st, r = self.srv.request("POST", "/v1/returns", {**body, "id": "RT-API-1"}, key="agent")
        self.assertEqual(st, 201, r)
        self.assertEqual((r["order"], r["return"]["id"], r["return"]["state"]), (o, "RT-API-1", "approved"))
        # damage waits for a person: a task, then a decision
        st, r = self.srv.request("POST", "/v1/returns", {"order": o, "items": [{"sku": "LAMP-1"}],
                                                          "reason": "damaged"}, key="agent")
        self.assertEqual((st, r["return"]["state"]), (201, "requested"), r)
        rid = r["return"]["id"]
        self.assertTrue(re.fullmatch(r"RT-[0-9a-f]{10}", rid), rid)
        # what is in a return cannot be asked for again
        st, r = self.srv.request("POST", "/v1/returns", {"order": o, "items": [{"sku": "LAMP-1"}],
                                                          "reason": "damaged"}, key="agent")
        self.assertEqual((st, r["error"]["code"]), (409, "not_returnable"), r)
        self.wait(lambda: [t for t in self.tasks(order=o, state="live") if t["kind"] == "return_approval"
                           and t["package"] == rid], "the approval task")
        st, r = self.srv.request("POST", f"/v1/returns/{rid}/reject", {"note": "photos show wear"}, key="agent")
        self.assertEqual((st, r["return"]["state"]), (200, "rejected"), r)
        st, r = self.srv.request("POST", f"/v1/returns/{rid}/reject", None, key="agent")
        self.assertEqual((st, r["error"]["code"]), (409, "wrong_state"), r)
        st, r = self.srv.request("POST", f"/v1/returns/{rid}/approve", None, key="agent")
        self.assertEqual((st, r["return"]["state"]), (200, "approved"), r)
        st, r = self.srv.request("POST", "/v1/returns/no-such/approve", None, key="agent")
        self.assertEqual((st, r["error"]["code"]), (404, "not_found"))
        # lists and one return
        st, r = self.srv.get("/v1/returns?state=approved")
        self.assertEqual(st, 200)
        self.assertTrue({"RT-API-1", rid} <= {x["id"] for x in r["returns"]}, r)
        st, r = self.srv.get("/v1/returns?state=bogus")
        self.assertEqual((st, r["error"]["code"]), (400, "invalid_query"))
        st, r = self.srv.get(f"/v1/returns/{rid}")
        self.assertEqual((st, r["order"], r["return"]["reason"]), (200, o, "damaged"))
        # roles: a request is staff's or the store backend's; a decision staff's only
        st, _ = self.srv.request("POST", f"/v1/returns/{rid}/approve", None, key="ingest")
        self.assertEqual(st, 403)
        st, _ = self.srv.request("GET", "/v1/returns", key=None)
        self.assertEqual(st, 401)
        # the timeline keeps the decisions with who made them
        st, tl = self.srv.get(f"/v1/orders/{o}/timeline")
        words = [e for e in tl["events"] if e.get("status") == "return_rejected"]
        self.assertEqual(len(words), 1, tl)

    # -- the customer's own request on the tracking page ----------------------

    def req(self, method, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=30)
        h = {}
        if isinstance(body, dict):
            body = urllib.parse.urlencode(body)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        c.request(method, path, body=body, headers=h)
        resp = c.getresponse()
        data = resp.read().decode(errors="replace")
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
        c.close()
        return resp.status, hdrs, data

    def page(self, order):
        return self.req("GET", "/track/" + make_token(order, int(time.time()) + 3600, secret=LINK_SECRET))

    def test_3_start_a_return_on_the_page(self):
        o = "1103"
        self.srv.post_events([
            ev(o, "placed", at(80), source="shopify", value=40, currency="USD",
               items=[{"sku": "SOCK-1", "name": "Wool socks", "quantity": 2}],
               customer={"name": "Barbara Liskov", "email": "bl@example.org"}),
            ev(o, "delivered", at(30), package="1ZOUT1103", carrier="ups"),
        ])
        token = make_token(o, int(time.time()) + 3600, secret=LINK_SECRET)
        st, _, html = self.req("GET", "/track/" + token)
        self.assertEqual(st, 200)
        form = re.search(r'<form id="return-form" method="post" action="([^"]+)">', html)
        self.assertTrue(form, html)
        csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
        self.assertIn('<option value="too_small">Too small</option>', html)
        action = form.group(1)
        # no token, someone else's token, a token for another order: refused, nothing recorded
        for bad in ("", "x" + csrf[1:], ):
            st, _, body = self.req("POST", action, {"csrf": bad, "s0": "SOCK-1", "q0": "1", "reason": "too_small"})
            self.assertEqual(st, 403, body)
        self.assertEqual(self.order(o)["returns"], [])
        # more than was delivered; no reason; nothing chosen
        st, _, _ = self.req("POST", action, {"csrf": csrf, "s0": "SOCK-1", "q0": "3", "reason": "too_small"})
        self.assertEqual(st, 422)
        st, _, _ = self.req("POST", action, {"csrf": csrf, "s0": "SOCK-1", "q0": "1", "reason": ""})
        self.assertEqual(st, 422)
        st, _, _ = self.req("POST", action, {"csrf": csrf, "s0": "SOCK-1", "q0": "0", "reason": "too_small"})
        self.assertEqual(st, 422)
        self.assertEqual(self.order(o)["returns"], [])
        st, h, _ = self.req("POST", action, {"csrf": csrf, "s0": "SOCK-1", "q0": "1", "reason": "too_small"})
        self.assertEqual(st, 303)
        self.assertEqual(h["location"], "/track/" + token)
        rets = self.order(o)["returns"]
        self.assertEqual(len(rets), 1)
        self.assertEqual((rets[0]["state"], rets[0]["reason"], rets[0]["items"][0]["quantity"]),
                         ("approved", "too_small", 1))
        self.assertTrue(rets[0]["id"].startswith(o + "-R"), rets[0])
        st, _, html = self.req("GET", "/track/" + token)
        self.assertIn("Return approved", html)
        self.assertIn(INSTRUCTIONS, html)
        # one sock is left to return
        self.assertIn('max="1"', html)

    def test_4_waits_turn_into_tasks(self):
        # received three days ago and never inspected; processed and never refunded
        o1, o2 = "1104", "1105"
        self.srv.post_events([
            ev(o1, "delivered", at(200), package="1ZOUT1104", carrier="ups"),
            ev(o1, "return_requested", at(150), source="shopify", return_id="R1104",
               items=[{"sku": "A", "quantity": 1}]),
            ev(o1, "return_approved", at(149), source="shopify", return_id="R1104"),
            ev(o1, "return_received", at(72), source="scans", return_id="R1104"),
            ev(o2, "delivered", at(200), package="1ZOUT1105", carrier="ups"),
            ev(o2, "return_requested", at(150), source="shopify", return_id="R1105"),
            ev(o2, "return_disposed", at(60), source="scans", return_id="R1105", disposition="scrap"),
        ])
        t1 = self.wait(lambda: [t for t in self.tasks(order=o1, state="live") if t["kind"] == "return_not_inspected"],
                       "the inspection task")
        self.assertEqual((t1[0]["team"], t1[0]["package"]), ("warehouse", "R1104"))
        t2 = self.wait(lambda: [t for t in self.tasks(order=o2, state="live") if t["kind"] == "return_not_refunded"],
                       "the refund task")
        self.assertEqual((t2[0]["team"], t2[0]["priority"]), ("returns", "high"))
        self.assertIn("scrap", t2[0]["reason"])
        # the refund closes it
        self.srv.post_events([ev(o2, "refunded", at(1), source="shopify", return_id="R1105", detail="partial")])
        self.wait(lambda: not [t for t in self.tasks(order=o2, state="live") if t["kind"] == "return_not_refunded"],
                  "the refund task to close")

    def test_5_kpis(self):
        st, k = self.srv.get("/v1/kpis")
        self.assertEqual(st, 200)
        r = k["returns"]
        self.assertGreaterEqual(r["requested"], 4)
        self.assertIn("too_small", {x["reason"] for x in r["by_reason"]})
        self.assertIn("restock", {x["disposition"] for x in r["by_disposition"]})
        self.assertGreaterEqual(r["cycle_time"]["n"], 1)
        self.assertIsNotNone(r["cycle_time"]["p50_ms"])
        self.assertIsNotNone(r["return_rate"])

    def test_zz_rebuild_compares_identical(self):
        r = self.srv.cli("rebuild", "--verify")
        self.assertIn("projections identical", r.stdout)


if __name__ == "__main__":
    main()
