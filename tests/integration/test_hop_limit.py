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
import unittest

from harness import ChainTestCase
from smtp_checks import msa_session, mx_session, only_message

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
        return mx_session(self, ehlo="mx.remote.test")

    def msa(self):
        return msa_session(self, ehlo="client.test")

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
        delivered = only_message(self, "demo")
        self.assertIn(b"Subject: control", delivered)
        self.assertNotIn(b"Subject: looping", delivered)

    def assert_delivered_with_every_hop(self, reply):
        """49 Received from the client, ours on top: 50, not too many."""
        code, text = reply
        self.assertEqual(code, 250, text)
        delivered = only_message(self, "demo")
        self.assertIn(b"Subject: one hop to spare", delivered)
        header_section = delivered.split(b"\n\n", 1)[0]
        self.assertEqual(len(re.findall(rb"^received:", header_section, re.I | re.M)), LIMIT)  # ours + 49
        return text

    def assert_fifty_refused_and_the_control_alone_lands(self, smtp, sender, front_log, failed_event):
        """front_log: the process the client spoke to, which logs failed_event."""
        reply = self.send(smtp, sender, message(LIMIT, "looping"))
        self.assert_refused_as_a_loop(reply, front_log)
        self.assertIn(failed_event, self.chain.log(front_log))
        self.assert_only_the_control_message_lands(smtp, sender)

    def test_fifty_received_from_another_server_are_refused_at_the_end_of_data(self):
        self.assert_fifty_refused_and_the_control_alone_lands(self.mx(), "someone@remote.test", "mta",
                                                              "event=receive_failed")

    def test_forty_nine_received_from_another_server_are_delivered(self):
        text = self.assert_delivered_with_every_hop(
            self.send(self.mx(), "someone@remote.test", message(LIMIT - 1, "one hop to spare")))
        self.assertRegex(text, rb"^2\.0\.0 Ok: queued as [0-9A-Z]+")

    def test_fifty_received_through_the_msa_are_refused_at_the_end_of_data(self):
        self.assert_fifty_refused_and_the_control_alone_lands(self.msa(), "demo@example.test", "msa",
                                                              "event=submit_failed")

    def test_forty_nine_received_through_the_msa_are_delivered(self):
        self.assert_delivered_with_every_hop(
            self.send(self.msa(), "demo@example.test", message(LIMIT - 1, "one hop to spare")))


if __name__ == "__main__":
    unittest.main()
