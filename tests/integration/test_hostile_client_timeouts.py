"""Hostile clients, timeouts: idle, stalled in DATA, and busy past the
session timeout (on the MX)."""
import time
import unittest

from hostile_client import MxTestCase, MX_HOST, OK, RECIPIENT_OK, SENDER_OK, START_DATA, timeout_reply


TIMEOUTS = "limits { idle_timeout_ms: 500 session_timeout_ms: 2000 }"


class MxTimeouts(MxTestCase):
    chain_options = {**MxTestCase.chain_options, "mx_overrides": TIMEOUTS}

    def test_idle_client_gets_421_4_4_2_and_is_disconnected(self):
        client = self.mx()
        started = time.monotonic()
        self.assertEqual(client.rest_until_closed(), timeout_reply(MX_HOST))
        self.assertGreater(time.monotonic() - started, 0.4)
        self.assertLess(time.monotonic() - started, 1.8)  # well before the session timeout

    def test_client_stalling_in_data_gets_421_4_4_2_and_nothing_is_queued(self):
        client = self.mx()
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test>"), SENDER_OK)
        self.assertEqual(client.command(b"RCPT TO:<demo@example.test>"), RECIPIENT_OK)
        self.assertEqual(client.command(b"DATA"), START_DATA)
        client.send(b"Subject: stalled\r\n\r\nhalf a mess")
        self.assertEqual(client.rest_until_closed(), timeout_reply(MX_HOST))
        self.assertEqual(self.spooled(), [])
        self.assertRegex(self.chain.log("mta"), r"event=timeout client=127.0.0.1 queue_id=[0-9A-Z]+")
        self.assertNotIn("event=received", self.chain.log("mta"))

    def test_busy_client_is_cut_at_the_session_timeout_with_421_4_4_2(self):
        client = self.mx()
        started = time.monotonic()
        # NOOP keeps the idle timer (500 ms) from firing; the whole-session
        # bound (2000 ms) ends it anyway.
        while time.monotonic() - started < 5:
            reply = client.command(b"NOOP")
            if reply != OK:
                break
            time.sleep(0.1)
        self.assertEqual(reply, timeout_reply(MX_HOST))
        self.assertEqual(client.rest_until_closed(), b"")
        self.assertGreater(time.monotonic() - started, 1.7)
        self.assertLess(time.monotonic() - started, 3.5)


if __name__ == "__main__":
    unittest.main()
