"""The MDA is swappable: the Python MDA of deploy/examples/python-mda,
which knows nothing of our C++ code but the Deliver contract, replaces our
mda by configuration alone (the MTA's mda_endpoint), and mail arrives.
"""
import mailbox
import os
import unittest

from harness import ChainTestCase, wait_until
from smtp_checks import msa_session

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "deploy", "examples", "python-mda", "mailpipe_mda.py")


class PythonMda(ChainTestCase):
    def start_chain_with_python_mda(self, *extra):
        # Same endpoint the MTA's config names: nothing else changes.
        self.chain.start("mda", command=["/usr/bin/python3", EXAMPLE, "--endpoint",
                                         f"tcp://127.0.0.1:{self.chain.ports['mda']}",
                                         "--root", self.chain.path("mail"), *extra])
        self.chain.start("mta")
        self.chain.start("msa")

    def submit(self, to, subject):
        smtp = msa_session(self)
        smtp.sendmail("demo@example.test", to, f"Subject: {subject}\r\nFrom: demo@example.test\r\n\r\n"
                                               f"From the start of a line\r\n.dot\r\n".encode())
        smtp.quit()

    def test_maildir_delivery_by_the_python_mda(self):
        self.start_chain_with_python_mda()
        self.submit(["demo@example.test", "bob@example.test"], "via python")
        for user in ("demo", "bob"):
            files = self.chain.wait_for_maildir(user, 1)
            self.assertEqual(len(files), 1, user)
            self.assertTrue(files[0].startswith(
                b"Return-Path: <demo@example.test>\nDelivered-To: " + user.encode() + b"@example.test\nReceived: "))
            self.assertTrue(files[0].endswith(b"\n\nFrom the start of a line\n.dot\n"), files[0])
        # The files exist before the MDA's answer reaches the MTA and is logged.
        self.assertTrue(wait_until(lambda: "event=delivered" in self.chain.log("mta"), 10), self.chain.log("mta"))
        self.assertIn("proc=python-mda event=delivered", self.chain.log("mda"))

    def test_mbox_delivery_by_the_python_mda(self):
        self.start_chain_with_python_mda("--mbox")
        self.submit(["demo@example.test"], "into an mbox")
        path = self.chain.path("mail", "example.test", "demo.mbox")
        self.assertTrue(wait_until(lambda: os.path.exists(path) and os.path.getsize(path) > 0, 10))
        box = mailbox.mbox(path)
        try:
            messages = list(box)
        finally:
            box.close()
        self.assertEqual(len(messages), 1)
        self.assertEqual(messages[0]["Subject"], "into an mbox")
        self.assertEqual(messages[0].get_from().split()[0], "demo@example.test")
        with open(path, "rb") as f:
            self.assertIn(b"\n>From the start of a line\n", f.read())  # mboxrd quoting


if __name__ == "__main__":
    unittest.main()
