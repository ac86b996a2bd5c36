"""The lookup cache of the PostgreSQL backend (docs/scale-out.md, "The lookup cache").

Two real `wismo serve` processes, A and B, share one database of a PostgreSQL server
this test starts (harness.PgServer).  It shows: B answers a repeated lookup from its
cache (/metrics); an event posted to A is visible on B within the notification latency
(measured and printed); B's own write is visible on B at once; an erasure done by the
`wismo erase` process is not served from B's cache afterwards, nor a projection that
`wismo rebuild` rewrote; and when B's listener
connection is killed on the server (pg_terminate_backend), B empties its cache and serves
no stale answer, then caches again once its LISTEN is back.
These run only against PostgreSQL (WISMO_IT_STORE=postgres).  On SQLite (it_test_lookup_cache) the
other class shows the cache off: no lookup_cache series on a SQLite node, and a bad
lookup_cache_mb refused at start."""
import json
import os
import subprocess
import tempfile
import time
import unittest
from datetime import datetime, timedelta, timezone

from harness import ON_PG, WISMO, PgServer, Server, main

DEADLINE = 5.0  # seconds an announcement may take to reach the other node


def at(delta):
    return (datetime.now(timezone.utc) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def shop(order, status, minutes, event_id, **kw):
    e = {"source": "shop", "id": event_id, "order": order, "status": status,
         "occurred_at": at(timedelta(minutes=minutes))}
    e.update(kw)
    return e


@unittest.skipUnless(ON_PG, "the lookup cache runs on the PostgreSQL backend only")
class LookupCache(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        url = PgServer.database()
        cls.tmp = tempfile.mkdtemp(prefix="wismo-cache-")
        cls.cfg = os.path.join(cls.tmp, "wismo.ini")
        with open(cls.cfg, "w") as f:
            f.write("[store]\nlookup_cache_mb = 8\n")
        # each node names itself to the server, so the test can find B's listener
        sep = "&" if "?" in url else "?"
        cls.nodes = []
        for name in ("a", "b"):
            tmp = os.path.join(cls.tmp, name)
            os.mkdir(tmp)
            cls.nodes.append(Server(tmp=tmp, config=cls.cfg, store=f"{url}{sep}application_name=wismo-cache-{name}"))
        cls.a, cls.b = cls.nodes
        keys = {r: cls.a.make_key(r) for r in ("admin", "ingest", "agent")}
        for n in cls.nodes:
            n.keys = dict(keys)
            n.start()

    @classmethod
    def tearDownClass(cls):
        for n in cls.nodes:
            if n.proc:
                n.stop()

    # -- helpers ------------------------------------------------------

    def metrics(self, node):
        st, text = node.request("GET", "/metrics", key=None)
        self.assertEqual(st, 200)
        out = {}
        for line in text.splitlines():
            if line.startswith("wismo_lookup_cache_"):
                name, value = line.split(" ", 1)
                out[name[len("wismo_lookup_cache_"):]] = float(value)
        return out

    def order(self, node, order):
        st, o = node.get(f"/v1/orders/{order}")
        self.assertEqual(st, 200, o)
        return o

    def post(self, node, *events):
        st, body = node.post_events(list(events))
        self.assertEqual(st, 200, body)

    def cached(self, node, order):
        """Looks the order up on node until an answer comes from its cache (the announcement of
        the order's last write may reach node after its first lookup, and empty the entry)."""
        deadline = time.time() + DEADLINE
        while time.time() < deadline:
            hits = self.metrics(node)["hits_total"]
            o = self.order(node, order)
            if self.metrics(node)["hits_total"] == hits + 1:
                return o
        self.fail(f"no lookup of {order} came from the cache")

    def wait_for(self, fn, timeout, what):
        t0 = time.time()
        while time.time() - t0 < timeout:
            if fn():
                return time.time() - t0
            time.sleep(0.005)
        self.fail(f"timed out after {timeout} s waiting for {what}")

    def wait_usable(self, node):
        self.wait_for(lambda: self.metrics(node).get("usable") == 1, 10, "the cache to be usable")

    # -- cases ----------------------------------------------------------

    def test_1_a_repeated_lookup_is_a_hit(self):
        self.wait_usable(self.b)
        self.post(self.a, shop("C-1", "placed", -10, "c1-p"))
        self.assertEqual(self.cached(self.b, "C-1")["status"], "placed")
        m = self.metrics(self.b)
        self.assertGreaterEqual(m["entries"], 1)
        self.assertGreater(m["bytes"], 0)
        self.assertGreaterEqual(m["misses_total"], 1)
        # a missing order is not kept: asked twice, two misses
        misses = m["misses_total"]
        for _ in range(2):
            self.assertEqual(self.b.get("/v1/orders/C-NONE")[0], 404)
        self.assertEqual(self.metrics(self.b)["misses_total"], misses + 2)

    def test_2_an_event_posted_to_a_is_visible_on_b(self):
        lat = []
        for k in range(10):
            order = f"C-2-{k}"
            self.post(self.a, shop(order, "placed", -10, f"c2-{k}-p"))
            self.assertEqual(self.cached(self.b, order)["status"], "placed")
            self.post(self.a, shop(order, "confirmed", -9, f"c2-{k}-c"))
            # from A's answer (its commit) to B's first fresh answer
            lat.append(self.wait_for(lambda: self.order(self.b, order)["status"] == "confirmed", DEADLINE,
                                     f"{order} confirmed on B"))
        lat.sort()
        print(f"cross-node staleness of a cached lookup (A's answer to B's fresh read): "
              f"median {lat[len(lat) // 2] * 1000:.1f} ms, max {lat[-1] * 1000:.1f} ms")
        self.assertGreater(self.metrics(self.b)["invalidations_total"], 0)

    def test_3_a_write_on_b_is_read_on_b_at_once(self):
        for k in range(5):
            order = f"C-3-{k}"
            self.post(self.b, shop(order, "placed", -10, f"c3-{k}-p"))
            self.assertEqual(self.cached(self.b, order)["status"], "placed")
            self.post(self.b, shop(order, "confirmed", -9, f"c3-{k}-c"))
            # no waiting: the node's own commit invalidated before the answer
            self.assertEqual(self.order(self.b, order)["status"], "confirmed")

    def test_4_an_erasure_by_the_cli_is_not_served_from_the_cache(self):
        customer = {"name": "Grace Hopper", "email": "grace@example.org", "phone": "+15550001234"}
        self.post(self.a, shop("C-4", "placed", -10, "c4-p", customer=customer))
        self.assertIn("Grace", json.dumps(self.cached(self.b, "C-4")))
        r = self.b.cli("erase", "--order", "C-4")  # another process
        self.assertIn("erased 1 orders: C-4", r.stdout)
        self.wait_for(lambda: "Grace" not in json.dumps(self.order(self.b, "C-4")), DEADLINE,
                      "the erasure to reach B's cache")
        self.assertEqual(self.order(self.b, "C-4")["status"], "placed")  # the facts stay

    def test_5_no_stale_answer_after_the_listener_is_killed(self):
        self.wait_usable(self.b)
        for k in range(3):
            order = f"C-5-{k}"
            self.post(self.a, shop(order, "placed", -10, f"c5-{k}-p"))
            self.assertEqual(self.cached(self.b, order)["status"], "placed")
            flushes = self.metrics(self.b)["flushes_total"]
            pids = self.b.sql("SELECT pid FROM pg_stat_activity"
                              " WHERE application_name = 'wismo-cache-b' AND query LIKE 'LISTEN%'")
            self.assertEqual(len(pids), 1, "B's listener session not found")
            self.b.sql("SELECT pg_terminate_backend(?)", pids[0])
            # pg_terminate_backend only signals: until the session has ended, A's announcement could
            # still reach B and make the case pass without the loss being noticed
            self.wait_for(lambda: not self.b.sql("SELECT 1 FROM pg_stat_activity WHERE pid = ?", pids[0]),
                          DEADLINE, "B's listener session to end")
            # A's announcement is lost for B: only the loss of the listener can empty B's entry
            self.post(self.a, shop(order, "confirmed", -9, f"c5-{k}-c"))
            self.wait_for(lambda: self.order(self.b, order)["status"] == "confirmed", DEADLINE,
                          f"{order} confirmed on B after its listener was killed")
            self.assertGreater(self.metrics(self.b)["flushes_total"], flushes)
            # LISTEN again: the cache is used again
            self.wait_usable(self.b)
            self.assertEqual(self.cached(self.b, order)["status"], "confirmed")

    def test_6_a_rebuild_empties_every_cache(self):
        self.post(self.a, shop("C-6", "placed", -10, "c6-p"))
        # a projection edited behind wismo's back (no announcement), then cached by B
        self.b.sql("UPDATE orders SET json = replace(json, '\"placed\"', '\"tampered\"') WHERE order_no = 'C-6'",
                   write=True)
        self.assertEqual(self.cached(self.b, "C-6")["status"], "tampered")
        self.b.cli("rebuild")  # another process rewrites every projection
        self.wait_for(lambda: self.order(self.b, "C-6")["status"] == "placed", DEADLINE,
                      "the rebuild to reach B's cache")
        # the operator's flush (docs/scale-out.md): an announcement of every order
        self.assertEqual(self.cached(self.b, "C-6")["status"], "placed")
        self.b.sql("UPDATE orders SET json = replace(json, '\"placed\"', '\"tampered\"') WHERE order_no = 'C-6'",
                   write=True)
        self.assertEqual(self.order(self.b, "C-6")["status"], "placed")  # not announced: still cached
        self.b.sql("SELECT pg_notify('wismo_orders', '0000000000000000' || chr(10))")
        self.wait_for(lambda: self.order(self.b, "C-6")["status"] == "tampered", DEADLINE,
                      "the operator's flush to reach B's cache")


@unittest.skipIf(ON_PG, "shows the cache off on SQLite")
class LookupCacheOff(unittest.TestCase):
    def test_sqlite_has_no_cache(self):
        srv = Server()
        srv.config = os.path.join(srv.tmp, "wismo.ini")
        with open(srv.config, "w") as f:
            f.write("[store]\nlookup_cache_mb = 64\n")
        srv.start()
        try:
            self.assertEqual(srv.post_events([shop("O-1", "placed", -10, "o1-p")])[0], 200)
            for _ in range(2):
                self.assertEqual(srv.get("/v1/orders/O-1")[0], 200)
            st, text = srv.request("GET", "/metrics", key=None)
            self.assertEqual(st, 200)
            self.assertIn("wismo_writer_commits_total", text)
            self.assertNotIn("wismo_lookup_cache_", text)
        finally:
            srv.stop()

    def test_a_bad_size_is_refused(self):
        tmp = tempfile.mkdtemp(prefix="wismo-cache-")
        cfg = os.path.join(tmp, "wismo.ini")
        for bad in ("-1", "lots", "1048577"):
            with open(cfg, "w") as f:
                f.write(f"[store]\nlookup_cache_mb = {bad}\n")
            r = subprocess.run([WISMO, "serve", "--listen", "127.0.0.1:0", "--store", "sqlite:" + os.path.join(tmp, "x.db"),
                                "--config", cfg], capture_output=True, text=True, timeout=30)
            self.assertNotEqual(r.returncode, 0, bad)
            self.assertIn("lookup_cache_mb", r.stderr, bad)


if __name__ == "__main__":
    main()
