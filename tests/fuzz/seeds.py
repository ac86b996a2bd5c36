"""Makes the fuzz targets' seed corpora from the project's own files.

    /usr/bin/python3 tests/fuzz/seeds.py SRCDIR OUTDIR

writes OUTDIR/<target>/seed-<sha1> files: each adapter gets its fixtures
(tests/data/<source>/*, the expected results left out; for scans the first
byte picks the Content-Type as fuzz_adapter.c reads it), the event reader the
expected events of every fixture, the config loader the INI examples of
docs/, the table readers the shipped mapping and zone tables, templates the shipped
templates, the route matcher every route pattern of src/api and src/web, and
the carrier descriptions each with its carrier's fixtures, and the small
targets a few hand-written lines.  Existing files are kept, so the
corpus a run grew stays; nothing here is committed.
"""
import glob
import hashlib
import json
import os
import re
import sys

ADAPTERS = ["shopify", "woocommerce", "loop", "shipstation", "scans", "easypost", "aftership", "shippo",
            "ups", "fedex", "usps", "dhl",
            "canada_post", "purolator", "dhl_parcel_de", "la_poste", "australia_post",
            "royal_mail", "postnl",
            "asendia", "gls", "hermes", "parcel_one", "seko", "sendle", "smartkargo", "spring", "teleship",
            "bpost", "chronopost", "landmark", "dpd"]


def put(outdir, target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(outdir, target)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "seed-" + hashlib.sha1(data).hexdigest())
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main(src, out):
    data = os.path.join(src, "tests", "data")
    for a in ADAPTERS:
        for p in sorted(glob.glob(os.path.join(data, a, "*"))):
            if p.endswith(".expected.jsonl") or not os.path.isfile(p):
                continue
            body = read(p)
            if a == "scans":
                body = (b"\x02" if p.endswith(".csv") else b"\x01" if p.endswith(".jsonl") else b"\x00") + body
            put(out, "adapter_" + a, body)
        put(out, "adapter_" + a, "{}")

    for p in glob.glob(os.path.join(data, "*", "*.expected.jsonl")):
        lines = [ln for ln in read(p).decode(errors="replace").splitlines() if ln.strip()]
        for ln in lines:
            put(out, "event_json", ln)
        if lines:
            put(out, "event_json", '{"events":[' + ",".join(lines) + "]}")
    put(out, "event_json", json.dumps({"events": [{"source": "ups", "order": "1001", "status": "delivered",
                                                    "occurred_at": "2026-05-01T10:00:00Z", "package": "1Z9",
                                                    "items": [{"sku": "A", "quantity": 2}],
                                                    "location": {"city": "Berlin", "country": "DE"}}]}))

    fence = re.compile(r"```ini\n(.*?)```", re.S)
    for p in glob.glob(os.path.join(src, "docs", "*.md")):
        for block in fence.findall(read(p).decode()):
            put(out, "config", block)

    for p in glob.glob(os.path.join(src, "mappings", "*.tsv")):
        put(out, "zones" if p.endswith("zones.tsv") else "mapping", read(p))

    # a description, a NUL, an answer of its carrier (fuzz_tables.c FUZZ_DECL)
    for p in glob.glob(os.path.join(src, "mappings", "*.carrier")):
        name = os.path.basename(p)[:-len(".carrier")]
        put(out, "carrier_decl", read(p))
        for f in sorted(glob.glob(os.path.join(data, name, "*"))):
            if not f.endswith(".expected.jsonl") and os.path.isfile(f):
                put(out, "carrier_decl", read(p) + b"\0" + read(f))

    for p in glob.glob(os.path.join(src, "templates", "**", "*"), recursive=True):
        if os.path.isfile(p):
            put(out, "tmpl", read(p))
    put(out, "tmpl", "{{#items}}{{> item}}{{/items}}{{^none}}x{{/none}}{{{name}}}{{! c }}{{shop.name}}")

    pat = re.compile(r'\{\s*"([A-Z]+)",\s*"([^"]+)"')
    for p in (os.path.join(src, "src", "api", "routes.c"), os.path.join(src, "src", "web", "routes.c")):
        for method, path in pat.findall(read(p).decode()):
            put(out, "route", f"{method} " + re.sub(r"\{[^}]*\}", "1001", path))

    put(out, "ticket", "#1001\0Where is my order 1001?\0Tracking 1Z999AA10123456784, order BR-7 and no. 40202")
    put(out, "ticket", "\0\0")

    for s in ("order=1001&email=a%40b.example", "q=a+b%2Fc%00d", "%", "%zz&&=", "key=wsm_abc%3D"):
        put(out, "form", s)
    for s in ("2026-05-01T10:00:00Z", "2026-05-01T10:00:00.123+02:00", "2026-05-01", "2026-05-01 10:00:00",
              "12", "-5", "0", "aGVsbG8", "AAAA"):
        put(out, "base", s)
    for s in ("MTAwMXwxODAwMDAwMDAw.AAAAAAAAAAAAAAAAAAAAAA", "1001", "a.b"):
        put(out, "link", s)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
