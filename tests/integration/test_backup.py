"""`wismo backup` and `wismo restore` (docs/operations.md).

SQLite: a real server takes events from a thread, one new order per event, while `wismo backup`
copies its store; the copy holds at least every event acknowledged before the backup started and at
most those acknowledged when it ended, and exactly one commit's worth (its events are the first N
acknowledged, no gap).  The copy is restored into a new store path, a server on it answers with the
same keys, and `rebuild --verify` finds its projections identical.  A restore onto a store a server
runs on is refused (the serve lock) and leaves it alone, a server does not start while a restore
holds the lock, and a file that is not a wismo store is refused.
PostgreSQL (WISMO_IT_STORE=postgres): backup and restore print pg_dump's use and exit 3, and never
show the password."""
import fcntl
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ON_PG, WISMO, Server, ev, main, sqlite_only  # noqa: E402

USE_PG = 3  # the exit status of backup and restore on a PostgreSQL store


def copy_events(path):
    """The order numbers in a backup file, read without touching it (no -wal or -shm made)."""
    c = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return [r[0] for r in c.execute("SELECT order_no FROM events ORDER BY seq")]
    finally:
        c.close()


def run(*args):
    return subprocess.run([WISMO, *args], capture_output=True, text=True, timeout=300)


class Backup(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="wismo-backup-")

    @sqlite_only
    def test_backup_while_writing_then_restore(self):
        src = Server(tmp=self.tmp).start()
        acked = []  # order numbers, in the order their batches were acknowledged
        lock = threading.Lock()
        stop = threading.Event()
        errors = []
        try:
            # enough to make the copy take several steps
            for b in range(40):
                batch = [ev(f"S{b}-{i}", "placed", "2026-11-02T10:00:00Z", source="shop", id=f"s{b}-{i}",
                            customer={"email": f"s{b}-{i}@example.org", "name": "Ada Lovelace " * 4}) for i in range(200)]
                st, body = src.post_events(batch)
                self.assertEqual((st, body["accepted"]), (200, 200), body)
                acked += [e["order"] for e in batch]

            def writer():
                n = 0
                while not stop.is_set():
                    batch = [ev(f"W{n}-{i}", "placed", "2026-11-03T10:00:00Z", source="shop", id=f"w{n}-{i}")
                             for i in range(5)]
                    n += 1
                    try:
                        st, body = src.post_events(batch)
                    except OSError as e:
                        errors.append(repr(e))
                        return
                    if st != 200 or body.get("accepted") != len(batch):
                        errors.append(f"{st} {body}")
                        return
                    with lock:
                        acked.extend(e["order"] for e in batch)

            th = threading.Thread(target=writer)
            th.start()
            time.sleep(0.3)
            out = os.path.join(self.tmp, "nightly.db")
            with lock:
                before = set(acked)
            r = run("backup", "--to", out, "--store", src.store)
            with lock:
                after = list(acked)
            time.sleep(0.3)
            stop.set()
            th.join()
            self.assertEqual(errors, [])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            print(f"\n  {r.stdout.strip()}; {len(before)} acknowledged at its start, {len(after)} at its end",
                  file=sys.stderr)
            self.assertRegex(r.stdout, r"backed up .* \d+ pages in \d+ steps, \d+ events")
            self.assertFalse(os.path.exists(out + ".tmp"))
            got = copy_events(out)
            self.assertIn(f"{len(got)} events", r.stdout)
            # between the acknowledged counts at start and at end ...
            self.assertGreaterEqual(len(got), len(before))
            self.assertLessEqual(len(got), len(after))
            # and the server's writer went on acknowledging while the backup ran
            self.assertGreater(len(after), len(before), "nothing was acknowledged during the backup")
            # ... every event acknowledged before the start is in it, and it is one commit's worth:
            # the first N acknowledged, in order, nothing from later without what came before
            self.assertTrue(before <= set(got), "an event acknowledged before the backup is missing")
            self.assertEqual(got, after[:len(got)])
            # the live store went on: everything acknowledged is there
            self.assertEqual(src.sql("SELECT count(*) FROM events")[0][0], len(acked))

            # an existing backup is kept unless --force
            r = run("backup", "--to", out, "--store", src.store)
            self.assertEqual(r.returncode, 1)
            self.assertIn("exists (--force replaces it)", r.stderr)
            self.assertEqual(copy_events(out), got)
            r = run("backup", "--to", out, "--force", "--store", src.store)
            self.assertEqual(r.returncode, 0, r.stderr)
            got = copy_events(out)
            self.assertGreaterEqual(len(got), len(after))

            # restore onto the store the server runs on: refused, the store untouched
            ino = os.stat(src.db).st_ino
            r = run("restore", "--from", out, "--store", src.store)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("a server is running on", r.stderr)
            self.assertEqual(os.stat(src.db).st_ino, ino)
            self.assertEqual(src.sql("SELECT count(*) FROM events")[0][0], len(acked))
            st, _ = src.get("/v1/orders/S1-1")
            self.assertEqual(st, 200)
        finally:
            stop.set()
            src.stop()

        # restore into a new store path; a server on it has the same keys and answers
        target = os.path.join(self.tmp, "restored", "wismo.db")
        os.makedirs(os.path.dirname(target))
        store = "sqlite:" + target
        r = run("restore", "--from", out, "--store", store)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("restored", r.stdout)
        self.assertFalse(os.path.exists(target + ".tmp"))
        dst = Server(tmp=os.path.dirname(target), store=store)
        dst.keys = dict(src.keys)
        dst.start()
        try:
            st, o = dst.get("/v1/orders/S39-199")
            self.assertEqual(st, 200, o)
            st, body = dst.post_events([ev("R-1", "placed", "2026-11-04T10:00:00Z", source="shop", id="r1")])
            self.assertEqual((st, body["accepted"]), (200, 1), body)
            # refused here too, while it runs
            r = run("restore", "--from", out, "--store", store)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("stop it first", r.stderr)
        finally:
            self.assertEqual(dst.stop(), 0)
        r = run("rebuild", "--verify", "--store", store)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("projections identical", r.stdout)
        c = sqlite3.connect(target)
        self.assertEqual(c.execute("SELECT count(*) FROM events").fetchone()[0], len(got) + 1)
        c.close()

    @sqlite_only
    def test_restore_refuses_what_is_not_a_wismo_store(self):
        target = os.path.join(self.tmp, "wismo.db")
        store = "sqlite:" + target
        self.assertEqual(run("migrate", "--store", store).returncode, 0)
        ino = os.stat(target).st_ino
        text = os.path.join(self.tmp, "notes.txt")
        with open(text, "w") as f:
            f.write("not a database\n" * 100)
        empty = os.path.join(self.tmp, "empty.db")
        sqlite3.connect(empty).execute("CREATE TABLE t(x)").connection.close()
        for bad, says in ((text, "is not a wismo store"), (empty, "is not a wismo store"),
                          (os.path.join(self.tmp, "missing.db"), "no backup file")):
            r = run("restore", "--from", bad, "--store", store)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn(says, r.stderr)
            self.assertEqual(os.stat(target).st_ino, ino, "the store was replaced")
            self.assertFalse(os.path.exists(target + ".tmp"))
        # a newer schema than this build knows
        newer = os.path.join(self.tmp, "newer.db")
        self.assertEqual(run("backup", "--to", newer, "--store", store).returncode, 0)
        c = sqlite3.connect(newer)
        c.execute("INSERT INTO schema_migrations(version, applied_at) VALUES (999, 0)")
        c.commit()
        c.close()
        r = run("restore", "--from", newer, "--store", store)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("newer than this wismo", r.stderr)
        self.assertEqual(os.stat(target).st_ino, ino)
        # backing up what is not a wismo store is refused too
        r = run("backup", "--to", os.path.join(self.tmp, "b.db"), "--store", "sqlite:" + empty)
        self.assertEqual(r.returncode, 1)
        self.assertIn("is not a wismo store", r.stderr)
        # usage
        self.assertEqual(run("backup", "--store", store).returncode, 2)
        self.assertEqual(run("restore", "--from", text, "--force", "--store", store).returncode, 2)

    @sqlite_only
    def test_server_waits_for_no_restore(self):
        """A server does not start on a store a restore holds."""
        s = Server(tmp=self.tmp)
        self.assertEqual(run("migrate", "--store", s.store).returncode, 0)
        with open(s.db + ".lock", "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            with self.assertRaises(RuntimeError) as cm:
                s.start()
            self.assertIn("a restore is replacing", str(cm.exception))
            s.log.close()
        s.start()  # released: it starts
        s.stop()

    def test_postgres_prints_pg_dump_use(self):
        url = Server(tmp=self.tmp).store if ON_PG else "postgres://wismo@127.0.0.1:1/none"
        url = url.replace("://wismo@", "://wismo:s3cret-pw@")
        out = os.path.join(self.tmp, "x.dump")
        r = run("backup", "--to", out, "--store", url)
        self.assertEqual(r.returncode, USE_PG, r.stdout + r.stderr)
        self.assertIn("pg_dump --format=custom", r.stdout)
        self.assertIn("consistent", r.stdout)
        self.assertNotIn("s3cret-pw", r.stdout + r.stderr)
        self.assertFalse(os.path.exists(out))
        r = run("restore", "--from", out, "--store", url)
        self.assertEqual(r.returncode, USE_PG, r.stdout + r.stderr)
        self.assertIn("pg_restore", r.stdout)
        self.assertNotIn("s3cret-pw", r.stdout + r.stderr)


if __name__ == "__main__":
    main()
