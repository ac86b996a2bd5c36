"""KPIs, the agent view, search, queues and live streams against the real
server: a hand-built scenario whose expected numbers are computed here,
step by step, from the definitions in docs/kpis.md; the agent's answer for a
shipped, a delayed and a split order; Server-Sent Events that arrive within
a second of the event that caused them."""
import base64
import datetime
import hashlib
import hmac
import http.client
import json
import math
import os
import queue
import threading
import tempfile
import time
import unittest

from harness import Server, main

SHOPIFY_SECRET = "shpss_kpi_secret"
H = 3600 * 1000
DAY = 24 * H
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


def iso(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse(ts):
    return int(datetime.datetime.strptime(ts.replace("Z", "+0000"),
               "%Y-%m-%dT%H:%M:%S.%f%z" if "." in ts else "%Y-%m-%dT%H:%M:%S%z").timestamp() * 1000)


def day_word(t, now):
    """The answer's words for a day (core/answer.h): today, a weekday within six days, else a date."""
    d, n = t // DAY, now // DAY
    date = datetime.datetime.fromtimestamp(t / 1000, datetime.timezone.utc)
    if d == n:
        return "today"
    if abs(d - n) <= 6:
        return "on " + WEEKDAYS[date.weekday()]
    year = datetime.datetime.fromtimestamp(now / 1000, datetime.timezone.utc).year
    return f"on {date.day} {MONTHS[date.month - 1]}" + ("" if date.year == year else f" {date.year}")


def nearest_rank(values, p):
    """p-th percentile by nearest rank, as docs/kpis.md defines it."""
    v = sorted(values)
    return v[max(1, math.ceil(p / 100 * len(v))) - 1]


def ev(order, status, at, source="ups", **kw):
    e = {"source": source, "order": order, "status": status, "occurred_at": iso(at)}
    e.update(kw)
    return e


class SSE:
    """A minimal Server-Sent Events reader over http.client."""

    def __init__(self, port, path, key):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self.conn.request("GET", path, headers={"Authorization": "Bearer " + key, "Accept": "text/event-stream"})
        self.resp = self.conn.getresponse()
        self.buf = b""
        self.chunks = queue.Queue()
        if self.resp.status == 200:
            # a blocking reader thread: http.client cannot read on after a socket timeout
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            while True:
                chunk = self.resp.read1(4096)  # de-chunks the body
                self.chunks.put(chunk)
                if not chunk:
                    return
        except Exception:  # closed under the reader by close(): the end of this stream
            self.chunks.put(b"")

    def event(self, timeout):
        """The next event as (name, data) within timeout seconds, or None; comments are skipped."""
        deadline = time.time() + timeout
        while True:
            while b"\n\n" in self.buf:
                block, self.buf = self.buf.split(b"\n\n", 1)
                name, data = None, []
                for line in block.decode().split("\n"):
                    if line.startswith("event: "):
                        name = line[7:]
                    elif line.startswith("data: "):
                        data.append(line[6:])
                if name:
                    return name, "\n".join(data)
            left = deadline - time.time()
            if left <= 0:
                return None
            try:
                chunk = self.chunks.get(timeout=left)
            except queue.Empty:
                return None
            if not chunk:
                return None  # the server ended the stream
            self.buf += chunk

    def close(self):
        try:
            self.conn.sock and self.conn.sock.shutdown(2)
        except OSError:
            pass
        self.conn.close()


class Kpis(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="wismo-kpis-")
        cfg = os.path.join(cls.tmp, "wismo.ini")
        with open(cfg, "w") as f:
            f.write(f"[source shopify]\nsecret = {SHOPIFY_SECRET}\n[kpis]\nquiet_hours = 24\n")
        cls.s = Server(tmp=cls.tmp, config=cfg).start()
        cls.now = int(time.time() * 1000)

    @classmethod
    def tearDownClass(cls):
        rc = cls.s.stop()
        assert rc == 0, rc

    def post(self, events):
        st, body = self.s.post_events(events)
        self.assertEqual(st, 200, body)
        return body

    def agent(self, order):
        st, body = self.s.get(f"/v1/orders/{order}?view=agent")
        self.assertEqual(st, 200, body)
        return body

    # ---- the agent view ----

    def test_agent_answer_shipped(self):
        n = self.now
        self.post([ev("S1", "placed", n - 3 * DAY, source="shopify", customer={"email": "s1@example.com"}),
                   ev("S1", "in_transit", n - 2 * DAY, package="1ZS1", carrier="ups",
                      estimated_delivery=iso(n + 2 * DAY))])
        a = self.agent("S1")
        self.assertEqual(a["answer"], f"Your order shipped with UPS {day_word(n - 2 * DAY, n)} and is expected "
                                      f"{day_word(n + 2 * DAY, n)}.")
        self.assertEqual(a["order"]["order"], "S1")
        self.assertEqual([e["status"] for e in a["timeline"]], ["placed", "in_transit"])
        self.assertEqual(a["timeline"][1]["outcome"], "applied")
        self.assertTrue(a["timeline"][1]["decisive"])
        self.assertFalse(a["timeline"][1]["conflict"])
        self.assertGreater(a["timeline"][0]["raw_id"], 0)  # the stored request body
        self.assertEqual(a["open_conflicts"], 0)
        # by tracking number and by "#" + number too
        self.assertEqual(self.agent("1ZS1")["order"]["order"], "S1")
        self.assertEqual(self.agent("%23S1")["order"]["order"], "S1")

    def test_agent_answer_delayed(self):
        n = self.now
        promised = n + DAY + 7 * 60 * 1000  # a time, not a bare date
        self.post([ev("S2", "placed", n - 3 * DAY, source="shopify", promised_by=iso(promised)),
                   ev("S2", "in_transit", n - 2 * DAY, package="1ZS2", carrier="ups",
                      estimated_delivery=iso(n + 3 * DAY))])
        a = self.agent("S2")
        self.assertEqual(a["answer"], f"Your order shipped with UPS {day_word(n - 2 * DAY, n)} but is running late: "
                                      f"it is now expected {day_word(n + 3 * DAY, n)} instead of "
                                      f"{day_word(promised, n)[3:]}.")

    def test_agent_answer_split(self):
        n = self.now
        self.post([ev("S3", "placed", n - 4 * DAY, source="shopify"),
                   ev("S3", "in_transit", n - 3 * DAY, package="1ZS3A", carrier="ups"),
                   ev("S3", "delivered", n - 2 * DAY, package="1ZS3A", carrier="ups"),
                   ev("S3", "in_transit", n - 3 * DAY, package="1ZS3B", carrier="ups"),
                   ev("S3", "delivered", n - 2 * DAY + H, package="1ZS3B", carrier="ups"),
                   ev("S3", "in_transit", n - DAY, package="JJD0S3C", carrier="dhl",
                      estimated_delivery=iso(n + 2 * DAY))])
        a = self.agent("S3")
        self.assertEqual(a["answer"], "2 of 3 parcels of your order have been delivered. The remaining parcel "
                                      f"shipped with DHL {day_word(n - DAY, n)} and is expected "
                                      f"{day_word(n + 2 * DAY, n)}.")
        self.assertEqual(a["order"]["status"], "partially_delivered")

    def test_agent_view_errors(self):
        st, body = self.s.get("/v1/orders/NOPE?view=agent")
        self.assertEqual(st, 404, body)
        st, body = self.s.get("/v1/orders/S1?view=nonsense")
        self.assertEqual((st, body["error"]["code"]), (400, "invalid_query"))
        st, _ = self.s.get("/v1/orders/S1?view=agent", key=None)
        self.assertEqual(st, 401)
        st, _ = self.s.get("/v1/orders/S1?view=agent", key="ingest")
        self.assertEqual(st, 403)

    # ---- KPIs ----

    def wait_for(self, fn, what, timeout=5):
        deadline = time.time() + timeout
        while True:
            v = fn()
            if v or time.time() > deadline:
                self.assertTrue(v, what)
                return v
            time.sleep(0.05)

    def test_kpis_hand_built_scenario(self):
        # a server of its own: the numbers below count every order in it
        tmp = tempfile.mkdtemp(prefix="wismo-kpis2-")
        cfg = os.path.join(tmp, "wismo.ini")
        with open(cfg, "w") as f:
            f.write(f"[source shopify]\nsecret = {SHOPIFY_SECRET}\n")
        s = Server(tmp=tmp, config=cfg).start()
        try:
            self.scenario(s)
        finally:
            self.assertEqual(s.stop(), 0)

    def scenario(self, s):
        n = int(time.time() * 1000)
        placed = n - 48 * H
        orders = {  # order: (delivered at, promised by); all shipped at n - 30h
            "K1": (n - 20 * H, n - 10 * H),   # on time
            "K2": (n - 5 * H, n - 10 * H),    # late
            "K3": (n - 12 * H, n - 2 * H),    # on time
        }
        batch = []
        for o, (dl, pr) in orders.items():
            batch += [ev(o, "placed", placed, source="shopify", promised_by=iso(pr), ship_to={"country": "US"}),
                      ev(o, "in_transit", n - 30 * H, package="1Z" + o, carrier="ups"),
                      ev(o, "delivered", dl, package="1Z" + o, carrier="ups")]
        # K4: shipped 2h after it was placed, and the storefront claims a delivery the carrier has not seen
        batch += [ev("K4", "placed", n - 10 * H, source="shopify"),
                  ev("K4", "in_transit", n - 8 * H, package="1ZK4", carrier="ups"),
                  ev("K4", "delivered", n - 1 * H, source="shopify", package="1ZK4", carrier="ups")]
        st, body = s.post_events(batch)
        self.assertEqual(st, 200, body)

        # failures: a bad signature (401) and an unreadable body (422), both from shopify
        raw = b'{"id": 1}'
        st, _ = s.request("POST", "/hooks/shopify", raw=raw, key=None,
                          headers={"X-Shopify-Hmac-Sha256": "AAAA", "X-Shopify-Topic": "orders/create"})
        self.assertEqual(st, 401)
        raw = b'{"id": 1, "order_number": '
        sig = base64.b64encode(hmac.new(SHOPIFY_SECRET.encode(), raw, hashlib.sha256).digest()).decode()
        st, _ = s.request("POST", "/hooks/shopify", raw=raw, key=None,
                          headers={"X-Shopify-Hmac-Sha256": sig, "X-Shopify-Topic": "orders/create",
                                   "Content-Type": "application/json"})
        self.assertEqual(st, 422)

        q = f"/v1/kpis?from={iso(n - 3 * DAY)}&to={iso(n + H)}"

        def failures_counted():
            st, k = s.get(q)
            self.assertEqual(st, 200, k)
            return k if k["failures_total"] == 2 else None
        k = self.wait_for(failures_counted, "the 401 and the 422 are counted")

        today = datetime.datetime.fromtimestamp(time.time(), datetime.timezone.utc).strftime("%Y-%m-%d")
        self.assertEqual(sorted((f["day"], f["source"], f["kind"], f["count"]) for f in k["failures"]),
                         [(today, "shopify", "rejected", 1), (today, "shopify", "signature", 1)])
        self.assertEqual(sum(d["failures"] for d in k["series"]), 2)

        # on time: K1 and K3 of the three delivered orders with a promise
        self.assertEqual(k["on_time"], {"delivered_with_promise": 3, "on_time": 2, "rate": 0.6667,
                                        "by_carrier": [{"carrier": "ups", "delivered_with_promise": 3,
                                                        "on_time": 2, "rate": 0.6667}],
                                        "by_lane": [{"carrier": "ups", "to": "US", "delivered_with_promise": 3,
                                                     "on_time": 2, "rate": 0.6667}]})
        # no exception has opened in this server yet
        self.assertEqual((k["exceptions"]["opened"], k["exceptions"]["open_tasks"]), (0, 0))
        # agreement: four orders updated in the period, K4 with an open conflict
        self.assertEqual(k["status_agreement"], {"orders": 4, "with_open_conflict": 1, "rate": 0.75})
        # cycle time, placed -> first carrier scan: 18h, 18h, 18h and K4's 2h
        cyc = [18 * H] * 3 + [2 * H]
        self.assertEqual(k["cycle_time"], {"n": 4, "p50_ms": nearest_rank(cyc, 50), "p95_ms": nearest_rank(cyc, 95)})
        self.assertEqual(k["cycle_time"]["p50_ms"], 18 * H)
        # click to door, placed -> delivered: 28h, 43h, 36h
        c2d = [28 * H, 43 * H, 36 * H]
        self.assertEqual(k["click_to_door"], {"n": 3, "p50_ms": 36 * H, "p95_ms": 43 * H})
        self.assertEqual(k["click_to_door"]["p50_ms"], nearest_rank(c2d, 50))
        # events per source: 3 x 2 carrier events + K4's one from ups; 3 + 2 from shopify
        self.assertEqual(k["events_per_source"], [{"source": "shopify", "events": 5}, {"source": "ups", "events": 7}])
        self.assertEqual(sum(d["events"] for d in k["series"]), 12)

        # latency, from each event's own times as the agent view shows them
        c2r, r2v = {}, {}
        for o in ("K1", "K2", "K3", "K4"):
            for e in self.agent_of(s, o)["timeline"]:
                rec = parse(e["received_at"])
                if e["package"] and e["status"] in ("in_transit", "delivered"):
                    c2r.setdefault(e["source"], []).append(rec - parse(e["occurred_at"]))
                self.assertIsNotNone(e["visible_at"])
                r2v.setdefault(e["source"], []).append(parse(e["visible_at"]) - rec)
        want = [{"key": src, "n": len(v), "p50_ms": nearest_rank(v, 50), "p95_ms": nearest_rank(v, 95)}
                for src, v in sorted(c2r.items())]
        self.assertEqual(k["latency"]["carrier_to_received"], want)
        # the deliveries were 5h..20h ago, the scans 30h: p50 and p95 of ups are real ages
        ups = next(g for g in k["latency"]["carrier_to_received"] if g["key"] == "ups")
        self.assertEqual(ups["n"], 7)
        self.assertTrue(20 * H <= ups["p50_ms"] < 20 * H + 60000, ups)
        self.assertTrue(30 * H <= ups["p95_ms"] < 30 * H + 60000, ups)
        want = [{"key": src, "n": len(v), "p50_ms": nearest_rank(v, 50), "p95_ms": nearest_rank(v, 95)}
                for src, v in sorted(r2v.items())]
        self.assertEqual(k["latency"]["received_to_visible"], want)
        self.assertTrue(all(0 <= g["p95_ms"] < 5000 for g in want), want)

        # by carrier: every event names ups except the storefront's order events ("unknown")
        st, kc = s.get(q + "&group_by=carrier")
        self.assertEqual(st, 200)
        self.assertEqual([g["key"] for g in kc["latency"]["carrier_to_received"]], ["ups"])
        self.assertEqual(kc["latency"]["carrier_to_received"][0]["n"], 8)

        # queues: K4 is in conflict; the failures and the rejected body are listed
        st, qc = s.get("/v1/queues")
        self.assertEqual(st, 200)
        self.assertEqual((qc["conflicts"], qc["rejected"], qc["failures"]), (1, 1, 2))
        st, qq = s.get("/v1/queues/conflicts")
        self.assertEqual([i["order"] for i in qq["items"]], ["K4"])
        self.assertEqual(qq["items"][0]["conflicts"][0]["claim"]["source"], "shopify")
        st, _ = s.get("/v1/queues/rejected")  # raw payload ids: admins only
        self.assertEqual(st, 403)
        st, qr = s.get("/v1/queues/rejected", key="admin")
        self.assertEqual((st, qr["count"], qr["items"][0]["source"]), (200, 1, "shopify"))
        st, qf = s.get("/v1/queues/failures")
        self.assertEqual((st, qf["count"]), (200, 2))
        st, _ = s.get("/v1/queues/nope")
        self.assertEqual(st, 404)

        # a period with nothing in it
        st, k0 = s.get(f"/v1/kpis?from={iso(n - 40 * DAY)}&to={iso(n - 35 * DAY)}")
        self.assertEqual(st, 200)
        self.assertEqual((k0["on_time"]["rate"], k0["status_agreement"]["rate"], k0["cycle_time"]["p50_ms"]),
                         (None, None, None))
        self.assertEqual(len(k0["series"]), 6)

    def agent_of(self, s, order):
        st, body = s.get(f"/v1/orders/{order}?view=agent")
        self.assertEqual(st, 200, body)
        return body

    def test_kpis_input(self):
        for q in ("from=yesterday", "to=2024-13-01", "group_by=country", "from=2024-03-05&to=2024-03-01",
                  "from=2020-01-01&to=2024-01-01"):
            st, body = self.s.get("/v1/kpis?" + q)
            self.assertEqual((st, body["error"]["code"]), (400, "invalid_query"), q)
        st, body = self.s.get("/v1/kpis?from=2024-03-01&to=2024-03-03")
        self.assertEqual(st, 200, body)
        self.assertEqual([d["day"] for d in body["series"]], ["2024-03-01", "2024-03-02", "2024-03-03"])
        self.assertEqual((body["from"], body["to"]), ("2024-03-01T00:00:00Z", "2024-03-04T00:00:00Z"))
        st, body = self.s.get("/v1/kpis")  # the last 30 days
        self.assertEqual(st, 200)
        self.assertEqual(len(body["series"]), 31)
        self.assertEqual(self.s.get("/v1/kpis", key=None)[0], 401)
        self.assertEqual(self.s.get("/v1/kpis", key="ingest")[0], 403)
        self.assertEqual(self.s.get("/v1/kpis", key="admin")[0], 200)

    # ---- search ----

    def test_search(self):
        n = self.now
        self.post([ev("Q1", "placed", n - DAY, source="shopify", customer={"email": "Grace@Example.com"}),
                   ev("Q1", "in_transit", n - H, package="1ZQ1", carrier="ups"),
                   ev("Q2", "placed", n - DAY, source="shopify", customer={"email": "grace@example.com"})])
        for q, want in (("Q1", [("Q1", "order")]), ("%23Q1", [("Q1", "order")]), ("1ZQ1", [("Q1", "tracking")]),
                        ("GRACE%40example.COM", [("Q2", "email"), ("Q1", "email")]), ("nothing", [])):
            st, body = self.s.get("/v1/search?q=" + q)
            self.assertEqual(st, 200, body)
            got = [(r["order"], r["matched"]) for r in body["results"]]
            self.assertEqual(sorted(got), sorted(want), q)
        st, body = self.s.get("/v1/search?q=Q1")
        self.assertEqual(body["results"][0]["status"], "shipped")
        self.assertEqual(self.s.get("/v1/search")[0], 400)
        self.assertEqual(self.s.get("/v1/search?q=Q1", key=None)[0], 401)

    # ---- live streams ----

    def test_streams(self):
        n = self.now
        k = self.s.keys["agent"]
        dash = SSE(self.s.port, "/v1/stream/dashboard", k)
        self.post([ev("L1", "placed", n - DAY, source="shopify")])
        # the change is published after the answer: wait for it before the
        # order's stream opens, so that stream starts with nothing pending
        deadline = time.time() + 10
        seen = None
        while time.time() < deadline and not seen:
            got = dash.event(0.5)
            seen = got and json.loads(got[1]).get("order") == "L1"
        self.assertTrue(seen, "the dashboard never heard of L1")
        order = SSE(self.s.port, "/v1/stream/orders/L1", k)
        try:
            self.assertEqual(order.resp.status, 200)
            self.assertTrue(order.resp.getheader("Content-Type").startswith("text/event-stream"))
            self.assertEqual(order.resp.getheader("Cache-Control"), "no-store")
            self.assertIsNone(order.event(0.3))  # nothing happened yet
            t0 = time.time()
            self.post([ev("L1", "in_transit", n - H, package="1ZL1", carrier="ups")])
            got = order.event(1.0)
            self.assertIsNotNone(got, "no update within one second")
            self.assertLess(time.time() - t0, 1.0)
            name, data = got
            self.assertEqual(name, "update")
            d = json.loads(data)
            self.assertEqual((d["order"], d["status"]), ("L1", "shipped"))
            self.assertIn("updated_at", d)
            name, data = dash.event(1.0)
            self.assertEqual((name, json.loads(data)["order"]), ("order", "L1"))
            # another order's change reaches the dashboard, not this order's stream
            self.post([ev("L2", "placed", n - H, source="shopify")])
            name, data = dash.event(1.0)
            self.assertEqual(json.loads(data)["order"], "L2")
            self.assertIsNone(order.event(0.3))
            # the stream follows a tracking number to its order
            by_tracking = SSE(self.s.port, "/v1/stream/orders/1ZL1", k)
            self.post([ev("L1", "out_for_delivery", n - 1000, package="1ZL1", carrier="ups")])
            name, data = by_tracking.event(1.0)
            self.assertEqual(json.loads(data)["status"], "out_for_delivery")
            by_tracking.close()
            _, m = self.s.request("GET", "/metrics", key=None)
            self.assertRegex(m, r"wismo_sse_streams [1-9]")
            self.assertIn("wismo_sse_streams_opened_total", m)
        finally:
            order.close()
            dash.close()

    def test_stream_auth_and_unknown(self):
        c = http.client.HTTPConnection("127.0.0.1", self.s.port, timeout=5)
        c.request("GET", "/v1/stream/dashboard")
        r = c.getresponse()
        self.assertEqual(r.status, 401)
        r.read()
        c.request("GET", "/v1/stream/orders/NOPE", headers={"Authorization": "Bearer " + self.s.keys["agent"]})
        r = c.getresponse()
        self.assertEqual(r.status, 404)
        r.read()
        c.request("GET", "/v1/stream/dashboard", headers={"Authorization": "Bearer " + self.s.keys["ingest"]})
        r = c.getresponse()
        self.assertEqual(r.status, 403)
        r.read()
        c.close()

    def test_stop_ends_open_streams(self):
        tmp = tempfile.mkdtemp(prefix="wismo-kpis3-")
        s = Server(tmp=tmp).start()
        streams = [SSE(s.port, "/v1/stream/dashboard", s.keys["agent"]) for _ in range(3)]
        for st in streams:
            self.assertEqual(st.resp.status, 200)
        t0 = time.time()
        self.assertEqual(s.stop(timeout=10), 0)
        self.assertLess(time.time() - t0, 5)
        for st in streams:
            st.close()

    def test_stream_limit(self):
        tmp = tempfile.mkdtemp(prefix="wismo-kpis4-")
        cfg = os.path.join(tmp, "wismo.ini")
        with open(cfg, "w") as f:
            f.write("[streams]\nmax = 2\n")
        s = Server(tmp=tmp, config=cfg).start()
        try:
            a = SSE(s.port, "/v1/stream/dashboard", s.keys["agent"])
            b = SSE(s.port, "/v1/stream/dashboard", s.keys["agent"])
            c = SSE(s.port, "/v1/stream/dashboard", s.keys["agent"])
            self.assertEqual((a.resp.status, b.resp.status, c.resp.status), (200, 200, 503))
            c.close()
            a.close()
            # the freed slot is noticed at the next write to the dead client (the heartbeat), so only check
            # that the refusal was counted
            _, m = s.request("GET", "/metrics", key=None)
            self.assertIn("wismo_sse_streams_refused_total 1", m)
            b.close()
        finally:
            self.assertEqual(s.stop(), 0)


if __name__ == "__main__":
    main()
