"""Hostile clients, addresses: bad and overlong senders and recipients,
non-ASCII addresses with and without SMTPUTF8 (on the MX)."""
import unittest

from hostile_client import MxTestCase, BAD_RECIPIENT, BAD_SENDER, NON_ASCII_ADDRESS, OK, QUEUED, RECIPIENT_OK, \
    RECIPIENT_TOO_LONG, RELAY_DENIED, SENDER_OK, SENDER_TOO_LONG, START_DATA, UNKNOWN_USER


def domain_of(length, suffix):
    """A valid domain name of exactly `length` octets ending in `suffix`."""
    labels, room = [], length - len(suffix)  # each label costs itself and a dot
    while room > 0:
        cost = min(61, room)
        if room - cost == 1:
            cost -= 1  # never leave room for an empty label
        labels.append(b"d" * (cost - 1))
        room -= cost
    domain = b".".join(labels + [suffix])
    assert len(domain) == length
    return domain


def path_of(length, suffix):
    """"<local@domain>" of exactly `length` octets with a 64-octet local part."""
    return b"<" + b"p" * 64 + b"@" + domain_of(length - 67, suffix) + b">"


class AddressLimits(MxTestCase):
    def test_bad_or_overlong_sender_gets_501_5_1_7(self):
        client = self.mx()
        for line, expected in [
            (b"MAIL FROM:sender@remote.test", BAD_SENDER),
            (b"MAIL FROM:<sender@remote.test", BAD_SENDER),
            (b"MAIL FROM:<sender@>", BAD_SENDER),
            (b"MAIL FROM:<sender@remote..test>", BAD_SENDER),
            (b"MAIL FROM:<send er@remote.test>", BAD_SENDER),
            (b"MAIL FROM:<" + b"s" * 65 + b"@remote.test>", SENDER_TOO_LONG),    # RFC 5321 4.5.3.1.1
            (b"MAIL FROM:" + path_of(257, b"remote.test"), SENDER_TOO_LONG),  # RFC 5321 4.5.3.1.3
        ]:
            self.assertEqual(client.command(line), expected, line)
        self.assertEqual(client.command(b"MAIL FROM:" + path_of(256, b"remote.test")), SENDER_OK)
        self.assertEqual(client.command(b"RSET"), OK)
        self.assertEqual(client.command(b"MAIL FROM:<" + b"s" * 64 + b"@remote.test>"), SENDER_OK)

    def test_bad_or_overlong_recipient_gets_501_5_1_3(self):
        client = self.mx()
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test>"), SENDER_OK)
        for line, expected in [
            (b"RCPT TO:demo@example.test", BAD_RECIPIENT),
            (b"RCPT TO:<demo@example.test", BAD_RECIPIENT),
            (b"RCPT TO:<demo@>", BAD_RECIPIENT),
            (b"RCPT TO:<de mo@example.test>", BAD_RECIPIENT),
            (b"RCPT TO:<" + b"r" * 65 + b"@example.test>", RECIPIENT_TOO_LONG),
            (b"RCPT TO:" + path_of(257, b"example.test"), RECIPIENT_TOO_LONG),
            # At the limits the syntax is fine, and the policy answers.
            (b"RCPT TO:<" + b"r" * 64 + b"@example.test>", UNKNOWN_USER),
            (b"RCPT TO:" + path_of(256, b"example.test"), RELAY_DENIED),  # a subdomain is not ours
        ]:
            self.assertEqual(client.command(line), expected, line)
        self.assertEqual(client.command(b"RSET"), OK)
        self.assertEqual(self.spooled(), [])

    def test_non_ascii_address_without_smtputf8_gets_553_5_6_7(self):
        client = self.mx()
        self.assertEqual(client.command("MAIL FROM:<jörg@remote.test>".encode()), NON_ASCII_ADDRESS)
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test>"), SENDER_OK)
        # A real alias, but the transaction did not say SMTPUTF8.
        self.assertEqual(client.command("RCPT TO:<grüße@example.test>".encode()), NON_ASCII_ADDRESS)
        self.assertEqual(client.command(b"DATA"), b"554 5.5.1 No valid recipients\r\n")
        self.assertEqual(self.spooled(), [])

    def test_smtputf8_mail_to_a_utf8_alias_is_delivered(self):
        client = self.mx()
        self.assertEqual(client.command("MAIL FROM:<jörg@remote.test> SMTPUTF8".encode()), SENDER_OK)
        self.assertEqual(client.command("RCPT TO:<grüße@example.test>".encode()), RECIPIENT_OK)
        # SMTPUTF8 allows UTF-8, not any byte.
        self.assertEqual(client.command(b"RCPT TO:<gr\xff@example.test>"), BAD_RECIPIENT)
        self.assertEqual(client.command(b"DATA"), START_DATA)
        client.send("Subject: Grüße\r\n\r\nÜnïcödé\r\n.\r\n".encode())
        self.assertRegex(client.reply(), QUEUED)
        files = self.chain.wait_for_maildir("demo", 1)
        self.assertEqual(len(files), 1)
        self.assertTrue(files[0].startswith("Return-Path: <jörg@remote.test>\nDelivered-To: demo@example.test\n".encode()),
                        files[0])
        self.assertIn(b"(mailpipe) with UTF8SMTP id ", files[0])
        self.assertTrue(files[0].endswith("Subject: Grüße\n\nÜnïcödé\n".encode()), files[0])


if __name__ == "__main__":
    unittest.main()
