"""`wismo copy`: a shop's SQLite store into PostgreSQL (docs/scale-out.md).

A real server on SQLite takes events (several batches' worth), keys, a rule, an
erasure's audit entry and messages; it stops, and `wismo copy` moves it into a
fresh PostgreSQL database of a server this test starts.  The copy is killed
mid-way once and run again (it goes on where it stopped); then every table
counts the same on both sides, the rebuild on PostgreSQL is identical, and a
server on the copy answers as the SQLite one did, with the same keys.
Runs only with WISMO_IT_STORE=postgres; skipped otherwise."""
import os
import signal
import subprocess
import tempfile
import unittest

from harness import ON_PG, WISMO, PgServer, Server, ev, main


@unittest.skipUnless(ON_PG, "copies into PostgreSQL")
class Copy(unittest.TestCase):
    def test_copy_resumes_and_verifies(self):
        tmp = tempfile.mkdtemp(prefix="wismo-copy-")
        src = Server(tmp=tmp, store="sqlite:" + os.path.join(tmp, "shop.db"))
        src.start()
        try:
            for b in range(60):
                batch = [ev(f"C{b}-{i}", "placed", f"2026-11-0{1 + i % 9}T10:{b % 60:02d}:00Z", source="shop",
                            id=f"c{b}-{i}", customer={"email": f"c{b}-{i}@example.org"}) for i in range(200)]
                st, body = src.post_events(batch)
                self.assertEqual(st, 200, body)
            st, body = src.request("PUT", "/v1/rules/late", {"trigger": "shipped", "template": "shipped"})
            self.assertIn(st, (200, 201), body)
            st, before = src.get("/v1/orders/C7-7?view=agent")
            self.assertEqual(st, 200, before)
        finally:
            src.stop()
        # with a password in the URI (the test server trusts loopback, so any works): never shown
        dst = PgServer.database().replace("://wismo@", "://wismo:s3cret-pw@")
        cmd = [WISMO, "copy", "--from", src.store, "--to", dst]
        # killed after its first batches: nothing half-done is kept
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = ""
        while "events" not in line:
            line = p.stderr.readline()
            self.assertNotEqual(line, "", "copy ended before it copied any events")
        p.send_signal(signal.SIGKILL)
        p.wait()
        p.stdout.close()
        p.stderr.close()
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("counts equal on both sides", r.stdout)
        self.assertIn("projections identical", r.stdout)
        self.assertNotIn("s3cret-pw", r.stdout + r.stderr)
        # again: nothing more to copy, still equal
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # a server on the copy: the same answers, the same keys
        srv = Server(tmp=tmp, store=dst)
        srv.keys = dict(src.keys)
        srv.start()
        try:
            st, after = srv.get("/v1/orders/C7-7?view=agent")
            self.assertEqual(st, 200, after)
            self.assertEqual(after, before)
            st, rules = srv.get("/v1/rules", key="admin")
            self.assertEqual(st, 200, rules)
            self.assertIn("late", [r["name"] for r in rules["rules"]])
            st, body = srv.post_events([ev("C7-7", "confirmed", "2026-11-08T10:00:00Z", source="shop", id="new")])
            self.assertEqual((st, body["accepted"]), (200, 1), body)
        finally:
            srv.stop()
        # a second copy into a database that now holds more is refused
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("destination holds", r.stderr)


if __name__ == "__main__":
    main()
