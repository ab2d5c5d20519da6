"""Hostile clients, STARTTLS: commands pipelined behind STARTTLS
(CVE-2011-0411) and the session state that TLS resets."""
import unittest

from hostile_client import MxTestCase, RawSmtp, AUTH_OK, AUTH_REQUIRED, HELO_FIRST, MSA_HOST, MX_HOST, NEED_MAIL, \
    OK, READY_FOR_TLS, SENDER_OK, ehlo_reply, greeting, plain


class StartTlsInjection(MxTestCase):
    """CVE-2011-0411: plaintext pipelined behind STARTTLS, in the same
    packet, must not run as if it had come over TLS."""

    def test_rset_pipelined_behind_starttls_on_the_mx_is_discarded(self):
        client = self.mx()
        client.send(b"STARTTLS\r\nRSET\r\n")
        self.assertEqual(client.reply(), READY_FOR_TLS)
        client.upgrade()
        # Had RSET been kept, its 250 would come before EHLO's reply.
        self.assertEqual(client.command(b"EHLO mx.remote.test"), ehlo_reply(MX_HOST, tls=True))
        self.assertEqual(client.command(b"NOOP"), OK)
        self.assertIn("event=starttls_plaintext_discarded client=127.0.0.1 bytes=6", self.chain.log("mta"))

    def test_mail_pipelined_behind_starttls_on_the_mx_does_not_open_a_transaction(self):
        client = self.mx()
        client.send(b"STARTTLS\r\nMAIL FROM:<x@y>\r\n")
        self.assertEqual(client.reply(), READY_FOR_TLS)
        client.upgrade()
        self.assertEqual(client.command(b"EHLO mx.remote.test"), ehlo_reply(MX_HOST, tls=True))
        self.assertEqual(client.command(b"RCPT TO:<demo@example.test>"), NEED_MAIL)
        self.assertEqual(self.spooled(), [])

    def test_starttls_on_the_mx_is_refused_in_a_transaction_and_forgets_ehlo(self):
        client = self.mx()
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test>"), SENDER_OK)
        # As Postfix: a transaction begun in plaintext is not carried into TLS.
        self.assertEqual(client.command(b"STARTTLS"),
                         b"503 5.5.1 STARTTLS not permitted during a mail transaction\r\n")
        self.assertEqual(client.command(b"RSET"), OK)
        client.starttls()
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test>"), HELO_FIRST)
        self.assertEqual(client.command(b"EHLO mx.remote.test"), ehlo_reply(MX_HOST, tls=True))
        self.assertEqual(client.command(b"RCPT TO:<demo@example.test>"), NEED_MAIL)
        self.assertEqual(client.command(b"STARTTLS"), b"503 5.5.1 TLS already active\r\n")

    def test_auth_pipelined_behind_starttls_on_the_msa_is_not_executed(self):
        client = RawSmtp(self, self.chain.ports["starttls"])
        self.assertEqual(client.reply(), greeting(MSA_HOST))
        self.assertEqual(client.command(b"EHLO client.test"), ehlo_reply(MSA_HOST))
        client.send(b"STARTTLS\r\nAUTH PLAIN " + plain(b"demo@example.test", b"demo") + b"\r\n")
        self.assertEqual(client.reply(), READY_FOR_TLS)
        client.upgrade()
        self.assertEqual(client.command(b"EHLO client.test"), ehlo_reply(MSA_HOST, tls=True, auth=True))
        self.assertEqual(client.command(b"MAIL FROM:<demo@example.test>"), AUTH_REQUIRED)
        self.assertNotIn("event=auth_ok", self.chain.log("msa"))

    def test_starttls_on_the_msa_forgets_ehlo(self):
        client = RawSmtp(self, self.chain.ports["starttls"])
        self.assertEqual(client.reply(), greeting(MSA_HOST))
        self.assertEqual(client.command(b"EHLO client.test"), ehlo_reply(MSA_HOST))
        client.starttls()
        self.assertEqual(client.command(b"MAIL FROM:<demo@example.test>"), HELO_FIRST)
        self.assertEqual(client.command(b"AUTH PLAIN " + plain(b"demo@example.test", b"demo")),
                         b"503 5.5.1 Send EHLO first\r\n")
        self.assertEqual(client.command(b"EHLO client.test"), ehlo_reply(MSA_HOST, tls=True, auth=True))
        self.assertEqual(client.command(b"AUTH PLAIN " + plain(b"demo@example.test", b"demo")), AUTH_OK)
        self.assertEqual(client.command(b"MAIL FROM:<demo@example.test>"), SENDER_OK)


if __name__ == "__main__":
    unittest.main()
