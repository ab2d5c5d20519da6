"""A recipient can never name a path outside its Maildir. A hostile (or
buggy) MTA speaks the Deliver contract straight to the real MDA over
ZeroMQ with addresses built to climb out of mail_root; each must be
refused permanently (550 5.1.3) and nothing may be written anywhere else.
"""
import os
import unittest

import wire
from harness import ChainTestCase

HOSTILE = [
    "../../etc@example.test",
    "..@example.test",
    ".hidden@example.test",
    "a/b@example.test",
    "a\\b@example.test",
    "demo@../../tmp",
    "demo@example.test/../..",
    "demo@/etc",
    "/etc/passwd@example.test",
    "de\0mo@example.test",
    "demo\n@example.test",
    "x" * 300 + "@example.test",
    "demo@" + "d" * 300,
    "demo",
    "@example.test",
    "demo@",
]


class HostileDeliver(ChainTestCase):
    def test_paths_out_of_mail_root_are_refused_and_nothing_is_written(self):
        self.chain.start("mda")
        peer = wire.ZmqPeer(f"tcp://127.0.0.1:{self.chain.ports['mda']}")
        self.addCleanup(peer.close)
        pb = peer.pb
        before = self._all_files()
        envelope = pb.Envelope(mail_from="attacker@remote.test", queue_id="01M85E0000000000AA")
        recipients = [pb.DeliveryRecipient(address=a) for a in HOSTILE] + [
            pb.DeliveryRecipient(address="demo@example.test")]
        reply = peer.request(deliver=pb.Deliver(delivery_id="01M85E0000000000AA.1", envelope=envelope,
                                                recipients=recipients, message=b"Subject: x\r\n\r\nx\r\n"))
        results = {r.address: r for r in reply.deliver_reply.results}
        for address in HOSTILE:
            result = results[address]
            self.assertEqual(result.outcome, pb.PERMFAIL, repr(address))
            self.assertEqual((result.status.code, result.status.enhanced), (550, "5.1.3"), repr(address))
            self.assertNotIn("\n", result.status.text)
        # The good recipient in the same request is delivered.
        self.assertEqual(results["demo@example.test"].outcome, pb.DELIVERED)
        new_files = self._all_files() - before
        self.assertEqual(len(new_files), 1, new_files)
        (written,) = new_files
        self.assertTrue(written.startswith(self.chain.path("mail", "example.test", "demo", "new") + "/"), written)

    def _all_files(self):
        """Every file in the chain's dir, and any Maildir file (its name
        holds our MDA's hostname) at the top of /tmp or /etc, where an
        escape would land; other tests' files there are not ours."""
        found = set()
        for directory, _, names in os.walk(self.chain.dir):
            found.update(os.path.join(directory, n) for n in names)
        for root in ("/tmp", "/etc"):
            found.update(os.path.join(root, n) for n in os.listdir(root) if "mda.test" in n)
        found.discard(self.chain.log_path("mda"))
        return found


if __name__ == "__main__":
    unittest.main()
