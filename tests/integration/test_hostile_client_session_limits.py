"""Hostile clients, limits within one session: max_recipients, message
size (SIZE and the real size), max_errors; the msa's default recipient
limit. (Limits per client address, across sessions: test_client_limits.py.)"""
import unittest

from hostile_client import HostileTestCase, MxTestCase, BAD_SENDER, MX_HOST, NEED_MAIL, OK, QUEUED, RECIPIENT_OK, \
    SENDER_OK, START_DATA, TOO_BIG, TOO_MANY_ERRORS, TOO_MANY_RECIPIENTS, UNRECOGNIZED, ehlo_reply


def message_of_exactly(size, subject):
    """A message of `size` octets as the server counts them: CRLF line
    ends, no final ".\r\n"; lines of 100 octets, none starting with '.'."""
    head = b"Subject: " + subject + b"\r\n\r\n"
    body_size = size - len(head)
    lines, rest = divmod(body_size, 100)
    body = (b"x" * 98 + b"\r\n") * lines
    if rest:
        assert rest >= 3, "pick a size whose last line holds a character"
        body += b"y" * (rest - 2) + b"\r\n"
    message = head + body
    assert len(message) == size
    return message


LIMITS = "limits { max_recipients: 3 max_message_bytes: 10000 max_errors: 4 }"


class MxLimits(MxTestCase):
    chain_options = {**MxTestCase.chain_options, "mx_overrides": LIMITS}

    def test_recipients_past_max_recipients_get_452_4_5_3_and_the_first_ones_are_delivered(self):
        client = self.mx()
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test>"), SENDER_OK)
        # Pipelined, as a real MTA sends them (RFC 2920).
        client.send(b"".join(b"RCPT TO:<%s@example.test>\r\n" % user
                             for user in (b"demo", b"bob", b"carol", b"dave", b"erin")))
        self.assertEqual(client.replies(5), [RECIPIENT_OK] * 3 + [TOO_MANY_RECIPIENTS] * 2)
        self.assertEqual(client.command(b"DATA"), START_DATA)
        client.send(b"Subject: to three\r\n\r\nhello\r\n.\r\n")
        self.assertRegex(client.reply(), QUEUED)
        for user in ("demo", "bob", "carol"):
            files = self.chain.wait_for_maildir(user, 1)
            self.assertEqual(len(files), 1, user)
            self.assertIn(b"Subject: to three", files[0])
        self.wait_for_empty_spool()
        for user in ("dave", "erin"):
            self.assertEqual(self.chain.maildir_files(user), [], user)
        self.assertRegex(self.chain.log("mta"), r"event=received queue_id=\S+ from=sender@remote.test nrcpt=3 ")

    # A client that pipelines more recipients than we take gets 452 for the
    # extra ones (RFC 5321 4.5.3.1.10) and sends them again in a later
    # transaction: those 452s are not errors that end the session (as
    # Postfix's smtpd_recipient_overshoot_limit), so the accepted
    # recipients are kept.
    def test_more_extra_recipients_than_max_errors_keep_the_transaction(self):
        client = self.mx()
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test>"), SENDER_OK)
        users = (b"demo", b"bob", b"carol", b"dave", b"erin", b"demo+1", b"demo+2", b"demo+3")
        client.send(b"".join(b"RCPT TO:<%s@example.test>\r\n" % user for user in users))
        self.assertEqual(client.replies(8), [RECIPIENT_OK] * 3 + [TOO_MANY_RECIPIENTS] * 5)
        self.assertEqual(client.command(b"DATA"), START_DATA)

    def test_size_announced_above_the_limit_gets_552_5_3_4_at_mail(self):
        client = self.mx(ehlo=False)
        self.assertEqual(client.command(b"EHLO mx.remote.test"), ehlo_reply(MX_HOST, size=10000))
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test> SIZE=10001"), TOO_BIG)  # RFC 1870 6.1
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test> SIZE=99999999999999999999"),
                         b"501 5.5.4 Syntax error: SIZE\r\n")  # beyond 64 bits
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test> SIZE=10000"), SENDER_OK)
        self.assertEqual(client.command(b"RSET"), OK)
        self.assertEqual(self.spooled(), [])

    def test_size_that_lied_gets_552_5_3_4_after_the_data(self):
        client = self.mx()
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test> SIZE=100"), SENDER_OK)
        self.assertEqual(client.command(b"RCPT TO:<demo@example.test>"), RECIPIENT_OK)
        self.assertEqual(client.command(b"DATA"), START_DATA)
        client.send(message_of_exactly(10001, b"one octet too many") + b".\r\n")
        self.assertEqual(client.reply(), TOO_BIG)
        self.assertEqual(self.spooled(), [])
        # Exactly the limit is accepted (no SIZE given this time).
        exact = message_of_exactly(10000, b"exactly the limit")
        self.assertRegex(self.send_message(client, b"sender@remote.test", [b"demo@example.test"], exact), QUEUED)
        files = self.chain.wait_for_maildir("demo", 1)
        self.assertEqual(len(files), 1)
        self.assertTrue(files[0].endswith(exact.replace(b"\r\n", b"\n")))
        self.wait_for_empty_spool()
        self.assertEqual(len(self.chain.maildir_files("demo")), 1)

    def test_too_many_errors_get_421_4_7_0_and_the_connection_closes(self):
        client = self.mx()
        self.assertEqual(client.command(b"FOO"), UNRECOGNIZED)
        self.assertEqual(client.command(b"RCPT TO:<demo@example.test>"), NEED_MAIL)
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test"), BAD_SENDER)
        client.send(b"BAR\r\n")  # the fourth (max_errors: 4)
        self.assertEqual(client.rest_until_closed(), UNRECOGNIZED + TOO_MANY_ERRORS)
        self.assertIn("event=too_many_errors client=127.0.0.1 errors=4", self.chain.log("mta"))


class MsaLimits(HostileTestCase):
    def test_the_default_limit_is_100_recipients(self):
        client = self.msa()
        self.assertEqual(client.command(b"MAIL FROM:<demo@example.test>"), SENDER_OK)
        client.send(b"".join(b"RCPT TO:<r%d@remote.test>\r\n" % i for i in range(102)))
        self.assertEqual(client.replies(102), [RECIPIENT_OK] * 100 + [TOO_MANY_RECIPIENTS] * 2)
        self.assertEqual(client.command(b"RSET"), OK)
        self.assertEqual(self.spooled(), [])


if __name__ == "__main__":
    unittest.main()
