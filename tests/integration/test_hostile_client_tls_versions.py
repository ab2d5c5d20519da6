"""Hostile clients, TLS versions and suites: TLS 1.2 and 1.3 only, AEAD
suites only, on every TLS port of the msa and the MX."""
import re
import ssl
import unittest
import warnings

from harness import client_tls_context
from hostile_client import MxTestCase, RawSmtp, MSA_HOST, MX_HOST, ehlo_reply, greeting


def legacy_tls_context(version):
    """A client that offers only `version`, with every cipher allowed, so a
    refusal is the server's (OpenSSL's default level would refuse first)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        context.minimum_version = version
        context.maximum_version = version
    return context


class TlsVersions(MxTestCase):
    """TLS 1.2 and 1.3 only, AEAD suites only, on every TLS port."""

    def tls_ports(self):
        return [("msa STARTTLS", self.chain.ports["starttls"], MSA_HOST, True),
                ("msa implicit TLS", self.chain.ports["implicit"], MSA_HOST, False),
                ("mx STARTTLS", self.chain.ports["mx"], MX_HOST, True)]

    def connect(self, port, host, starttls, context):
        """Returns the client, handshake done (or raising ssl.SSLError)."""
        if not starttls:
            return RawSmtp(self, port, implicit_tls=True, context=context)
        client = RawSmtp(self, port)
        self.assertEqual(client.reply(), greeting(host))
        self.assertEqual(client.command(b"EHLO client.test")[:4], b"250-")
        client.starttls(context)
        return client

    def test_tls_1_0_and_1_1_are_refused(self):
        for name, port, host, starttls in self.tls_ports():
            for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
                with self.subTest(port=name, version=version.name):
                    with self.assertRaises(ssl.SSLError) as caught:
                        self.connect(port, host, starttls, legacy_tls_context(version))
                    # The server's alert, not our own refusal to offer it.
                    self.assertEqual(caught.exception.reason, "TLSV1_ALERT_PROTOCOL_VERSION")

    def test_tls_1_2_without_aead_suites_is_refused(self):
        context = legacy_tls_context(ssl.TLSVersion.TLSv1_2)
        context.set_ciphers("ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA384:AES128-SHA256:AES256-SHA")
        for name, port, host, starttls in self.tls_ports():
            with self.subTest(port=name):
                with self.assertRaises(ssl.SSLError) as caught:
                    self.connect(port, host, starttls, context)
                self.assertEqual(caught.exception.reason, "SSLV3_ALERT_HANDSHAKE_FAILURE")

    def test_tls_1_2_and_1_3_are_accepted_with_an_aead_suite(self):
        aead = re.compile(r"GCM|CHACHA20[-_]POLY1305|CCM")
        for name, port, host, starttls in self.tls_ports():
            for version, label in ((ssl.TLSVersion.TLSv1_2, "TLSv1.2"), (ssl.TLSVersion.TLSv1_3, "TLSv1.3")):
                with self.subTest(port=name, version=label):
                    context = client_tls_context()
                    context.minimum_version = context.maximum_version = version
                    client = self.connect(port, host, starttls, context)
                    if not starttls:
                        self.assertEqual(client.reply(), greeting(host))
                    self.assertEqual(client.sock.version(), label)
                    cipher = client.sock.cipher()[0]
                    self.assertRegex(cipher, aead)
                    if label == "TLSv1.2":
                        self.assertTrue(cipher.startswith("ECDHE-"), cipher)  # forward secrecy
                    self.assertEqual(client.command(b"EHLO client.test"),
                                     ehlo_reply(host, tls=True, auth=host == MSA_HOST))
                    self.assertEqual(client.command(b"QUIT"), b"221 2.0.0 " + host + b" closing connection\r\n")


if __name__ == "__main__":
    unittest.main()
