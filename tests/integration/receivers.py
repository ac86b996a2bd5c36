"""Real receivers on loopback for the notification channels' tests.

SmtpReceiver: an SMTP server (aiosmtpd, Debian's python3-aiosmtpd) that keeps
every message it accepts, parsed, for the test to read back; it can answer
DATA with a temporary (4xx) or permanent (5xx) refusal, be slow to answer,
or be stopped and started again on the same port.

HttpReceiver: an HTTP server that answers like Twilio's Messages API
(POST /2010-04-01/Accounts/{sid}/Messages.json), Zendesk's tickets API
(POST /api/v2/tickets.json, PUT /api/v2/tickets/{id}.json) and a webhook
subscriber (any other POST); it records every request, and can be told to
fail (e.g. 503) or be stopped for a while.
"""
import asyncio
import base64
import email
import email.policy
import http.server
import json
import socket
import threading
import time
import urllib.parse

from aiosmtpd.controller import Controller


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class _SmtpHandler:
    def __init__(self, rx):
        self.rx = rx

    async def handle_DATA(self, server, session, envelope):
        rx = self.rx
        with rx.lock:
            refuse = rx.refuse
            delay = rx.delay
            rx.attempts += 1
        if refuse:
            return refuse
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with rx.lock:
            rx.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "msg": msg,
                                "raw": envelope.original_content or envelope.content, "at": time.time()})
        if delay:
            await asyncio.sleep(delay)
        return "250 2.0.0 OK queued as %d" % len(rx.messages)


class SmtpReceiver:
    def __init__(self, port=None):
        self.port = port or free_port()
        self.lock = threading.Lock()
        self.messages = []
        self.refuse = None      # e.g. "451 4.3.0 try later" or "550 5.1.1 no such user"
        self.delay = 0          # seconds to wait before answering DATA (after recording)
        self.attempts = 0
        self.ctl = None

    def start(self):
        self.ctl = Controller(_SmtpHandler(self), hostname="127.0.0.1", port=self.port)
        self.ctl.start()
        return self

    def stop(self):
        if self.ctl:
            self.ctl.stop()
            self.ctl = None

    def received(self):
        with self.lock:
            return list(self.messages)

    def wait_for(self, n, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.received()) >= n:
                return self.received()
            time.sleep(0.05)
        return self.received()

    @staticmethod
    def parts(msg):
        """(text, html) of a parsed message; html None when there is none."""
        text = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        return (text.get_content() if text else None, html.get_content() if html else None)


class _HttpHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _answer(self, status, body=b"", ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self):
        rx = self.server.rx
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        req = {"method": self.command, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
               "body": body, "at": time.time()}
        with rx.lock:
            fail = rx.fail_status
            if fail and rx.fail_count is not None:
                rx.fail_count -= 1
                if rx.fail_count <= 0:
                    rx.fail_status, rx.fail_count = None, None
            req["answered"] = fail or 0
            rx.requests.append(req)
        if fail:
            return self._answer(fail, b'{"message":"unavailable"}')
        path = urllib.parse.urlparse(self.path).path
        if self.command == "POST" and path.startswith("/2010-04-01/Accounts/") and path.endswith("/Messages.json"):
            form = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
            token = self.headers.get("I-Twilio-Idempotency-Token", "")
            with rx.lock:
                if token and token in rx.sms_by_token:
                    sid = rx.sms_by_token[token]
                    req["duplicate"] = True
                else:
                    sid = "SM%032x" % (len(rx.sms_by_token) + 1)
                    rx.sms_by_token[token] = sid
                    rx.sms.append({"to": form.get("To", [""])[0], "from": form.get("From", [""])[0],
                                   "body": form.get("Body", [""])[0], "sid": sid, "token": token,
                                   "auth": self.headers.get("Authorization", "")})
            return self._answer(201, json.dumps({"sid": sid, "status": "queued"}).encode())
        if self.command == "POST" and path == "/api/v2/tickets.json":
            t = json.loads(body)["ticket"]
            with rx.lock:
                tid = 1000 + len(rx.tickets) + 1
                t = dict(t, id=tid, status=t.get("status", "open"), comments=[t["comment"]["body"]],
                         auth=self.headers.get("Authorization", ""))
                rx.tickets[tid] = t
            return self._answer(201, json.dumps({"ticket": {"id": tid, "status": t["status"]}}).encode())
        if self.command == "PUT" and path.startswith("/api/v2/tickets/") and path.endswith(".json"):
            tid = int(path[len("/api/v2/tickets/"):-len(".json")])
            u = json.loads(body)["ticket"]
            with rx.lock:
                t = rx.tickets.get(tid)
                if t is None:
                    return self._answer(404, b'{"error":"RecordNotFound"}')
                if "status" in u:
                    t["status"] = u["status"]
                if "comment" in u:
                    t["comments"].append(u["comment"]["body"])
                    t.setdefault("public", []).append(u["comment"].get("public", True))
                if "additional_tags" in u:
                    t.setdefault("tags", [])
                    t["tags"] += [x for x in u["additional_tags"] if x not in t["tags"]]
            return self._answer(200, json.dumps({"ticket": {"id": tid, "status": t["status"]}}).encode())
        if self.command == "POST":
            with rx.lock:
                rx.hooks.append(req)
            return self._answer(200, b'{"ok":true}')
        return self._answer(404, b"{}")

    do_POST = _handle
    do_PUT = _handle


class HttpReceiver:
    def __init__(self, port=None):
        self.port = port or free_port()
        self.lock = threading.Lock()
        self.requests = []       # every request, failed ones too
        self.sms = []            # distinct SMS (by idempotency token)
        self.sms_by_token = {}
        self.hooks = []          # accepted webhook deliveries
        self.tickets = {}        # id -> ticket
        self.fail_status = None  # answer this status to every request while set
        self.fail_count = None   # ... or only to the next N
        self.httpd = None
        self.thread = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), _HttpHandler)
        self.httpd.daemon_threads = True
        self.httpd.rx = self
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def fail(self, status=503, count=None):
        with self.lock:
            self.fail_status, self.fail_count = status, count

    def heal(self):
        with self.lock:
            self.fail_status, self.fail_count = None, None

    def snapshot(self, what):
        with self.lock:
            v = getattr(self, what)
            return dict(v) if isinstance(v, dict) else list(v)

    def wait(self, what, n, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.snapshot(what)) >= n:
                break
            time.sleep(0.05)
        return self.snapshot(what)


def basic_auth(header):
    """(user, password) of a Basic Authorization header."""
    user, _, pw = base64.b64decode(header.split(" ", 1)[1]).decode().partition(":")
    return user, pw
