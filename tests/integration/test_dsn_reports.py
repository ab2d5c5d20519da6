"""Delivery reports other than the bounce (RFC 3461, RFC 3464): a sender
who asked NOTIFY=SUCCESS hears "delivered" for a local mailbox and
"relayed" for a next hop without DSN (RFC 3461 5.2.2), and nothing when
the next hop offers DSN (the report is its job then); a recipient still
deferred after retry.delay_warning_ms gets the sender one "delayed"
report, once. The reports land in demo's Maildir, from the null sender.
"""
import email
import email.policy
import re
import unittest

from harness import wait_until
from smtp_checks import submit_as_demo
from test_hostile_relay import DOMAIN, RelayTestCase

WAIT = 20


class Reports(RelayTestCase):
    retry = "delay_warning_ms: 1000"

    def setUp(self):
        self.chain_options = {"retry_overrides": self.retry}
        super().setUp()

    def reports(self):
        """The delivery reports in demo's Maildir, parsed."""
        found = []
        for raw in self.chain.maildir_files("demo"):
            if raw.startswith(b"Return-Path: <>\n"):
                found.append(email.message_from_bytes(raw, policy=email.policy.default))
        return found

    def status_of(self, report):
        parts = [p for p in report.iter_parts() if p.get_content_type() == "message/delivery-status"]
        self.assertEqual(len(parts), 1)
        return parts[0].as_string()

    def wait_removed(self, queue_id):
        self.assertTrue(wait_until(lambda: f"event=removed queue_id={queue_id}" in self.chain.log("mta"), WAIT),
                        self.chain.log("mta"))

    def test_success_to_a_local_mailbox_is_reported_delivered(self):
        queue_id = submit_as_demo(self, "demo@example.test", "local", b"for demo\r\n", ["NOTIFY=SUCCESS"])
        self.assertTrue(wait_until(lambda: self.reports(), WAIT), self.chain.log("mta"))
        self.wait_removed(queue_id)
        [report] = self.reports()
        self.assertEqual(report["Subject"], "Successful Mail Delivery Report")
        status = self.status_of(report)
        self.assertIn("Final-Recipient: rfc822; demo@example.test", status)
        self.assertIn("Action: delivered", status)
        self.assertIn("Status: 2.", status)
        self.assertIn(f"original_queue_id={queue_id} action=delivered", self.chain.log("mta"))

    def test_no_notify_means_no_success_report(self):
        queue_id = submit_as_demo(self, "demo@example.test", "local", b"for demo\r\n")
        self.chain.wait_for_maildir("demo", 1, timeout=WAIT)
        self.wait_removed(queue_id)
        self.assertEqual(self.reports(), [])
        self.assertNotIn("event=dsn_queued", self.chain.log("mta"))

    def test_a_next_hop_without_dsn_gets_the_sender_a_relayed_report(self):
        peer = self.peer()  # its EHLO offers no DSN
        queue_id = submit_as_demo(self, "user@" + DOMAIN, "relayed", b"onward\r\n", ["NOTIFY=SUCCESS"])
        self.assertTrue(wait_until(lambda: self.reports(), WAIT), self.chain.log("mta"))
        [report] = self.reports()
        self.assertEqual(report["Subject"], "Relayed Mail Delivery Report")
        status = self.status_of(report)
        self.assertIn("Action: relayed", status)
        self.assertIn(f"Remote-MTA: dns; mx.{DOMAIN}", status)
        self.assertEqual(peer.accepted_count("user@" + DOMAIN, queue_id.encode()), 1)

    def test_a_next_hop_with_dsn_takes_the_report_over(self):
        peer = self.peer(extensions=["PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "DSN"])
        queue_id = submit_as_demo(self, "user@" + DOMAIN, "passed on", b"onward\r\n", ["NOTIFY=SUCCESS"])
        self.wait_removed(queue_id)
        self.assertEqual(peer.accepted_count("user@" + DOMAIN, queue_id.encode()), 1)
        self.assertEqual(self.reports(), [])
        self.assertNotIn("event=dsn_queued", self.chain.log("mta"))

    def test_a_recipient_deferred_past_the_warning_time_is_reported_delayed_once(self):
        self.peer(rcpt=b"451 4.3.0 Try again later\r\n")
        queue_id = submit_as_demo(self, "user@" + DOMAIN, "slow", b"later\r\n")
        deferrals = lambda: re.findall(rf"event=deferred queue_id={queue_id} ", self.chain.log("mta"))
        # The warning is due after 1 s; retries come every 0.5 to 1 s.
        self.assertTrue(wait_until(lambda: self.reports() and len(deferrals()) >= 4, WAIT), self.chain.log("mta"))
        [report] = self.reports()
        self.assertEqual(report["Subject"], "Delayed Mail (still being retried)")
        status = self.status_of(report)
        self.assertIn("Action: delayed", status)
        self.assertIn("Status: 4.3.0", status)
        self.assertIn("Will-Retry-Until: ", status)
        self.assertEqual(len(re.findall(rf"original_queue_id={queue_id} action=delayed", self.chain.log("mta"))), 1)


if __name__ == "__main__":
    unittest.main()
