"""Crash soak: N cycles of mixed load ended by SIGKILL, then the checks.

    WISMO_BIN=build/wismo /usr/bin/python3 tests/soak/soak.py [CYCLES]

Each cycle starts `wismo serve` on the same database and, for a random 0.4 to
1.2 s, runs at once: three clients posting event batches to /v1/events, one
posting signed Shopify orders/create webhooks, and the outbox worker sending
e-mails for those orders to a real SMTP server on loopback (aiosmtpd); then
the server is killed with SIGKILL, mid-commit and mid-send.  Every answer 200
is written to a client-side log of acknowledged keys (soak-acked.log in the
work directory) before the next request.  After the last cycle the server is
started once more and the outbox allowed to drain, and:

- every acknowledged event id is in its order's timeline, and every
  acknowledged webhook's order exists (0 acknowledged events lost);
- no batch is half applied;
- every e-mail (recipient, subject) was sent under one Message-ID only: a
  message the kill cut short may be sent again, but only under the same
  idempotency key (docs/notifications.md); how many were is reported;
- `wismo rebuild --verify` finds the projections identical.

Prints the figures and a closing line "N passed, N failed" (the soak is one
test).  Exit 0 when it held.
"""
import copy
import datetime
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "integration"))
from harness import Server  # noqa: E402
from receivers import SmtpReceiver  # noqa: E402

import base64  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402

SHOPIFY_SECRET = "shpss_soak_secret"
STATUSES = ["label_created", "in_transit", "in_transit", "out_for_delivery", "delivered"]
DATA = os.path.join(here, "..", "data", "shopify", "orders_create.json")


def shopify_headers(body, topic="orders/create"):
    sig = base64.b64encode(hmac.new(SHOPIFY_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return {"X-Shopify-Hmac-Sha256": sig, "X-Shopify-Topic": topic,
            "X-Shopify-Webhook-Id": hashlib.md5(body).hexdigest(), "Content-Type": "application/json"}


class Soak:
    def __init__(self, cycles):
        self.cycles = cycles
        self.tmp = tempfile.mkdtemp(prefix="wismo-soak-")
        self.smtp = SmtpReceiver().start()
        self.cfg = os.path.join(self.tmp, "wismo.ini")
        with open(self.cfg, "w") as f:
            f.write(f"""[source shopify]
secret = {SHOPIFY_SECRET}
[smtp]
url = smtp://127.0.0.1:{self.smtp.port}
from = shop@shop.example
[outbox]
backoff_base = 1
backoff_max = 1
poll_ms = 50
lease = 2
[notify]
quiet_hours = off
""")
        self.s = Server(tmp=self.tmp, config=self.cfg)
        self.acked_log = open(os.path.join(self.tmp, "soak-acked.log"), "a")
        self.lock = threading.Lock()
        self.acked_events = []     # (order, id)
        self.acked_hooks = []      # order numbers
        self.attempted = []        # event batches
        self.seq = 0
        # recent times: the rules skip milestones older than their max age (72 h), and the
        # soak must send mail; 10 ms apart, so even 100 cycles stay within the last hour
        self.t0 = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
        with open(DATA) as f:
            self.order_body = json.load(f)

    def ack(self, kind, key, order):
        with self.lock:
            self.acked_log.write(f"{kind}\t{order}\t{key}\n")
            self.acked_log.flush()
            if kind == "event":
                self.acked_events.append((order, key))
            else:
                self.acked_hooks.append(order)

    def at(self, k):
        t = self.t0 + datetime.timedelta(milliseconds=10 * k)
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"

    def next_seq(self):
        with self.lock:
            self.seq += 1
            return self.seq

    def events_client(self, n, stop):
        rnd = random.Random(n * 7919 + self.seq)
        while not stop.is_set():
            batch = []
            for _ in range(rnd.randint(1, 12)):
                k = self.next_seq()
                order = f"S{rnd.randint(0, 59)}"
                e = {"source": "ups", "order": order, "status": rnd.choice(STATUSES), "package": order + "-P",
                     "occurred_at": self.at(k),
                     "id": f"soak-{k}",
                     "customer": {"email": f"{order.lower()}@customer.example"}}
                batch.append(e)
            with self.lock:
                self.attempted.append(batch)
            try:
                st, _ = self.s.post_events(batch)
            except OSError:
                return
            if st == 200:
                for e in batch:
                    self.ack("event", e["id"], e["order"])

    def hooks_client(self, stop):
        while not stop.is_set():
            k = self.next_seq()
            body = copy.deepcopy(self.order_body)
            body["id"] = 7000000000 + k
            body["order_number"] = 500000 + k
            body["name"] = f"#{500000 + k}"
            body["email"] = body["contact_email"] = f"w{k}@customer.example"
            for f in ("created_at", "processed_at", "updated_at"):
                body[f] = self.at(k)
            raw = json.dumps(body).encode()
            try:
                st, _ = self.s.request("POST", "/hooks/shopify", raw=raw, key=None, headers=shopify_headers(raw))
            except OSError:
                return
            if st == 200:
                self.ack("hook", str(body["id"]), str(500000 + k))

    def cycle(self, i):
        self.s.start()
        stop = threading.Event()
        threads = [threading.Thread(target=self.events_client, args=(n, stop)) for n in range(3)]
        threads.append(threading.Thread(target=self.hooks_client, args=(stop,)))
        for t in threads:
            t.start()
        time.sleep(random.uniform(0.4, 1.2))
        self.s.proc.send_signal(signal.SIGKILL)
        self.s.proc.wait()
        self.s.proc = None
        self.s.log.close()
        stop.set()
        for t in threads:
            t.join()

    def settle(self, quiet=2.0, limit=60):
        """Waits until the SMTP server has had nothing new for `quiet` seconds."""
        deadline = time.time() + limit
        last, since = -1, time.time()
        while time.time() < deadline:
            n = len(self.smtp.received())
            if n != last:
                last, since = n, time.time()
            elif time.time() - since >= quiet:
                return
            time.sleep(0.2)

    def check(self):
        failures = []
        self.s.start()
        self.settle()
        present = set()
        for order in sorted({o for o, _ in self.acked_events} | {e["order"] for b in self.attempted for e in b}):
            st, tl = self.s.get(f"/v1/orders/{order}/timeline")
            if st == 404:
                continue
            if st != 200:
                failures.append(f"timeline of {order}: {st}")
                continue
            present |= {e["source_event_id"] for e in tl["events"] if e["outcome"] != "duplicate"}
        lost = [k for _, k in self.acked_events if k not in present]
        if lost:
            failures.append(f"{len(lost)} acknowledged events lost, e.g. {lost[:5]}")
        half = [b for b in self.attempted if sum(1 for e in b if e["id"] in present) not in (0, len(b))]
        if half:
            failures.append(f"{len(half)} batches half applied")
        lost_hooks = []
        for order in self.acked_hooks:
            st, _ = self.s.get(f"/v1/orders/{order}")
            if st != 200:
                lost_hooks.append(order)
        if lost_hooks:
            failures.append(f"{len(lost_hooks)} acknowledged webhooks lost, e.g. {lost_hooks[:5]}")

        by_msg = {}
        ids_per_mail = {}
        for m in self.smtp.received():
            mid = m["msg"]["Message-ID"]
            by_msg[mid] = by_msg.get(mid, 0) + 1
            for to in m["to"]:
                ids_per_mail.setdefault((to, str(m["msg"]["Subject"])), set()).add(mid)
        twice = {k: v for k, v in ids_per_mail.items() if len(v) > 1}
        if twice:
            failures.append(f"{len(twice)} messages sent twice under different keys, e.g. {list(twice.items())[:2]}")
        resent = sum(n - 1 for n in by_msg.values() if n > 1)

        if self.s.stop() != 0:
            failures.append("the server did not stop cleanly")
        r = self.s.cli("rebuild", "--verify", check=False)
        if "identical" not in r.stdout:
            failures.append("rebuild --verify: " + r.stdout + r.stderr)
        # the whole log, every cycle's (the harness's read_log gives only its end)
        with open(os.path.join(self.tmp, "server.log"), "rb") as f:
            log = f.read().decode(errors="replace")
        if "runtime error" in log or "AddressSanitizer" in log:
            failures.append("sanitizer report in the server log")
        print(f"soak: {self.cycles} SIGKILL cycles; acknowledged {len(self.acked_events)} events and "
              f"{len(self.acked_hooks)} webhooks, {len(lost)} lost; {len(self.attempted)} batches attempted; "
              f"{len(by_msg)} e-mails sent, {resent} sent again under their idempotency key, "
              f"{len(twice)} under another; rebuild {'identical' if 'identical' in r.stdout else 'DIFFERENT'}")
        return failures

    def run(self):
        try:
            t0 = time.time()
            for i in range(self.cycles):
                self.cycle(i)
            failures = self.check()
            print(f"soak: {time.time() - t0:.1f} s")
            if failures:
                print(f"soak: the database, config and server log are in {self.tmp}")
        except Exception:
            traceback.print_exc()
            failures = ["the soak itself failed"]
        finally:
            if self.s.proc:
                self.s.proc.kill()
            self.smtp.stop()
        for f in failures:
            print("soak: FAILED: " + f)
        if not failures:
            shutil.rmtree(self.tmp, ignore_errors=True)  # kept for a look when the soak failed
        print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
        return not failures


if __name__ == "__main__":
    sys.exit(0 if Soak(int(sys.argv[1]) if len(sys.argv) > 1 else 10).run() else 1)
