"""Integration tests for the security decisions of docs/security.md that are
code: key creation and revocation are in the audit log (and the log never
holds the key or its hash)."""
import hashlib
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, main  # noqa: E402


class Security(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server().start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.s.stop()
        assert rc == 0, f"server exit code {rc}"

    def audit(self):
        st, body = self.s.request("GET", "/v1/audit?limit=200", key="admin")
        self.assertEqual(st, 200, body)
        return body["entries"]

    def test_12_keys_create_and_revoke_audited(self):
        key = self.s.make_key("ingest", source="checkout")
        listed = [line.split() for line in self.s.cli("keys", "list").stdout.splitlines()[1:]]
        kid, role, prefix, source = [row for row in listed if key.startswith(row[2])][0][:4]
        self.assertEqual((role, source), ("ingest", "checkout"))
        made = [e for e in self.audit() if e["action"] == "key.create" and e["subject"] == kid]
        self.assertEqual(len(made), 1, self.audit())
        self.assertEqual(made[0]["actor"], "cli")
        self.assertEqual(made[0]["detail"], {"id": int(kid), "role": "ingest", "prefix": prefix,
                                             "source": "checkout"})
        # the three keys the harness made are there too
        self.assertGreaterEqual(len([e for e in self.audit() if e["action"] == "key.create"]), 4)

        self.s.cli("keys", "revoke", kid)
        gone = [e for e in self.audit() if e["action"] == "key.revoke" and e["subject"] == kid]
        self.assertEqual(len(gone), 1)
        self.assertEqual(gone[0]["detail"], {"id": int(kid)})
        # a refused revocation (no such key) writes nothing
        r = self.s.cli("keys", "revoke", "999999", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertFalse([e for e in self.audit() if e["subject"] == "999999"])
        # neither the key nor its hash is ever in the log
        text = str(self.audit())
        for k in list(self.s.keys.values()) + [key]:
            self.assertNotIn(k, text)
            self.assertNotIn(hashlib.sha256(k.encode()).hexdigest(), text)


if __name__ == "__main__":
    main()
