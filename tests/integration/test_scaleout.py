"""Several MTAs share the load (DESIGN rule 5), here on loopback: the MSA
spreads submissions over the live MTAs, offers a message to the next MTA
when one does not acknowledge in time (hung or dead), and sends to an MTA
again once it is back. Each MTA delivers from its own spool. The
multi-host version, with network namespaces and CURVE, is test_multihost.
"""
import os
import re
import signal
import smtplib
import unittest

from harness import BUILD_DIR, ChainTestCase, client_tls_context, free_port, wait_until


class TwoMtas(ChainTestCase):
    def setUp(self):
        self.second_intake = free_port()
        self.chain_options = {
            "msa_overrides": f'mta_endpoint: "tcp://127.0.0.1:{self.second_intake}"\n'
                             "mta_attempt_timeout_ms: 1000\nmta_down_ms: 1500",
        }
        super().setUp()
        # The second MTA: the first one's config with its own intake and spool.
        with open(self.chain.path("mta.conf")) as f:
            text = f.read()
        text = text.replace(f"tcp://127.0.0.1:{self.chain.ports['intake']}", f"tcp://127.0.0.1:{self.second_intake}")
        text = text.replace(self.chain.path("spool"), self.chain.path("spool2"))
        text = text.replace('hostname: "mta.test"', 'hostname: "mta2.test"')
        with open(self.chain.path("mta2.conf"), "w") as f:
            f.write(text)
        self.chain.start("mda")
        self.chain.start("mta")
        self.start_second()
        self.chain.start("msa")

    def start_second(self):
        self.chain.start("mta2", command=[os.path.join(BUILD_DIR, "mta", "mta"), "--config",
                                          self.chain.path("mta2.conf")])

    def send(self, count, tag):
        smtp = smtplib.SMTP_SSL("127.0.0.1", self.chain.ports["implicit"], timeout=30, context=client_tls_context())
        try:
            smtp.login("demo@example.test", "demo")
            for i in range(count):
                smtp.sendmail("demo@example.test", ["bob@example.test"], f"Subject: {tag}-{i}\r\n\r\nx\r\n".encode())
        finally:
            smtp.close()

    def queued_by(self, name):
        return len(re.findall(r"event=queued ", self.chain.log(name)))

    def test_load_is_spread_failover_on_a_hung_or_dead_mta_and_it_rejoins(self):
        self.send(10, "spread")
        self.assertGreaterEqual(self.queued_by("mta"), 3)
        self.assertGreaterEqual(self.queued_by("mta2"), 3)

        # Hung (alive but silent): each of its turns costs one attempt timeout.
        first = self.chain.processes["mta"]
        first.send_signal(signal.SIGSTOP)
        self.addCleanup(lambda: first.poll() is None and first.send_signal(signal.SIGCONT))
        before = self.queued_by("mta2")
        self.send(4, "hung")
        self.assertEqual(self.queued_by("mta2") - before, 4)
        self.assertIn("event=mta_failover", self.chain.log("msa"))
        first.send_signal(signal.SIGCONT)

        # Dead: the other one takes everything.
        self.chain.kill("mta2")
        before = self.queued_by("mta")
        self.send(4, "dead")
        # (+ any message it took while hung and committed when it woke: a duplicate)
        self.assertGreaterEqual(self.queued_by("mta") - before, 4)

        # Back: after mta_down_ms it gets its share again.
        self.start_second()
        wait_until(lambda: False, 1.6)
        before = self.queued_by("mta2")
        self.send(6, "back")
        self.assertGreaterEqual(self.queued_by("mta2") - before, 2)

        expected = sorted([f"spread-{i}" for i in range(10)] + [f"hung-{i}" for i in range(4)]
                          + [f"dead-{i}" for i in range(4)] + [f"back-{i}" for i in range(6)])

        def delivered():
            return sorted({re.search(rb"Subject: (\S+)", f).group(1).decode()
                           for f in self.chain.maildir_files("bob")})
        # At-least-once: a hung MTA may also keep what it got; nothing is missing.
        wait_until(lambda: delivered() == expected, 20)
        self.assertEqual(delivered(), expected)

if __name__ == "__main__":
    unittest.main()
