"""Hostile clients, SMTP smuggling: fake ends of data on the MX and the MSA,
refused whole, never a second message."""
import unittest

from hostile_client import HostileTestCase, MxTestCase, BARE_NEWLINE_IN_DATA, NUL_IN_DATA, OK, QUEUED, \
    RECIPIENT_OK, SENDER_OK, START_DATA


# CVE-2023-51764 and kin: each way a server has been fooled into seeing an
# end of data before <CRLF>.<CRLF>, and what we answer (the whole message
# refused; the "second message" is content, never a transaction).
SMUGGLING_VARIANTS = [
    ("LF.LF", b"\n.\n", BARE_NEWLINE_IN_DATA),
    ("CR.CR", b"\r.\r", BARE_NEWLINE_IN_DATA),
    ("LF.CRLF", b"\n.\r\n", BARE_NEWLINE_IN_DATA),
    ("CRLF.LF", b"\r\n.\n", BARE_NEWLINE_IN_DATA),
    ("CR.CRLF", b"\r.\r\n", BARE_NEWLINE_IN_DATA),
    ("CRLF.CR", b"\r\n.\r", BARE_NEWLINE_IN_DATA),
    ("LF.CR", b"\n.\r", BARE_NEWLINE_IN_DATA),
    ("bare LF in a line", b"\n", BARE_NEWLINE_IN_DATA),
    ("bare CR in a line", b"\r", BARE_NEWLINE_IN_DATA),
    ("CRLF NUL.CRLF", b"\r\n\0.\r\n", NUL_IN_DATA),
]


class Smuggling:
    """The attack, shared by the MX and the MSA tests."""

    def smuggle(self, client, sender, recipient, smuggled_sender, smuggled_recipient, fake_end, expected):
        self.assertEqual(client.command(b"MAIL FROM:<" + sender + b">"), SENDER_OK)
        self.assertEqual(client.command(b"RCPT TO:<" + recipient + b">"), RECIPIENT_OK)
        self.assertEqual(client.command(b"DATA"), START_DATA)
        client.send(b"Subject: smuggling test\r\n\r\nreal body" + fake_end +
                    b"MAIL FROM:<" + smuggled_sender + b">\r\n"
                    b"RCPT TO:<" + smuggled_recipient + b">\r\n"
                    b"DATA\r\n"
                    b"Subject: smuggled\r\n\r\nsmuggled body\r\n.\r\n")
        # One reply for the whole thing; a server fooled by the fake end
        # would answer 250 (first message), 250, 250, 354, 250 instead.
        self.assertEqual(client.reply(), expected)
        self.assertEqual(self.spooled(), [])
        # Nothing else is waiting: the next command gets its own reply.
        self.assertEqual(client.command(b"NOOP"), OK)

    def assert_every_variant_refused_whole(self, connect, sender, smuggled_sender, front, never_logged):
        """connect() opens a session ready for MAIL on `front` ("mta": the
        MX, or "msa"); each variant, then a clean message, in one session."""
        for name, fake_end, expected in SMUGGLING_VARIANTS:
            with self.subTest(variant=name):
                self.wait_for_empty_spool()  # the previous clean message is delivered
                client = connect()
                self.smuggle(client, sender, b"demo@example.test", smuggled_sender, b"bob@example.test",
                             fake_end, expected)
                # Still in step with the client: a clean message goes through.
                reply = self.send_message(client, sender, [b"demo@example.test"],
                                          b"Subject: clean after " + name.encode() + b"\r\n\r\nclean\r\n")
                self.assertRegex(reply, QUEUED)
                self.assertEqual(client.command(b"QUIT"),
                                 b"221 2.0.0 %s.test closing connection\r\n" % front.encode())
        self.assert_only_clean_mail_arrived(len(SMUGGLING_VARIANTS), never_logged)
        self.assertEqual(self.chain.log(front).count("event=rejected "), len(SMUGGLING_VARIANTS))

    def assert_only_clean_mail_arrived(self, count, never_logged, smuggled_user="bob"):
        files = self.chain.wait_for_maildir("demo", count)
        self.assertEqual(len(files), count)
        for content in files:
            self.assertIn(b"Subject: clean after ", content)
            self.assertNotIn(b"smuggl", content)
        self.wait_for_empty_spool()
        self.assertEqual(self.chain.maildir_files(smuggled_user), [])
        for name in ("msa", "mta"):
            self.assertNotIn(never_logged.decode(), self.chain.log(name))


class MxSmuggling(MxTestCase, Smuggling):
    def test_fake_end_of_data_variants_are_refused_whole_and_never_make_a_second_message(self):
        self.assert_every_variant_refused_whole(self.mx, b"sender@remote.test", b"smuggler@evil.test", "mta",
                                                never_logged=b"smuggler@evil.test")


class MsaSmuggling(HostileTestCase, Smuggling):
    def test_fake_end_of_data_variants_are_refused_whole_on_the_msa_too(self):
        # The smuggled sender is the user's own: only the data is hostile.
        self.assert_every_variant_refused_whole(self.msa, b"demo@example.test", b"demo@example.test", "msa",
                                                never_logged=b"bob@example.test")


if __name__ == "__main__":
    unittest.main()
