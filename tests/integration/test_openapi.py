"""The API description, api/openapi.json (docs/api.md "The API description"),
against the code:

- the document is OpenAPI 3.1 in shape, its schemas are valid JSON Schema
  2020-12 and every $ref resolves;
- it and the route tables agree: every row of every `struct http_route`
  table in src/ is the route of some operation of the document (as the
  server's matching rules pick it, src/http/http.h) with the same method, or
  is listed in x-wismo-unlisted; every operation is served by a row;
- real answers validate: a server gets a representative set of requests (each
  resource, its lists, its errors) and every answer must be documented for
  its path, method and status, and a JSON body must validate against that
  answer's schema (objects are additionalProperties: false, so a field the
  document lacks fails);
- with WISMO_IT_RECORD=FILE naming a file the other suites recorded
  (harness.py), every answer in it is checked the same way.
- GET /v1/openapi.json serves the file without a key, cacheable.
"""
import glob
import json
import os
import re
import sys
import time
import unittest
import urllib.parse

import jsonschema
from jsonschema import Draft202012Validator

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import Server, ev, main  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOC_PATH = os.path.join(ROOT, "api", "openapi.json")
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def load_doc():
    with open(DOC_PATH, encoding="utf-8") as f:
        return json.load(f)


# ---- the route tables, read from the source (src/http/http.h: struct http_route)

ROW = re.compile(r'\{\s*"([A-Z]+)",\s*"([^"]+)",')


def route_tables():
    """[(table function, [(method, pattern)])] in the order src/cli/serve.c hands them to the
    server; a table serve.c does not name comes last (it is still checked)."""
    tables = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "src", "**", "*.c"), recursive=True)):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for m in re.finditer(r"struct http_route (\w+)\[\] = \{(.*?)\n\};", text, re.S):
            fn = re.search(r"(\w+_routes)\([^)]*\)\s*\{\s*return HTTP_ROUTES\(" + m.group(1), text)
            name = fn.group(1) if fn else os.path.relpath(path, ROOT)
            tables[name] = ROW.findall(m.group(2))
    with open(os.path.join(ROOT, "src", "cli", "serve.c"), encoding="utf-8") as f:
        wired = re.findall(r"tables\[\d+\] = (\w+_routes)\(", f.read())
    order = [t for t in wired if t in tables] + sorted(t for t in tables if t not in wired)
    return [(t, tables[t]) for t in order]


def pattern_re(pattern):
    """src/http/http.h: "{name}" is one non-empty segment, "{name*}" the rest, possibly empty."""
    out, pos = "", 0
    for m in re.finditer(r"\{(\w+)(\*?)\}", pattern):
        out += re.escape(pattern[pos:m.start()]) + (".*" if m.group(2) else "[^/]+")
        pos = m.end()
    return re.compile(out + re.escape(pattern[pos:]) + r"\Z")


def route_of(tables, path):
    """The pattern the server picks for path: literal patterns first, then those with a
    parameter, each group in table order."""
    rows = [pat for _, t in tables for _, pat in t]
    for literal in (True, False):
        for pat in rows:
            if ("{" not in pat) == literal and pattern_re(pat).match(path):
                return pat
    return None


def sample(path):
    """A concrete path for a document path: each parameter one segment."""
    return re.sub(r"\{\w+\}", "p1", path)


# ---- answers against the document

class Checker:
    def __init__(self, doc):
        self.doc = doc
        self.resolver = jsonschema.RefResolver.from_schema(doc)
        self.templates = sorted(doc["paths"], key=lambda p: (p.count("{"), -len(p)))
        self.unlisted = [u.split(" ", 1) for u in doc.get("x-wismo-unlisted", [])]
        self.answered = set()  # (method, path) of the operations that gave a 2xx JSON answer

    def template(self, path):
        path = urllib.parse.unquote(path.split("?", 1)[0])
        for t in self.templates:
            if pattern_re(t).match(path):
                return t
        return None

    def deref(self, node):
        while "$ref" in node:
            node = self.resolver.resolve(node["$ref"])[1]
        return node

    def check(self, method, path, status, ctype, body):
        """A list of problems with one answer (empty: it is as documented)."""
        where = f"{method} {path} -> {status}"
        t = self.template(path)
        m = "get" if method == "HEAD" else method.lower()
        if any(method in (um, "HEAD" if um == "GET" else um) and pattern_re(up).match(path.split("?", 1)[0])
               for um, up in self.unlisted):
            return []  # a page for people, not described (x-wismo-unlisted)
        if t is None or m not in self.doc["paths"][t]:
            # the transport's own answers to a path no table has (404) or a method the
            # path does not take (405, with Allow): errors of the one table
            if (status, t is None) in ((404, True), (405, False)) and body is not None:
                v = Draft202012Validator({"$ref": "#/components/schemas/Error"}, resolver=self.resolver)
                return [f"{where}: {e.message}" for e in v.iter_errors(body)][:5]
            return [f"{where}: no operation in the document"]
        responses = self.doc["paths"][t][m]["responses"]
        key = str(status)
        if key not in responses:
            key = f"{status // 100}XX" if f"{status // 100}XX" in responses else None
        if key is None:
            if status < 400:
                return [f"{where}: status not documented"]
            key = "default"
        if key not in responses:
            return [f"{where}: status not documented"]
        resp = self.deref(responses[key])
        content = resp.get("content", {})
        if body is None:
            return []
        if "*/*" in content and "application/json" not in content:
            return []  # any type: a raw payload as it was received
        if "application/json" not in content:
            return [f"{where}: a JSON answer where the document has {sorted(content) or 'no body'}"]
        schema = content["application/json"]["schema"]
        if status < 300:
            self.answered.add((m, t))
        v = Draft202012Validator(schema, resolver=self.resolver)
        return [f"{where}: {'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
                for e in v.iter_errors(body)][:5]


class Document(unittest.TestCase):
    def setUp(self):
        self.doc = load_doc()

    def test_is_openapi_3_1(self):
        d = self.doc
        self.assertRegex(d["openapi"], r"^3\.1\.\d+$")
        for k in ("title", "version"):
            self.assertIsInstance(d["info"][k], str)
        ids = []
        for path, ops in d["paths"].items():
            self.assertTrue(path.startswith("/"), path)
            named = set(re.findall(r"\{(\w+)\}", path))
            for m, o in ops.items():
                self.assertIn(m, METHODS, path)
                ids.append(o["operationId"])
                self.assertTrue(o["responses"], f"{m} {path}")
                declared = {p["name"] for p in o.get("parameters", []) if p["in"] == "path"}
                self.assertEqual(named, declared, f"{m} {path}: path parameters")
                for code in o["responses"]:
                    self.assertRegex(code, r"^([1-5]\d\d|[1-5]XX|default)$")
        self.assertEqual(len(ids), len(set(ids)), "operationIds are unique")
        for name, s in d["components"]["schemas"].items():
            Draft202012Validator.check_schema(s)

    def test_every_ref_resolves(self):
        resolver = jsonschema.RefResolver.from_schema(self.doc)
        refs = set(re.findall(r'"\$ref": "([^"]+)"', json.dumps(self.doc)))
        self.assertTrue(refs)
        for r in refs:
            self.assertTrue(r.startswith("#/"), r)
            resolver.resolve(r)

    def test_errors_are_the_one_table(self):
        with open(os.path.join(ROOT, "src", "http", "errors.h"), encoding="utf-8") as f:
            codes = re.findall(r'X\([A-Z_]+, "([a-z_]+)", \d+,', f.read())
        self.assertTrue(codes)
        err = self.doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]
        self.assertEqual(err["enum"], codes)

    def test_agrees_with_the_route_tables(self):
        tables = route_tables()
        self.assertGreaterEqual(len(tables), 3)
        unlisted = set(self.doc.get("x-wismo-unlisted", []))
        served = {}  # pattern -> methods of operations the server routes to it
        for path, ops in self.doc["paths"].items():
            pat = route_of(tables, sample(path))
            for m in ops:
                rows = [meth for _, t in tables for meth, p in t if p == pat]
                self.assertTrue(pat and (m.upper() in rows or (m == "head" and "GET" in rows)),
                                f"{m.upper()} {path}: no route table serves it")
                served.setdefault(pat, set()).add(m.upper())
        for name, rows in tables:
            for method, pat in rows:
                if f"{method} {pat}" in unlisted:
                    continue
                # "/track/" is the same page as "/track": a trailing slash is an alias
                alias = pat[:-1] if pat.endswith("/") and "{" not in pat else pat
                self.assertIn(method, served.get(alias, set()) | served.get(pat, set()),
                              f"{name}: {method} {pat} is not in api/openapi.json")
        for u in unlisted:
            method, pat = u.split(" ", 1)
            self.assertTrue(any(m == method and p == pat for _, t in tables for m, p in t),
                            f"x-wismo-unlisted names {u}, which no table serves")

    def test_checker_refuses_what_is_not_documented(self):
        # the checks below can fail: an unknown field, a missing route, an undocumented status
        c = Checker(self.doc)
        self.assertEqual(c.check("GET", "/healthz", 200, "application/json", {"status": "ok"}), [])
        self.assertTrue(c.check("GET", "/healthz", 200, "application/json", {"status": "ok", "new": 1}))
        self.assertTrue(c.check("GET", "/v1/nowhere", 200, "application/json", {}))
        self.assertTrue(c.check("GET", "/healthz", 201, "application/json", {"status": "ok"}))
        self.assertTrue(c.check("GET", "/v1/orders/1", 404, "application/json", {"error": {"code": "nope", "message": ""}}))

    @unittest.skipUnless(harness.RECORD and os.path.exists(harness.RECORD or ""), "WISMO_IT_RECORD names no file")
    def test_recorded_answers(self):
        c, problems, n = Checker(self.doc), [], 0
        with open(harness.RECORD, encoding="utf-8") as f:
            for line in f:
                a = json.loads(line)
                n += 1
                problems += c.check(a["method"], a["path"], a["status"], a["content_type"], a["body"])
        self.assertEqual(sorted(set(problems)), [], f"{n} answers")


# Operations with a JSON success answer that the live set below does not reach: each needs
# state this suite does not make (a planned message, an exception's task) or a signed
# webhook.  WISMO_IT_RECORD checks them in the suites that do (test_notify_rules,
# test_exceptions, test_hooks, test_helpdesk).
NOT_LIVE = {
    ("get", "/v1/outbox/{id}"), ("post", "/v1/outbox/{id}/retry"), ("post", "/v1/outbox/{id}/approve"),
    ("post", "/v1/outbox/{id}/reject"), ("get", "/v1/tasks/{id}"), ("post", "/v1/tasks/{id}/ack"),
    ("post", "/v1/tasks/{id}/assign"), ("post", "/v1/tasks/{id}/resolve"), ("post", "/hooks/{source}"),
    ("post", "/hooks/helpdesk"),
}


def json_operations(doc):
    """(method, path) of every operation whose success answer is JSON."""
    return {(m, p) for p, ops in doc["paths"].items() for m, o in ops.items()
            for code, r in o["responses"].items()
            if code.startswith("2") and "application/json" in r.get("content", {})}


class Live(unittest.TestCase):
    """A representative set of requests; every answer is checked, and every operation with a
    JSON answer must have answered 2xx once (but NOT_LIVE)."""

    @classmethod
    def setUpClass(cls):
        cls.doc = load_doc()
        cls.checker = Checker(cls.doc)
        cls.s = Server().start()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def call(self, method, path, body=None, key="admin", expect=None, **kw):
        st, b = self.s.request(method, path, body, key=key, **kw)
        self.problems += self.checker.check(method, path, st, "", b if not isinstance(b, str) else None)
        if expect is not None and st != expect:
            self.problems.append(f"{method} {path}: {st}, not {expect}: {b}")
        return st, b

    def test_openapi_is_served_without_a_key(self):
        import urllib.request
        url = f"http://127.0.0.1:{self.s.port}/v1/openapi.json"
        with urllib.request.urlopen(url, timeout=10) as r:
            self.assertEqual(r.status, 200)
            self.assertIn("max-age", r.headers["Cache-Control"])
            self.assertIn("application/json", r.headers["Content-Type"])
            etag = r.headers["ETag"]
            with open(DOC_PATH, "rb") as f:
                self.assertEqual(r.read(), f.read())
        req = urllib.request.Request(url, headers={"If-None-Match": etag})
        try:
            urllib.request.urlopen(req, timeout=10)
            self.fail("expected 304")
        except urllib.error.HTTPError as e:
            self.assertEqual(e.code, 304)

    def test_answers_match_the_document(self):
        self.problems = []
        now = time.time()

        def at(h):
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - h * 3600))
        c = self.call
        c("GET", "/healthz", key=None, expect=200)
        c("GET", "/readyz", key=None, expect=200)
        c("POST", "/v1/events", {"events": [
            ev("OA1", "placed", at(50), source="shopify", customer={"name": "Ada Lovelace", "email": "ada@example.com"},
               items=[{"sku": "MUG-01", "name": "Mug", "quantity": 2}], promised_by=at(-48), value=20.5, currency="EUR",
               ship_to={"city": "Louisville", "region": "KY", "country": "US"}, shipping_method="standard"),
            ev("OA1", "label_created", at(49), package="1ZOA0000000000001", carrier="ups", service="ground"),
            ev("OA1", "in_transit", at(40), package="1ZOA0000000000001", carrier="ups",
               location={"city": "Louisville", "region": "KY", "country": "US"}),
            ev("OA1", "delivered", at(30), package="1ZOA0000000000001", carrier="ups"),
            ev("OA1", "teleported", at(20), package="1ZOA0000000000001")]}, key="admin", expect=200)
        c("POST", "/v1/events", {"events": [ev("OA1", "nope", at(1))]}, key="admin", expect=422)
        c("POST", "/v1/events", {"nothing": 1}, key="admin", expect=400)
        c("GET", "/v1/orders/OA1", expect=200)
        c("GET", "/v1/orders/1ZOA0000000000001", key="agent", expect=200)
        c("GET", "/v1/orders/OA1?view=agent", expect=200)
        c("GET", "/v1/orders/OA1/timeline", expect=200)
        c("GET", "/v1/orders/none-such", expect=404)
        c("GET", "/v1/orders?limit=1", expect=200)
        c("GET", "/v1/orders?limit=0", expect=400)
        c("GET", "/v1/search?q=ada@example.com", expect=200)
        c("GET", "/v1/kpis", expect=200)
        c("GET", "/v1/queues", expect=200)
        for q in ("conflicts", "unmapped", "rejected", "quiet", "failures"):
            c("GET", f"/v1/queues/{q}", expect=200)
        c("GET", "/v1/unmapped", expect=200)
        c("GET", "/v1/rejected", expect=200)
        c("POST", "/v1/remap", {"dry_run": True}, expect=200)
        c("GET", "/v1/rules", expect=200)
        st, rules = c("GET", "/v1/rules/shipped")
        rule = dict(rules) if st == 200 else {}
        rule.update({"name": "oa_rule", "trigger": "delivered"})
        rule.pop("origin", None)
        c("PUT", "/v1/rules/oa_rule", rule, expect=200)
        c("DELETE", "/v1/rules/oa_rule", expect=204)
        c("GET", "/v1/rules/oa_rule", expect=404)
        c("POST", "/v1/consent", {"phone": "+15551230000", "sms": True, "source": "checkout"}, expect=200)
        c("GET", "/v1/audit", expect=200)
        c("GET", "/v1/outbox", expect=200)
        c("GET", "/v1/outbox/999999", expect=404)
        c("GET", "/v1/tasks", expect=200)
        c("GET", "/v1/tasks/999999", expect=404)
        c("GET", "/v1/returns", expect=200)
        c("POST", "/v1/returns", {"order": "OA1", "items": [{"sku": "MUG-01", "quantity": 1}], "reason": "too_small",
                                  "id": "OA-R1"}, expect=201)
        c("GET", "/v1/returns/OA-R1", expect=200)
        c("POST", "/v1/returns/OA-R1/reject", {"note": "no"}, expect=200)
        c("POST", "/v1/returns/OA-R1/approve", expect=200)
        c("POST", "/v1/predictions", {"ship_date": at(0)[:10], "destination": {"country": "US"}}, expect=200)
        c("POST", "/v1/track-links", {"order": "OA1"}, expect=201)
        c("POST", "/v1/exports", {"email": "ada@example.com"}, expect=200)
        c("POST", "/v1/erasures", {"order": "OA1"}, expect=200)
        c("GET", "/v1/orders", key=None, expect=401)
        c("POST", "/v1/remap", {}, key="agent", expect=403)
        c("POST", "/hooks/nosuchsource", {}, key=None, expect=404)
        c("GET", "/v1/openapi.json", key=None, expect=200)
        self.assertEqual(self.problems, [])
        self.assertEqual(sorted(json_operations(self.doc) - self.checker.answered - NOT_LIVE), [],
                         "operations no request reached")


if __name__ == "__main__":
    main()
