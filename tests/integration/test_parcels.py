"""Parcel ownership end to end (docs/parcels.md): a tracking number posted
for a second order by another source is a conflict on both orders and a
parcel_claimed task while the carrier's scans keep going to the first order,
in both orders of arrival; the source that attached it moves it without a
conflict; a number idle past [parcels] reuse_after_days goes to the new
order; and the log rebuilds to the same projections."""
import hashlib
import hmac
import json
import os
import sys
import unittest
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, ev, main  # noqa: E402

EASYPOST_SECRET = "ep_parcels_secret"


def at(**delta):
    return (datetime.now(timezone.utc) + timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


def easypost_scan(tracking, status, when, eid):
    """An EasyPost tracker update: it names the tracking number, never the order."""
    return {
        "object": "Event", "id": eid, "description": "tracker.updated", "mode": "test",
        "result": {
            "object": "Tracker", "id": "trk_" + eid, "tracking_code": tracking, "carrier": "UPS",
            "status": status, "status_detail": None, "est_delivery_date": None,
            "tracking_details": [{
                "object": "TrackingDetail", "datetime": when, "status": status, "status_detail": None,
                "message": "scan " + eid, "description": "scan", "source": "UPS",
                "tracking_location": {"object": "TrackingLocation", "city": "Louisville", "state": "KY",
                                      "country": "US", "zip": None}}],
        },
    }


class Parcels(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server()
        cls.srv.config = os.path.join(cls.srv.tmp, "wismo.ini")
        with open(cls.srv.config, "w") as f:
            f.write("""
[source easypost]
kind = aggregator

[calendar]
business_days = all

[parcels]
reuse_after_days = 90
""")
        os.environ["WISMO_SOURCE_EASYPOST_SECRET"] = EASYPOST_SECRET
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    # ---- helpers ----

    def post(self, *events):
        st, body = self.srv.post_events(list(events))
        self.assertEqual(st, 200, body)
        return body

    def scan(self, tracking, status, when, eid):
        raw = json.dumps(easypost_scan(tracking, status, when, eid)).encode()
        sig = hmac.new(EASYPOST_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        st, body = self.srv.request("POST", "/hooks/easypost", raw=raw, key=None,
                                    headers={"X-Hmac-Signature": "hmac-sha256-hex=" + sig,
                                             "Content-Type": "application/json"})
        self.assertEqual(st, 200, body)
        self.assertEqual(body["accepted"], 1, body)

    def order(self, number):
        st, body = self.srv.get(f"/v1/orders/{number}")
        self.assertEqual(st, 200, body)
        return body

    def agent(self, number):
        st, body = self.srv.get(f"/v1/orders/{number}?view=agent")
        self.assertEqual(st, 200, body)
        return body

    def timeline(self, number):
        st, body = self.srv.get(f"/v1/orders/{number}/timeline")
        self.assertEqual(st, 200, body)
        return body["events"]

    def tasks(self, number):
        st, body = self.srv.get(f"/v1/tasks?order={number}")
        self.assertEqual(st, 200, body)
        return body["tasks"]

    def parcel_conflicts(self, o):
        return [c for c in o["conflicts"] if c["milestone"] == "parcel"]

    def assert_claimed(self, tracking, owner, claimant, claim_source):
        a, b = self.order(owner), self.order(claimant)
        # the owner keeps the parcel; the claimant does not get it
        self.assertEqual([p["tracking_number"] for p in a["packages"]], [tracking])
        self.assertEqual(b["packages"], [])
        for o in (a, b):
            self.assertIn("conflict", o["flags"], o["order"])
            [c] = self.parcel_conflicts(o)
            self.assertEqual(c["package"], tracking)
            self.assertEqual((c["claim"]["order"], c["claim"]["source"]), (claimant, claim_source))
            self.assertEqual(c["resolved"]["order"], owner)
        # the claiming event stays on the claimant's timeline as the claim of
        # the open conflict
        [e] = [e for e in self.timeline(claimant) if e.get("package") == tracking]
        self.assertEqual((e["outcome"], e["conflict"]), ("claim", True))
        # one task, on the owning order, for the warehouse, naming both orders
        [t] = [t for t in self.tasks(owner) if t["kind"] == "parcel_claimed"]
        self.assertEqual((t["team"], t["state"], t["package"]), ("warehouse", "open", tracking))
        self.assertIn(f"Tracking number {tracking} is claimed by orders {owner} and {claimant}", t["reason"])
        self.assertFalse([t for t in self.tasks(claimant) if t["kind"] == "parcel_claimed"])
        x = [x for x in self.agent(owner)["exceptions"] if x["kind"] == "parcel_claimed"]
        self.assertEqual([x["package"] for x in x], [tracking])
        # both orders are in the dashboard's conflict queue
        st, q = self.srv.get("/v1/queues/conflicts?limit=100")
        self.assertEqual(st, 200, q)
        names = {r["order"] for r in q.get("items", q.get("conflicts", q.get("orders", [])))}
        self.assertTrue({owner, claimant} <= names, q)

    # ---- (1) A attaches, then B claims from another source ----

    def test_1_claim_by_another_source_is_a_conflict_on_both(self):
        self.post(ev("PA-1", "placed", at(hours=-30), source="shopify"),
                  ev("PA-1", "label_created", at(hours=-29), source="shipstation", package="1ZPARCEL0001"),
                  ev("PB-1", "placed", at(hours=-28), source="shopify"))
        self.post(ev("PB-1", "label_created", at(hours=-27), source="scans", package="1ZPARCEL0001"))
        self.assert_claimed("1ZPARCEL0001", "PA-1", "PB-1", "scans")
        # a later carrier scan, which names no order, goes to the owner
        self.scan("1ZPARCEL0001", "in_transit", at(hours=-20), "p1s1")
        a, b = self.order("PA-1"), self.order("PB-1")
        self.assertEqual(a["packages"][0]["status"], "in_transit")
        self.assertEqual(a["status"], "shipped")
        self.assertEqual(b["events"], 2)
        self.assertEqual(b["packages"], [])
        self.assertEqual(self.order("1ZPARCEL0001")["order"], "PA-1")
        # the conflict stands after the scan
        self.assertEqual(len(self.parcel_conflicts(self.order("PB-1"))), 1)

    # ---- (1') the other order of arrival: B's claim first ----

    def test_2_other_order_of_arrival_the_first_attach_owns(self):
        # the warehouse's attach to PD-2 arrives first, though it is dated
        # later than the shipping software's attach to PC-2: the first
        # attach recorded owns the number (docs/parcels.md)
        self.post(ev("PD-2", "placed", at(hours=-30), source="shopify"),
                  ev("PD-2", "label_created", at(hours=-26), source="scans", package="1ZPARCEL0002"))
        self.post(ev("PC-2", "placed", at(hours=-30), source="shopify"),
                  ev("PC-2", "label_created", at(hours=-27), source="shipstation", package="1ZPARCEL0002"))
        self.assert_claimed("1ZPARCEL0002", "PD-2", "PC-2", "shipstation")
        self.scan("1ZPARCEL0002", "in_transit", at(hours=-20), "p2s1")
        self.assertEqual(self.order("PD-2")["packages"][0]["status"], "in_transit")
        self.assertEqual(self.order("PC-2")["packages"], [])

    # ---- (2) the owning source moves it ----

    def test_3_the_owning_source_moves_the_parcel(self):
        self.post(ev("PE-3", "placed", at(hours=-30), source="shopify"),
                  ev("PE-3", "label_created", at(hours=-29), source="shopify", package="1ZPARCEL0003"),
                  ev("PF-3", "placed", at(hours=-28), source="shopify"))
        self.scan("1ZPARCEL0003", "in_transit", at(hours=-27), "p3s1")
        self.assertEqual(self.order("PE-3")["packages"][0]["status"], "in_transit")
        # the store corrects the fulfillment: the parcel is PF-3's
        self.post(ev("PF-3", "label_created", at(hours=-26), source="shopify", package="1ZPARCEL0003"))
        e, f = self.order("PE-3"), self.order("PF-3")
        self.assertEqual(e["packages"], [])
        self.assertEqual(e["status"], "placed")
        self.assertEqual([p["tracking_number"] for p in f["packages"]], ["1ZPARCEL0003"])
        for o in (e, f):
            self.assertNotIn("conflict", o["flags"], o["order"])
            self.assertEqual(o["conflicts"], [])
        # PE-3's timeline says where it went
        self.assertEqual(len(e["moved_parcels"]), 1)
        self.assertEqual((e["moved_parcels"][0]["package"], e["moved_parcels"][0]["to"],
                          e["moved_parcels"][0]["source"]), ("1ZPARCEL0003", "PF-3", "shopify"))
        moved = [x for x in self.timeline("PE-3") if x.get("package") == "1ZPARCEL0003"]
        self.assertEqual({x["outcome"] for x in moved}, {"moved"})
        self.assertEqual({x["moved_to"] for x in moved}, {"PF-3"})
        self.assertEqual(f["moved_parcels"], [])
        self.assertFalse([t for t in self.tasks("PE-3") + self.tasks("PF-3") if t["kind"] == "parcel_claimed"])
        # the carrier's next scan goes to the new owner
        self.scan("1ZPARCEL0003", "out_for_delivery", at(hours=-20), "p3s2")
        self.assertEqual(self.order("PF-3")["packages"][0]["status"], "out_for_delivery")
        self.assertEqual(self.order("PE-3")["packages"], [])

    # ---- (3) a number the carrier reused months later ----

    def test_4_a_number_idle_past_the_window_goes_to_the_new_order(self):
        self.post(ev("PG-4", "placed", at(days=-200), source="shopify"),
                  ev("PG-4", "label_created", at(days=-199), source="shipstation", package="1ZPARCEL0004"))
        self.scan("1ZPARCEL0004", "delivered", at(days=-197), "p4s1")
        self.assertEqual(self.order("PG-4")["status"], "delivered")
        # 197 days later another order gets the same number from another source
        self.post(ev("PH-4", "placed", at(hours=-5), source="shopify"),
                  ev("PH-4", "label_created", at(hours=-4), source="scans", package="1ZPARCEL0004"))
        g, h = self.order("PG-4"), self.order("PH-4")
        for o in (g, h):
            self.assertNotIn("conflict", o["flags"], o["order"])
            self.assertEqual(o["conflicts"], [])
        # PG-4 keeps its history; PH-4 has the new shipment
        self.assertEqual(g["status"], "delivered")
        self.assertEqual(g["packages"][0]["status"], "delivered")
        self.assertEqual(h["packages"][0]["status"], "label_created")
        self.scan("1ZPARCEL0004", "in_transit", at(hours=-2), "p4s2")
        self.assertEqual(self.order("PH-4")["packages"][0]["status"], "in_transit")
        self.assertEqual(self.order("PG-4")["events"], 3)
        self.assertEqual(self.order("1ZPARCEL0004")["order"], "PH-4")
        self.assertFalse([t for t in self.tasks("PG-4") + self.tasks("PH-4") if t["kind"] == "parcel_claimed"])

    def test_5_within_the_window_it_stays_a_claim(self):
        self.post(ev("PI-5", "placed", at(days=-60), source="shopify"),
                  ev("PI-5", "label_created", at(days=-59), source="shipstation", package="1ZPARCEL0005"),
                  ev("PJ-5", "placed", at(hours=-3), source="shopify"),
                  ev("PJ-5", "label_created", at(hours=-2), source="scans", package="1ZPARCEL0005"))
        self.assertEqual(self.order("PJ-5")["packages"], [])
        self.assertEqual(len(self.parcel_conflicts(self.order("PI-5"))), 1)

    # ---- the log still rebuilds byte for byte ----

    def test_zz_rebuild_compares_identical(self):
        r = self.srv.cli("rebuild", "--verify")
        self.assertIn("projections identical", r.stdout)
        # and the rebuilt projections still tell the same story
        self.assertEqual(self.order("1ZPARCEL0001")["order"], "PA-1")
        self.assertEqual(self.order("PB-1")["packages"], [])
        self.assertEqual(self.order("1ZPARCEL0003")["order"], "PF-3")
        self.assertEqual(self.order("1ZPARCEL0004")["order"], "PH-4")


if __name__ == "__main__":
    main()
