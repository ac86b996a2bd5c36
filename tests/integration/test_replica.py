"""[store] read_url: lookups from a streaming replica (docs/scale-out.md).

A PostgreSQL primary of the test's own and a streaming standby of it
(pg_basebackup -R); the server writes to the primary and reads its lookups from
the standby.  With the standby's replay paused, a status posted to the primary
is acknowledged but the lookup still shows the old one (so the reads do come
from the replica); resumed, the lookup catches up within seconds (the staleness
the docs allow).  Runs only with WISMO_IT_STORE=postgres; skipped otherwise."""
import os
import time
import unittest

from harness import ON_PG, PgServer, Server, ev, main


@unittest.skipUnless(ON_PG, "a replica is PostgreSQL's")
class Replica(unittest.TestCase):
    def test_lookups_read_the_replica(self):
        primary = PgServer.database()
        replica = PgServer.replica_of(primary)
        srv = Server(store=primary)
        srv.config = os.path.join(srv.tmp, "wismo.ini")
        with open(srv.config, "w") as f:
            f.write(f"[store]\nread_url = {replica}\n")
        # the schema and the keys, made on the primary, reach the standby before the server reads
        # there (a key made a moment ago is not known on a replica yet: docs/scale-out.md)
        srv.keys = {r: srv.make_key(r) for r in ("admin", "ingest", "agent")}
        standby = Server(store=replica)
        deadline, keys = time.time() + 30, 0
        while time.time() < deadline and keys < 3:
            try:
                keys = standby.sql("SELECT count(*) FROM api_keys")[0][0]
            except Exception:
                time.sleep(0.1)
        self.assertEqual(keys, 3, "the standby never replayed the keys")
        srv.start()
        try:
            st, _ = srv.post_events([ev("R-1", "placed", "2026-11-20T09:00:00Z", source="shop")])
            self.assertEqual(st, 200)

            def status():
                st, o = srv.get("/v1/orders/R-1")
                return o["status"] if st == 200 else None
            deadline = time.time() + 10
            while status() != "placed" and time.time() < deadline:
                time.sleep(0.05)
            self.assertEqual(status(), "placed")
            standby.sql("SELECT pg_wal_replay_pause()")
            try:
                st, body = srv.post_events([ev("R-1", "confirmed", "2026-11-20T10:00:00Z", source="shop")])
                self.assertEqual((st, body["accepted"]), (200, 1), body)
                time.sleep(0.5)
                self.assertEqual(status(), "placed")  # read from the paused replica
                self.assertEqual(srv.sql("SELECT status FROM orders WHERE order_no = 'R-1'")[0][0], "confirmed")
            finally:
                standby.sql("SELECT pg_wal_replay_resume()")
            t0 = time.time()
            while status() != "confirmed" and time.time() - t0 < 10:
                time.sleep(0.02)
            self.assertEqual(status(), "confirmed")
            print(f"replica caught up {1000 * (time.time() - t0):.0f} ms after its replay resumed")
        finally:
            srv.stop()


if __name__ == "__main__":
    main()
