"""Outbound: mail for other domains leaves the MTA over SMTP to the right
MX, found with c-ares in a real DNS server (dnsmasq) on loopback; the
receiving servers are Postfix's smtp-sink. Failures come back to the
sender as an RFC 3464 DSN in their Maildir.
"""
import email
import email.policy
import smtplib
import unittest

from dns_server import DnsServer
from harness import ChainTestCase, client_tls_context, free_port, wait_until
from smtp_sink import SmtpSink

SINK_PORT = free_port()

RECORDS = {
    "mx": [("sink.test", "mx.sink.test", 10),
           ("two-mx.test", "mx1.two-mx.test", 10),  # dead
           ("two-mx.test", "mx2.two-mx.test", 20),
           ("reject.test", "mx.reject.test", 10),
           ("later.test", "mx.later.test", 10)],
    "a": [("mx.sink.test", "127.0.0.2"),
          ("mx1.two-mx.test", "127.0.0.3"),
          ("mx2.two-mx.test", "127.0.0.2"),
          ("aonly.test", "127.0.0.2"),
          ("mx.reject.test", "127.0.0.4"),
          ("mx.later.test", "127.0.0.5")],
    "null_mx": ["nullmx.test"],
    "timeout": ["timeout.test"],
}


class Outbound(ChainTestCase):
    lifetime_ms = 600000

    def setUp(self):
        self.dns = DnsServer.started_for(self, RECORDS)
        self.chain_options = {"mta_overrides": f"""
{self.dns.mta_config()}
outbound {{ port: {SINK_PORT} connect_timeout_ms: 1000 command_timeout_ms: 5000 }}
""", "retry_overrides": f"max_queue_lifetime_ms: {self.lifetime_ms}"}
        super().setUp()
        self.chain.start_all()
        self.sinks = {}

    def sink(self, address, extra=()):
        sink = SmtpSink(address, SINK_PORT, self.chain.path("sink-" + address + str(len(self.sinks))), extra)
        self.addCleanup(sink.stop)
        self.sinks[address] = sink
        return sink

    def submit(self, to, subject="outbound", mail_options=(), rcpt_options=()):
        smtp = smtplib.SMTP_SSL("127.0.0.1", self.chain.ports["implicit"], timeout=15, context=client_tls_context())
        try:
            smtp.ehlo("client.test")
            smtp.login("demo@example.test", "demo")
            smtp.sendmail("demo@example.test", [to], f"Subject: {subject}\r\n\r\nhello outside\r\n".encode(),
                          mail_options=list(mail_options), rcpt_options=list(rcpt_options))
        finally:
            smtp.close()

    def delivered_dump(self, sink, body=b"hello outside", timeout=15):
        """The first message the sink dumped, once it is whole. The MTA logs
        event=delivered on the sink's 250 to the dot, and smtp-sink may
        still be writing its dump file then (an ASan run once read it
        empty): wait for the delivery, then for the body, the end of it."""
        self.assertTrue(wait_until(lambda: "event=delivered" in self.chain.log("mta"), timeout),
                        self.chain.log("mta"))
        self.assertTrue(wait_until(lambda: sink.messages() and body in sink.messages()[0], timeout),
                        (sink.messages(), self.chain.log("mta")))
        return sink.messages()[0]

    def dsn(self, timeout=15):
        """The bounce in the sender's Maildir, parsed."""
        files = self.chain.wait_for_maildir("demo", 1, timeout=timeout)
        self.assertEqual(len(files), 1, self.chain.log("mta"))
        self.assertTrue(files[0].startswith(b"Return-Path: <>\n"), files[0][:200])
        return email.message_from_bytes(files[0], policy=email.policy.default)

    def delivery_status(self, message):
        self.assertEqual(message.get_content_type(), "multipart/report")
        self.assertEqual(message.get_param("report-type"), "delivery-status")
        parts = list(message.iter_parts())
        status = [p for p in parts if p.get_content_type() == "message/delivery-status"]
        self.assertEqual(len(status), 1)
        text = status[0].as_string()
        return text

    def test_delivers_to_the_mx_with_envelope_and_body(self):
        sink = self.sink("127.0.0.2")
        self.submit("user@sink.test", "to the sink", mail_options=["ENVID=env+2B1"],
                    rcpt_options=["NOTIFY=FAILURE,DELAY", "ORCPT=rfc822;User@sink.test"])
        dump = self.delivered_dump(sink)
        self.assertIn(b"X-Mail-Args: <demo@example.test>", dump)
        # DSN parameters pass on to a relay that offers DSN (RFC 3461 4).
        self.assertIn(b"X-Mail-Args: <demo@example.test>", dump)
        self.assertIn(b"ENVID=env+2B1", dump)
        self.assertIn(b"X-Rcpt-Args: <user@sink.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;User@sink.test", dump)
        self.assertIn(b"Subject: to the sink", dump)
        self.assertIn(b"hello outside", dump)
        self.assertTrue(wait_until(lambda: "event=delivered" in self.chain.log("mta"), 5))
        self.assertIn("relay=mx.sink.test", self.chain.log("mta"))

    def test_dead_first_mx_is_skipped_for_the_second(self):
        sink = self.sink("127.0.0.2")
        self.submit("user@two-mx.test")
        # relay= is in the event=delivered line, logged after the sink has the message.
        self.delivered_dump(sink)
        log = self.chain.log("mta")
        self.assertIn("event=mx_skipped", log)
        self.assertIn("mx=mx1.two-mx.test", log)
        self.assertIn("relay=mx2.two-mx.test", log)

    def test_domain_without_mx_uses_its_address(self):
        sink = self.sink("127.0.0.2")
        self.submit("user@aonly.test")
        self.assertIn(b"X-Rcpt-Args: <user@aonly.test>", self.delivered_dump(sink))

    def test_temporary_failure_is_retried_then_delivered(self):
        refusing = SmtpSink("127.0.0.5", SINK_PORT, self.chain.path("later-refusing"), ["-r", "RCPT"])  # -r: soft (4xx)
        self.addCleanup(refusing.stop)
        self.submit("user@later.test")
        self.assertTrue(wait_until(lambda: "event=deferred" in self.chain.log("mta"), 15), self.chain.log("mta"))
        refusing.stop()
        accepting = self.sink("127.0.0.5")
        self.assertTrue(wait_until(lambda: accepting.messages(), 15), self.chain.log("mta"))
        self.assertEqual(self.chain.maildir_files("demo"), [])  # no bounce

    def test_permanent_failure_bounces_a_dsn_to_the_sender(self):
        self.sink("127.0.0.4", ["-f", "RCPT"])  # -f: hard (5xx) reject
        self.submit("user@reject.test", "will bounce")
        report = self.dsn()
        self.assertEqual(report["To"], "demo@example.test")
        self.assertIn("MAILER-DAEMON", report["From"])
        status = self.delivery_status(report)
        self.assertIn("Final-Recipient: rfc822; user@reject.test", status)
        self.assertIn("Action: failed", status)
        self.assertRegex(status, r"Status: 5\.\d+\.\d+")
        self.assertIn("Remote-MTA: dns; mx.reject.test", status)
        self.assertIn("Diagnostic-Code: smtp; 5", status)
        # The original comes back with the report.
        self.assertIn(b"Subject: will bounce", report.as_bytes())

    def test_null_mx_bounces_with_5_1_10(self):
        self.submit("user@nullmx.test")
        status = self.delivery_status(self.dsn())
        self.assertIn("Final-Recipient: rfc822; user@nullmx.test", status)
        self.assertIn("Status: 5.1.10", status)


class Expiry(Outbound):
    lifetime_ms = 1500

    def test_undeliverable_until_expiry_bounces(self):
        self.submit("user@timeout.test")
        status = self.delivery_status(self.dsn(timeout=20))
        self.assertIn("Final-Recipient: rfc822; user@timeout.test", status)
        self.assertIn("Action: failed", status)
        log = self.chain.log("mta")
        self.assertIn("queue lifetime expired", log)

    # The inherited tests do not need a second run with a short lifetime.
    test_delivers_to_the_mx_with_envelope_and_body = None
    test_dead_first_mx_is_skipped_for_the_second = None
    test_domain_without_mx_uses_its_address = None
    test_temporary_failure_is_retried_then_delivered = None
    test_permanent_failure_bounces_a_dsn_to_the_sender = None
    test_null_mx_bounces_with_5_1_10 = None


if __name__ == "__main__":
    unittest.main()
