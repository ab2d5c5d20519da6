"""Hostile clients, AUTH on the msa: bad base64, cancels, wrong passwords,
the failure limit, overlong responses; and nothing of a password, right or
wrong, ever reaches a log."""
import base64
import unittest

from hostile_client import HostileTestCase, RawSmtp, AUTH_CANCELLED, AUTH_FAILED, AUTH_LOCKED, AUTH_OK, BAD_BASE64, \
    MSA_HOST, SENDER_OK, ehlo_reply, greeting, plain


class MsaAuth(HostileTestCase):
    """AUTH after STARTTLS and on the implicit-TLS port; and nothing of a
    password, right or wrong, ever reaches a log."""

    def starttls_client(self):
        client = RawSmtp(self, self.chain.ports["starttls"])
        self.assertEqual(client.reply(), greeting(MSA_HOST))
        self.assertEqual(client.command(b"EHLO client.test"), ehlo_reply(MSA_HOST))
        client.starttls()
        self.assertEqual(client.command(b"EHLO client.test"), ehlo_reply(MSA_HOST, tls=True, auth=True))
        return client

    def assert_not_logged(self, secrets):
        for name in ("msa", "mta", "mda"):
            log = self.chain.log(name)
            for secret in secrets:
                self.assertNotIn(secret.decode(), log, f"{name} log holds {secret!r}")

    def test_bad_base64_cancel_and_wrong_password_get_their_codes_and_nothing_secret_is_logged(self):
        client = self.starttls_client()
        not_base64 = b"!!not-base64-Zm9v!!"
        self.assertEqual(client.command(b"AUTH PLAIN " + not_base64), BAD_BASE64)
        self.assertEqual(client.command(b"AUTH PLAIN"), b"334 \r\n")
        self.assertEqual(client.command(b"*"), AUTH_CANCELLED)
        self.assertEqual(client.command(b"AUTH LOGIN"), b"334 VXNlcm5hbWU6\r\n")
        self.assertEqual(client.command(base64.b64encode(b"bob@example.test")), b"334 UGFzc3dvcmQ6\r\n")
        self.assertEqual(client.command(b"*"), AUTH_CANCELLED)
        wrong_login = b"Wr0ng-L0gin-Passw0rd"
        self.assertEqual(client.command(b"AUTH LOGIN"), b"334 VXNlcm5hbWU6\r\n")
        self.assertEqual(client.command(base64.b64encode(b"bob@example.test")), b"334 UGFzc3dvcmQ6\r\n")
        self.assertEqual(client.command(base64.b64encode(wrong_login)), AUTH_FAILED)
        wrong_plain = b"Wr0ng-Pl4in-Passw0rd"
        self.assertEqual(client.command(b"AUTH PLAIN " + plain(b"bob@example.test", wrong_plain)), AUTH_FAILED)
        # Two failures of three: the right password still works.
        self.assertEqual(client.command(b"AUTH PLAIN " + plain(b"bob@example.test", b"bobpass")), AUTH_OK)
        self.assertEqual(client.command(b"MAIL FROM:<bob@example.test>"), SENDER_OK)
        self.assertEqual(client.command(b"QUIT"), b"221 2.0.0 msa.test closing connection\r\n")

        self.assertEqual(self.chain.log("msa").count("event=auth_failed "), 2)
        self.assert_not_logged([
            not_base64, wrong_login, base64.b64encode(wrong_login), wrong_plain,
            plain(b"bob@example.test", wrong_plain), b"bobpass", plain(b"bob@example.test", b"bobpass")])

    def test_max_auth_failures_on_the_implicit_tls_port_get_421_4_7_0_and_close(self):
        client = RawSmtp(self, self.chain.ports["implicit"], implicit_tls=True)
        self.assertEqual(client.reply(), greeting(MSA_HOST))
        self.assertEqual(client.command(b"EHLO client.test"), ehlo_reply(MSA_HOST, tls=True, auth=True))
        passwords = [b"Guess-One-1111", b"Guess-Two-2222", b"Guess-Three-3333"]
        for password in passwords[:2]:
            self.assertEqual(client.command(b"AUTH PLAIN " + plain(b"demo@example.test", password)), AUTH_FAILED)
        client.send(b"AUTH PLAIN " + plain(b"demo@example.test", passwords[2]) + b"\r\n")
        self.assertEqual(client.rest_until_closed(), AUTH_FAILED + AUTH_LOCKED)
        self.assertEqual(self.chain.log("msa").count("event=auth_failed "), 3)
        self.assert_not_logged(passwords + [plain(b"demo@example.test", p) for p in passwords])

    # RFC 4954 4: "500 5.5.6 Authentication Exchange line is too long" for a
    # response longer than the server takes (this line is valid base64).
    def test_auth_response_line_past_12288_octets_gets_500_5_5_6(self):
        client = self.starttls_client()
        self.assertEqual(client.command(b"AUTH PLAIN"), b"334 \r\n")
        self.assertEqual(client.command(b"QUFB" * 4000)[:10], b"500 5.5.6 ")


if __name__ == "__main__":
    unittest.main()
