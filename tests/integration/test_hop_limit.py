"""Mail loops: a message that has been through too many hops (more
Received fields than max_received_headers, default 50) is refused at the
MTA's intake with 554 5.4.6 (RFC 5321 6.3), whether it comes from another
server on the MX port or from a user through the MSA, and nothing of it is
queued or delivered. The MX and the MSA add their own Received field
first, so 49 from the client are 50 at intake (accepted) and 50 are 51
(refused).
"""
import os
import re
import smtplib
import unittest

from harness import ChainTestCase, client_tls_context

LIMIT = 50


def message(received, subject):
    """A message with `received` Received fields from made-up hops (mixed
    case and folded, as real ones are) and a body that mentions Received."""
    hops = b"".join(b"%s: from hop%d.remote.test\r\n\tby hop%d.remote.test; Mon, 23 Nov 2026 10:00:00 +0000\r\n"
                    % (b"received" if i % 2 else b"Received", i, i + 1) for i in range(received))
    return (hops + b"Subject: " + subject.encode() + b"\r\nFrom: someone@remote.test\r\n"
            b"To: demo@example.test\r\n\r\nReceived: in the body, not a hop\r\n")


class HopLimit(ChainTestCase):
    chain_options = {"mx": True}

    def setUp(self):
        super().setUp()
        self.chain.start_all()

    def mx(self):
        smtp = smtplib.SMTP("127.0.0.1", self.chain.ports["mx"], timeout=15)
        self.addCleanup(smtp.close)
        smtp.ehlo("mx.remote.test")
        return smtp

    def msa(self):
        smtp = smtplib.SMTP_SSL("127.0.0.1", self.chain.ports["implicit"], timeout=15, context=client_tls_context())
        self.addCleanup(smtp.close)
        smtp.ehlo("client.test")
        smtp.login("demo@example.test", "demo")
        return smtp

    def send(self, smtp, sender, data):
        """One transaction; the reply to the end of DATA (after its 354)."""
        self.assertEqual(smtp.mail(sender)[0], 250)
        self.assertEqual(smtp.rcpt("demo@example.test")[0], 250)
        return smtp.data(data)  # raises unless DATA got 354

    def assert_refused_as_a_loop(self, reply, front_log):
        code, text = reply
        self.assertEqual(code, 554, text)
        self.assertTrue(text.startswith(b"5.4.6 Too many hops"), text)
        self.assertIn(b"mail loop", text)
        log = self.chain.log("mta")
        self.assertRegex(log, r"event=submit_refused queue_id=[0-9A-Z]+ dsn=5\.4\.6 reason=\"Too many hops")
        self.assertRegex(self.chain.log(front_log), r"code=554 dsn=5\.4\.6")
        self.assertNotIn("event=queued", log)
        self.assertEqual([n for n in os.listdir(self.chain.path("spool")) if n.endswith(".msg")], [])

    def assert_only_the_control_message_lands(self, smtp, sender):
        """A refused message could only show up later: send one that passes
        on the same connection, wait for it, then see it is alone."""
        code, text = self.send(smtp, sender, message(0, "control"))
        self.assertEqual(code, 250, text)
        files = self.chain.wait_for_maildir("demo", 1)
        self.assertEqual(len(files), 1)
        self.assertIn(b"Subject: control", files[0])
        self.assertNotIn(b"Subject: looping", files[0])

    def test_fifty_received_from_another_server_are_refused_at_the_end_of_data(self):
        smtp = self.mx()
        reply = self.send(smtp, "someone@remote.test", message(LIMIT, "looping"))
        self.assert_refused_as_a_loop(reply, "mta")
        self.assertIn("event=receive_failed", self.chain.log("mta"))
        self.assert_only_the_control_message_lands(smtp, "someone@remote.test")

    def test_forty_nine_received_from_another_server_are_delivered(self):
        code, text = self.send(self.mx(), "someone@remote.test", message(LIMIT - 1, "one hop to spare"))
        self.assertEqual(code, 250, text)
        self.assertRegex(text, rb"^2\.0\.0 Ok: queued as [0-9A-Z]+")
        files = self.chain.wait_for_maildir("demo", 1)
        self.assertEqual(len(files), 1)
        self.assertIn(b"Subject: one hop to spare", files[0])
        header_section = files[0].split(b"\n\n", 1)[0]
        self.assertEqual(len(re.findall(rb"^received:", header_section, re.I | re.M)), LIMIT)  # ours + 49

    def test_fifty_received_through_the_msa_are_refused_at_the_end_of_data(self):
        smtp = self.msa()
        reply = self.send(smtp, "demo@example.test", message(LIMIT, "looping"))
        self.assert_refused_as_a_loop(reply, "msa")
        self.assertIn("event=submit_failed", self.chain.log("msa"))
        self.assert_only_the_control_message_lands(smtp, "demo@example.test")

    def test_forty_nine_received_through_the_msa_are_delivered(self):
        code, text = self.send(self.msa(), "demo@example.test", message(LIMIT - 1, "one hop to spare"))
        self.assertEqual(code, 250, text)
        files = self.chain.wait_for_maildir("demo", 1)
        self.assertEqual(len(files), 1)
        header_section = files[0].split(b"\n\n", 1)[0]
        self.assertEqual(len(re.findall(rb"^received:", header_section, re.I | re.M)), LIMIT)  # ours + 49


if __name__ == "__main__":
    unittest.main()
