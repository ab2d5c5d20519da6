"""What the MTA's log says happened to a recipient, checked against what
a hostile_peer.HostilePeer really took: shared by test_hostile_relay.py
(a remote MX behind the relay) and test_hostile_lmtp.py (an LMTP server
behind the MDA). The rule both show: "delivered" in the log is never
said more often than the peer accepted the message (DESIGN rule 1).
"""
import re

from harness import wait_until

WAIT = 20  # seconds: bound of every wait for one event


class PeerOutcomes:
    """A mixin for harness.ChainTestCase."""

    def show_peer_on_failure(self, name, peer):
        self.show_log_on_failure(name, lambda: "\n".join(f"conn {n}: {line!r}" for n, line in peer.commands()))

    def outcomes(self, queue_id, rcpt):
        """[(event, line)] for rcpt, in log order."""
        return re.findall(rf"event=(delivered|deferred|bounced) (queue_id={queue_id} to={re.escape(rcpt)} .*)",
                          self.chain.log("mta"))

    def assert_deferred_not_delivered(self, queue_id, rcpt, peer, dsn=r"4\.4\.2"):
        """rcpt's first outcome is a deferral with `dsn` (a regex), and the
        MTA never says delivered more often than the peer really took the
        message; the deferral's log line."""
        found = wait_until(lambda: self.outcomes(queue_id, rcpt), WAIT)
        self.assertTrue(found, f"no outcome for {rcpt} ({queue_id}) in {WAIT}s")
        event, line = found[0]
        self.assertEqual(event, "deferred", f"{rcpt} not kept: {line}")
        self.assertRegex(line, rf"dsn={dsn} ")
        self.assert_never_delivered_unless_taken(queue_id, rcpt, peer)
        return line

    def assert_never_delivered_unless_taken(self, queue_id, rcpt, peer):
        outcomes = self.outcomes(queue_id, rcpt)  # read before the peer: it took first
        delivered = [line for event, line in outcomes if event == "delivered"]
        self.assertLessEqual(len(delivered), peer.accepted_count(rcpt, queue_id.encode()),
                             f"{rcpt} logged delivered without the peer taking it: {delivered}")
        self.assertEqual([line for event, line in outcomes if event == "bounced"], [], f"{rcpt} bounced")
