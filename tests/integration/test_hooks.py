"""Source webhooks end to end: signed payloads in each source's own format over
real HTTP, one timeline per order, duplicates and reordering, bad signatures,
unreadable bodies, unmapped codes, parked events, and the carrier poller
against a UPS-shaped API served on loopback."""
import base64
import hashlib
import hmac
import http.server
import json
import os
import socket
import tempfile
import threading
import time
import unittest
import urllib.parse

from harness import Server, free_port, main

SHOPIFY_SECRET = "shpss_test_secret"
EASYPOST_SECRET = "ep_webhook_secret"
SHIPSTATION_TOKEN = "ss-token-0123456789"
TRACKING = "1Z999AA10123456784"


def shopify_headers(body, topic, secret=SHOPIFY_SECRET):
    sig = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {"X-Shopify-Hmac-Sha256": sig, "X-Shopify-Topic": topic,
            "X-Shopify-Webhook-Id": hashlib.md5(body).hexdigest(), "Content-Type": "application/json"}


def easypost_headers(body, secret=EASYPOST_SECRET):
    sig = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hmac-Signature": "hmac-sha256-hex=" + sig, "Content-Type": "application/json"}


def shopify_order():
    return {
        "id": 450789469, "order_number": 1001, "name": "#1001", "created_at": "2026-03-02T09:00:00-05:00",
        "processed_at": "2026-03-02T09:00:05-05:00", "financial_status": "paid", "cancelled_at": None,
        "email": "ada@example.org", "phone": "+15555550100",
        "customer": {"id": 1, "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.org"},
        "shipping_address": {"first_name": "Ada", "last_name": "Lovelace", "address1": "12 Analytical Row",
                             "city": "Louisville", "province_code": "KY", "zip": "40202", "country_code": "US"},
        "line_items": [{"id": 1, "sku": "MUG-1", "name": "Mug", "title": "Mug", "quantity": 2},
                       {"id": 2, "sku": "TEE-M", "name": "Tee M", "title": "Tee", "quantity": 1}],
        "fulfillments": [],
    }


def shopify_fulfillment():
    return {
        "id": 255858046, "order_id": 450789469, "status": "success", "name": "#1001.1",
        "created_at": "2026-03-03T10:00:00-05:00", "updated_at": "2026-03-03T10:00:00-05:00",
        "tracking_company": "UPS", "tracking_number": TRACKING, "tracking_numbers": [TRACKING],
        "shipment_status": None,
        "line_items": [{"id": 1, "sku": "MUG-1", "name": "Mug", "quantity": 2},
                       {"id": 2, "sku": "TEE-M", "name": "Tee M", "quantity": 1}],
    }


def shipstation_shipment():
    return {
        "shipmentId": 7001, "orderId": 9001, "orderKey": "k", "orderNumber": "1001",
        "createDate": "2026-03-03T07:10:00.0000000", "shipDate": "2026-03-03",
        "trackingNumber": TRACKING, "carrierCode": "ups", "serviceCode": "ups_ground", "voided": False,
        "voidDate": None, "isReturnLabel": False,
        "shipmentItems": [{"sku": "MUG-1", "name": "Mug", "quantity": 2},
                          {"sku": "TEE-M", "name": "Tee M", "quantity": 1}],
    }


def easypost_event(details, status, eid="evt_1"):
    return {
        "object": "Event", "id": eid, "description": "tracker.updated", "mode": "test",
        "result": {
            "object": "Tracker", "id": "trk_abc123", "tracking_code": TRACKING, "carrier": "UPS",
            "status": status, "status_detail": None, "est_delivery_date": "2026-03-06T00:00:00Z",
            "tracking_details": details,
        },
    }


def ep_detail(at, status, detail, city="Louisville", msg="scan"):
    return {"object": "TrackingDetail", "datetime": at, "status": status, "status_detail": detail,
            "message": msg, "description": msg, "source": "UPS",
            "tracking_location": {"object": "TrackingLocation", "city": city, "state": "KY",
                                  "country": "US", "zip": None}}


class Hooks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="wismo-hooks-")
        cfg = os.path.join(cls.tmp, "wismo.ini")
        with open(cfg, "w") as f:
            f.write(f"[source shopify]\nsecret = {SHOPIFY_SECRET}\n"
                    f"[source shipstation]\nsecret = {SHIPSTATION_TOKEN}\n"
                    "[source easypost]\nkind = aggregator\n")
        os.environ["WISMO_SOURCE_EASYPOST_SECRET"] = EASYPOST_SECRET
        cls.s = Server(tmp=cls.tmp, config=cfg).start()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def hook(self, source, payload, headers, query=""):
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return self.s.request("POST", f"/hooks/{source}{query}", raw=raw, key=None, headers=headers)

    def shopify(self, payload, topic, secret=SHOPIFY_SECRET):
        raw = json.dumps(payload).encode()
        return self.hook("shopify", raw, shopify_headers(raw, topic, secret))

    def easypost(self, payload):
        raw = json.dumps(payload).encode()
        return self.hook("easypost", raw, easypost_headers(raw))

    def shipstation(self, payload):
        return self.hook("shipstation", payload, {"Content-Type": "application/json"},
                         "?token=" + SHIPSTATION_TOKEN)

    def order(self, number):
        st, body = self.s.get(f"/v1/orders/{number}")
        self.assertEqual(st, 200, body)
        return body

    def test_1_one_timeline_follows_the_carrier(self):
        st, body = self.shopify(shopify_order(), "orders/create")
        self.assertEqual(st, 200, body)
        self.assertGreaterEqual(body["accepted"], 2)
        st, body = self.shopify(shopify_fulfillment(), "fulfillments/create")
        self.assertEqual(st, 200, body)
        o = self.order("1001")
        pkg = o["packages"][0]
        self.assertEqual(pkg["tracking_number"], TRACKING)
        # the store's "fulfilled" is a label, never shipped
        self.assertEqual(pkg["status"], "label_created")
        self.assertNotIn(o["status"], ("shipped", "partially_shipped"))
        self.assertEqual(o["customer_view"]["step_name"], "preparing")
        st, body = self.shipstation(shipstation_shipment())
        self.assertEqual(st, 200, body)
        o = self.order("1001")
        self.assertEqual(o["status"], "ready_to_ship")
        st, body = self.easypost(easypost_event(
            [ep_detail("2026-03-03T18:00:00Z", "in_transit", "arrived_at_facility"),
             ep_detail("2026-03-05T08:00:00Z", "out_for_delivery", "out_for_delivery")], "out_for_delivery"))
        self.assertEqual(st, 200, body)
        o = self.order("1001")
        self.assertEqual(o["packages"][0]["status"], "out_for_delivery")
        self.assertEqual(o["status"], "out_for_delivery")
        # the order name and the tracking number reach the same order
        self.assertEqual(self.order("%231001")["order"], "1001")
        self.assertEqual(self.order(TRACKING)["order"], "1001")
        st, tl = self.s.get("/v1/orders/1001/timeline")
        self.assertEqual(st, 200)
        sources = {e["source"] for e in tl["events"]}
        self.assertEqual(sources, {"shopify", "shipstation", "easypost"})

    def test_2_repeats_and_reordering_change_nothing(self):
        before = self.order("1001")
        for payload, topic in ((shopify_order(), "orders/create"), (shopify_fulfillment(), "fulfillments/create"),
                               (shopify_order(), "orders/updated")):
            st, body = self.shopify(payload, topic)
            self.assertEqual(st, 200, body)
            self.assertEqual(body["accepted"], 0, body)
        st, body = self.shipstation(shipstation_shipment())
        self.assertEqual((st, body["accepted"]), (200, 0), body)
        # the same tracker update with its details newest first
        st, body = self.easypost(easypost_event(
            [ep_detail("2026-03-05T08:00:00Z", "out_for_delivery", "out_for_delivery"),
             ep_detail("2026-03-03T18:00:00Z", "in_transit", "arrived_at_facility")], "out_for_delivery", "evt_2"))
        self.assertEqual((st, body["accepted"]), (200, 0), body)
        after = self.order("1001")
        for k in ("status", "packages", "flags", "items"):
            self.assertEqual(before[k], after[k], k)
        # delivered, then an older scan arrives late: delivered stands
        st, _ = self.easypost(easypost_event(
            [ep_detail("2026-03-05T15:00:00Z", "delivered", "arrived_at_destination")], "delivered", "evt_3"))
        self.assertEqual(st, 200)
        st, _ = self.easypost(easypost_event(
            [ep_detail("2026-03-04T02:00:00Z", "in_transit", "departed_facility", city="Memphis")],
            "in_transit", "evt_4"))
        self.assertEqual(st, 200)
        self.assertEqual(self.order("1001")["status"], "delivered")

    def count_events(self):
        st, m = self.s.request("GET", "/metrics", key=None)
        return sum(int(l.rsplit(" ", 1)[1]) for l in m.splitlines()
                   if l.startswith("wismo_events_total{") and 'outcome="rejected"' not in l), m

    def test_3_bad_signatures_store_nothing(self):
        n0, _ = self.count_events()
        o0 = self.order("1001")
        bad = shopify_order()
        bad["order_number"] = 1002
        st, body = self.shopify(bad, "orders/create", secret="wrong")
        self.assertEqual((st, body["error"]["code"]), (401, "invalid_signature"))
        raw = json.dumps(bad).encode()
        st, body = self.hook("shopify", raw, {"X-Shopify-Topic": "orders/create"})
        self.assertEqual((st, body["error"]["code"]), (401, "invalid_signature"))
        st, body = self.hook("shipstation", shipstation_shipment(), {}, "?token=nope")
        self.assertEqual(st, 401)
        st, body = self.hook("woocommerce", b"{}", {})  # no secret configured
        self.assertEqual((st, body["error"]["code"]), (401, "unauthorized"))
        st, body = self.hook("ups", b"{}", {})
        self.assertEqual((st, body["error"]["code"]), (404, "unknown_source"))
        st, _ = self.s.get("/v1/orders/1002")
        self.assertEqual(st, 404)
        n1, m = self.count_events()
        self.assertEqual(n0, n1)
        self.assertEqual(o0["events"], self.order("1001")["events"])
        self.assertIn('wismo_hook_deliveries_total{source="shopify",outcome="unauthorized"} 2', m)

    def test_4_unreadable_body_is_kept_as_rejected(self):
        raw = b'{"id": 1, "order_number": '
        st, body = self.hook("shopify", raw, shopify_headers(raw, "orders/create"))
        self.assertEqual((st, body["error"]["code"]), (422, "unreadable_payload"), body)
        st, rej = self.s.get("/v1/rejected?source=shopify", key="admin")
        self.assertEqual(st, 200)
        self.assertEqual(rej["rejected"][0]["source"], "shopify")
        self.assertTrue(rej["rejected"][0]["raw_id"] > 0)
        st, _ = self.s.get("/v1/rejected")  # agent may not
        self.assertEqual(st, 403)
        _, m = self.count_events()
        self.assertIn('wismo_hook_deliveries_total{source="shopify",outcome="rejected"} 1', m)

    def test_5_unknown_code_is_unknown_and_queued(self):
        st, body = self.easypost(easypost_event(
            [ep_detail("2026-03-05T16:00:00Z", "mystery_status", "teleported")], "mystery_status", "evt_5"))
        self.assertEqual(st, 200, body)
        self.assertEqual(body["events"][0]["status"], "unknown")
        st, u = self.s.get("/v1/unmapped")
        self.assertEqual(st, 200)
        codes = [r["code"] for r in u["unmapped"] if r["source"] == "easypost"]
        self.assertTrue(any("mystery_status" in c for c in codes), u)
        self.assertEqual(self.order("1001")["status"], "delivered")

    def test_6_updates_before_their_order_are_parked(self):
        tn = "1Z999AA10123456799"
        st, body = self.easypost({**easypost_event(
            [ep_detail("2026-03-10T12:00:00Z", "in_transit", "arrived_at_facility")], "in_transit", "evt_6"),
        })
        # that tracker is for TRACKING; make one for a number no order has named yet
        ev = easypost_event([ep_detail("2026-03-10T12:00:00Z", "in_transit", "arrived_at_facility")],
                            "in_transit", "evt_7")
        ev["result"]["tracking_code"] = tn
        ev["result"]["id"] = "trk_new"
        st, body = self.easypost(ev)
        self.assertEqual((st, body["parked"]), (200, 1), body)
        order = shopify_order()
        order.update(id=450789470, order_number=1003, name="#1003")
        self.assertEqual(self.shopify(order, "orders/create")[0], 200)
        ful = shopify_fulfillment()
        ful.update(id=255858047, order_id=450789470, tracking_number=tn, tracking_numbers=[tn], name="#1003.1")
        self.assertEqual(self.shopify(ful, "fulfillments/create")[0], 200)
        o = self.order("1003")
        self.assertEqual(o["packages"][0]["status"], "in_transit")
        self.assertEqual(o["status"], "shipped")


class Cli(unittest.TestCase):
    def test_parse_prints_one_event_per_line(self):
        tmp = tempfile.mkdtemp(prefix="wismo-parse-")
        path = os.path.join(tmp, "order.json")
        with open(path, "w") as f:
            json.dump(shopify_order(), f)
        s = Server(tmp=tmp)
        r = s.cli("parse", "--source", "shopify", path, "--header", "X-Shopify-Topic: orders/create")
        lines = [json.loads(l) for l in r.stdout.splitlines()]
        self.assertEqual([e["status"] for e in lines], ["placed", "confirmed"])
        self.assertTrue(all(e["order"] == "1001" and e["source"] == "shopify" for e in lines))
        self.assertEqual(lines[0]["customer"], {"name": "Ada", "email": "ada@example.org",
                                                "phone": "+15555550100", "postal_code": "40202"})
        with open(path, "w") as f:
            f.write('{"order_number": ')
        r = s.cli("parse", "--source", "shopify", path, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("invalid", r.stderr)
        r = s.cli("parse", "--source", "nosuch", path, check=False)
        self.assertEqual(r.returncode, 2)

    def test_check_reports_sources(self):
        tmp = tempfile.mkdtemp(prefix="wismo-check-")
        cfg = os.path.join(tmp, "wismo.ini")
        with open(cfg, "w") as f:
            f.write("[source shopify]\nsecret = x\n[source fedex]\nkind = carrier\n")
        s = Server(tmp=tmp, config=cfg)
        r = s.cli("check", check=False)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("source shopify: shopify adapter, ok", r.stdout)
        self.assertIn("source fedex: no api_base", r.stdout)
        self.assertNotIn("x\n", r.stdout.replace("fedex", ""))
        with open(cfg, "w") as f:
            f.write("[source shopify]\nsecret = x\n[adapters]\noverrides = " + tmp + "\n")
        with open(os.path.join(tmp, "ups.tsv"), "w") as f:
            f.write("I/OR\tshipped\n")
        r = s.cli("check", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("'shipped' is not a status word", r.stderr)


class ShipStationApi(http.server.BaseHTTPRequestHandler):
    """ShipStation's V1 API, as much as SHIP_NOTIFY needs: GET /shipments with basic auth.
    A batchId names the shipment it lists (order 60xx for batch xx); `delay` seconds pass before
    each answer (a slow API)."""
    requests = []
    delay = 0.0

    def log_message(self, *a):
        pass

    def do_GET(self):
        ShipStationApi.requests.append((self.path, self.headers.get("Authorization", ""), time.time()))
        time.sleep(ShipStationApi.delay)
        want = "Basic " + base64.b64encode(b"ss-key:ss-secret").decode()
        if self.headers.get("Authorization") != want:
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        batch = int(q.get("batchId", ["1"])[0])
        ship = shipstation_shipment()
        ship.update(shipmentId=7100 + batch, orderNumber=str(6000 + batch),
                    trackingNumber=f"1Z999AA101234568{batch:02d}")
        data = json.dumps({"shipments": [ship], "total": 1, "page": 1, "pages": 1}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class ShipNotify(unittest.TestCase):
    def setUp(self):
        ShipStationApi.requests = []
        ShipStationApi.delay = 0.0
        self.api = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ShipStationApi)
        threading.Thread(target=self.api.serve_forever, daemon=True).start()
        self.tmp = tempfile.mkdtemp(prefix="wismo-ssn-")
        self.cfg = os.path.join(self.tmp, "wismo.ini")
        self.configure("ss-secret")
        self.s = Server(tmp=self.tmp, config=self.cfg).start()

    def tearDown(self):
        self.s.stop()
        self.api.shutdown()
        self.api.server_close()

    def configure(self, api_secret):
        with open(self.cfg, "w") as f:
            f.write(f"[source shipstation]\nsecret = {SHIPSTATION_TOKEN}\n"
                    f"api_base = http://127.0.0.1:{self.api.server_address[1]}\n"
                    f"api_key = ss-key\napi_secret = {api_secret}\n")

    def notify(self, batch):
        # the host in resource_url is ShipStation's; wismo asks the configured api_base
        note = {"resource_url": f"https://ssapi.shipstation.com/shipments?storeID=1&batchId={batch}",
                "resource_type": "SHIP_NOTIFY"}
        return self.s.request("POST", "/hooks/shipstation?token=" + SHIPSTATION_TOKEN,
                              raw=json.dumps(note).encode(), key=None)

    def wait_for(self, what, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            v = what()
            if v:
                return v
            time.sleep(0.1)
        self.fail("timed out waiting: " + what.__doc__)

    def order(self, number):
        """the order is stored"""
        st, o = self.s.get(f"/v1/orders/{number}")
        return o if st == 200 else None

    def jobs(self):
        return self.s.sql("SELECT state, attempts, next_at, last_error FROM fetch_jobs")

    def test_resource_url_is_fetched_from_the_configured_api(self):
        st, body = self.notify(42)
        self.assertEqual((st, body["fetch"], body["events"]), (200, "queued", []), body)
        o = self.wait_for(lambda: self.order(6042))
        self.assertEqual(o["status"], "ready_to_ship")
        self.assertEqual(o["packages"][0]["tracking_number"], "1Z999AA10123456842")
        self.assertEqual(ShipStationApi.requests[0][0].split("?")[0], "/shipments")
        self.assertIn("batchId=42", ShipStationApi.requests[0][0])
        self.wait_for(lambda: self.jobs() == [] or None)  # done: the job is gone
        # the fetched page is kept as the events' raw payload (a replay needs no second fetch)
        st, view = self.s.get("/v1/orders/6042?view=agent")
        self.assertEqual(st, 200, view)
        st, raw = self.s.get(f"/v1/raw/{view['timeline'][0]['raw_id']}", key="admin")
        self.assertEqual(st, 200, raw)
        self.assertEqual(raw["shipments"][0]["orderNumber"], "6042")

    def test_refused_fetch_is_acknowledged_counted_retried_then_rejected(self):
        # the API refusing the credentials: the delivery is acknowledged (it is stored), the failure
        # is counted and visible, and the fetch is retried with backoff
        self.s.stop()
        self.configure("wrong")
        self.s.start()
        st, body = self.notify(43)
        self.assertEqual((st, body["fetch"]), (200, "queued"), body)

        def failure_counted():
            """a fetch failure in the failures queue"""
            st, q = self.s.get("/v1/queues/failures")
            return [i for i in q["items"] if i["kind"] == "fetch"] if st == 200 else None
        items = failure_counted() or self.wait_for(failure_counted)
        self.assertEqual((items[0]["source"], items[0]["count"]), ("shipstation", 1))
        ((state, attempts, next_at, error),) = self.jobs()
        self.assertEqual((state, attempts), ("pending", 1))
        self.assertIn("HTTP 401", error)
        self.assertAlmostEqual(next_at / 1000 - time.time(), 300, delta=30)  # 5 min
        self.assertIsNone(self.order(6043))
        # five minutes later, with the credentials fixed: the retry applies the events
        self.s.stop()
        self.s.sql("UPDATE fetch_jobs SET next_at = 0", write=True)
        self.configure("ss-secret")
        self.s.start()
        o = self.wait_for(lambda: self.order(6043))
        self.assertEqual(o["status"], "ready_to_ship")
        self.wait_for(lambda: self.jobs() == [] or None)
        # the last allowed attempt failing: given up, the body is in the rejected list
        self.s.stop()
        self.configure("wrong")
        self.s.start()
        st, body = self.notify(44)
        self.assertEqual(st, 200, body)
        self.wait_for(lambda: self.jobs() and self.jobs()[0][1] == 1 or None)
        self.s.stop()
        self.s.sql("UPDATE fetch_jobs SET next_at = 0, attempts = 7", write=True)
        self.s.start()
        self.wait_for(lambda: self.jobs()[0][0] == "failed" or None)
        st, rj = self.s.get("/v1/rejected?source=shipstation", key="admin")
        self.assertEqual(st, 200, rj)
        self.assertEqual(len(rj["rejected"]), 1, rj)
        self.assertIn("gave up after 8 failed fetches", rj["rejected"][0]["reason"])
        st, raw = self.s.get(f"/v1/raw/{rj['rejected'][0]['raw_id']}", key="admin")
        self.assertIn("batchId=44", raw if isinstance(raw, str) else json.dumps(raw))
        self.assertIsNone(self.order(6044))

    def test_12_7_slow_fetches_do_not_hold_request_threads(self):
        ShipStationApi.delay = 3.0
        t0 = time.time()
        answers = []
        for batch in (51, 52):
            st, body = self.notify(batch)
            answers.append((st, body.get("fetch"), time.time() - t0))
        self.assertEqual([a[:2] for a in answers], [(200, "queued")] * 2)
        self.assertLess(answers[-1][2], 2.0, "the deliveries waited for the slow API")
        # while the API is still answering, every request thread is free
        self.wait_for(lambda: ShipStationApi.requests or None)
        for _ in range(5):
            h0 = time.time()
            st, _ = self.s.get("/healthz", key=None)
            self.assertEqual(st, 200)
            self.assertLess(time.time() - h0, 0.2, "/healthz waited")
            time.sleep(0.1)
        self.assertIsNone(self.order(6051))  # not before the API has answered
        # the events arrive once the slow API answers
        for n in (6051, 6052):
            o = self.wait_for(lambda: self.order(n), timeout=30)
            self.assertEqual(o["status"], "ready_to_ship")
        self.assertGreaterEqual(time.time() - t0, 3.0 * 2)


class UpsApi(http.server.BaseHTTPRequestHandler):
    """A UPS-shaped tracking API: an OAuth token endpoint and track details."""
    requests = []

    def log_message(self, *a):
        pass

    def reply(self, code, obj):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        self.rfile.read(n)
        UpsApi.requests.append(("POST", self.path, self.headers.get("Authorization", "")))
        if self.path == "/security/v1/oauth/token":
            self.reply(200, {"access_token": "tok-123", "token_type": "Bearer", "expires_in": "14399"})
        else:
            self.reply(404, {})

    def do_GET(self):
        UpsApi.requests.append(("GET", self.path, self.headers.get("Authorization", "")))
        if self.headers.get("Authorization") != "Bearer tok-123":
            self.reply(401, {"response": {"errors": [{"code": "250002", "message": "Invalid token"}]}})
            return
        tn = urllib.parse.unquote(self.path.split("/details/")[1].split("?")[0])
        act = [
            {"location": {"address": {"city": "LOUISVILLE", "stateProvince": "KY", "countryCode": "US"}},
             "status": {"type": "I", "code": "OR", "description": "Origin Scan"},
             "date": "20260311", "time": "093000"},
            {"location": {"address": {"city": "LOUISVILLE", "stateProvince": "KY", "countryCode": "US"}},
             "status": {"type": "D", "code": "KB", "description": "DELIVERED"},
             "date": "20260312", "time": "141500"},
        ]
        self.reply(200, {"trackResponse": {"shipment": [{"package": [
            {"trackingNumber": tn, "activity": act}]}]}})


class Poller(unittest.TestCase):
    def test_carrier_is_polled_and_its_answer_applied(self):
        api = http.server.ThreadingHTTPServer(("127.0.0.1", 0), UpsApi)
        threading.Thread(target=api.serve_forever, daemon=True).start()
        tmp = tempfile.mkdtemp(prefix="wismo-poll-")
        cfg = os.path.join(tmp, "wismo.ini")
        with open(cfg, "w") as f:
            f.write(f"[source ups]\napi_base = http://127.0.0.1:{api.server_address[1]}\n"
                    "api_key = client-id\napi_secret = client-secret\nrate_per_minute = 600\n")
        s = Server(tmp=tmp, config=cfg).start()
        try:
            tn = "1Z999AA10123456800"
            st, _ = s.post_events([
                {"source": "shipstation", "id": "l1", "order": "5001", "package": tn, "carrier": "ups",
                 "status": "label_created", "occurred_at": "2026-03-10T12:00:00Z"}])
            self.assertEqual(st, 200)
            deadline = time.time() + 20
            o = None
            while time.time() < deadline:
                _, o = s.get("/v1/orders/5001")
                if o["status"] == "delivered":
                    break
                time.sleep(0.2)
            self.assertEqual(o["status"], "delivered", o)
            # 14:15 in Louisville (EDT, UTC-4) on 2026-03-12
            self.assertEqual(o["packages"][0]["delivered_at"], "2026-03-12T18:15:00Z")
            gets = [r for r in UpsApi.requests if r[0] == "GET"]
            self.assertEqual(gets[0][2], "Bearer tok-123")
            self.assertIn(f"/api/track/v1/details/{tn}", gets[0][1])
            # delivered is final: no more asks about it
            n = len(gets)
            time.sleep(2.5)
            self.assertEqual(len([r for r in UpsApi.requests if r[0] == "GET"]), n)
        finally:
            s.stop()
            api.shutdown()


if __name__ == "__main__":
    main()
