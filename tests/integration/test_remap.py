"""Unknown codes, fixed once and applied everywhere (issue 16; docs/adapters.md "Remapping").

A real server takes EasyPost webhooks whose codes no table knows; the events are stored as `unknown` and the
code is queued. The operator adds the code to an override table and restarts; POST /v1/remap reads the kept
raw payloads again, appends the corrected events (the originals stay, superseded), refolds the orders and
empties the queue - once: a second remap appends nothing. The log still rebuilds to the same projections."""
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import WISMO, Server, ev, main

SECRET = "ep_remap_secret"
HERE = os.path.dirname(os.path.abspath(__file__))
MAPPINGS = os.path.join(HERE, "..", "..", "mappings")


def tracker(number, details, status="unknown", tid="trk_remap"):
    return {"object": "Event", "id": "evt_" + number + str(len(details)), "description": "tracker.updated",
            "result": {"object": "Tracker", "id": tid + number, "tracking_code": number, "carrier": "UPS",
                       "status": status, "status_detail": None, "tracking_details": details}}


def detail(at, status, msg):
    return {"object": "TrackingDetail", "datetime": at, "status": status, "status_detail": None,
            "message": msg, "description": msg,
            "tracking_location": {"city": "Louisville", "state": "KY", "country": "US"}}


class Remap(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="wismo-remap-")
        cls.over = os.path.join(cls.tmp, "over")
        os.makedirs(cls.over)
        cfg = os.path.join(cls.tmp, "wismo.ini")
        with open(cfg, "w") as f:
            f.write("[source easypost]\nkind = aggregator\n"
                    f"[adapters]\noverrides = {cls.over}\n")
        os.environ["WISMO_SOURCE_EASYPOST_SECRET"] = SECRET
        cls.s = Server(tmp=cls.tmp, config=cfg).start()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def easypost(self, payload):
        raw = json.dumps(payload).encode()
        sig = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        return self.s.request("POST", "/hooks/easypost", raw=raw, key=None,
                              headers={"X-Hmac-Signature": "hmac-sha256-hex=" + sig,
                                       "Content-Type": "application/json"})

    def order(self, number):
        st, body = self.s.get(f"/v1/orders/{number}")
        self.assertEqual(st, 200, body)
        return body

    def unmapped(self):
        st, body = self.s.get("/v1/unmapped")
        self.assertEqual(st, 200, body)
        return {(u["source"], u["code"]): u["count"] for u in body["unmapped"]}

    def remap(self, body=None, key="admin"):
        return self.s.request("POST", "/v1/remap", body if body is not None else {}, key=key)

    def test_1_unknown_codes_are_queued_and_kept(self):
        st, body = self.s.post_events([ev("RM-1", "placed", "2026-05-01T09:00:00Z", source="shop"),
                                       ev("RM-1", "label_created", "2026-05-01T10:00:00Z", source="shop",
                                          package="1ZREMAP0001", carrier="ups"),
                                       ev("RM-2", "placed", "2026-05-01T09:00:00Z", source="shop"),
                                       ev("RM-2", "label_created", "2026-05-01T10:00:00Z", source="shop",
                                          package="1ZREMAP0002", carrier="ups")])
        self.assertEqual(st, 200, body)
        st, body = self.easypost(tracker("1ZREMAP0001", [
            detail("2026-05-02T08:00:00Z", "in_transit", "Arrived"),
            detail("2026-05-03T07:00:00Z", "teleported", "Loaded on the drone")]))
        self.assertEqual(st, 200, body)
        st, body = self.easypost(tracker("1ZREMAP0002", [
            detail("2026-05-02T09:00:00Z", "teleported", "Loaded on the drone"),
            detail("2026-05-02T12:00:00Z", "vanished", "Not seen")]))
        self.assertEqual(st, 200, body)
        self.assertEqual(self.order("RM-1")["packages"][0]["status"], "in_transit")
        q = self.unmapped()
        self.assertEqual(q.get(("easypost", "teleported")), 2)
        self.assertEqual(q.get(("easypost", "vanished")), 1)

    def test_2_nothing_to_correct_before_the_table_knows(self):
        st, body = self.remap({"dry_run": True})
        self.assertEqual(st, 200, body)
        self.assertEqual((body["bodies"], body["corrected"], body["still_unknown"]), (2, 0, 3), body)
        self.assertFalse(body["more"])

    def test_3_refusals(self):
        self.assertEqual(self.remap(key="agent")[0], 403)
        for bad in ({"limit": 0}, {"limit": 1.5}, {"source": 3}, {"dry_run": "yes"}, {"after": -1}):
            st, body = self.remap(bad)
            self.assertEqual((st, body["error"]["code"]), (422, "invalid_field"), bad)
        st, body = self.s.request("POST", "/v1/remap", raw=b"[1]", key="admin")
        self.assertEqual(st, 400, body)

    def test_4_the_fix_applies_everywhere_once(self):
        # the operator adds one code to an override table (it replaces the shipped table whole) and restarts
        shutil.copy(os.path.join(MAPPINGS, "easypost.tsv"), os.path.join(self.over, "easypost.tsv"))
        with open(os.path.join(self.over, "easypost.tsv"), "a") as f:
            f.write("teleported\tout_for_delivery\t\t\tadded by the operator\n")
        self.s.stop()
        self.s.start()
        st, body = self.remap({"dry_run": True, "source": "easypost", "code": "teleported"})
        self.assertEqual((st, body["corrected"]), (200, 2), body)
        self.assertEqual(self.order("RM-1")["packages"][0]["status"], "in_transit")  # a dry run changes nothing
        # one payload per call: the cursor goes on
        st, first = self.remap({"limit": 1})
        self.assertEqual(st, 200, first)
        self.assertEqual((first["bodies"], first["corrected"], first["more"]), (1, 1, True), first)
        st, second = self.remap({"limit": 1, "after": first["next"]})
        self.assertEqual((second["bodies"], second["corrected"], second["still_unknown"]), (1, 1, 1), second)
        self.assertEqual(self.order("RM-1")["packages"][0]["status"], "out_for_delivery")
        self.assertEqual(self.order("RM-2")["packages"][0]["status"], "out_for_delivery")
        # the original stays, superseded; the correction says which it corrects
        st, tl = self.s.get("/v1/orders/RM-1/timeline")
        self.assertEqual(st, 200)
        orig = [e for e in tl["events"] if e.get("code") == "teleported" and e["status"] == "unknown"]
        fixed = [e for e in tl["events"] if e.get("supersedes")]
        self.assertEqual(len(orig), 1)
        self.assertEqual(len(fixed), 1)
        self.assertEqual(fixed[0]["supersedes"], orig[0]["key"])
        self.assertEqual((fixed[0]["status"], fixed[0]["occurred_at"]), ("out_for_delivery", orig[0]["occurred_at"]))
        self.assertEqual(fixed[0]["raw_id"], orig[0]["raw_id"])
        # the queue: the fixed code is gone, the other stays
        q = self.unmapped()
        self.assertNotIn(("easypost", "teleported"), q)
        self.assertEqual(q.get(("easypost", "vanished")), 1)
        # again: nothing new (RM-2's payload still holds "vanished", so it is read again, and appends nothing)
        st, body = self.remap({})
        self.assertEqual((st, body["bodies"], body["corrected"], body["still_unknown"]), (200, 1, 0, 1), body)
        st, tl2 = self.s.get("/v1/orders/RM-1/timeline")
        self.assertEqual(len(tl2["events"]), len(tl["events"]))

    def test_5_the_command_asks_the_running_server(self):
        with open(os.path.join(self.over, "easypost.tsv"), "a") as f:
            f.write("vanished\texception\tlost\t\tadded by the operator\n")
        self.s.stop()
        self.s.start()
        env = dict(os.environ, WISMO_API_KEY=self.s.keys["admin"])
        cmd = [WISMO, "remap", "--url", f"http://127.0.0.1:{self.s.port}", "--config", self.s.config]
        r = subprocess.run(cmd + ["--dry-run"], capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("dry run: 1 payloads read again, 1 events would be corrected, 0 still unknown", r.stdout)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("1 payloads read again, 1 events corrected, 0 still unknown", r.stdout)
        self.assertEqual(self.unmapped(), {})
        pkg = self.order("RM-2")["packages"][0]
        self.assertEqual((pkg["status"], pkg["detail"]), ("exception", "lost"))
        # nothing left; and no key, no remap (the key never on the command line)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
        self.assertIn("0 payloads read again", r.stdout)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                           env={k: v for k, v in env.items() if k != "WISMO_API_KEY"})
        self.assertEqual(r.returncode, 2)
        self.assertIn("WISMO_API_KEY", r.stderr)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=dict(env, WISMO_API_KEY="wsm_nope"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("answered 401", r.stderr)

    def test_zz_rebuild_compares_identical(self):
        r = self.s.cli("rebuild", "--verify")
        self.assertIn("projections identical", r.stdout)
        self.assertEqual(self.order("RM-1")["packages"][0]["status"], "out_for_delivery")
        self.assertEqual(self.order("RM-2")["packages"][0]["status"], "exception")


if __name__ == "__main__":
    main()
