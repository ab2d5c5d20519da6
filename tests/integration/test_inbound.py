"""Inbound MX: other servers send us mail on the MX port (25 in
production). It must end in the right Maildir, and nothing else may get
through: unknown users and foreign domains are refused at RCPT time.

Clients are real: swaks and Python's smtplib; a real Postfix relays to us;
a real Dovecot reads what we wrote over IMAP.
"""
import imaplib
import os
import pwd
import re
import unittest

import dovecot_server
import postfix_server
from harness import QUEUED, ChainTestCase, client_tls_context, wait_until
from smtp_checks import DATE, msa_session, mx_session, only_message, swaks, trace_fields

ALIASES = """\
# the test chain's aliases file
sales@example.test: demo@example.test, bob@example.test
postmaster@example.test: demo@example.test
@catchall.test: bob@example.test
loop1@example.test: loop2@example.test
loop2@example.test: loop1@example.test
"""

MX_OPTIONS = {"mx": True, "aliases": ALIASES, "mx_overrides": 'relay_domain: "relay.test"'}


class MxTestCase(ChainTestCase):
    chain_options = MX_OPTIONS

    def setUp(self):
        super().setUp()
        self.chain.start_all()

    def swaks_mx(self, *args, data=None):
        """swaks to our MX from a made-up remote server, STARTTLS like any
        modern MTA. Returns the queue id."""
        command = ["--server", f"127.0.0.1:{self.chain.ports['mx']}", "--tls", "--ehlo", "mx.remote.test", *args]
        if data is not None:
            data_file = self.chain.path("message.eml")
            with open(data_file, "wb") as f:
                f.write(data)
            command += ["--data", "@" + data_file]
        result = swaks(*command)
        output = result.stdout.decode(errors="replace")
        self.assertEqual(result.returncode, 0, output)
        return QUEUED.search(result.stdout).group(1)

    def mx(self):
        return mx_session(self)


class InboundDelivery(MxTestCase):
    def test_swaks_to_a_local_user_lands_with_one_received_and_nothing_else_added(self):
        message = (b"Subject: inbound\r\nFrom: someone@remote.test\r\nTo: demo@example.test\r\n\r\n"
                   b"first line\r\n.leading dot\r\nlast line")
        queue_id = self.swaks_mx("--from", "someone@remote.test", "--to", "demo@example.test", data=message)

        expected = re.compile(
            trace_fields(b"someone@remote.test", b"demo@example.test", b"mx.remote.test", b"mta.test", b"ESMTPS",
                         queue_id) +
            # The MX relays a message as it came: no Date or Message-ID added.
            rb"Subject: inbound\nFrom: someone@remote\.test\nTo: demo@example\.test\n"
            rb"\n"
            rb"first line\n\.leading dot\nlast line\n\Z")
        self.assertRegex(only_message(self, "demo"), expected)
        self.assertIn(f"event=received queue_id={queue_id.decode()}", self.chain.log("mta"))
        # The file is there before the MDA's answer reaches the MTA's log.
        delivered = f"event=delivered queue_id={queue_id.decode()} to=demo@example.test"
        self.assertTrue(wait_until(lambda: delivered in self.chain.log("mta"), 5), self.chain.log("mta"))

    def test_alias_expands_to_two_maildirs(self):
        queue_id = self.swaks_mx("--from", "someone@remote.test", "--to", "Sales@example.test",
                                 "--header", "Subject: for sales")
        for user in ("demo", "bob"):
            files = self.chain.wait_for_maildir(user, 1)
            self.assertEqual(len(files), 1, user)
            self.assertTrue(files[0].startswith(
                b"Return-Path: <someone@remote.test>\nDelivered-To: " + user.encode() + b"@example.test\n"))
            self.assertIn(b"Subject: for sales", files[0])
        log = self.chain.log("mta")
        for user in ("demo", "bob"):
            self.assertIn(f"event=alias_expanded queue_id={queue_id.decode()} to=Sales@example.test "
                          f"mailbox={user}@example.test", log)

    def test_catch_all_takes_any_name_in_its_domain(self):
        self.swaks_mx("--from", "someone@remote.test", "--to", "whoever@catchall.test")
        files = self.chain.wait_for_maildir("bob", 1)
        self.assertEqual(len(files), 1)
        self.assertTrue(files[0].startswith(b"Return-Path: <someone@remote.test>\nDelivered-To: bob@example.test\n"))

    def test_plus_address_is_delivered_to_the_user(self):
        self.swaks_mx("--from", "someone@remote.test", "--to", "demo+lists@example.test")
        files = self.chain.wait_for_maildir("demo", 1)
        self.assertEqual(len(files), 1)
        self.assertIn(b"\nDelivered-To: demo@example.test\n", b"\n" + files[0])
        self.assertFalse(os.path.exists(self.chain.path("mail", "example.test", "demo+lists")))

    def test_bounce_with_null_sender_and_bare_postmaster_are_accepted(self):
        smtp = self.mx()
        smtp.ehlo("mx.remote.test")
        code, _ = smtp.docmd("MAIL FROM:<>")
        self.assertEqual(code, 250)
        code, text = smtp.docmd("RCPT TO:<Postmaster>")  # RFC 5321 4.1.1.3
        self.assertEqual((code, text[:5]), (250, b"2.1.5"))
        code, _ = smtp.data(b"Subject: delivery report\r\n\r\nbounced\r\n")
        self.assertEqual(code, 250)
        files = self.chain.wait_for_maildir("demo", 1)
        self.assertEqual(len(files), 1)
        self.assertTrue(files[0].startswith(b"Return-Path: <>\nDelivered-To: demo@example.test\nReceived: "))
        # HELO, not STARTTLS: plain ESMTP in the Received field.
        self.assertIn(b"(mailpipe) with ESMTP id ", files[0])

    def test_smtputf8_and_8bitmime_are_stored_unchanged(self):
        message = ("From: Jörg <jörg@remote.test>\r\nTo: demo@example.test\r\nSubject: Grüße\r\n\r\n"
                   "Ünïcödé body, 8 bit: \xff\r\n").encode("utf-8")
        smtp = self.mx()
        smtp.ehlo("mx.remote.test")
        self.assertIn("smtputf8", smtp.esmtp_features)
        self.assertIn("8bitmime", smtp.esmtp_features)
        refused = smtp.sendmail("jörg@remote.test", ["demo@example.test"], message,
                                mail_options=["SMTPUTF8", "BODY=8BITMIME"])
        self.assertEqual(refused, {})
        files = self.chain.wait_for_maildir("demo", 1)
        self.assertEqual(len(files), 1)
        stored = files[0]
        self.assertTrue(stored.startswith("Return-Path: <jörg@remote.test>\n".encode()), stored)
        self.assertIn(b"(mailpipe) with UTF8SMTP id ", stored)  # RFC 6531 3.7.3
        self.assertTrue(stored.endswith(message.replace(b"\r\n", b"\n")), stored)


class InboundRefusals(MxTestCase):
    def test_unknown_user_foreign_domain_and_loops_are_refused_at_rcpt_time(self):
        smtp = self.mx()
        smtp.ehlo("mx.remote.test")
        self.assertIn("starttls", smtp.esmtp_features)
        self.assertNotIn("auth", smtp.esmtp_features)  # no AUTH on the MX port
        smtp.starttls(context=client_tls_context())
        smtp.ehlo("mx.remote.test")
        self.assertNotIn("auth", smtp.esmtp_features)

        code, _ = smtp.docmd("MAIL FROM:<spammer@remote.test>")
        self.assertEqual(code, 250)
        expectations = [
            ("nobody@example.test", 550, b"5.1.1"),
            ("nobody+tag@example.test", 550, b"5.1.1"),
            ("victim@elsewhere.test", 554, b"5.7.1"),     # open relay attempt
            ("victim@[127.0.0.1]", 554, b"5.7.1"),
            ("nobody@catchall.test.elsewhere.test", 554, b"5.7.1"),
            ("loop1@example.test", 451, b"4.4.6"),        # our own configuration error: try later
        ]
        for address, want_code, want_enhanced in expectations:
            code, text = smtp.docmd(f"RCPT TO:<{address}>")
            self.assertEqual((code, text[:5]), (want_code, want_enhanced), address)
        # RFC 2920 3.1: DATA after only refused recipients.
        code, text = smtp.docmd("DATA")
        self.assertEqual((code, text[:5]), (554, b"5.5.1"))
        smtp.quit()

        log = self.chain.log("mta")
        self.assertRegex(log, r"event=recipient_refused queue_id=\S+ from=spammer@remote.test "
                              r"to=victim@elsewhere.test client=127.0.0.1 code=554 dsn=5.7.1")
        self.assertIn("event=alias_loop to=loop1@example.test", log)
        # Nothing was queued, no Maildir was made.
        self.assertEqual([n for n in os.listdir(self.chain.path("spool")) if n.endswith(".msg")], [])
        self.assertFalse(os.path.exists(self.chain.path("mail")))

    def test_swaks_to_a_foreign_domain_fails_with_relay_denied(self):
        result = swaks("--server", f"127.0.0.1:{self.chain.ports['mx']}", "--from", "a@remote.test",
                       "--to", "victim@elsewhere.test")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(b"554 5.7.1 Relay access denied", result.stdout)

    def test_relay_domain_is_accepted_for_any_name(self):
        smtp = self.mx()
        smtp.ehlo("mx.remote.test")
        smtp.docmd("MAIL FROM:<a@remote.test>")
        code, text = smtp.docmd("RCPT TO:<anyone@Relay.test>")
        self.assertEqual((code, text[:5]), (250, b"2.1.5"))
        code, _ = smtp.docmd("RSET")
        self.assertEqual(code, 250)

    def test_auth_is_not_offered_and_mail_needs_no_login(self):
        smtp = self.mx()
        smtp.ehlo("mx.remote.test")
        smtp.starttls(context=client_tls_context())
        smtp.ehlo("mx.remote.test")
        code, text = smtp.docmd("AUTH PLAIN AGRlbW9AZXhhbXBsZS50ZXN0AGRlbW8=")
        self.assertEqual((code, text[:5]), (502, b"5.5.1"))


RECEIVED_BY_US = (rb"Received: from (\S+) \(\[127\.0\.0\.1\]\)\r?\n"
                  rb"\t\(using TLSv1\.[23] with cipher [A-Z0-9_-]+\)\r?\n"
                  rb"\tby mta\.test \(mailpipe\) with ESMTPS id ([0-9A-Z]+);\r?\n"
                  rb"\t" + DATE + rb"\r?\n")


@unittest.skipIf(postfix_server.available(), postfix_server.available() or "")
class PostfixRelaysToUs(MxTestCase):
    def test_a_real_postfix_delivers_to_our_mx_over_starttls(self):
        relay = postfix_server.PostfixRelay(relayhost=f"[127.0.0.1]:{self.chain.ports['mx']}")
        relay.start()
        self.addCleanup(relay.stop)
        self.show_log_on_failure("postfix", relay.log)
        message = (b"From: Alice <alice@postfix.test>\r\nTo: demo@example.test\r\nSubject: via postfix\r\n"
                   b"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <relay-test@postfix.test>\r\n"
                   b"\r\nhello from a real postfix\r\n")
        # demo twice: directly, and through the sales alias; delivered once.
        relay.send("alice@postfix.test", ["demo@example.test", "sales@example.test"], message)
        replies = relay.wait_for_delivery(2, timeout=20)
        queue_id = re.search(r"250 2\.0\.0 Ok: queued as ([0-9A-Z]+)", replies[0]).group(1)

        for user in ("demo", "bob"):
            files = self.chain.wait_for_maildir(user, 1)
            self.assertEqual(len(files), 1, user)
            stored = files[0]
            match = re.match(rb"Return-Path: <alice@postfix\.test>\nDelivered-To: " + user.encode() +
                             rb"@example\.test\n" + RECEIVED_BY_US + rb"Received: from client\.test ", stored)
            self.assertIsNotNone(match, stored)
            self.assertEqual(match.group(1), b"postfix.test")  # Postfix's EHLO name
            self.assertEqual(match.group(2).decode(), queue_id)
            self.assertIn(b"by postfix.test (Postfix) with ESMTP", stored)
            self.assertTrue(stored.endswith(message.replace(b"\r\n", b"\n")), stored)
        self.assertIn(f"event=received queue_id={queue_id} from=alice@postfix.test nrcpt=2", self.chain.log("mta"))


@unittest.skipIf(dovecot_server.available(), dovecot_server.available() or "")
class DovecotReadsOurMaildirs(MxTestCase):
    """The MDA runs as nobody, as Dovecot reads mail as a non-root user;
    the passwd-file is the one the MSA checks passwords against."""
    chain_options = {**MX_OPTIONS, "mda_user": "nobody"}

    def test_imap_login_with_the_msa_password_fetches_the_bytes_that_were_sent(self):
        sent = (b"From: someone@remote.test\r\nTo: demo@example.test\r\nSubject: read me over IMAP\r\n"
                b"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <imap-test@remote.test>\r\n"
                b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                b"Content-Transfer-Encoding: 8bit\r\n\r\n"
                b"Gr\xc3\xbc\xc3\x9fe,\r\n..a line that started with a dot\r\n\r\nlast line\r\n")
        # swaks dot-stuffs the file and ends it with CRLF . CRLF itself.
        self.swaks_mx("--from", "someone@remote.test", "--to", "demo@example.test", data=sent[:-2])
        files = self.chain.wait_for_maildir("demo", 1)
        self.assertEqual(len(files), 1)
        self.assertEqual(os.stat(self.chain.path("mail", "example.test", "demo", "new")).st_uid,
                         pwd.getpwnam("nobody").pw_uid)

        imap = dovecot_server.DovecotImap(mail_root=self.chain.path("mail"), passwd_file=self.chain.path("passwd"))
        imap.start()
        self.addCleanup(imap.stop)
        self.show_log_on_failure("dovecot", imap.log)
        # The MSA accepts the same password (the file is shared).
        smtp = msa_session(self, login=None)
        self.assertEqual(smtp.login("demo@example.test", "demo")[0], 235)

        messages = imap.fetch_all("demo@example.test", "demo")
        self.assertEqual(len(messages), 1)
        fetched = messages[0]
        self.assertEqual(fetched, files[0].replace(b"\n", b"\r\n"))
        match = re.match(rb"Return-Path: <someone@remote\.test>\r\nDelivered-To: demo@example\.test\r\n" +
                         RECEIVED_BY_US, fetched)
        self.assertIsNotNone(match, fetched)
        self.assertEqual(fetched[match.end():], sent)  # byte for byte, after our trace headers
        with self.assertRaises(imaplib.IMAP4.error):
            imap.fetch_all("demo@example.test", "wrong")


class LocalSendersSeeTheSameAddresses(MxTestCase):
    """Aliases are expanded where mail enters the queue, so a user
    submitting through the MSA reaches them too; a typo'd local user comes
    back as a DSN (the sender is ours, so no backscatter)."""

    def submit(self, to):
        smtp = msa_session(self)
        refused = smtp.sendmail("demo@example.test", [to], b"Subject: from inside\r\n\r\nhi\r\n")
        self.assertEqual(refused, {})
        smtp.quit()

    def test_alias_reached_through_the_msa(self):
        self.submit("sales@example.test")
        self.assertEqual(len(self.chain.wait_for_maildir("bob", 1)), 1)
        demo = self.chain.wait_for_maildir("demo", 1)
        self.assertEqual(len(demo), 1)
        self.assertIn(b"Subject: from inside", demo[0])
        self.assertFalse(os.path.exists(self.chain.path("mail", "example.test", "sales")))

    def test_unknown_local_user_bounces_to_the_sender_with_5_1_1(self):
        self.submit("typo@example.test")
        files = self.chain.wait_for_maildir("demo", 1)
        self.assertEqual(len(files), 1)
        report = files[0]
        self.assertIn(b"\nFrom: MAILER-DAEMON@mta.test", report)
        self.assertIn(b"Final-Recipient: rfc822; typo@example.test", report)
        self.assertIn(b"Status: 5.1.1", report)
        self.assertFalse(os.path.exists(self.chain.path("mail", "example.test", "typo")))


if __name__ == "__main__":
    unittest.main()
