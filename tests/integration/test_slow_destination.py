"""DESIGN rule 6: no destination can stall the others. A domain whose two
MX hosts accept TCP and never greet (a tarpit) has twenty messages
queued; mail for a local user and for a healthy domain submitted after
them is delivered while every tarpit connection is still hanging, and the
tarpit never gets more connections than max_connections_per_destination.
(Issue 19 measured the old queue: the tarpit took every slot, and the
other mail waited until its attempts timed out.)
"""
import socket
import threading
import unittest

from dns_server import DnsServer
from harness import ChainTestCase, free_port, wait_until
from smtp_checks import submit_as_demo
from smtp_sink import SmtpSink

SINK_PORT = free_port()
PER_DESTINATION = 3
TARPIT_MESSAGES = 20

RECORDS = {
    "mx": [("tarpit.test", "mx1.tarpit.test", 10),
           ("tarpit.test", "mx2.tarpit.test", 20),
           ("healthy.test", "mx.healthy.test", 10)],
    "a": [("mx1.tarpit.test", "127.0.0.6"),
          ("mx2.tarpit.test", "127.0.0.7"),
          ("mx.healthy.test", "127.0.0.2")],
}


class Tarpit:
    """Accepts on each address and never says a word. Counts the
    connections open now, the most ever open at once, and those the
    client closed."""

    def __init__(self, addresses, port):
        self.lock = threading.Lock()
        self.open = []
        self.peak = 0
        self.closed_by_client = 0
        self.listeners = []
        self.stopping = False
        for address in addresses:
            listener = socket.create_server((address, port))
            listener.settimeout(0.2)
            self.listeners.append(listener)
        self.threads = [threading.Thread(target=self._accept, args=(listener,), daemon=True)
                        for listener in self.listeners]
        for thread in self.threads:
            thread.start()

    def _accept(self, listener):
        while not self.stopping:
            try:
                conn, _ = listener.accept()
            except (socket.timeout, OSError):
                continue
            with self.lock:
                self.open.append(conn)
                self.peak = max(self.peak, len(self.open))
            threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn):
        # Reads until the client gives up (EOF) or we are stopped.
        try:
            while conn.recv(4096):
                pass
            with self.lock:
                if not self.stopping:
                    self.closed_by_client += 1
        except OSError:
            pass
        finally:
            with self.lock:
                if conn in self.open:
                    self.open.remove(conn)
            conn.close()

    def open_count(self):
        with self.lock:
            return len(self.open)

    def stop(self):
        with self.lock:
            self.stopping = True
            for conn in self.open:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        for listener in self.listeners:
            listener.close()
        for thread in self.threads:
            thread.join(timeout=5)


class TarpitChain(ChainTestCase):
    """A chain whose DNS sends tarpit.test to the tarpit and healthy.test to
    a smtp-sink."""
    job_timeout_ms = 600000

    def setUp(self):
        self.dns = DnsServer.started_for(self, RECORDS)
        # A greeting wait far longer than the test: with the old queue the
        # other mail could only go after the tarpit attempts timed out.
        self.chain_options = {"mta_overrides": f"""
{self.dns.mta_config()}
outbound {{ port: {SINK_PORT} connect_timeout_ms: 1000 command_timeout_ms: 120000
            max_connections_per_destination: {PER_DESTINATION} job_timeout_ms: {self.job_timeout_ms} }}
max_local_deliveries: 2
max_remote_deliveries: 4
"""}
        super().setUp()
        self.tarpit = Tarpit(["127.0.0.6", "127.0.0.7"], SINK_PORT)
        self.sink = SmtpSink("127.0.0.2", SINK_PORT, self.chain.path("sink"))
        self.addCleanup(self.sink.stop)
        self.chain.start_all()
        # Runs before the chain stops (cleanups are last in, first out):
        # hung-up connections end the tarpit jobs, so the MTA stops at once.
        self.addCleanup(self.tarpit.stop)


class SlowDestination(TarpitChain):
    def test_local_and_healthy_mail_pass_a_tarpit_domain(self):
        for i in range(TARPIT_MESSAGES):
            submit_as_demo(self, [f"user{i}@tarpit.test"], f"tarpit {i}", b"stuck\r\n")
        self.assertTrue(wait_until(lambda: self.tarpit.open_count() == PER_DESTINATION, 30),
                        (self.tarpit.open_count(), self.chain.log("mta")))

        submit_as_demo(self, ["demo@example.test"], "local", b"for a local user\r\n")
        submit_as_demo(self, ["someone@healthy.test"], "healthy", b"for a healthy domain\r\n")
        local = self.chain.wait_for_maildir("demo", 1, timeout=30)
        self.assertEqual(len(local), 1, self.chain.log("mta"))
        self.assertIn(b"for a local user", local[0])
        self.assertTrue(wait_until(lambda: any(b"for a healthy domain" in m for m in self.sink.messages()), 30),
                        self.chain.log("mta"))

        # Both went while the tarpit still held every connection it had,
        # and it never had more than its destination's share.
        self.assertEqual(self.tarpit.closed_by_client, 0, self.chain.log("mta"))
        self.assertEqual(self.tarpit.open_count(), PER_DESTINATION)
        self.assertEqual(self.tarpit.peak, PER_DESTINATION)
        log = self.chain.log("mta")
        self.assertNotIn("to=user0@tarpit.test relay", log)  # no tarpit outcome yet


class JobTimeLimit(TarpitChain):
    """outbound.job_timeout_ms bounds a job's whole time: the tarpit's
    greeting would be waited for 120 s, the job ends after 2."""
    job_timeout_ms = 2000

    def test_a_job_ends_at_its_time_limit_and_is_deferred(self):
        submit_as_demo(self, ["stuck@tarpit.test"], "tarpit", b"stuck\r\n")
        self.assertTrue(wait_until(lambda: "to=stuck@tarpit.test" in self.chain.log("mta"), 30), self.chain.log("mta"))
        deferred = [line for line in self.chain.log("mta").splitlines()
                    if "event=deferred" in line and "to=stuck@tarpit.test" in line]
        self.assertEqual(len(deferred), 1, self.chain.log("mta"))
        self.assertIn("dsn=4.4.1", deferred[0])
        self.assertIn("outbound.job_timeout_ms (2000 ms) reached", deferred[0])
        self.assertTrue(wait_until(lambda: self.tarpit.closed_by_client >= 1, 10), "the job's connection was not closed")


if __name__ == "__main__":
    unittest.main()
