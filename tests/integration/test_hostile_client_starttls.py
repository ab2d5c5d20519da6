"""Hostile clients, STARTTLS: commands pipelined behind STARTTLS
(CVE-2011-0411) and the session state that TLS resets."""
import unittest

from hostile_client import MxTestCase, RawSmtp, AUTH_OK, AUTH_REQUIRED, HELO_FIRST, MSA_HOST, MX_HOST, NEED_MAIL, \
    OK, READY_FOR_TLS, SENDER_OK, ehlo_reply, greeting, plain

DEMO_PLAIN = b"AUTH PLAIN " + plain(b"demo@example.test", b"demo")


class StartTlsInjection(MxTestCase):
    """CVE-2011-0411: plaintext pipelined behind STARTTLS, in the same
    packet, must not run as if it had come over TLS."""

    def msa_plaintext(self):
        """The MSA's STARTTLS port, greeted and EHLO done in plaintext."""
        client = RawSmtp(self, self.chain.ports["starttls"])
        self.assertEqual(client.reply(), greeting(MSA_HOST))
        self.assertEqual(client.command(b"EHLO client.test"), ehlo_reply(MSA_HOST))
        return client

    def starttls_with_plaintext_behind(self, client, pipelined, ehlo, host, auth=False):
        """STARTTLS with `pipelined` in the same write; after the handshake
        the EHLO that TLS asks for gets the reply of a fresh session."""
        client.send(b"STARTTLS\r\n" + pipelined)
        self.assertEqual(client.reply(), READY_FOR_TLS)
        client.upgrade()
        self.assertEqual(client.command(b"EHLO " + ehlo), ehlo_reply(host, tls=True, auth=auth))

    def test_rset_pipelined_behind_starttls_on_the_mx_is_discarded(self):
        client = self.mx()
        # Had RSET been kept, its 250 would come before EHLO's reply.
        self.starttls_with_plaintext_behind(client, b"RSET\r\n", b"mx.remote.test", MX_HOST)
        self.assertEqual(client.command(b"NOOP"), OK)
        self.assertIn("event=starttls_plaintext_discarded client=127.0.0.1 bytes=6", self.chain.log("mta"))

    def test_mail_pipelined_behind_starttls_on_the_mx_does_not_open_a_transaction(self):
        client = self.mx()
        self.starttls_with_plaintext_behind(client, b"MAIL FROM:<x@y>\r\n", b"mx.remote.test", MX_HOST)
        self.assertEqual(client.command(b"RCPT TO:<demo@example.test>"), NEED_MAIL)
        self.assertEqual(self.spooled(), [])

    def test_starttls_on_the_mx_is_refused_in_a_transaction_and_forgets_ehlo(self):
        client = self.mx()
        # As Postfix: a transaction begun in plaintext is not carried into TLS.
        self.assert_replies(client, [
            (b"MAIL FROM:<sender@remote.test>", SENDER_OK),
            (b"STARTTLS", b"503 5.5.1 STARTTLS not permitted during a mail transaction\r\n"),
            (b"RSET", OK)])
        client.starttls()
        self.assert_replies(client, [
            (b"MAIL FROM:<sender@remote.test>", HELO_FIRST), (b"EHLO mx.remote.test", ehlo_reply(MX_HOST, tls=True)),
            (b"RCPT TO:<demo@example.test>", NEED_MAIL), (b"STARTTLS", b"503 5.5.1 TLS already active\r\n")])

    def test_auth_pipelined_behind_starttls_on_the_msa_is_not_executed(self):
        client = self.msa_plaintext()
        self.starttls_with_plaintext_behind(client, DEMO_PLAIN + b"\r\n", b"client.test", MSA_HOST, auth=True)
        self.assertEqual(client.command(b"MAIL FROM:<demo@example.test>"), AUTH_REQUIRED)
        self.assertNotIn("event=auth_ok", self.chain.log("msa"))

    def test_starttls_on_the_msa_forgets_ehlo(self):
        client = self.msa_plaintext()
        client.starttls()
        self.assert_replies(client, [
            (b"MAIL FROM:<demo@example.test>", HELO_FIRST), (DEMO_PLAIN, b"503 5.5.1 Send EHLO first\r\n"),
            (b"EHLO client.test", ehlo_reply(MSA_HOST, tls=True, auth=True)), (DEMO_PLAIN, AUTH_OK),
            (b"MAIL FROM:<demo@example.test>", SENDER_OK)])


if __name__ == "__main__":
    unittest.main()
