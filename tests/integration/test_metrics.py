"""Each process serves Prometheus metrics over HTTP; a real HTTP client
(Python's urllib) scrapes them, and the counters move after mail flows:
sessions, replies by code, TLS, messages accepted, recipients delivered
by destination, delivery delay, queue size, DNS-free local delivery, the
MDA's outcomes, and the standard process gauges.
"""
import re
import unittest
import urllib.error
import urllib.request

from harness import ChainTestCase, free_port, wait_until
from smtp_checks import msa_session, mx_session


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return response.read().decode()


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$', re.MULTILINE)
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def sample(text, name, **labels):
    """The value of one sample (labels in any order), 0 when absent."""
    wanted = {k: str(v) for k, v in labels.items()}
    for match in SAMPLE.finditer(text):
        if match.group(1) == name and dict(LABEL.findall(match.group(2) or "")) == wanted:
            return float(match.group(3))
    return 0.0


class Metrics(ChainTestCase):
    def setUp(self):
        self.metrics_ports = {name: free_port() for name in ("msa", "mta", "mda")}
        self.chain_options = {
            "msa_overrides": f'metrics_listen: "127.0.0.1:{self.metrics_ports["msa"]}"',
            "mta_overrides": f'metrics_listen: "127.0.0.1:{self.metrics_ports["mta"]}"',
            "mda_overrides": f'metrics_listen: "127.0.0.1:{self.metrics_ports["mda"]}"',
            "mx": True,
        }
        super().setUp()
        self.chain.start_all()

    def test_counters_move_after_a_delivery_and_a_refusal(self):
        before = {name: scrape(port) for name, port in self.metrics_ports.items()}
        for text in before.values():
            self.assertGreater(sample(text, "process_resident_memory_bytes"), 0)
            self.assertGreater(sample(text, "process_open_fds"), 0)

        smtp = msa_session(self)
        smtp.sendmail("demo@example.test", ["bob@example.test"], b"Subject: counted\r\n\r\nhi\r\n")
        smtp.quit()
        mx = mx_session(self, ehlo="mx.remote.test")
        mx.mail("a@remote.test")
        self.assertEqual(mx.rcpt("nobody@example.test")[0], 550)
        mx.quit()
        self.assertEqual(len(self.chain.wait_for_maildir("bob", 1)), 1)
        self.assertTrue(wait_until(lambda: sample(scrape(self.metrics_ports["mta"]), "mailpipe_recipients_total",
                                                  destination="local", outcome="delivered") == 1, 5))

        msa = scrape(self.metrics_ports["msa"])
        self.assertEqual(sample(msa, "mailpipe_smtp_sessions_total", service="submission"), 1)
        self.assertEqual(sample(msa, "mailpipe_smtp_messages_accepted_total", service="submission"), 1)
        self.assertEqual(sample(msa, "mailpipe_smtp_replies_total", code="235", service="submission"), 1)
        self.assertEqual(sample(msa, "mailpipe_smtp_tls_sessions_total", service="submission", version="TLSv1.3"), 1)
        self.assertEqual(sample(msa, "mailpipe_smtp_sessions_open", service="submission"), 0)

        mta = scrape(self.metrics_ports["mta"])
        self.assertEqual(sample(mta, "mailpipe_smtp_replies_total", code="550", service="mx"), 1)
        self.assertEqual(sample(mta, "mailpipe_smtp_sessions_total", service="mx"), 1)
        self.assertEqual(sample(mta, "mailpipe_delivery_delay_seconds_count", destination="local"), 1)
        self.assertEqual(sample(mta, "mailpipe_queue_messages", state="waiting"), 0)

        mda = scrape(self.metrics_ports["mda"])
        self.assertEqual(sample(mda, "mailpipe_mda_recipients_total", outcome="DELIVERED"), 1)

    def test_queue_gauges_and_deferrals_while_the_mda_is_down(self):
        self.chain.stop("mda")
        smtp = msa_session(self)
        smtp.sendmail("demo@example.test", ["bob@example.test"], b"Subject: waiting\r\n\r\nhi\r\n")
        smtp.quit()
        port = self.metrics_ports["mta"]
        self.assertTrue(wait_until(lambda: sample(scrape(port), "mailpipe_recipients_total",
                                                  destination="local", outcome="deferred") >= 1, 10))
        text = scrape(port)
        self.assertEqual(sample(text, "mailpipe_queue_recipients_pending"), 1)
        self.assertEqual(sample(text, "mailpipe_queue_messages", state="waiting")
                         + sample(text, "mailpipe_queue_messages", state="in_delivery"), 1)

    def test_only_get_metrics_is_served(self):
        port = self.metrics_ports["msa"]
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/other", timeout=10)
        self.assertEqual(caught.exception.code, 404)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", data=b"x", method="POST")
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=10)
        self.assertEqual(caught.exception.code, 405)


if __name__ == "__main__":
    unittest.main()
