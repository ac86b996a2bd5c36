"""Starts a real wismo server for integration tests and talks to it over HTTP.

Each Server gets its own temporary directory and SQLite file, a free port on
127.0.0.1, and admin/ingest/agent keys made with `wismo keys create`.

With WISMO_IT_STORE=postgres the store is a fresh database on a PostgreSQL
server this test process starts once (WISMO_PG_HELPER: tests/store/pgserver_main.c)
and which goes when the process ends; Server.db is then None, and the cases
that read SQLite's file are marked @sqlite_only.  Without the server
programs every case is skipped (exit 77).

With WISMO_IT_RECORD=FILE every answer Server.request() reads is appended to
FILE as one JSON line {"method", "path", "status", "content_type", "body"}
(body: the parsed JSON, else null), for test_openapi.py to check against
api/openapi.json (docs/testing.md).
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

WISMO = os.environ.get("WISMO_BIN", "build/wismo")
RECORD = os.environ.get("WISMO_IT_RECORD")
ON_PG = os.environ.get("WISMO_IT_STORE") == "postgres"
sqlite_only = unittest.skipIf(ON_PG, "reads SQLite's file")


class PgServer:
    """The test process's PostgreSQL server (one per process, started on first use)."""
    proc = None
    serial = 0

    @classmethod
    def database(cls):
        if cls.proc is None:
            helper = os.environ.get("WISMO_PG_HELPER", "build/tests/test_pgserver_run")
            cls.proc = subprocess.Popen([helper], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            first = cls.proc.stdout.readline().strip()
            if first.startswith("unavailable"):
                print("skipped:", first)
                sys.stdout.flush()
                os._exit(77)
            if not first.startswith("url "):
                raise RuntimeError("postgresql test server: " + first)
        cls.serial += 1
        return cls.ask(f"db it{os.getpid()}_{cls.serial}")

    @classmethod
    def ask(cls, line):
        cls.proc.stdin.write(line + "\n")
        cls.proc.stdin.flush()
        answer = cls.proc.stdout.readline().strip()
        if not answer.startswith("url "):
            raise RuntimeError("postgresql test server: " + answer)
        return answer[4:]

    @classmethod
    def replica_of(cls, url):
        """The same database on a streaming standby of the server (started on first use)."""
        base = cls.ask("replica")
        return base.rsplit("/", 1)[0] + "/" + url.rsplit("/", 1)[1]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, tmp=None, config=None, store=None):
        self.tmp = tmp or tempfile.mkdtemp(prefix="wismo-it-")
        if store:  # a store another Server uses too (several nodes)
            self.db = None
            self.store = store
        elif ON_PG:
            self.db = None
            self.store = PgServer.database()
        else:
            self.db = os.path.join(self.tmp, "wismo.db")
            self.store = "sqlite:" + self.db
        self.config = config
        self.proc = None
        self.port = None
        self.keys = {}

    # A raw payload's body as text in SQL (a blob in SQLite, bytea in PostgreSQL).
    BODY_TEXT = "convert_from(body, 'UTF8')" if ON_PG else "CAST(body AS TEXT)"

    def sql(self, query, params=(), write=False):
        """Runs one statement on the server's database ('?' placeholders) and returns its rows
        (bytes for blobs); for checks the API does not offer."""
        if self.store.startswith("postgres"):
            import psycopg2
            c = psycopg2.connect(self.store)
            try:
                with c, c.cursor() as cur:
                    cur.execute(query.replace("%", "%%").replace("?", "%s"), params)
                    rows = cur.fetchall() if cur.description else []
                return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in rows]
            finally:
                c.close()
        import sqlite3
        c = sqlite3.connect(self.db, timeout=10)
        try:
            rows = c.execute(query, params).fetchall()
            if write:
                c.commit()
            return rows
        finally:
            c.close()

    def tables(self):
        """The names of the database's tables."""
        if ON_PG:
            return [r[0] for r in self.sql("SELECT table_name FROM information_schema.tables"
                                           " WHERE table_schema = current_schema()")]
        return [r[0] for r in self.sql("SELECT name FROM sqlite_master WHERE type = 'table'")]

    def cli(self, *args, check=True):
        cmd = [WISMO, *args, "--store", self.store]
        if self.config:
            cmd += ["--config", self.config]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if check and r.returncode != 0:
            raise RuntimeError(f"{cmd} failed: {r.returncode} {r.stderr}")
        return r

    def make_key(self, role, source=None):
        args = ["keys", "create", "--role", role]
        if source:
            args += ["--source", source]
        key = self.cli(*args).stdout.strip()
        assert key.startswith("wsm_") and "\n" not in key, key
        return key

    def start(self):
        if not self.keys:
            self.keys = {r: self.make_key(r) for r in ("admin", "ingest", "agent")}
        self.port = free_port()
        cmd = [WISMO, "serve", "--listen", f"127.0.0.1:{self.port}", "--store", self.store]
        if self.config:
            cmd += ["--config", self.config]
        self.log = open(os.path.join(self.tmp, "server.log"), "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + self.read_log())
            try:
                st, _ = self.get("/healthz", key=None)
                if st == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not start: " + self.read_log())

    def read_log(self):
        with open(os.path.join(self.tmp, "server.log"), "rb") as f:
            return f.read().decode(errors="replace")[-4000:]

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc is None:
            return None
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=timeout)
        self.proc = None
        self.log.close()
        return rc

    def request(self, method, path, body=None, key="admin", headers=None, raw=None, timeout=30):
        url = f"http://127.0.0.1:{self.port}{path}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        h = {"Content-Type": "application/json"} if data is not None else {}
        if key:
            h["Authorization"] = "Bearer " + self.keys.get(key, key)
        h.update(headers or {})
        req = urllib.request.Request(url, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                text = resp.read().decode()
                status = resp.status
                ctype = resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            status = e.code
            ctype = e.headers.get("Content-Type", "")
        body = json.loads(text) if "json" in ctype and text else None
        if RECORD:
            record(method, path, status, ctype, body)
        if body is not None:
            return status, body
        return status, text

    def get(self, path, key="agent"):
        return self.request("GET", path, key=key)

    def post_events(self, events, key="ingest"):
        return self.request("POST", "/v1/events", {"events": events}, key=key)


def record(method, path, status, ctype, body):
    """Appends one answer to WISMO_IT_RECORD (one line, written whole: suites may share the file)."""
    line = json.dumps({"method": method, "path": path, "status": status,
                       "content_type": ctype, "body": body}) + "\n"
    fd = os.open(RECORD, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def ev(order, status, at, source="ups", package=None, **kw):
    e = {"source": source, "order": str(order), "status": status, "occurred_at": at}
    if package:
        e["package"] = package
    e.update(kw)
    return e


def main():
    """Runs the unittest module and prints a closing 'N passed, N failed' line."""
    prog = unittest.main(exit=False, verbosity=2)
    r = prog.result
    failed = len(r.failures) + len(r.errors)
    print(f"{r.testsRun - failed - len(r.skipped)} passed, {failed} failed, {len(r.skipped)} skipped")
    sys.exit(1 if failed else 0)
