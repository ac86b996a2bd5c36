"""Storage faults: the database on a small filesystem that fills up.

A full disk must answer 503 with a JSON error and Retry-After (not 500), lose
nothing acknowledged, and the server must take writes again on its own as
soon as space returns: no restart.  The filesystem is a 16 MiB tmpfs the test
mounts, which needs root (or CAP_SYS_ADMIN); without it the test is skipped
with a message.  The read-only and I/O-error paths are covered by the
writer's unit test (tests/store/test_writer.c): the kernel refuses to remount
a filesystem read-only while the server holds its database open for writing.
"""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, ev, main, sqlite_only  # noqa: E402


def mount_small_fs():
    """A 16 MiB tmpfs on a fresh directory, or (None, why)."""
    if os.geteuid() != 0:
        return None, "not root: mounting the small filesystem needs root"
    d = tempfile.mkdtemp(prefix="wismo-full-")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", d],
                       capture_output=True, text=True)
    if r.returncode != 0:
        os.rmdir(d)
        return None, "mounting a tmpfs is not permitted here: " + r.stderr.strip()
    return d, None


def fill(path):
    """Writes until the filesystem is full; returns the bytes written."""
    n = 0
    chunk = b"\0" * 65536
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                n += f.write(chunk)
        except OSError:
            pass
        # the last few free blocks, a byte at a time, so that no page is left
        try:
            while True:
                n += f.write(b"\0")
        except OSError:
            pass
    return n


@sqlite_only  # the database file on a small disk of the test's own; PostgreSQL keeps its files elsewhere
class StorageFaults(unittest.TestCase):
    def setUp(self):
        self.mnt, why = mount_small_fs()
        if not self.mnt:
            self.skipTest(why)
        self.s = None

    def tearDown(self):
        if self.s:
            self.s.stop()
        subprocess.run(["umount", "-l", self.mnt], check=False)
        os.rmdir(self.mnt)

    def test_12_disk_full_answers_503_and_recovers(self):
        self.s = s = Server(tmp=os.path.join(self.mnt, "srv"))
        os.mkdir(s.tmp)
        s.start()
        acked = []
        seq = 0

        def batch(n=20):
            nonlocal seq
            out = []
            for _ in range(n):
                seq += 1
                # a long field makes each batch take real space in the log
                out.append(ev(f"F{seq % 7}", "in_transit", f"2026-05-01T10:{seq % 60:02d}:00Z",
                              package=f"F{seq % 7}-P", id=f"full-{seq}", description="x" * 200))
            return out

        for _ in range(5):
            b = batch()
            st, r = s.post_events(b)
            self.assertEqual(st, 200, r)
            acked += [e["id"] for e in b]

        filler = os.path.join(self.mnt, "filler")
        fill(filler)
        # The log and the WAL may still have room in pages they hold: post until the disk says full.
        refused = None
        for _ in range(200):
            b = batch()
            st, r = s.request("POST", "/v1/events", {"events": b}, key="ingest")
            if st == 200:
                acked += [e["id"] for e in b]
                continue
            refused = (st, r, b)
            break
        self.assertIsNotNone(refused, "the full disk never refused a batch")
        st, r, b = refused
        self.assertEqual(st, 503, r)
        self.assertEqual(r["error"]["code"], "storage_full", r)
        # the answer carries Retry-After, read from the raw response
        import urllib.request, urllib.error, json  # noqa: E401
        req = urllib.request.Request(f"http://127.0.0.1:{s.port}/v1/events",
                                     data=json.dumps({"events": b}).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Authorization": "Bearer " + s.keys["ingest"]})
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(req, timeout=30)
        self.assertEqual(cm.exception.code, 503)
        self.assertEqual(cm.exception.headers.get("Retry-After"), "30")
        # reads still work while the disk is full
        st, _ = s.get("/healthz", key=None)
        self.assertEqual(st, 200)

        # space returns: the same refused batch is taken, without a restart
        os.unlink(filler)
        st, r = s.post_events(b)
        self.assertEqual(st, 200, r)
        self.assertEqual(r["accepted"], len(b), r)
        acked += [e["id"] for e in b]
        for _ in range(3):
            b = batch()
            st, r = s.post_events(b)
            self.assertEqual(st, 200, r)
            acked += [e["id"] for e in b]

        present = set()
        for o in range(7):
            st, tl = s.get(f"/v1/orders/F{o}/timeline")
            self.assertEqual(st, 200, tl)
            present |= {e["source_event_id"] for e in tl["events"]}
        missing = [i for i in acked if i not in present]
        self.assertEqual(missing, [], "acknowledged events lost")
        self.assertEqual(s.stop(), 0)
        self.s = None
        r = s.cli("rebuild", "--verify")
        self.assertIn("identical", r.stdout, r.stdout + r.stderr)
        print(f"\n  {len(acked)} events acknowledged around a full disk, all present after it cleared")


if __name__ == "__main__":
    main()
