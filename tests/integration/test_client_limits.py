"""Limits per client address, across sessions: connection floods get
421 4.7.0 at connect, password guessers are slowed down and then locked
out (454 4.7.0) for a while, even with the right password. Nothing here is
per session, since a new session costs an attacker nothing.
"""
import base64
import smtplib
import socket
import time
import unittest

from harness import ChainTestCase, client_tls_context


def plain(user, password):
    return "PLAIN " + base64.b64encode(f"\0{user}\0{password}".encode()).decode()


class ConnectionLimits(ChainTestCase):
    chain_options = {
        "msa_overrides": "limits { max_connections_per_client: 2 max_connections: 3 }",
        "mx": True, "mx_overrides": "limits { max_connections_per_client: 1 }",
    }

    def setUp(self):
        super().setUp()
        self.chain.start_all()

    def greeting(self, port, tls=False):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        if tls:
            sock = client_tls_context().wrap_socket(sock, server_hostname="localhost")
        self.addCleanup(sock.close)
        return sock, sock.recv(512)

    def test_third_connection_from_one_address_gets_421_and_the_others_go_on(self):
        first, hello1 = self.greeting(self.chain.ports["starttls"])
        second, hello2 = self.greeting(self.chain.ports["implicit"], tls=True)  # both ports count together
        self.assertTrue(hello1.startswith(b"220 ") and hello2.startswith(b"220 "), (hello1, hello2))
        third, refusal = self.greeting(self.chain.ports["starttls"])
        self.assertEqual(refusal, b"421 4.7.0 Too many connections from your address, try again later\r\n")
        self.assertEqual(third.recv(512), b"")  # closed
        # The admitted sessions still work.
        first.sendall(b"NOOP\r\n")
        self.assertTrue(first.recv(512).startswith(b"250 "))
        self.assertIn("event=connection_refused client=127.0.0.1", self.chain.log("msa"))
        # A slot frees when a session ends.
        first.sendall(b"QUIT\r\n")
        first.recv(512)
        first.close()
        time.sleep(0.2)
        _, hello = self.greeting(self.chain.ports["starttls"])
        self.assertTrue(hello.startswith(b"220 "), hello)

    def test_over_the_total_the_refusal_comes_after_the_tls_handshake_on_465(self):
        # 127.0.0.1 and 127.0.0.2 are two clients; the total is 3.
        socks = []
        for source in ("127.0.0.1", "127.0.0.1", "127.0.0.2"):
            sock = socket.create_connection(("127.0.0.1", self.chain.ports["starttls"]), timeout=10,
                                            source_address=(source, 0))
            self.addCleanup(sock.close)
            self.assertTrue(sock.recv(512).startswith(b"220 "))
            socks.append(sock)
        sock = socket.create_connection(("127.0.0.1", self.chain.ports["implicit"]), timeout=10,
                                        source_address=("127.0.0.3", 0))
        tls = client_tls_context().wrap_socket(sock, server_hostname="localhost")
        self.addCleanup(tls.close)
        self.assertEqual(tls.recv(512), b"421 4.7.0 Too many connections, try again later\r\n")

    def test_mx_has_its_own_limit(self):
        _, hello = self.greeting(self.chain.ports["mx"])
        self.assertTrue(hello.startswith(b"220 "))
        _, refusal = self.greeting(self.chain.ports["mx"])
        self.assertTrue(refusal.startswith(b"421 4.7.0 "), refusal)
        self.assertIn("event=connection_refused client=127.0.0.1", self.chain.log("mta"))


class AuthLockout(ChainTestCase):
    chain_options = {"msa_overrides": "limits { max_auth_failures: 10 max_auth_failures_per_client: 3 "
                                      "auth_lockout_ms: 2000 auth_failure_delay_ms: 300 }"}

    def setUp(self):
        super().setUp()
        self.chain.start_all()

    def session(self, source="127.0.0.1"):
        sock = socket.create_connection(("127.0.0.1", self.chain.ports["implicit"]), timeout=10,
                                        source_address=(source, 0))
        smtp = smtplib.SMTP_SSL(timeout=10, context=client_tls_context())
        smtp.sock = client_tls_context().wrap_socket(sock, server_hostname="localhost")
        smtp.file = None
        smtp.getreply()
        smtp.ehlo("client.test")
        self.addCleanup(smtp.close)
        return smtp

    def test_guesses_are_slowed_then_locked_out_per_address_even_with_the_right_password(self):
        started = time.monotonic()
        for i in range(3):
            smtp = self.session()  # a new session each time: the count is per address
            code, text = smtp.docmd("AUTH", plain("demo@example.test", f"guess{i}"))
            self.assertEqual((code, text[:5]), (535, b"5.7.8"))
        self.assertGreaterEqual(time.monotonic() - started, 0.9)  # 3 x auth_failure_delay_ms

        smtp = self.session()
        code, text = smtp.docmd("AUTH", plain("demo@example.test", "demo"))  # right, but locked out
        self.assertEqual((code, text[:5]), (454, b"4.7.0"))
        # Another address is not affected.
        code, _ = self.session("127.0.0.2").docmd("AUTH", plain("demo@example.test", "demo"))
        self.assertEqual(code, 235)
        # The lockout ends by itself.
        time.sleep(2.2)
        code, _ = self.session().docmd("AUTH", plain("demo@example.test", "demo"))
        self.assertEqual(code, 235)

        log = self.chain.log("msa")
        self.assertIn("event=auth_locked_out client=127.0.0.1", log)
        for secret in ("guess0", "guess1", "guess2", base64.b64encode(b"\0demo@example.test\0guess0").decode()):
            self.assertNotIn(secret, log)
        self.assertNotIn("event=auth_failed client=127.0.0.1 user=", log)  # not even the name


if __name__ == "__main__":
    unittest.main()
