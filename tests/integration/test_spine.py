"""The spine: a real client submits over TLS with AUTH to msa, which hands
the message to mta, which spools it and has mda write it into a Maildir.

Clients are real: swaks and Python's smtplib. Everything runs on loopback.
"""
import base64
import re
import smtplib
import socket
import time
import unittest

from harness import QUEUED, ChainTestCase, client_tls_context, wait_until
from smtp_checks import DATE, msa_session, only_message, swaks, trace_fields


class Submission(ChainTestCase):
    def setUp(self):
        super().setUp()
        self.chain.start_all()

    def test_swaks_starttls_auth_plain_lands_byte_for_byte(self):
        message = (b"Subject: spine test\r\nFrom: demo@example.test\r\nTo: demo@example.test\r\n\r\n"
                   b"first line\r\n.leading dot\r\n..two dots\r\nlast line")
        # (swaks ends the data with CRLF . CRLF itself)
        data_file = self.chain.path("message.eml")
        with open(data_file, "wb") as f:
            f.write(message)
        result = swaks("--server", f"127.0.0.1:{self.chain.ports['starttls']}", "--tls",
                       "--auth", "PLAIN", "--auth-user", "demo@example.test", "--auth-password", "demo",
                       "--ehlo", "client.test", "--from", "demo@example.test", "--to", "demo@example.test",
                       "--data", "@" + data_file)
        self.assertEqual(result.returncode, 0, result.stdout.decode(errors="replace"))
        queue_id = QUEUED.search(result.stdout).group(1)

        expected = re.compile(
            trace_fields(b"demo@example.test", b"demo@example.test", b"client.test", b"msa.test", b"ESMTPSA",
                         queue_id) +
            rb"Subject: spine test\nFrom: demo@example\.test\nTo: demo@example\.test\n"
            rb"Date: " + DATE + rb"\n"
            rb"Message-ID: <" + queue_id + rb"\.[a-z0-9]+@msa\.test>\n"
            rb"\n"
            rb"first line\n\.leading dot\n\.\.two dots\nlast line\n\Z")
        self.assertRegex(only_message(self, "demo"), expected)
        # The file is there before the MDA's answer reaches the MTA's log.
        self.assertTrue(wait_until(lambda: b"event=delivered queue_id=" + queue_id in self.chain.log("mta").encode(), 5))
        self.assertIn(b"event=submitted queue_id=" + queue_id, self.chain.log("msa").encode())

    def test_smtplib_implicit_tls_auth_login_two_recipients(self):
        smtp = msa_session(self, login=None, ehlo="client.test")
        smtp.user, smtp.password = "demo@example.test", "demo"
        code, _ = smtp.auth("LOGIN", smtp.auth_login)
        self.assertEqual(code, 235)
        message = (b"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <given@client.test>\r\n"
                   b"Subject: two\r\n\r\nhello \xc3\xa9\r\n")
        refused = smtp.sendmail("demo@example.test", ["demo@example.test", "bob@example.test"], message,
                                mail_options=["BODY=8BITMIME"])
        self.assertEqual(refused, {})
        smtp.quit()

        for user in ("demo", "bob"):
            files = self.chain.wait_for_maildir(user, 1)
            self.assertEqual(len(files), 1, user)
            content = files[0]
            self.assertTrue(content.startswith(
                b"Return-Path: <demo@example.test>\nDelivered-To: " + user.encode() + b"@example.test\nReceived: "))
            # The client's Date and Message-ID are kept, not duplicated.
            self.assertTrue(content.endswith(
                b"Date: Mon, 23 Nov 2026 10:00:00 +0000\nMessage-ID: <given@client.test>\n"
                b"Subject: two\n\nhello \xc3\xa9\n"), content)
            self.assertEqual(content.count(b"\nDate: "), 1)
            self.assertEqual(content.count(b"\nMessage-ID: "), 1)

    def test_refusals_have_precise_codes(self):
        smtp = smtplib.SMTP("127.0.0.1", self.chain.ports["starttls"], timeout=15)
        self.addCleanup(smtp.close)
        smtp.ehlo("client.test")
        self.assertIn("starttls", smtp.esmtp_features)
        self.assertNotIn("auth", smtp.esmtp_features)  # never offer passwords in clear

        code, text = smtp.docmd("AUTH", "PLAIN " + base64.b64encode(b"\0demo@example.test\0demo").decode())
        self.assertEqual((code, text[:5]), (530, b"5.7.0"))

        smtp.starttls(context=client_tls_context())
        smtp.ehlo("client.test")
        for keyword in ("pipelining", "size", "8bitmime", "enhancedstatuscodes"):
            self.assertIn(keyword, smtp.esmtp_features)
        self.assertNotIn("starttls", smtp.esmtp_features)
        self.assertEqual(smtp.esmtp_features["auth"].split(), ["PLAIN", "LOGIN"])

        code, text = smtp.docmd("MAIL FROM:<demo@example.test>")
        self.assertEqual((code, text[:5]), (530, b"5.7.0"))

        code, text = smtp.docmd("AUTH", "PLAIN " + base64.b64encode(b"\0demo@example.test\0wrong").decode())
        self.assertEqual((code, text[:5]), (535, b"5.7.8"))

        code, _ = smtp.docmd("AUTH", "PLAIN " + base64.b64encode(b"\0demo@example.test\0demo").decode())
        self.assertEqual(code, 235)
        code, text = smtp.docmd("MAIL FROM:<bob@example.test>")
        self.assertEqual((code, text[:5]), (553, b"5.7.1"))
        code, text = smtp.docmd("MAIL FROM:<>")
        self.assertEqual((code, text[:5]), (553, b"5.7.1"))
        code, _ = smtp.docmd("MAIL FROM:<Demo@Example.TEST>")
        self.assertEqual(code, 250)

    def test_implicit_tls_port_refuses_plaintext_greeting_wait(self):
        # A client that speaks plaintext SMTP to the 465 port gets no banner;
        # the handshake fails and the connection closes (no downgrade).
        with socket.create_connection(("127.0.0.1", self.chain.ports["implicit"]), timeout=10) as s:
            s.sendall(b"EHLO client.test\r\n")
            try:
                data = s.recv(1024)
            except ConnectionResetError:  # closed with our bytes unread: also a refusal
                data = b""
            self.assertNotIn(b"220", data)

    def test_too_many_auth_failures_close_the_session(self):
        smtp = msa_session(self, login=None, ehlo="client.test")
        bad = "PLAIN " + base64.b64encode(b"\0demo@example.test\0nope").decode()
        self.assertEqual(smtp.docmd("AUTH", bad)[0], 535)
        self.assertEqual(smtp.docmd("AUTH", bad)[0], 535)
        code, _ = smtp.docmd("AUTH", bad)
        self.assertEqual(code, 535)
        code, text = smtp.getreply()
        self.assertEqual((code, text[:5]), (421, b"4.7.0"))


class Durability(ChainTestCase):
    def submit(self, subject):
        smtp = smtplib.SMTP_SSL("127.0.0.1", self.chain.ports["implicit"], timeout=15,
                                context=client_tls_context())
        try:
            smtp.ehlo("client.test")
            smtp.login("demo@example.test", "demo")
            smtp.sendmail("demo@example.test", ["demo@example.test"],
                          f"Subject: {subject}\r\n\r\nbody\r\n".encode())
        finally:
            smtp.close()

    def submit_while_the_mda_is_down(self, subject):
        self.chain.start_all()
        self.chain.stop("mda")
        self.submit(subject)  # 250: the MTA holds it

    def assert_delivered_once_the_mda_is_back(self, subject):
        self.chain.start("mda")
        self.assertIn(b"Subject: " + subject.encode() + b"\n", only_message(self, "demo", timeout=15))

    def test_mail_waits_in_the_mta_while_the_mda_is_down(self):
        self.submit_while_the_mda_is_down("while mda down")
        self.assertFalse(wait_until(lambda: self.chain.maildir_files("demo"), 1.0))
        # deliver_timeout_ms is 2000: the attempt is deferred after that.
        self.assertTrue(wait_until(lambda: "event=deferred" in self.chain.log("mta"), 10))
        self.assertEqual(self.chain.maildir_files("demo"), [])
        self.assert_delivered_once_the_mda_is_back("while mda down")

    def test_mta_down_gives_451_within_the_submit_timeout(self):
        self.chain.start_all()
        self.chain.stop("mta")
        started = time.monotonic()
        with self.assertRaises(smtplib.SMTPDataError) as caught:
            self.submit("while mta down")
        elapsed = time.monotonic() - started
        self.assertEqual(caught.exception.smtp_code, 451)
        self.assertTrue(caught.exception.smtp_error.startswith(b"4.3.0"), caught.exception.smtp_error)
        self.assertLess(elapsed, 3.0 + 3.0)  # submit_timeout_ms 3000 plus TLS/AUTH
        # Nothing was half-accepted: after the MTA is back, nothing arrives.
        self.chain.start("mta")
        time.sleep(2.0)
        self.assertEqual(self.chain.maildir_files("demo"), [])

    def test_mta_restart_resumes_its_spool(self):
        self.submit_while_the_mda_is_down("survives restart")
        self.assertEqual(self.chain.stop("mta"), 0)
        self.chain.start("mta")
        self.assertIn("recovered=1", self.chain.log("mta"))
        self.assert_delivered_once_the_mda_is_back("survives restart")

    def test_processes_stop_cleanly_on_sigterm(self):
        self.chain.start_all()
        for name in ("msa", "mta", "mda"):
            self.assertEqual(self.chain.stop(name), 0, name)


if __name__ == "__main__":
    unittest.main()
