"""Integration tests: bad input at the entries (issue 12, defects 1, 2, 3, 4, 14, 15), one test named after
each defect, against the real server over HTTP."""
import base64
import datetime
import hashlib
import hmac
import json
import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, ev, main  # noqa: E402

SHOPIFY_SECRET = "shpss_hardening_input_secret"
NOW = datetime.datetime.now(datetime.timezone.utc)


def iso(delta_hours):
    return (NOW + datetime.timedelta(hours=delta_hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def shopify_headers(body, topic):
    sig = base64.b64encode(hmac.new(SHOPIFY_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return {"X-Shopify-Hmac-Sha256": sig, "X-Shopify-Topic": topic, "Content-Type": "application/json"}


class Input(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="wismo-input-")
        cfg = os.path.join(cls.tmp, "wismo.ini")
        with open(cfg, "w") as f:
            f.write(f"[source shopify]\nsecret = {SHOPIFY_SECRET}\n")
        cls.s = Server(tmp=cls.tmp, config=cfg).start()

    @classmethod
    def tearDownClass(cls):
        assert cls.s.stop() == 0

    def post_raw(self, raw, ctype="application/json"):
        return self.s.request("POST", "/v1/events", raw=raw, key="ingest", headers={"Content-Type": ctype})

    def test_12_1_trailing_json_refused(self):
        one = json.dumps({"events": [ev("TJ1", "placed", iso(-2), source="shopify")]})
        two = json.dumps({"events": [ev("TJ2", "placed", iso(-2), source="shopify")]})
        st, body = self.post_raw((one + two).encode())
        self.assertEqual((st, body["error"]["code"]), (400, "malformed_json"), body)
        st, body = self.post_raw((one + " x").encode())
        self.assertEqual(st, 400, body)
        # nothing of either batch was stored
        self.assertEqual(self.s.get("/v1/orders/TJ1")[0], 404)
        self.assertEqual(self.s.get("/v1/orders/TJ2")[0], 404)
        # whitespace after the value is fine
        st, body = self.post_raw((one + " \n\t").encode())
        self.assertEqual(st, 200, body)
        # a webhook body too: text after its value is refused (422, kept in the rejected list)
        raw = json.dumps({"id": 9911, "order_number": "TJ3", "email": "tj3@example.org",
                          "created_at": iso(-3), "line_items": []}).encode() + b' {"id": 9912}'
        st, body = self.s.request("POST", "/hooks/shopify", raw=raw, key=None,
                                  headers=shopify_headers(raw, "orders/create"))
        self.assertEqual((st, body["error"]["code"]), (422, "unreadable_payload"), body)
        self.assertEqual(self.s.get("/v1/orders/TJ3")[0], 404)
        # every JSON body the API reads: rules, consent, signed links
        for method, path in (("PUT", "/v1/rules/r12"), ("POST", "/v1/consent"), ("POST", "/v1/track-links"),
                             ("POST", "/v1/erasures"), ("POST", "/v1/exports")):
            st, body = self.s.request(method, path, raw=b'{"a": 1} {"b": 2}', key="admin")
            self.assertEqual((st, body["error"]["code"]), (400, "malformed_json"), path)
            st, body = self.s.request(method, path, raw=b'{"a": "\xff"}', key="admin")
            self.assertEqual((st, body["error"]["code"]), (400, "invalid_text"), path)

    def test_12_2_invalid_utf8_refused_everywhere(self):
        good = json.dumps({"events": [ev("U1", "placed", iso(-2), source="shopify",
                                         customer={"first_name": "Zoë", "email": "u1@example.org"})]},
                          ensure_ascii=False)
        # a stray byte, an overlong '/', a UTF-16 surrogate, a cut sequence, past U+10FFFF
        for bad in (b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"\xf4\x90\x80\x80"):
            raw = good.encode().replace("Zoë".encode(), b"Zo" + bad)
            self.assertNotEqual(raw, good.encode())
            st, body = self.post_raw(raw)
            self.assertEqual((st, body["error"]["code"]), (400, "invalid_text"), (bad, body))
        self.assertEqual(self.s.get("/v1/orders/U1")[0], 404)
        # valid UTF-8 goes in, and every page stays valid JSON
        st, body = self.post_raw(good.encode())
        self.assertEqual(st, 200, body)
        st, page = self.s.get("/v1/orders?limit=100")
        self.assertEqual(st, 200)
        # a webhook with invalid UTF-8: 422, kept in the rejected list, nothing applied
        raw = json.dumps({"id": 9901, "name": "#U2", "email": "u2@example.org",
                          "created_at": iso(-3), "line_items": []}).encode().replace(b"u2@", b"u\xff2@")
        st, body = self.s.request("POST", "/hooks/shopify", raw=raw, key=None,
                                  headers=shopify_headers(raw, "orders/create"))
        self.assertEqual((st, body["error"]["code"]), (422, "unreadable_payload"), body)
        self.assertIn("UTF-8", body["error"]["message"])
        st, rej = self.s.get("/v1/rejected?source=shopify", key="admin")
        self.assertEqual(st, 200)
        self.assertTrue(any("UTF-8" in r["reason"] for r in rej["rejected"]), rej)

    def test_12_3_nul_in_strings_refused(self):
        raw = json.dumps({"events": [ev("NUL1", "placed", iso(-2), source="shopify", id="shop\u0000ify")]})
        self.assertIn("\\u0000", raw)
        st, body = self.post_raw(raw.encode())
        self.assertEqual((st, body["error"]["code"]), (400, "invalid_text"), body)
        self.assertIn("NUL", body["error"]["message"])
        self.assertEqual(self.s.get("/v1/orders/NUL1")[0], 404)
        # an escaped backslash before "u0000" is text, not a NUL
        raw = json.dumps({"events": [ev("NUL2", "placed", iso(-2), source="shopify", id="a\\u0000b")]})
        st, body = self.post_raw(raw.encode())
        self.assertEqual(st, 200, body)

    def test_12_4_rejected_event_not_kept_in_raw_payloads(self):
        good = ev("RJ1", "placed", iso(-2), source="shopify", customer={"first_name": "Ann"})
        bad = ev("RJ2", "no_such_status", iso(-2), source="shopify",
                 customer={"first_name": "Secretia", "email": "secretia@example.org", "phone": "+15550001111"})
        st, body = self.s.post_events([good, bad])
        self.assertEqual(st, 200, body)
        self.assertEqual([r["outcome"] for r in body["results"]], ["accepted", "rejected"])
        st, agent = self.s.get("/v1/orders/RJ1?view=agent", key="admin")
        raw_id = agent["timeline"][0]["raw_id"]
        st, raw = self.s.request("GET", f"/v1/raw/{raw_id}", key="admin")
        self.assertEqual(st, 200)
        text = json.dumps(raw)
        self.assertIn("RJ1", text)
        for personal in ("RJ2", "Secretia", "secretia@example.org", "+15550001111"):
            self.assertNotIn(personal, text)

    def test_12_14_content_type_is_a_media_type(self):
        batch = json.dumps({"events": [ev("CT1", "placed", iso(-2), source="shopify")]}).encode()
        for ctype in ("APPLICATION/JSON", "application/json; charset=UTF-8", "Application/Json ;charset=utf-8"):
            st, body = self.post_raw(batch, ctype)
            self.assertEqual(st, 200, (ctype, body))
        for ctype in ("application/jsonx", "text/json-ish", "application/x-json", "multipart/json"):
            st, body = self.post_raw(batch, ctype)
            self.assertEqual((st, body["error"]["code"]), (415, "unsupported_media_type"), ctype)

    def test_12_15_event_far_in_the_future_cannot_pin_a_status(self):
        pkg = "1ZFUTURE0001"
        st, body = self.s.post_events([ev("FT1", "in_transit", iso(-5), package=pkg),
                                       ev("FT1", "delivered", "9999-01-01T00:00:00Z", package=pkg)])
        self.assertEqual(st, 200, body)
        self.assertEqual([r["outcome"] for r in body["results"]], ["accepted", "rejected"])
        self.assertEqual(body["results"][1]["error"]["code"], "future_time")
        st, body = self.s.post_events([ev("FT1", "delivered", iso(-1), package=pkg)])
        self.assertEqual(st, 200, body)
        st, o = self.s.get("/v1/orders/FT1")
        self.assertEqual(o["packages"][0]["status"], "delivered")
        # within the skew (an hour ahead: a carrier clock a little fast) the event is taken
        st, body = self.s.post_events([ev("FT2", "in_transit", iso(1), package="1ZFUTURE0002")])
        self.assertEqual([r["outcome"] for r in body["results"]], ["accepted"])


class Retention(unittest.TestCase):
    """Defect 5 and [retention] raw_days: one raw payload per distinct body, purged after its days, the
    events still rebuild."""

    def test_12_5_replays_keep_one_raw_payload_and_old_ones_are_purged(self):
        tmp = tempfile.mkdtemp(prefix="wismo-retention-")
        cfg = os.path.join(tmp, "wismo.ini")
        with open(cfg, "w") as f:
            f.write(f"[source shopify]\nsecret = {SHOPIFY_SECRET}\n[retention]\nraw_days = 30\n")
        s = Server(tmp=tmp, config=cfg).start()
        try:
            raw = json.dumps({"id": 9912, "order_number": "R5", "name": "#R5", "email": "r5@example.org", "created_at": iso(-3),
                              "customer": {"first_name": "Rita", "last_name": "Raw"},
                              "shipping_address": {"address1": "1 Raw Street", "zip": "10115", "city": "Berlin",
                                                   "country_code": "DE"},
                              "line_items": []}).encode()
            for _ in range(20):
                st, body = s.request("POST", "/hooks/shopify", raw=raw, key=None,
                                     headers=shopify_headers(raw, "orders/create"))
                self.assertEqual(st, 200, body)
            st, body = s.post_events([ev("R6", "placed", iso(-2), source="shopify")])
            self.assertEqual(st, 200, body)
        finally:
            self.assertEqual(s.stop(), 0)
        body = s.BODY_TEXT
        self.assertEqual(s.sql("SELECT count(*) FROM raw_payloads WHERE source = 'shopify'"
                               f" AND {body} LIKE '%Raw Street%'")[0][0], 1)
        # 40 days (3456000000 ms) pass for the webhook's body; the batch's body is recent
        s.sql(f"UPDATE raw_payloads SET received_at = received_at - 3456000000 WHERE {body} LIKE '%R5%'",
              write=True)
        s.start()
        try:
            deadline = time.time() + 10
            while time.time() < deadline:
                left = s.sql(f"SELECT count(*) FROM raw_payloads WHERE {body} LIKE '%Raw Street%'")[0][0]
                kept = s.sql(f"SELECT count(*) FROM raw_payloads WHERE {body} LIKE '%R6%'")[0][0]
                if left == 0:
                    break
                time.sleep(0.1)
            self.assertEqual((left, kept), (0, 1))
            st, agent = s.get("/v1/orders/R5?view=agent", key="admin")
            self.assertEqual(st, 200, agent)
            raw_id = agent["timeline"][0]["raw_id"]
            self.assertEqual(s.request("GET", f"/v1/raw/{raw_id}", key="admin")[0], 404)
        finally:
            self.assertEqual(s.stop(), 0)
        # the log still rebuilds every projection byte for byte
        r = s.cli("rebuild", "--verify")
        self.assertIn("identical", r.stdout)


if __name__ == "__main__":
    main()
