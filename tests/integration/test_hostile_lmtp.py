"""The MDA's LMTP client against an LMTP server that breaks RFC 2033
(hostile_peer.HostilePeer in LMTP mode on loopback).

After the final dot an LMTP server owes one reply per recipient it took
at RCPT, in RCPT order. Too few replies, a 354 among them, an extra reply,
or a 250 to DATA are never a delivery: the MTA keeps the recipient
(event=deferred, 4.x.x) and delivers it once the server behaves.
Mail goes msa -> mta -> mda -> peer; the deferrals and deliveries are
read from the MTA's log.
"""
import re
import unittest

from harness import ChainTestCase, free_port, wait_until
from hostile_peer import HostilePeer, lmtp_replies, taken
from peer_outcomes import WAIT, PeerOutcomes
from smtp_checks import submit_as_demo

A, B = "lmtp1@example.test", "lmtp2@example.test"


class LmtpTestCase(ChainTestCase, PeerOutcomes):
    def setUp(self):
        super().setUp()
        self.lmtp_port = free_port()
        # Two users go to the peer (one LMTP transaction for both); the
        # rest, demo included, keep their Maildirs. The LMTP bound stays
        # below the MTA's deliver_timeout_ms (2000 in the harness).
        with open(self.chain.path("mda.conf"), "a") as f:
            for user in (A, B):
                f.write(f'delivery {{ match: "{user}" method: LMTP server: "127.0.0.1:{self.lmtp_port}" '
                        f'timeout_ms: 1500 }}\n')
        self.chain.start_all()

    def peer(self, **script):
        peer = HostilePeer("127.0.0.1", self.lmtp_port, lmtp=True, hostname="lmtp.test", **script).start()
        self.addCleanup(peer.stop)
        self.show_peer_on_failure("lmtp peer", peer)
        return peer

    def submit(self, recipients, subject="over lmtp"):
        return submit_as_demo(self, recipients, subject, b"hello lmtp\r\n")

    def events(self, event, queue_id, rcpt):
        return re.findall(rf"event={event} queue_id={queue_id} to={re.escape(rcpt)} relay=mda .*",
                          self.chain.log("mta"))

    def assert_kept(self, queue_id, rcpt, peer):
        """rcpt's first outcome is a 4.x.x deferral, and the MTA never says
        delivered more often than the peer really took it (a retry may meet
        a script that is no longer hostile for fewer recipients)."""
        self.assert_deferred_not_delivered(queue_id, rcpt, peer, dsn=r"4\.\d+\.\d+")

    def assert_delivered_when_peer_behaves(self, queue_id, rcpts, peer, exactly_once=()):
        for rcpt in rcpts:
            self.assert_never_delivered_unless_taken(queue_id, rcpt, peer)
        peer.set_script(lmtp=True, hostname="lmtp.test")
        for rcpt in rcpts:
            delivered = wait_until(lambda: self.events("delivered", queue_id, rcpt), WAIT)
            self.assertTrue(delivered, f"{rcpt} not delivered by a well-behaved server")
            self.assertEqual(len(delivered), 1)
            self.assertGreaterEqual(peer.accepted_count(rcpt, queue_id.encode()), 1)
        for rcpt in exactly_once:
            self.assertEqual(peer.accepted_count(rcpt, queue_id.encode()), 1, rcpt)


class HostileLmtp(LmtpTestCase):
    def test_well_behaved_server_gets_both_recipients_in_one_transaction(self):
        peer = self.peer()
        queue_id = self.submit([A, B])
        self.assert_delivered_when_peer_behaves(queue_id, [A, B], peer, exactly_once=[A, B])
        accepted = [t for t in peer.transactions() if t["accepted"]]
        self.assertEqual(len(accepted), 1)
        self.assertEqual(sorted(accepted[0]["rcpts"]), [A, B])

    def test_too_few_replies_after_the_dot_then_silence_keep_the_unanswered_recipient(self):
        # One reply short, on every try: the last recipient gets silence.
        peer = self.peer(lmtp_dot=lambda turn: [(rcpt, b"250 2.0.0 Ok\r\n") for rcpt in taken(turn.transaction)[:-1]])
        queue_id = self.submit([A, B])
        self.assert_kept(queue_id, B, peer)
        self.assert_delivered_when_peer_behaves(queue_id, [A, B], peer, exactly_once=[B])

    def test_354_among_the_replies_after_the_dot_is_not_a_delivery(self):
        peer = self.peer(lmtp_dot=lmtp_replies(b"354 Go ahead\r\n", b"250 2.0.0 Ok\r\n"))
        queue_id = self.submit([A, B])
        self.assert_kept(queue_id, A, peer)
        self.assert_delivered_when_peer_behaves(queue_id, [A, B], peer, exactly_once=[A])

    def test_extra_reply_after_the_dot_delivers_nobody(self):
        # A stray 250 in front of the two real answers (both 451): a client
        # that reads two replies takes the stray for the first recipient's.
        peer = self.peer(lmtp_dot=lambda turn: [(None, b"250 2.0.0 Ok\r\n")] + [
            (rcpt, b"451 4.2.0 Mailbox busy\r\n") for rcpt in taken(turn.transaction)])
        queue_id = self.submit([A, B])
        self.assert_kept(queue_id, A, peer)
        self.assert_kept(queue_id, B, peer)
        self.assert_delivered_when_peer_behaves(queue_id, [A, B], peer, exactly_once=[A, B])

    def test_250_to_data_instead_of_354_is_not_a_delivery(self):
        peer = self.peer(data=b"250 2.0.0 Ok\r\n")
        queue_id = self.submit([A])
        self.assert_kept(queue_id, A, peer)
        self.assert_delivered_when_peer_behaves(queue_id, [A], peer, exactly_once=[A])


if __name__ == "__main__":
    unittest.main()
