"""Integration tests: overload answers (writer queue full, connection limit) and config errors."""
import os
import socket
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import WISMO, Server, ev, main  # noqa: E402


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


if __name__ == "__main__":
    main()
