"""Integration tests: overload answers (writer queue full, connection limit), config errors, and the
transport under abuse (issue 12): idle connections from one address, stream budgets, streams that outlive
their key or link, secrets in the logs, ambiguous body framing.

The abuse tests speak from other loopback addresses (127.0.0.x) so one client's flood and another's
request are told apart by address, as they would be on a network."""
import base64
import hashlib
import hmac
import os
import resource
import socket
import struct
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import WISMO, Server, ev, main  # noqa: E402


LINK_SECRET = "abuse-test-link-secret-0123456789"
SHOPIFY_SECRET = "shpss_abuse_test_webhook_secret"


def make_token(order, expires, secret=LINK_SECRET):
    """A tracking link's token (docs/web.md), made independently of the server."""
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    key = hmac.new(secret.encode(), b"track-link", hashlib.sha256).digest()
    msg = b64(f"{order}|{expires}".encode())
    return msg + "." + b64(hmac.new(key, msg.encode(), hashlib.sha256).digest()[:16])


def raw_request(port, data, source="127.0.0.1", timeout=10):
    """Sends data on a fresh connection and reads until the server closes it (or timeout)."""
    c = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0))
    c.sendall(data)
    out = b""
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            out += d
    except OSError:
        pass
    c.close()
    return out


class Stream:
    """A live-update stream on a raw socket from a chosen source address."""

    def __init__(self, port, path, source="127.0.0.1", key=None, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0))
        auth = f"Authorization: Bearer {key}\r\n" if key else ""
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n{auth}\r\n".encode())
        self.data = b""
        while b"\r\n\r\n" not in self.data:
            d = self.sock.recv(4096)
            if not d:
                break
            self.data += d
        self.status = int(self.data.split(b" ", 2)[1]) if self.data.startswith(b"HTTP/1.1 ") else 0

    def until_closed(self, seconds):
        """Reads until the server ends the stream (its last chunk, or closing); True when it did within
        seconds."""
        self.sock.settimeout(0.2)
        deadline = time.time() + seconds
        while time.time() < deadline and not self.data.endswith(b"\r\n0\r\n\r\n"):
            try:
                d = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return True
            if not d:
                return True
            self.data += d
        return self.data.endswith(b"\r\n0\r\n\r\n")

    def close(self):
        self.sock.close()


def write_config(tmp, text):
    path = os.path.join(tmp, "wismo.ini")
    with open(path, "w") as f:
        f.write(text)
    return path


class Limits(unittest.TestCase):
    def test_full_queue_is_503_and_stores_nothing(self):
        s = Server()
        s.config = write_config(s.tmp, "[limits]\nqueue = 1\n")
        s.start()
        results = []
        lock = threading.Lock()

        def client(n):
            for k in range(30):
                batch = [ev(f"Q{n}-{k}", "placed", "2026-01-01T00:00:00Z", source="shopify", id=f"q-{n}-{k}-{i}")
                         for i in range(5)]
                st, r = s.post_events(batch)
                with lock:
                    results.append((batch, st, r))

        threads = [threading.Thread(target=client, args=(i,)) for i in range(16)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        busy = [(b, r) for b, st, r in results if st == 503]
        self.assertEqual({st for _, st, _ in results} - {200, 503}, set())
        self.assertTrue(busy, "no request met a full queue")
        for b, r in busy:
            self.assertEqual(r["error"]["code"], "busy")
            self.assertEqual(s.get(f"/v1/orders/{b[0]['order']}")[0], 404)
        for b, st, r in results:
            if st == 200:
                self.assertEqual(r["accepted"], 5)
        self.assertEqual(s.stop(), 0)

    def test_connection_limit_answers_503(self):
        s = Server()
        s.config = write_config(s.tmp, "[limits]\nconnections = 2\n")
        s.start()
        held = [socket.create_connection(("127.0.0.1", s.port)) for _ in range(3)]
        c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        reply = c.recv(4096).decode()
        self.assertTrue(reply.startswith("HTTP/1.1 503"), reply)
        self.assertIn("too_many_connections", reply)
        self.assertIn("Retry-After", reply)
        for h in held + [c]:
            h.close()
        self.assertEqual(s.stop(), 0)

    def test_bad_config_is_refused(self):
        s = Server()
        for text, word in (("[limits]\nmax_batch = lots\n", "max_batch"), ("[nope]\nx = 1\n", "unknown"),
                           ("[source acme]\nkind = wizard\n", "kind")):
            cfg = write_config(s.tmp, text)
            r = subprocess.run([WISMO, "serve", "--config", cfg, "--store", s.store, "--listen", "127.0.0.1:0"],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(word, r.stderr)

    def test_max_body_from_config(self):
        s = Server()
        s.config = write_config(s.tmp, "[limits]\nmax_body = 2048\nmax_batch = 3\n")
        s.start()
        st, r = s.request("POST", "/v1/events", key="ingest", raw=b'{"events":[' + b" " * 2100 + b"]}")
        self.assertEqual((st, r["error"]["code"]), (413, "body_too_large"))
        st, r = s.request("POST", "/v1/events", key="ingest", raw=b'{"events":[' + b" " * 1900 + b"]}")
        self.assertEqual((st, r["error"]["code"]), (400, "invalid_body"))
        st, r = s.post_events([ev("MB", "placed", "2026-01-01T00:00:00Z", source="shopify")] * 4)
        self.assertEqual((st, r["error"]["code"]), (413, "too_many_events"))
        self.assertEqual(s.stop(), 0)


class Abuse(unittest.TestCase):
    def test_12_8_idle_connections_from_one_address_do_not_hang_others(self):
        s = Server()
        s.config = write_config(s.tmp, "[limits]\nconnections = 100\nconnections_per_ip = 16\n")
        s.start()
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
        # 300 idle connections from one address: more than connections + 64, the most the server accepts
        held = []
        for _ in range(300):
            try:
                held.append(socket.create_connection(("127.0.0.1", s.port), timeout=5,
                                                     source_address=("127.0.0.2", 0)))
            except OSError:
                break  # the kernel's backlog is full: the flood is as large as it gets
        self.assertGreater(len(held), 164)
        time.sleep(0.5)  # the server has accepted (and closed) what it will
        t0 = time.time()
        reply = raw_request(s.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        took = time.time() - t0
        self.assertTrue(reply.startswith(b"HTTP/1.1 200"), reply[:200])
        self.assertLess(took, 1.0)
        # the flooding address itself is held to its share: its next connection is closed unanswered
        self.assertEqual(raw_request(s.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", source="127.0.0.2",
                                     timeout=5), b"")
        for h in held:
            h.close()
        self.assertEqual(s.stop(), 0)

    def linked_server(self, extra=""):
        s = Server()
        s.config = write_config(s.tmp, f"[web]\nlink_secret = {LINK_SECRET}\n"
                                       f"[source shopify]\nsecret = {SHOPIFY_SECRET}\n" + extra)
        s.start()
        st, _ = s.post_events([ev("A1", "placed", "2026-01-01T00:00:00Z", source="shopify")])
        self.assertEqual(st, 200)
        return s

    def test_12_9_customer_streams_leave_the_dashboard_stream_open(self):
        s = self.linked_server("[streams]\nmax = 2\nmax_public = 4\npublic_per_client = 2\n")
        path = "/track/" + make_token("A1", int(time.time()) + 3600) + "/stream"
        streams = []
        try:
            # one address gets its share, not the whole budget
            for _ in range(2):
                streams.append(Stream(s.port, path, source="127.0.0.2"))
                self.assertEqual(streams[-1].status, 200)
            refused = Stream(s.port, path, source="127.0.0.2")
            self.assertEqual(refused.status, 503, refused.data)
            refused.until_closed(2)
            self.assertIn(b"too_many_streams", refused.data)
            refused.close()
            # customers from many addresses fill the tracking-page budget ...
            for _ in range(2):
                streams.append(Stream(s.port, path, source="127.0.0.3"))
                self.assertEqual(streams[-1].status, 200)
            full = Stream(s.port, path, source="127.0.0.4")
            self.assertEqual(full.status, 503)
            full.close()
            # ... and the staff's streams have their own
            for _ in range(2):
                streams.append(Stream(s.port, "/v1/stream/dashboard", key=s.keys["agent"]))
                self.assertEqual(streams[-1].status, 200, streams[-1].data)
        finally:
            for st in streams:
                st.close()
        self.assertEqual(s.stop(), 0)

    def test_12_10_revoked_key_or_expired_link_ends_the_stream(self):
        s = self.linked_server()
        key = s.make_key("agent")
        key_id = [line.split()[0] for line in s.cli("keys", "list").stdout.splitlines()
                  if len(line.split()) > 2 and key.startswith(line.split()[2])][0]
        dash = Stream(s.port, "/v1/stream/dashboard", key=key)
        other = Stream(s.port, "/v1/stream/dashboard", key=s.keys["agent"])
        link = Stream(s.port, "/track/" + make_token("A1", int(time.time()) + 3) + "/stream")
        self.assertEqual((dash.status, other.status, link.status), (200, 200, 200))
        # the link ends at its expiry (checked every second)
        self.assertTrue(link.until_closed(6), link.data)
        self.assertIn(b"event: end\n", link.data)
        self.assertIn(b'"reason":"expired"', link.data)
        # revoking a key ends its streams within the documented bound (SSE_RECHECK_MS 5 s + a tick)
        self.assertFalse(dash.until_closed(1))
        s.cli("keys", "revoke", key_id)
        t0 = time.time()
        self.assertTrue(dash.until_closed(10), dash.data)
        self.assertLess(time.time() - t0, 7)
        self.assertIn(b'"reason":"revoked"', dash.data)
        # another key's stream goes on
        self.assertFalse(other.until_closed(1))
        # and the key opens none again
        again = Stream(s.port, "/v1/stream/dashboard", key=key)
        self.assertEqual(again.status, 401)
        for st in (dash, other, link, again):
            st.close()
        self.assertEqual(s.stop(), 0)

    def test_12_11_no_secret_token_or_key_in_the_logs(self):
        s = self.linked_server()
        token = make_token("A1", int(time.time()) + 3600)
        secrets = [token, token.split(".")[1], LINK_SECRET, SHOPIFY_SECRET] + list(s.keys.values())
        # a malformed request on a tracking path, with keys in its headers
        raw_request(s.port, f"GET /track/{token}/stream HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n"
                            f"Authorization: Bearer {s.keys['admin']}\r\n\r\n".encode())
        for i in range(3):
            # streams whose client vanished (reset): writing to them fails (an update, or the end of the
            # stream at shutdown) and the library logs the request's path - the tracking link itself
            gone = [Stream(s.port, "/track/" + token + "/stream"),
                    Stream(s.port, "/v1/stream/orders/A1", key=s.keys["agent"])]
            for g in gone:
                self.assertEqual(g.status, 200)
                g.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                g.close()
            s.post_events([ev("A1", "shipped", f"2026-01-02T00:00:{i:02d}Z", source="shopify")])
        body = b'{"id":1,"email":"x@example.com"}'
        sig = base64.b64encode(hmac.new(b"wrong", body, hashlib.sha256).digest()).decode()
        s.request("POST", "/hooks/shopify", raw=body, key=None,
                  headers={"X-Shopify-Hmac-Sha256": sig, "X-Shopify-Topic": "orders/updated"})
        secrets.append(sig)
        self.assertEqual(s.stop(), 0)
        with open(os.path.join(s.tmp, "server.log"), "rb") as f:
            log = f.read().decode(errors="replace")
        for secret in secrets:
            self.assertNotIn(secret, log)
        # the test reached what leaked before: the library quoting a tracking link's path
        self.assertIn("for the request for `/track/...'", log)

    def test_12_17_ambiguous_content_length_refused(self):
        s = Server().start()
        key = s.keys["ingest"]
        body = b'{"events":[{"source":"shopify","order":"CL1","status":"placed","occurred_at":"2026-01-01T00:00:00Z"}]}'
        head = f"POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        for framing in (f"Content-Length: {len(body)}\r\nContent-Length: 2\r\n",
                        f"Content-Length: {len(body)}\r\nContent-Length: {len(body)}\r\n",
                        f"Content-Length: {len(body)}\r\nTransfer-Encoding: chunked\r\n"):
            reply = raw_request(s.port, (head + framing + "\r\n").encode() + body)
            self.assertTrue(reply.startswith(b"HTTP/1.1 400 "), reply[:200])
            self.assertEqual(reply.count(b"HTTP/1.1 "), 1, reply)   # one answer, then the connection closes
            self.assertIn(b"Connection: close", reply)
            self.assertIn(b'"code":"invalid"', reply)
        # a malformed length: refused by the library itself (docs/api.md says what it sends)
        reply = raw_request(s.port, (head + "Content-Length: 12abc\r\n\r\n").encode() + body)
        self.assertTrue(reply.startswith(b"HTTP/1.1 400 "), reply[:200])
        self.assertEqual(s.get("/v1/orders/CL1")[0], 404)
        # a plain request still works
        self.assertEqual(raw_request(s.port, (head + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
                                     .encode() + body)[:12], b"HTTP/1.1 200")
        self.assertEqual(s.stop(), 0)


if __name__ == "__main__":
    main()
