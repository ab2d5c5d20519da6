"""Mail that would loop: the MTA must notice it is about to deliver to
itself, bounce once with 5.4.6 ("mail for <domain> loops back to myself",
as Postfix says), and not make hundreds of attempts first. And a domain
with many MX records on few addresses costs a bounded number of
connections per delivery attempt (OutboundConfig.mx_address_limit,
default 5, each address once).

The DSN goes to the local sender demo@example.test (their Maildir).
"""
import email
import email.policy
import re
import unittest

from harness import wait_until
from test_hostile_relay import RelayTestCase

WAIT = 20  # seconds


class LoopTestCase(RelayTestCase):
    def own_hostname(self):
        with open(self.chain.path("mta.conf")) as f:
            return re.search(r'^hostname: "([^"]+)"', f.read(), re.M).group(1)

    def use_our_mx_port_outbound(self):
        """Outbound connections go to the port of our own MX listener."""
        path = self.chain.path("mta.conf")
        with open(path) as f:
            text = f.read()
        old = f"outbound {{ port: {self.peer_port} "
        self.assertIn(old, text)
        with open(path, "w") as f:
            f.write(text.replace(old, f"outbound {{ port: {self.chain.ports['mx']} "))

    def dsn(self):
        """The one bounce in demo's Maildir, parsed; fails fast on a loop."""
        def done():
            return self.chain.maildir_files("demo") or len(re.findall(r"event=queued ", self.chain.log("mta"))) > 20
        wait_until(done, WAIT)
        files = self.chain.maildir_files("demo")
        self.assertEqual(len(files), 1, "no DSN, or more than one; queued: %d"
                         % len(re.findall(r"event=queued ", self.chain.log("mta"))))
        self.assertTrue(files[0].startswith(b"Return-Path: <>\n"), files[0][:200])
        return email.message_from_bytes(files[0], policy=email.policy.default)

    def delivery_status(self, message):
        self.assertEqual(message.get_content_type(), "multipart/report")
        parts = [p for p in message.iter_parts() if p.get_content_type() == "message/delivery-status"]
        self.assertEqual(len(parts), 1)
        return parts[0].as_string()

    def assert_bounced_once_as_a_loop(self, queue_id, rcpt):
        report = self.dsn()
        status = self.delivery_status(report)
        self.assertIn(f"Final-Recipient: rfc822; {rcpt}", status)
        self.assertIn("Action: failed", status)
        self.assertIn("Status: 5.4.6", status)
        log = self.chain.log("mta")
        self.assertIn("loops back to myself", log + report.as_string())
        self.assertEqual(len(self.events("bounced", queue_id, rcpt)), 1)
        self.assertEqual(self.events("delivered", queue_id, rcpt), [])
        # A handful of attempts at most: no hop after hop through our own MX.
        attempts = len(re.findall(rf"event=(?:deferred|bounced|delivered) queue_id=\S+ to={re.escape(rcpt)} ", log))
        hops = len(re.findall(r"event=received ", log))
        self.assertLessEqual(attempts, 5, f"{attempts} delivery attempts")
        self.assertLessEqual(hops, 3, f"{hops} messages came back in through our MX")


class MxAtOurOwnListener(LoopTestCase):
    """Outbound connections go to our own MX listener, found through the
    MX of a relay domain (loop.test) or of a remote one (elsewhere.test)."""
    chain_options = {"mx": True, "mx_overrides": 'relay_domain: "loop.test"'}
    records = {"mx": [("loop.test", "mx.loop.test", 10), ("elsewhere.test", "mx.elsewhere.test", 10)],
               "a": [("mx.loop.test", "127.0.0.1"), ("mx.elsewhere.test", "127.0.0.1")]}

    def prepare_chain(self):
        self.use_our_mx_port_outbound()

    def test_relay_domain_whose_mx_is_our_own_listener_bounces_once_with_5_4_6(self):
        self.assert_bounced_once_as_a_loop(self.submit("user@loop.test", "round and round"), "user@loop.test")

    def test_remote_mx_resolving_to_our_own_listener_bounces_with_5_4_6(self):
        self.assert_bounced_once_as_a_loop(self.submit("user@elsewhere.test", "to myself"), "user@elsewhere.test")


class PeerWithOurName(LoopTestCase):
    records = {"mx": [("mirror.test", "mx.mirror.test", 10)], "a": [("mx.mirror.test", "127.0.0.2")]}

    def test_server_greeting_with_our_own_hostname_bounces_with_5_4_6(self):
        peer = self.peer("127.0.0.2", hostname=self.own_hostname())
        queue_id = self.submit("user@mirror.test", "mirror")
        self.assert_bounced_once_as_a_loop(queue_id, "user@mirror.test")
        self.assertEqual(peer.accepted_count(), 0)
        self.assertLessEqual(peer.connections(), 5)


CAP_ADDRESSES = [f"127.0.0.{n}" for n in range(11, 15)]


class ManyMxFewAddresses(LoopTestCase):
    # 100 MX names (dnsmasq answers them over TCP: too big for UDP), all
    # on the same 4 addresses. One attempt, so no retry within the test.
    records = {"mx": [("cap.test", f"mx{i:02d}.cap.test", i + 1) for i in range(100)],
               "a": [(f"mx{i:02d}.cap.test", CAP_ADDRESSES[i % 4]) for i in range(100)]}

    def prepare_chain(self):
        path = self.chain.path("mta.conf")
        with open(path) as f:
            text = f.read()
        old = "first_retry_ms: 500 max_retry_ms: 1000"
        self.assertIn(old, text)
        with open(path, "w") as f:
            f.write(text.replace(old, "first_retry_ms: 120000 max_retry_ms: 120000"))

    def test_one_attempt_connects_to_each_address_once_and_at_most_5_times(self):
        peers = [self.peer(address, greeting=b"421 4.3.2 Busy, come back later\r\n", hangup_after_greeting=True)
                 for address in CAP_ADDRESSES]
        rcpt = "user@cap.test"
        queue_id = self.submit(rcpt, "capped")
        found = self.wait_for_outcome(queue_id, rcpt, timeout=60)
        self.assertEqual(found["delivered"] + found["bounced"], [])
        self.assertRegex(found["deferred"][0], r"dsn=4\.\d+\.\d+ .*attempts=1 ")
        self.assertNotIn("dsn=4.4.3", found["deferred"][0], "the MX lookup failed: nothing was tried")
        # All connections of that attempt were made before it was logged.
        counts = {peer.address: peer.connections() for peer in peers}
        self.assertLessEqual(sum(counts.values()), 5, counts)
        self.assertEqual(counts, {address: 1 for address in CAP_ADDRESSES})


if __name__ == "__main__":
    unittest.main()
