"""The MTA's outbound relay against remote servers that break the SMTP
dialogue (hostile_peer.HostilePeer on loopback, found through dnsmasq).

A reply counts as acceptance only when it is the one RFC 5321 expects at
that step (DESIGN rule 1): a stray 250, a 250 to DATA, a 354 to the final
dot or a 250 while the body is still being sent is a protocol error,
TEMPFAIL 451 4.4.2. The message stays queued (event=deferred dsn=4.4.2),
is never logged event=delivered, and a later attempt to a server that
behaves delivers it exactly once. Replies with bytes that are not UTF-8
are kept queued across a restart without corrupting the spool.
"""
import re
import unittest

from dns_server import DnsServer
from harness import ChainTestCase, free_port, wait_until
from hostile_peer import HostilePeer, if_body_contains, per_recipient
from peer_outcomes import WAIT, PeerOutcomes
from smtp_checks import submit_as_demo

DOMAIN = "hostile.test"
PEER_ADDRESS = "127.0.0.2"
RECORDS = {"mx": [(DOMAIN, "mx." + DOMAIN, 10)], "a": [("mx." + DOMAIN, PEER_ADDRESS)]}


class RelayTestCase(ChainTestCase, PeerOutcomes):
    """A chain whose outbound port is self.peer_port, DNS from `records`,
    short timeouts and the harness's fast retries (0.5 s, then 1 s)."""

    records = RECORDS
    outbound_extra = ""

    def setUp(self):
        self.peer_port = free_port()
        self.dns = DnsServer.started_for(self, self.records)
        self.chain_options = dict(self.chain_options)
        self.chain_options["mta_overrides"] = self.chain_options.get("mta_overrides", "") + f"""
{self.dns.mta_config(timeout_ms=500, tries=2)}
outbound {{ port: {self.peer_port} connect_timeout_ms: 1000 command_timeout_ms: 3000
           data_timeout_ms: 3000 {self.outbound_extra} }}
"""
        self.chain_options["retry_overrides"] = (self.chain_options.get("retry_overrides", "") +
                                                 " max_queue_lifetime_ms: 600000").strip()
        super().setUp()
        self.prepare_chain()
        self.chain.start_all()

    def prepare_chain(self):
        """Hook: edit the chain's files before its processes start."""

    def peer(self, address=PEER_ADDRESS, **script):
        peer = HostilePeer(address, self.peer_port, **script).start()
        self.addCleanup(peer.stop)
        self.show_peer_on_failure(f"peer {address}", peer)
        return peer

    def submit(self, recipients, subject="hostile", body=b"hello outside\r\n"):
        """Submits as demo through the MSA; the queue id."""
        return submit_as_demo(self, recipients, subject, body)

    # --- the MTA's log -----------------------------------------------------
    def events(self, event, queue_id, rcpt=None):
        to = re.escape(rcpt) if rcpt else r"\S+"
        return re.findall(rf"event={event} queue_id={queue_id} to={to} .*", self.chain.log("mta"))

    def wait_for_outcome(self, queue_id, rcpt, timeout=WAIT):
        """Waits until the MTA logged an outcome for rcpt; the lines by event."""
        found = wait_until(lambda: self.outcomes(queue_id, rcpt), timeout)
        self.assertTrue(found, f"no outcome for {rcpt} ({queue_id}) in {timeout}s")
        return {e: [line for event, line in found if event == e] for e in ("delivered", "deferred", "bounced")}

    def assert_delivered_once_when_peer_behaves(self, queue_id, rcpt, peer):
        self.assert_never_delivered_unless_taken(queue_id, rcpt, peer)
        peer.set_script()
        delivered = wait_until(lambda: self.events("delivered", queue_id, rcpt), WAIT)
        self.assertTrue(delivered, f"{rcpt} not delivered by a well-behaved server")
        self.assertEqual(len(delivered), 1)
        self.assertEqual(peer.accepted_count(rcpt, queue_id.encode()), 1)

    def hostile_case(self, **script):
        """One message against the script: 4.4.2, then delivered once."""
        peer = self.peer(**script)
        rcpt = "user@" + DOMAIN
        queue_id = self.submit(rcpt)
        self.assert_deferred_not_delivered(queue_id, rcpt, peer)
        self.assert_delivered_once_when_peer_behaves(queue_id, rcpt, peer)
        return peer


NO_PIPELINING = ["8BITMIME", "ENHANCEDSTATUSCODES", "SIZE 52428800"]
STRAY_AFTER_MAIL = b"250 2.1.0 Sender ok\r\n250 2.0.0 Ok\r\n"


class ProtocolErrors(RelayTestCase):
    def test_extra_250_after_mail_with_pipelining_is_4_4_2_and_retried(self):
        self.hostile_case(mail=STRAY_AFTER_MAIL)

    def test_extra_250_after_mail_without_pipelining_is_4_4_2_and_retried(self):
        self.hostile_case(mail=STRAY_AFTER_MAIL, extensions=NO_PIPELINING)

    def test_250_to_data_instead_of_354_is_4_4_2_and_retried(self):
        self.hostile_case(data=b"250 2.0.0 Ok\r\n")

    def test_250_to_data_without_pipelining_is_4_4_2_and_retried(self):
        self.hostile_case(data=b"250 2.0.0 Ok\r\n", extensions=NO_PIPELINING)

    def test_354_to_the_final_dot_is_4_4_2_and_retried(self):
        self.hostile_case(dot=b"354 Go ahead\r\n")

    def test_250_while_the_body_is_still_sent_then_silence_is_4_4_2_and_retried(self):
        # The peer says 250 after 64 KiB of body, and nothing after the dot.
        # 8 MiB, more than the socket buffers hold at that point (about
        # 1 MiB on loopback early in a connection): the client is still
        # writing when the 250 comes, so it can tell it was not asked for.
        peer = self.peer(early_reply=(64 * 1024, b"250 2.0.0 Ok: queued early\r\n"), dot=None)
        rcpt = "user@" + DOMAIN
        body = (b"x" * 98 + b"\r\n") * (8 * 1024 * 1024 // 100)
        queue_id = self.submit(rcpt, "big", body)
        self.assert_deferred_not_delivered(queue_id, rcpt, peer)
        self.assert_delivered_once_when_peer_behaves(queue_id, rcpt, peer)


class CachedConnection(RelayTestCase):
    # Long enough that the second message finds the first one's connection.
    outbound_extra = "connection_cache_ms: 15000"

    def test_stray_reply_waiting_in_a_cached_connection_does_not_deliver_the_next_message(self):
        # The first message is taken (250); a moment later a stray 250
        # follows into the idle connection. The second is refused at the
        # dot (451) whatever connection it uses. A client that reuses the
        # connection unaware reads the stray and shifted replies, and takes
        # the RCPT 250 for the DATA answer.
        peer = self.peer(dot=if_body_contains(b"Subject: first", b"250 2.0.0 Ok: queued\r\n",
                                              b"451 4.3.0 Not this one, try again later\r\n"),
                         after_dot_later=if_body_contains(b"Subject: first", (0.2, b"250 2.0.0 Ok\r\n"), None))
        rcpt = "user@" + DOMAIN
        first = self.submit(rcpt, "first")
        self.assertTrue(wait_until(lambda: self.events("delivered", first, rcpt), WAIT), "first not delivered")
        self.assertTrue(wait_until(lambda: peer.late_replies_sent, WAIT), "the stray reply was not sent")
        second = self.submit(rcpt, "second")
        self.assert_deferred_not_delivered(second, rcpt, peer, dsn=r"4\.\d+\.\d+")
        self.assertRegex(self.chain.log("mta"), r"event=smtp_protocol_error queue_id=%s .*step=\"cached connection\"" % second)
        self.assert_delivered_once_when_peer_behaves(second, rcpt, peer)
        self.assertEqual(len(self.events("delivered", first, rcpt)), 1)

    def test_extra_reply_right_after_the_dots_reply_counts_for_nobody(self):
        # Two replies to one dot in one write: which was the answer cannot
        # be known, so the message stays queued (4.4.2) and is sent again;
        # the peer gets it twice (at-least-once), the MTA says delivered once.
        peer = self.peer(dot=b"250 2.0.0 Ok: queued\r\n250 2.0.0 Ok\r\n")
        rcpt = "user@" + DOMAIN
        queue_id = self.submit(rcpt)
        found = wait_until(lambda: self.outcomes(queue_id, rcpt), WAIT)
        self.assertTrue(found, f"no outcome for {rcpt}")
        self.assertEqual(found[0][0], "deferred", found[0][1])
        self.assertRegex(found[0][1], r"dsn=4\.4\.2 ")
        peer.set_script()
        delivered = wait_until(lambda: self.events("delivered", queue_id, rcpt), WAIT)
        self.assertTrue(delivered, f"{rcpt} not delivered by a well-behaved server")
        self.assertEqual(len(delivered), 1)


class Retries(RelayTestCase):
    """What the old client already gets right: plain 4xx, kept and retried."""

    def test_plain_4xx_at_rcpt_is_deferred_with_its_code_and_delivered_once_later(self):
        peer = self.peer(rcpt=b"451 4.7.1 Greylisted, try again later\r\n")
        rcpt = "user@" + DOMAIN
        queue_id = self.submit(rcpt)
        line = self.assert_deferred_not_delivered(queue_id, rcpt, peer, dsn=r"4\.7\.1")
        self.assertIn("Greylisted", line)
        self.assert_delivered_once_when_peer_behaves(queue_id, rcpt, peer)

    def test_non_utf8_4xx_reply_is_deferred_and_delivered_once_later(self):
        peer = self.peer(rcpt=b"451 4.7.1 gr\xfc\xdflisted\r\n")
        rcpt = "user@" + DOMAIN
        queue_id = self.submit(rcpt)
        self.assert_deferred_not_delivered(queue_id, rcpt, peer, dsn=r"4\.7\.1")
        self.assert_delivered_once_when_peer_behaves(queue_id, rcpt, peer)
        self.assertNotIn("spool_state_corrupt", self.chain.log("mta"))


class NonUtf8AcrossRestart(RelayTestCase):
    def test_non_utf8_reply_for_one_recipient_survives_a_restart_and_the_other_is_not_sent_twice(self):
        a, b = "a@" + DOMAIN, "b@" + DOMAIN
        peer = self.peer(rcpt=per_recipient({b: b"451 4.7.1 gr\xfc\xdflisted\r\n"}))
        queue_id = self.submit([a, b], "two of them")
        marker = queue_id.encode()
        self.assertTrue(wait_until(lambda: self.events("delivered", queue_id, a), WAIT), "a not delivered")
        self.assert_deferred_not_delivered(queue_id, b, peer, dsn=r"4\.7\.1")

        self.chain.stop("mta")
        restarted_at = len(self.chain.log("mta"))
        self.chain.start("mta")
        self.assertNotIn("spool_state_corrupt", self.chain.log("mta"))

        peer.set_script()
        after = lambda: re.findall(rf"event=delivered queue_id={queue_id} to={re.escape(b)} .*",
                                   self.chain.log("mta")[restarted_at:])
        self.assertTrue(wait_until(after, WAIT), f"{b} not delivered after the restart")
        self.assertEqual(len(after()), 1)
        self.assertEqual(len(self.events("delivered", queue_id, b)), 1)
        self.assertEqual(len(self.events("delivered", queue_id, a)), 1)
        self.assertNotIn("spool_state_corrupt", self.chain.log("mta"))
        # The peer took a once and b once; a's body went out only once.
        self.assertEqual(peer.accepted_count(a, marker), 1)
        self.assertEqual(peer.accepted_count(b, marker), 1)
        with_a = [t for t in peer.transactions() if a in t["rcpts"] and t["body_complete"] and marker in t["body"]]
        self.assertEqual(len(with_a), 1, with_a)


if __name__ == "__main__":
    unittest.main()
