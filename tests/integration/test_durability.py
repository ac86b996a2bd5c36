"""Durability: SIGKILL the server while clients post; every acknowledged event
must be there after restart, no batch may be half-applied, and rebuilt
projections must equal the live ones."""
import os
import random
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, ev, main  # noqa: E402

STATUSES = ["label_created", "in_transit", "in_transit", "out_for_delivery", "delivery_attempted",
            "out_for_delivery", "delivered"]


class Durability(unittest.TestCase):
    def test_sigkill_loses_nothing_acknowledged(self):
        s = Server().start()
        acked, attempted = [], []
        lock = threading.Lock()
        stop = threading.Event()

        def client(n):
            rnd = random.Random(n)
            seq = 0
            while not stop.is_set():
                batch = []
                for _ in range(rnd.randint(1, 20)):
                    order = f"D{n}-{rnd.randint(0, 24)}"
                    seq += 1
                    minute = seq % 60
                    batch.append(ev(order, rnd.choice(STATUSES), f"2026-05-01T{seq // 60 % 24:02d}:{minute:02d}:00Z",
                                    package=order + "-P", id=f"d-{n}-{seq}"))
                with lock:
                    attempted.append(batch)
                try:
                    st, r = s.post_events(batch)
                except OSError:
                    return
                if st == 200:
                    with lock:
                        acked.append((batch, r))

        threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
        for th in threads:
            th.start()
        time.sleep(2.0)
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait()
        s.proc = None
        s.log.close()
        stop.set()
        for th in threads:
            th.join()
        self.assertGreater(len(acked), 20, "too few batches were acknowledged before the kill")

        s.start()
        present = {}
        orders = {e["order"] for b in attempted for e in b}
        for order in orders:
            st, tl = s.get(f"/v1/orders/{order}/timeline")
            if st == 404:
                continue
            self.assertEqual(st, 200, tl)
            for e in tl["events"]:
                if e["outcome"] != "duplicate":
                    present[e["source_event_id"]] = True
        for batch, r in acked:
            for e in batch:
                self.assertIn(e["id"], present, "an acknowledged event was lost")
        for batch in attempted:
            n = sum(1 for e in batch if e["id"] in present)
            self.assertIn(n, (0, len(batch)), "a batch was half applied")
        self.assertEqual(s.stop(), 0)
        r = s.cli("rebuild", "--verify")
        self.assertIn("identical", r.stdout, r.stdout + r.stderr)
        print(f"\n  {len(acked)} batches acknowledged, {len(attempted) - len(acked)} cut by SIGKILL, "
              f"{len(present)} events found after restart", file=sys.stderr)


if __name__ == "__main__":
    main()
