"""Lanes and predictions end to end (docs/predictions.md, docs/exceptions.md
"Lane rhythm"): the shop's own delivered parcels teach a lane its rhythm and
its transit times; after the lanes learn (at start, then every
lanes_refresh_minutes) a parcel on that lane stalls against the learned
rhythm, carries a predicted delivery window, and POST /v1/predictions
quotes the lane before checkout."""
import os
import sys
import unittest
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, ev, main  # noqa: E402

NOW = datetime.now(timezone.utc).replace(microsecond=0)
CA = {"city": "Fresno", "region": "CA", "country": "US"}
NY = {"line1": "1 Main St", "city": "Albany", "region": "NY", "postal_code": "12207", "country": "US"}
SAMPLES = 25


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parcel(order, tracking, shipped, transit_h, gap_h):
    """An order to New York shipped from California with UPS Ground: a scan
    every gap_h hours, delivered transit_h after the first."""
    events = [
        ev(order, "placed", iso(shipped - timedelta(hours=5)), source="shopify", ship_to=NY),
        ev(order, "in_transit", iso(shipped), package=tracking, carrier="ups", service="ground", location=CA),
    ]
    h = gap_h
    while h < transit_h:
        events.append(ev(order, "in_transit", iso(shipped + timedelta(hours=h)), package=tracking, carrier="ups",
                         service="ground"))
        h += gap_h
    events.append(ev(order, "delivered", iso(shipped + timedelta(hours=transit_h)), package=tracking,
                     carrier="ups", service="ground"))
    return events


class Predictions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server()
        cls.srv.config = os.path.join(cls.srv.tmp, "wismo.ini")
        with open(cls.srv.config, "w") as f:
            f.write("""
[calendar]
business_days = all

[exceptions]
sweep_seconds = 1
""")
        cls.srv.start()
        # SAMPLES deliveries in the last weeks: transit 48..72 h, longest
        # wait between scans 20..32 h (90th percentile 30 h)
        events = []
        for i in range(SAMPLES):
            shipped = NOW - timedelta(days=30 - i // 2, hours=i % 7)
            events += parcel(f"L-{i}", f"1ZLANE{i:04d}", shipped, 48 + i, 20 + (i * 12) // SAMPLES)
        st, body = cls.srv.post_events(events)
        assert st == 200, body
        # the lanes learn when the server starts
        cls.srv.stop()
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def agent(self, order):
        st, body = self.srv.get(f"/v1/orders/{order}?view=agent")
        self.assertEqual(st, 200, body)
        return body

    def test_13_a_learned_rhythm_catches_a_stall_the_default_would_miss(self):
        # last scan 40 h ago: under the default 48 h, over the lane's 30 h
        shipped = NOW - timedelta(hours=40)
        st, _ = self.srv.post_events([
            ev("L-NEW", "placed", iso(shipped - timedelta(hours=3)), source="shopify", ship_to=NY),
            ev("L-NEW", "in_transit", iso(shipped), package="1ZLANENEW", carrier="ups", service="ground",
               location=CA),
        ])
        self.assertEqual(st, 200)
        a = self.agent("L-NEW")
        stalled = [x for x in a["exceptions"] if x["kind"] == "stalled"]
        self.assertEqual(len(stalled), 1, a["exceptions"])
        self.assertEqual(stalled[0]["rhythm"], "learned")
        self.assertEqual(stalled[0]["threshold_hours"], 30)
        self.assertIn(f"90th percentile of {SAMPLES} delivered parcels", stalled[0]["reason"])
        self.assertIn("origin, destination", stalled[0]["reason"])
        # the prediction: the lane's 5th..95th percentile of transit, in days
        p = a["order"]["packages"][0]["predicted"]
        self.assertEqual((p["basis"], p["lane_level"], p["samples"]), ("lane", 0, SAMPLES))
        likely = datetime.fromisoformat(p["likely"].replace("Z", "+00:00"))
        self.assertEqual(likely - shipped, timedelta(hours=48 + 12))  # nearest rank: the 13th of 25
        earliest = datetime.fromisoformat(p["earliest"].replace("Z", "+00:00"))
        latest = datetime.fromisoformat(p["latest"].replace("Z", "+00:00"))
        self.assertLessEqual(earliest, likely)
        self.assertLess(likely, latest)
        self.assertEqual((earliest.hour, earliest.minute), (0, 0))
        self.assertEqual((latest.hour, latest.minute, latest.second), (23, 59, 59))
        self.assertEqual(p["best"], p["likely"])  # no revised carrier estimate

    def test_13_another_lane_falls_back_to_the_carrier_level(self):
        shipped = NOW - timedelta(hours=40)
        texas = {"city": "Austin", "region": "TX", "country": "US"}
        self.srv.post_events([
            ev("L-TX", "placed", iso(shipped - timedelta(hours=3)), source="shopify", ship_to=texas),
            ev("L-TX", "in_transit", iso(shipped), package="1ZLANETX", carrier="ups", service="ground",
               location=CA),
        ])
        p = self.agent("L-TX")["order"]["packages"][0]["predicted"]
        self.assertEqual((p["basis"], p["lane_level"]), ("lane", 2))  # carrier + service
        # a carrier never seen: no lane, no estimate, no prediction
        self.srv.post_events([ev("L-DHL", "in_transit", iso(shipped), package="JD0001", carrier="dhl")])
        self.assertNotIn("predicted", self.agent("L-DHL")["order"]["packages"][0])

    def test_13_quote_before_checkout(self):
        body = {"ship_date": "2030-01-07", "origin": {"country": "us", "region": "CA"},
                "destination": {"country": "US", "region": "NY"}}
        for key in ("agent", "ingest"):
            st, q = self.srv.request("POST", "/v1/predictions", body, key=key)
            self.assertEqual(st, 200, q)
        self.assertEqual((q["origin"], q["destination"]), ("US-CA", "US-NY"))
        self.assertEqual(q["ship_date"], "2030-01-07T17:00:00Z")
        got = [(p["carrier"], p["service"], p["lane_level"], p["samples"]) for p in q["predictions"]]
        self.assertIn(("ups", "ground", 0, SAMPLES), got)
        self.assertIn(("ups", None, 3, SAMPLES), got)  # the carrier as a whole
        for p in q["predictions"]:
            self.assertLessEqual(p["earliest"], p["likely"])
            self.assertLessEqual(p["likely"], p["latest"])
        # a filter on another carrier: nothing learned
        st, q = self.srv.request("POST", "/v1/predictions", dict(body, carrier="fedex"), key="agent")
        self.assertEqual((st, q["predictions"]), (200, []))

    def test_13_quote_refuses_bad_input(self):
        cases = [
            ({"destination": {"country": "US"}}, 422, "missing_field"),
            ({"ship_date": "soon", "destination": {"country": "US"}}, 422, "invalid_time"),
            ({"ship_date": "2030-01-07"}, 422, "invalid_field"),
            ({"ship_date": "2030-01-07", "destination": {"country": "USA"}}, 422, "invalid_field"),
            ({"ship_date": "2030-01-07", "destination": {"country": "US"}, "carrier": 7}, 422, "invalid_field"),
            ([1, 2], 400, "invalid_body"),
        ]
        for body, status, code in cases:
            st, r = self.srv.request("POST", "/v1/predictions", body, key="agent")
            self.assertEqual((st, r["error"]["code"]), (status, code), body)
        st, r = self.srv.request("POST", "/v1/predictions", raw=b'{"ship_date":"2030-01-07"} {}', key="agent")
        self.assertEqual((st, r["error"]["code"]), (400, "malformed_json"))

    def test_zz_rebuild_compares_identical(self):
        r = self.srv.cli("rebuild", "--verify")
        self.assertIn("projections identical", r.stdout, r.stdout + r.stderr)


if __name__ == "__main__":
    main()
