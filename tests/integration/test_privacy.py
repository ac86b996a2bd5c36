"""Personal data end to end (docs/privacy.md): one raw payload per distinct
body, the retention purge running in the server, erasure through the API,
the CLI and Shopify's privacy webhooks, the export, and that the log still
rebuilds identically afterwards."""
import base64
import hashlib
import hmac
import json
import os
import socket
import sys
import time
import unittest
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, ev, main  # noqa: E402

SHOPIFY_SECRET = "shpss_privacy_secret"
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def ago(hours):
    return (NOW - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def shopify_headers(body, topic):
    sig = base64.b64encode(hmac.new(SHOPIFY_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return {"X-Shopify-Hmac-Sha256": sig, "X-Shopify-Topic": topic, "Content-Type": "application/json"}


def shopify_order(oid, number, email, phone, last="Lovelace", street="12 Analytical Row"):
    return {
        "id": oid, "order_number": number, "name": f"#{number}", "created_at": ago(5),
        "processed_at": ago(5), "financial_status": "paid", "cancelled_at": None,
        "email": email, "phone": phone,
        "customer": {"id": oid + 500000, "first_name": "Ada", "last_name": last, "email": email},
        "shipping_address": {"first_name": "Ada", "last_name": last, "address1": street,
                             "city": "Louisville", "province_code": "KY", "zip": "40202", "country_code": "US"},
        "line_items": [{"id": 1, "sku": "MUG-1", "name": "Mug", "title": "Mug", "quantity": 2}],
        "fulfillments": [],
    }


class Privacy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server()
        dead = closed_port()
        cls.srv.config = os.path.join(cls.srv.tmp, "wismo.ini")
        with open(cls.srv.config, "w") as f:
            f.write(f"""
[source shopify]
secret = {SHOPIFY_SECRET}

[smtp]
url = smtp://127.0.0.1:{dead}
from = shop@example.com

[outbox]
max_attempts = 1

[retention]
raw_days = 2
interval = 1
""")
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def shopify(self, payload, topic):
        raw = json.dumps(payload).encode()
        return self.srv.request("POST", "/hooks/shopify", raw=raw, key=None, headers=shopify_headers(raw, topic))

    def every_text(self):
        """Every text and blob cell of every table, for "is it gone" checks."""
        out = []
        for t in self.srv.tables():
            for row in self.srv.sql(f'SELECT * FROM "{t}"'):
                for v in row:
                    if isinstance(v, bytes):
                        v = v.decode(errors="replace")
                    if isinstance(v, str):
                        out.append((t, v))
        return out

    def assert_absent(self, needles, where):
        for t, v in where:
            for n in needles:
                self.assertNotIn(n.lower(), v.lower(), f"table {t} still holds {n!r}: {v[:200]}")

    def rebuild_verify(self):
        r = self.srv.cli("rebuild", "--verify")
        self.assertIn("projections identical", r.stdout)

    def test_12_5_replayed_webhook_keeps_one_raw_payload(self):
        body = shopify_order(7700001, 7701, "replay@example.org", "+15555550111")
        for _ in range(20):
            st, out = self.shopify(body, "orders/create")
            self.assertEqual(st, 200, out)
        rows = self.srv.sql(f"SELECT count(*) FROM raw_payloads WHERE {self.srv.BODY_TEXT} LIKE '%7700001%'")[0][0]
        ids = {r[0] for r in self.srv.sql("SELECT DISTINCT raw_id FROM events WHERE order_no = '7701'")}
        self.assertEqual(rows, 1)
        self.assertEqual(len(ids), 1)

    def test_projection_keeps_no_street_nor_surname(self):
        st, out = self.shopify(shopify_order(7700002, 7702, "street@example.org", "+15555550112"),
                               "orders/create")
        self.assertEqual(st, 200, out)
        st, order = self.srv.get("/v1/orders/%237702")
        self.assertEqual(st, 200, order)
        text = json.dumps(order)
        self.assertEqual(order["customer"], {"first_name": "Ada"})
        self.assertNotIn("Analytical", text)
        self.assertNotIn("Lovelace", text)

    def test_retention_purges_old_raw_payloads_and_events_still_rebuild(self):
        old = int((time.time() - 3 * 86400) * 1000)
        # ids are the highest plus one, as the writer counts them (PostgreSQL's
        # identity sequence is not used: docs/scale-out.md)
        rid = self.srv.sql("INSERT INTO raw_payloads(id, source, content_type, received_at, body, digest)"
                           " SELECT coalesce(max(id), 0) + 1, 'shopify', 'application/json', ?, ?, 'old-1'"
                           " FROM raw_payloads RETURNING id",
                           (old, b'{"address1":"1 Old St"}'), write=True)[0][0]
        st, _ = self.srv.request("GET", f"/v1/raw/{rid}")
        deadline = time.time() + 10
        while st == 200 and time.time() < deadline:
            time.sleep(0.2)
            st, _ = self.srv.request("GET", f"/v1/raw/{rid}")
        self.assertEqual(st, 404)
        # a young one stays
        st, out = self.shopify(shopify_order(7700003, 7703, "young@example.org", "+15555550113"),
                               "orders/create")
        self.assertEqual(st, 200, out)
        time.sleep(1.5)
        n = self.srv.sql(f"SELECT count(*) FROM raw_payloads WHERE {self.srv.BODY_TEXT} LIKE '%7700003%'")[0][0]
        self.assertEqual(n, 1)
        self.rebuild_verify()

    def test_erasure_by_email_api_export_outbox_raw_rebuild(self):
        email, phone, order = "grace@example.net", "+15551239876", "E-2001"
        customer = {"name": "Grace Hopper", "email": email, "phone": phone, "postal_code": "10115"}
        st, out = self.srv.post_events([ev(order, "placed", ago(3), source="shop", customer=customer),
                                        ev(order, "in_transit", ago(2), package="1ZERASE0001", carrier="ups")])
        self.assertEqual(st, 200, out)
        st, out = self.srv.request("POST", "/v1/consent", {"phone": phone, "sms": False}, key="ingest")
        self.assertEqual(st, 200, out)
        st, tl = self.srv.get(f"/v1/orders/{order}?view=agent")
        raw_ids = {e["raw_id"] for e in tl["timeline"] if e.get("raw_id")}
        self.assertTrue(raw_ids, tl)
        deadline = time.time() + 10
        rows = []
        while not rows and time.time() < deadline:
            st, ob = self.srv.request("GET", f"/v1/outbox?order={order}")
            rows = ob["messages"]
            time.sleep(0.1)
        self.assertTrue(any(m["recipient"] == email for m in rows), ob)
        status = self.srv.get(f"/v1/orders/{order}")[1]["status"]

        # the export first: what wismo holds about her
        st, x = self.srv.request("POST", "/v1/exports", {"email": email.upper()})
        self.assertEqual(st, 200, x)
        self.assertEqual([o["order"] for o in x["orders"]], [order])
        self.assertEqual(x["customers"], [{"order": order, "name": "Grace Hopper", "email": email,
                                           "phone": phone, "postal_code": "10115"}])
        self.assertIn(email, json.dumps(x))
        self.assertEqual(x["consent"][0]["phone"], phone)
        st, _ = self.srv.request("POST", "/v1/exports", {"email": email}, key="agent")
        self.assertEqual(st, 403)
        st, bad = self.srv.request("POST", "/v1/erasures", {"email": email, "phone": phone})
        self.assertEqual((st, bad["error"]["code"]), (422, "invalid_field"))

        st, res = self.srv.request("POST", "/v1/erasures", {"email": email})
        self.assertEqual(st, 200, res)
        self.assertEqual(res["orders"], [order])
        self.assertGreaterEqual(res["consent"], 1)

        needles = [email, phone, "Grace", "Hopper"]
        st, o = self.srv.get(f"/v1/orders/{order}")
        self.assertEqual(st, 200)
        self.assert_absent(needles, [("api", json.dumps(o))])
        self.assertEqual(o["status"], status)  # the facts stay
        for rid in raw_ids:
            st, _ = self.srv.request("GET", f"/v1/raw/{rid}")
            self.assertEqual(st, 404)
        st, ob = self.srv.request("GET", f"/v1/outbox?order={order}")
        self.assert_absent(needles, [("outbox", json.dumps(ob))])
        st, audit = self.srv.request("GET", "/v1/audit")
        self.assertIn("privacy.erase", json.dumps(audit))
        self.assert_absent(needles, [("audit", json.dumps(audit))])
        st, x = self.srv.request("POST", "/v1/exports", {"email": email})
        self.assertEqual(x["orders"], [])
        self.assert_absent(needles, self.every_text())
        self.rebuild_verify()
        self.assert_absent(needles, self.every_text())

    def test_erasure_by_cli_order(self):
        customer = {"name": "Edsger Dijkstra", "email": "edsger@example.net", "phone": "+15550007777"}
        st, out = self.srv.post_events([ev("E-3001", "placed", ago(3), source="shop", customer=customer)])
        self.assertEqual(st, 200, out)
        r = self.srv.cli("erase", "--order", "E-3001", "--export")
        self.assertIn("edsger@example.net", r.stdout)
        json.loads(r.stdout)
        r = self.srv.cli("erase", "--order", "E-3001")
        self.assertIn("erased 1 orders: E-3001", r.stdout)
        self.assert_absent(["edsger@example.net", "Dijkstra", "+15550007777"], self.every_text())
        r = self.srv.cli("erase", "--email", "x@example.net", "--phone", "+1555", check=False)
        self.assertEqual(r.returncode, 2)
        self.rebuild_verify()

    def test_shopify_privacy_webhooks(self):
        email, phone = "lin@example.org", "+15555550199"
        st, out = self.shopify(shopify_order(7700010, 7710, email, phone, "Linnaeus", "7 Privacy Lane"),
                               "orders/create")
        self.assertEqual(st, 200, out)
        st, out = self.shopify({"shop_id": 1, "shop_domain": "s.myshopify.com", "orders_requested": [7700010],
                                "customer": {"id": 7700011, "email": email, "phone": phone},
                                "data_request": {"id": 9999}}, "customers/data_request")
        self.assertEqual((st, out.get("privacy")), (200, "data_request"), out)
        st, audit = self.srv.request("GET", "/v1/audit")
        entry = [a for a in audit["entries"] if a["action"] == "privacy.data_request"][0]
        self.assertEqual(entry["subject"], "request 9999")
        self.assertEqual(entry["detail"]["orders"], ["7710"])
        self.assertNotIn(email, json.dumps(entry))

        st, out = self.shopify({"shop_id": 1, "shop_domain": "s.myshopify.com",
                                "customer": {"id": 7700011, "email": email, "phone": phone},
                                "orders_to_redact": [7700010]}, "customers/redact")
        self.assertEqual((st, out.get("privacy")), (200, "erase"), out)
        self.assertGreaterEqual(out["orders"], 1)
        self.assert_absent([email, phone, "Linnaeus", "Privacy Lane"], self.every_text())
        # a privacy request's body is not kept either
        n = self.srv.sql(f"SELECT count(*) FROM raw_payloads WHERE {self.srv.BODY_TEXT} LIKE '%orders_to_redact%'"
                         )[0][0]
        self.assertEqual(n, 0)
        # unsigned: refused like any webhook
        st, _ = self.srv.request("POST", "/hooks/shopify", raw=b'{"shop_id":1}', key=None,
                                 headers={"X-Shopify-Topic": "shop/redact"})
        self.assertEqual(st, 401)
        self.rebuild_verify()


if __name__ == "__main__":
    main()
