"""SIGHUP reloads certificates, users and aliases without dropping the
sessions in flight or losing mail; a broken new config is refused with a
log line naming file:line:column, and the running one stays.
"""
import os
import signal
import socket
import ssl
import subprocess
import unittest

from harness import ChainTestCase, client_tls_context, wait_until
from smtp_checks import msa_session, mx_session


def make_certificate(directory, common_name):
    key, cert = os.path.join(directory, f"{common_name}.key"), os.path.join(directory, f"{common_name}.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={common_name}", "-keyout", key, "-out", cert],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def peer_certificate(port, starttls):
    """The DER certificate a new session on `port` presents."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        if starttls:
            sock.recv(512)
            sock.sendall(b"EHLO client.test\r\n")
            sock.recv(2048)
            sock.sendall(b"STARTTLS\r\n")
            assert sock.recv(512).startswith(b"220 ")
        with client_tls_context().wrap_socket(sock, server_hostname="localhost") as tls:
            return tls.getpeercert(binary_form=True)
    finally:
        sock.close()


def der_of(pem_path):
    with open(pem_path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


class Reload(ChainTestCase):
    chain_options = {"mx": True, "aliases": "sales@example.test: demo@example.test\n"}

    def setUp(self):
        super().setUp()
        self.chain.start_all()

    def hup(self, name, event):
        count = self.chain.log(name).count(event)
        self.chain.processes[name].send_signal(signal.SIGHUP)
        self.assertTrue(wait_until(lambda: self.chain.log(name).count(event) > count, 10), self.chain.log(name))

    def replace_in(self, name, old, new):
        path = self.chain.path(name)
        with open(path) as f:
            text = f.read()
        assert old in text, (old, text)
        with open(path, "w") as f:
            f.write(text.replace(old, new))

    def test_new_certificate_and_user_for_new_sessions_while_an_open_one_finishes(self):
        old_cert = der_of(self.chain.path("cert.pem"))
        open_session = msa_session(self)
        open_session.mail("demo@example.test")
        open_session.rcpt("bob@example.test")

        cert, key = make_certificate(self.chain.dir, "reloaded.test")
        self.replace_in("msa.conf", self.chain.path("cert.pem"), cert)
        self.replace_in("msa.conf", self.chain.path("key.pem"), key)
        hashed = subprocess.run(["openssl", "passwd", "-6", "carolpass"], check=True, capture_output=True,
                                text=True, timeout=30).stdout.strip()
        with open(self.chain.path("passwd"), "a") as f:
            f.write(f"carol@example.test:{{SHA512-CRYPT}}{hashed}\n")
        self.hup("msa", "event=reloaded")
        self.assertIn("users=3", self.chain.log("msa").splitlines()[-1])

        # The session that was open goes on, with its old certificate.
        self.assertEqual(open_session.sock.getpeercert(binary_form=True), old_cert)
        code, _ = open_session.data(b"Subject: across the reload\r\n\r\nbody\r\n")
        self.assertEqual(code, 250)
        open_session.quit()
        self.assertEqual(len(self.chain.wait_for_maildir("bob", 1)), 1)

        # New sessions get the new certificate on both ports, and the new user.
        self.assertEqual(peer_certificate(self.chain.ports["implicit"], starttls=False), der_of(cert))
        self.assertEqual(peer_certificate(self.chain.ports["starttls"], starttls=True), der_of(cert))
        carol = msa_session(self, login=None)
        self.assertEqual(carol.login("carol@example.test", "carolpass")[0], 235)

    def test_a_broken_config_is_refused_and_the_running_one_stays(self):
        self.replace_in("msa.conf", "submit_timeout_ms: 3000", "submit_timeout_ms: 3000\nsubmit_timout_ms: 1")
        self.hup("msa", "event=reload_failed")
        line = self.chain.log("msa").splitlines()[-1]
        self.assertIn("msa.conf:", line)
        self.assertIn("submit_timout_ms", line)
        self.assertIn('reason="the running configuration stays"', line)
        # Still serving as before.
        smtp = msa_session(self, login=None)
        self.assertEqual(smtp.login("demo@example.test", "demo")[0], 235)

        # A certificate that does not load is refused too, by the MTA's MX.
        self.replace_in("mta.conf", self.chain.path("key.pem"), self.chain.path("missing-key.pem"))
        self.hup("mta", "event=reload_failed")
        self.assertIn("missing-key.pem", self.chain.log("mta").splitlines()[-1])
        mx = mx_session(self)
        mx.starttls(context=client_tls_context())  # the old certificate still serves
        self.assertEqual(mx.ehlo("mx.remote.test")[0], 250)

    def test_mta_reloads_users_and_aliases(self):
        mx = mx_session(self, ehlo="mx.remote.test")
        mx.mail("a@remote.test")
        self.assertEqual(mx.rcpt("team@example.test")[0], 550)
        mx.rset()

        with open(self.chain.path("aliases"), "a") as f:
            f.write("team@example.test: bob@example.test\n")
        self.replace_in("mta.conf", 'hostname: "mta.test"', 'hostname: "other.test"')  # needs a restart
        self.hup("mta", "event=reloaded")
        self.assertIn("restart_needed=hostname", self.chain.log("mta").splitlines()[-1])

        mx.mail("a@remote.test")  # the same MX session sees the new aliases
        self.assertEqual(mx.rcpt("team@example.test")[0], 250)
        self.assertEqual(mx.data(b"Subject: to the team\r\n\r\nhi\r\n")[0], 250)
        self.assertEqual(len(self.chain.wait_for_maildir("bob", 1)), 1)


if __name__ == "__main__":
    unittest.main()
