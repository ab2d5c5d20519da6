"""Links between processes can be encrypted and authenticated with CURVE:
a server admits only the client public keys its config lists (ZAP), so a
client without an allowed key can neither submit to an MTA nor deliver to
an MDA. Plaintext off loopback is refused by the config check unless
`insecure: true` is set, which is logged at every start.
"""
import os
import subprocess
import unittest

import zmq

import wire
from harness import BUILD_DIR, ChainTestCase
from smtp_checks import msa_session


def write_key_pair(path):
    public, secret = zmq.curve_keypair()
    with open(path, "w") as f:
        f.write(f'public_key: "{public.decode()}"\nsecret_key: "{secret.decode()}"\n')
    os.chmod(path, 0o600)
    return public.decode(), secret.decode()


class CurveLinks(ChainTestCase):
    def setUp(self):
        super().setUp()
        self.mta_public, _ = write_key_pair(self.chain.path("mta-intake.key"))
        self.msa_public, _ = write_key_pair(self.chain.path("msa.key"))
        with open(self.chain.path("msa.conf"), "a") as f:
            f.write(f'mta_link {{ key_file: "{self.chain.path("msa.key")}" server_public_key: "{self.mta_public}" }}\n')
        with open(self.chain.path("mta.conf"), "a") as f:
            f.write(f'intake_link {{ key_file: "{self.chain.path("mta-intake.key")}" '
                    f'allowed_client_key: "{self.msa_public}" }}\n')
        self.chain.start_all()

    def test_the_msa_with_an_allowed_key_submits_and_others_are_refused(self):
        smtp = msa_session(self)
        smtp.sendmail("demo@example.test", ["bob@example.test"], b"Subject: over curve\r\n\r\nhi\r\n")
        smtp.quit()
        self.assertEqual(len(self.chain.wait_for_maildir("bob", 1)), 1)

        intake = f"tcp://127.0.0.1:{self.chain.ports['intake']}"
        pb = wire.load()
        submit = pb.Submit(envelope=pb.Envelope(mail_from="x@evil.test",
                                                recipients=[pb.Recipient(address="bob@example.test")]),
                           message=b"Subject: forged\r\n\r\nx\r\n")
        # A CURVE client whose key the MTA does not list: refused by ZAP.
        stranger_public, stranger_secret = zmq.curve_keypair()
        peer = wire.ZmqPeer(intake, timeout_ms=1500, curve=(self.mta_public.encode(), stranger_public, stranger_secret))
        self.addCleanup(peer.close)
        with self.assertRaises(zmq.Again):
            peer.request(submit=submit)
        self.assertIn("event=link_refused domain=mailpipe-intake", self.chain.log("mta"))
        # A plaintext client gets nowhere either.
        plain = wire.ZmqPeer(intake, timeout_ms=1500)
        self.addCleanup(plain.close)
        with self.assertRaises(zmq.Again):
            plain.request(submit=submit)
        self.assertEqual(len(self.chain.maildir_files("bob")), 1)  # nothing forged arrived


class PlaintextOffLoopback(unittest.TestCase):
    def check(self, config_text, process="mta"):
        path = os.path.join(self.tmp, f"{process}.conf")
        with open(path, "w") as f:
            f.write(config_text)
        return subprocess.run([os.path.join(BUILD_DIR, process, process), "--config", path, "--check"],
                              capture_output=True, text=True, timeout=30)

    def setUp(self):
        import tempfile
        self.tmp = tempfile.mkdtemp(prefix="mailpipe-it-")
        self.addCleanup(__import__("shutil").rmtree, self.tmp, True)

    def test_a_link_between_hosts_needs_curve_or_an_explicit_insecure(self):
        base = f'intake_endpoint: "tcp://0.0.0.0:2600"\nmda_endpoint: "tcp://10.0.0.9:2601"\nspool_dir: "{self.tmp}/spool"\n'
        result = self.check(base)
        self.assertEqual(result.returncode, 1)
        self.assertIn("intake_link: the link to tcp://0.0.0.0:2600 leaves this host", result.stdout + result.stderr)
        result = self.check(base + "intake_link { insecure: true }\nmda_link { insecure: true }\n")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_the_mda_end_too(self):
        base = f'endpoint: "tcp://10.0.0.9:2601"\nmail_root: "{self.tmp}/mail"\n'
        result = self.check(base, "mda")
        self.assertEqual(result.returncode, 1)
        self.assertIn("link: the link to tcp://10.0.0.9:2601 leaves this host", result.stdout + result.stderr)
        result = self.check(base + 'link { key_file: "/nonexistent.key" }\n', "mda")
        self.assertEqual(result.returncode, 1)
        self.assertIn("allowed_client_key", result.stdout + result.stderr)
        self.assertEqual(self.check(base + "link { insecure: true }\n", "mda").returncode, 0)


if __name__ == "__main__":
    unittest.main()
