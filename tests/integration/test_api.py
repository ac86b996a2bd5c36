"""Integration tests: the real server over HTTP (ingest, reads, limits, auth)."""
import os
import signal
import subprocess
import sys
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, ev, main  # noqa: E402

T = "2026-03-0{}T{:02d}:00:00Z"


def t(day, hour):
    return T.format(day, hour)


class Api(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server().start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.s.stop()
        assert rc == 0, f"server exit code {rc}"

    def order(self, num):
        st, body = self.s.get(f"/v1/orders/{num}")
        self.assertEqual(st, 200, body)
        return body

    def test_same_batch_twice_is_stored_once(self):
        batch = [ev("A100", "placed", t(1, 8), source="shopify", id="o-1",
                    customer={"name": "Ada Lovelace", "email": "ada@example.com"}),
                 ev("A100", "label_created", t(1, 9), source="shipstation", package="1ZA100"),
                 ev("A100", "in_transit", t(1, 12), package="1ZA100")]
        st, r = self.s.post_events(batch)
        self.assertEqual(st, 200, r)
        self.assertEqual((r["accepted"], r["duplicates"], r["rejected"]), (3, 0, 0))
        st, r2 = self.s.post_events(batch)
        self.assertEqual(st, 200, r2)
        self.assertEqual((r2["accepted"], r2["duplicates"], r2["rejected"]), (0, 3, 0))
        self.assertEqual([x["outcome"] for x in r2["results"]], ["duplicate"] * 3)
        self.assertEqual([x["key"] for x in r["results"]], [x["key"] for x in r2["results"]])
        tl = self.s.get("/v1/orders/A100/timeline")[1]
        self.assertEqual(len([e for e in tl["events"] if e["outcome"] != "duplicate"]), 3)
        dups = [e for e in tl["events"] if e["outcome"] == "duplicate"]
        self.assertEqual(len(dups), 3)
        self.assertTrue(all(d["count"] == 1 for d in dups))
        o = self.order("A100")
        self.assertEqual(o["status"], "shipped")
        self.assertEqual(o["customer"], {"first_name": "Ada"})
        self.assertNotIn("ada@example.com", str(o))

    def test_reverse_order_gives_same_status(self):
        def events(num):
            return [ev(num, "placed", t(2, 8), source="shopify"),
                    ev(num, "label_created", t(2, 9), source="shipstation", package="P" + num),
                    ev(num, "in_transit", t(2, 12), package="P" + num),
                    ev(num, "out_for_delivery", t(3, 8), package="P" + num),
                    ev(num, "delivery_attempted", t(3, 15), package="P" + num, detail="recipient_unavailable"),
                    ev(num, "out_for_delivery", t(4, 8), package="P" + num)]
        fwd, rev = events("R1"), events("R2")[::-1]
        for e in fwd:
            self.assertEqual(self.s.post_events([e])[0], 200)
        for e in rev:
            self.assertEqual(self.s.post_events([e])[0], 200)
        a, b = self.order("R1"), self.order("R2")
        self.assertEqual(a["status"], "out_for_delivery")
        self.assertEqual(b["status"], a["status"])
        self.assertEqual(a["packages"][0]["status"], b["packages"][0]["status"])
        tl = self.s.get("/v1/orders/R2/timeline")[1]["events"]
        times = [e["occurred_at"] for e in tl]
        self.assertEqual(times, sorted(times))

    def test_label_only_is_ready_to_ship(self):
        st, r = self.s.post_events([ev("L1", "placed", t(1, 8), source="shopify"),
                                    ev("L1", "label_created", t(1, 9), source="shipstation", package="LBL1")])
        self.assertEqual(st, 200, r)
        o = self.order("L1")
        self.assertEqual(o["status"], "ready_to_ship")
        self.assertNotEqual(o["customer_view"]["label"], "Shipped")

    def test_split_shipment_partially_delivered(self):
        st, r = self.s.post_events([ev("S1", "placed", t(1, 8), source="shopify"),
                                    ev("S1", "in_transit", t(1, 12), package="S1-A"),
                                    ev("S1", "delivered", t(2, 12), package="S1-A"),
                                    ev("S1", "in_transit", t(2, 9), source="fedex", package="S1-B")])
        self.assertEqual(st, 200, r)
        o = self.order("S1")
        self.assertEqual(o["status"], "partially_delivered")
        self.assertEqual({p["tracking_number"]: p["status"] for p in o["packages"]},
                         {"S1-A": "delivered", "S1-B": "in_transit"})
        # lookup by tracking number reaches the same order
        self.assertEqual(self.order("S1-B")["order"], "S1")

    def test_claim_conflict(self):
        self.s.post_events([ev("C1", "in_transit", t(1, 12), package="C1P"),
                            ev("C1", "delivered", t(1, 14), source="scans", package="C1P")])
        o = self.order("C1")
        self.assertEqual(o["packages"][0]["status"], "in_transit")
        self.assertIn("conflict", o["flags"])
        self.assertEqual(len(o["conflicts"]), 1)
        tl = self.s.get("/v1/orders/C1/timeline")[1]["events"]
        self.assertEqual([e["outcome"] for e in tl], ["applied", "claim"])

    def assert_unchanged(self, fn):
        before = self.s.cli("rebuild", "--verify").stdout
        m0 = self.s.request("GET", "/metrics", key=None)[1]
        fn()
        st, orders = self.s.get("/v1/orders?limit=1000")
        self.assertEqual(st, 200)
        self.assertFalse([o for o in orders["orders"] if o["order"].startswith("BAD")], orders)
        return before, m0

    def test_bad_input_changes_nothing(self):
        cases = [
            ("malformed", dict(raw=b'{"events":[{"source":'), 400, "malformed_json"),
            ("not a batch", dict(body={"event": []}), 400, "invalid_body"),
            ("empty", dict(body={"events": []}), 400, "invalid_body"),
            ("unknown status", dict(body={"events": [ev("BAD1", "teleported", t(1, 1))]}), 422, "unknown_status"),
            ("missing source", dict(body={"events": [{"order": "BAD2", "status": "placed", "occurred_at": t(1, 1)}]}),
             422, "missing_field"),
            ("no offset", dict(body={"events": [ev("BAD3", "placed", "2026-03-01T10:00:00", source="shopify")]}),
             422, "time_without_offset"),
            ("package needed", dict(body={"events": [ev("BAD4", "in_transit", t(1, 1))]}), 422, "package_required"),
            ("too deep", dict(raw=b'{"events":' + b"[" * 100 + b"]" * 100 + b"}"), 400, "too_deep"),
            ("too many", dict(body={"events": [ev("BAD5", "placed", t(1, 1), source="shopify")] * 1001}),
             413, "too_many_events"),
            ("bad key", dict(body={"events": [ev("BAD6", "placed", t(1, 1), source="shopify")]},
                             key="wsm_" + "x" * 43), 401, "unauthorized"),
            ("no key", dict(body={"events": [ev("BAD7", "placed", t(1, 1), source="shopify")]}, key=None),
             401, "unauthorized"),
            ("agent cannot ingest", dict(body={"events": [ev("BAD8", "placed", t(1, 1), source="shopify")]},
                                         key="agent"), 403, "forbidden"),
        ]
        for name, kw, status, code in cases:
            with self.subTest(name):
                key = kw.pop("key", "ingest")
                st, r = self.s.request("POST", "/v1/events", key=key, **kw)
                self.assertEqual(st, status, r)
                self.assertEqual(r["error"]["code"], code, r)
                self.assertIsInstance(r["error"]["message"], str)
        st, orders = self.s.get("/v1/orders?limit=1000")
        self.assertFalse([o for o in orders["orders"] if o["order"].startswith("BAD")])
        for num in ("BAD1", "BAD2", "BAD3", "BAD4", "BAD5", "BAD6", "BAD7", "BAD8"):
            self.assertEqual(self.s.get(f"/v1/orders/{num}/timeline")[0], 404)
        metrics = self.s.request("GET", "/metrics", key=None)[1]
        self.assertIn('wismo_events_total{source="unknown",outcome="rejected"}', metrics)

    def raw_exchange(self, head, body_chunks=()):
        import socket
        c = socket.create_connection(("127.0.0.1", self.s.port), timeout=10)
        try:
            c.sendall(head)
            for chunk in body_chunks:
                c.sendall(chunk)
        except OSError:
            pass  # the server may answer and close before the whole body is sent
        data = b""
        while True:
            part = c.recv(65536)
            if not part:
                break
            data += part
        c.close()
        return data.decode(errors="replace")

    def test_oversized_body(self):
        key = self.s.keys["ingest"]
        # a body over the limit is read, dropped and refused
        st, r = self.s.request("POST", "/v1/events", key="ingest", raw=b'{"events":[' + b" " * (2 << 20) + b"]}")
        self.assertEqual((st, r["error"]["code"]), (413, "body_too_large"))
        # declared far too large (over 64 MiB): refused before the body is read
        head = (f"POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {100 << 20}\r\n\r\n").encode()
        reply = self.raw_exchange(head)
        self.assertTrue(reply.startswith("HTTP/1.1 413"), reply[:200])
        self.assertIn('"body_too_large"', reply)
        # chunked and too large: read to its end, dropped, refused
        head = (f"POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
                f"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                f"Connection: close\r\n\r\n").encode()
        chunk = b" " * 65536
        chunks = [b"%x\r\n" % len(chunk) + chunk + b"\r\n"] * 24 + [b"0\r\n\r\n"]
        reply = self.raw_exchange(head, chunks)
        self.assertTrue(reply.startswith("HTTP/1.1 413"), reply[:200])

    def test_partial_batch(self):
        st, r = self.s.post_events([ev("P1", "placed", t(1, 8), source="shopify"),
                                    ev("P1", "bogus", t(1, 9), source="shopify")])
        self.assertEqual(st, 200, r)
        self.assertEqual((r["accepted"], r["rejected"]), (1, 1))
        self.assertEqual(r["results"][1]["error"]["code"], "unknown_status")
        tl = self.s.get("/v1/orders/P1/timeline")[1]["events"]
        self.assertEqual(len(tl), 1)

    def test_source_bound_key(self):
        key = self.s.make_key("ingest", source="ups")
        st, r = self.s.request("POST", "/v1/events", {"events": [
            ev("K1", "in_transit", t(1, 9), package="K1P"),
            ev("K1", "placed", t(1, 8), source="shopify")]}, key=key)
        self.assertEqual(st, 200, r)
        self.assertEqual([x["outcome"] for x in r["results"]], ["accepted", "rejected"])
        self.assertEqual(r["results"][1]["error"]["code"], "source_not_allowed")

    def test_list_pagination(self):
        batch = [ev(f"LP{i:03d}", "placed", t(1, 8), source="shopify") for i in range(25)]
        self.assertEqual(self.s.post_events(batch)[0], 200)
        seen, cursor = [], None
        for _ in range(50):
            q = "/v1/orders?status=placed&limit=7" + (f"&cursor={cursor}" if cursor else "")
            st, page = self.s.get(q)
            self.assertEqual(st, 200, page)
            seen += [o["order"] for o in page["orders"]]
            self.assertTrue(all(o["status"] == "placed" for o in page["orders"]))
            cursor = page["next_cursor"]
            if not cursor:
                break
        lp = [x for x in seen if x.startswith("LP")]
        self.assertEqual(sorted(lp), [f"LP{i:03d}" for i in range(25)])
        self.assertEqual(len(seen), len(set(seen)))
        self.assertEqual(self.s.get("/v1/orders?cursor=garbage")[0], 400)
        self.assertEqual(self.s.get("/v1/orders?status=nope")[0], 400)
        self.assertEqual(self.s.get("/v1/orders?limit=0")[0], 400)

    def test_reads(self):
        self.assertEqual(self.s.get("/v1/orders/NOPE")[0], 404)
        self.assertEqual(self.s.get("/v1/orders/NOPE", key=None)[0], 401)
        self.assertEqual(self.s.get("/v1/orders/NOPE", key="ingest")[0], 403)
        st, r = self.s.request("DELETE", "/v1/orders/X")
        self.assertEqual(st, 405)
        self.assertEqual(self.s.get("/nowhere")[0], 404)
        self.assertEqual(self.s.get("/readyz", key=None)[0], 200)
        st, m = self.s.request("GET", "/metrics", key=None)
        self.assertEqual(st, 200)
        for name in ("wismo_http_requests_total", "wismo_events_total", "wismo_writer_queue_events",
                     "wismo_commit_batch_events_bucket", "wismo_commit_latency_ms_count"):
            self.assertIn(name, m)
        # the dashboard's queues as gauges, equal to GET /v1/queues (docs/operations.md)
        st, q = self.s.get("/v1/queues")
        self.assertEqual(st, 200, q)
        for name in ("conflicts", "unmapped", "rejected", "quiet", "failures"):
            self.assertIn(f'wismo_queue_items{{queue="{name}"}} {q[name]}\n', m)

    def test_keep_alive(self):
        # libmicrohttpd closes the connection when a reply is queued too early
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", self.s.port, timeout=10)
        for _ in range(3):
            c.request("GET", "/healthz")
            r = c.getresponse()
            r.read()
            self.assertEqual(r.status, 200)
            self.assertNotEqual((r.getheader("Connection") or "").lower(), "close")
        c.close()

    def test_cli_order_prints_timeline(self):
        self.s.post_events([ev("CLI1", "placed", t(1, 8), source="shopify")])
        out = self.s.cli("order", "CLI1").stdout
        self.assertIn("order CLI1: placed", out)
        self.assertIn("shopify", out)


class Shutdown(unittest.TestCase):
    def test_sigterm_commits_and_exits_zero(self):
        s = Server().start()
        self.assertEqual(s.post_events([ev("T1", "placed", t(1, 8), source="shopify")])[0], 200)
        self.assertEqual(s.stop(signal.SIGTERM), 0)
        out = s.cli("order", "T1").stdout
        self.assertIn("order T1: placed", out)
        r = s.cli("rebuild", "--verify")
        self.assertIn("identical", r.stdout)


if __name__ == "__main__":
    main()
