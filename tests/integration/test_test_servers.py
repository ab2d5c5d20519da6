"""Self-tests of the third-party test servers: a real Dovecot IMAP
(dovecot_server.DovecotImap) and a real Postfix relay
(postfix_server.PostfixRelay), each against hand-made input, so a failure in
a test that uses them points at our code, not at the test server.
"""
import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import unittest

import dovecot_server
import postfix_server
import smtp_sink
from dovecot_server import DovecotImap
from harness import free_port, wait_until
from postfix_server import PostfixRelay
from smtp_sink import SmtpSink

MESSAGE_LF = (b"From: alice@sender.test\n"
              b"To: demo@example.test\n"
              b"Subject: hand-made\n"
              b"Message-ID: <hand-made@sender.test>\n"
              b"\n"
              b"first line\n"
              b"second line\n")


class ServerTestCase(unittest.TestCase):
    """Prints the logs of its servers when a test fails."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mailpipe-it-servers-")
        self._problems_before = self._problem_count()
        self.addCleanup(self._remove_tmp)  # cleanups run last in, first out: this one last

    def _problem_count(self):
        result = getattr(getattr(self, "_outcome", None), "result", None)
        return len(result.failures) + len(result.errors) if result is not None else 0

    def _remove_tmp(self):
        if not os.environ.get("MAILPIPE_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def add_server(self, name, server, log):
        """Stops `server` in cleanup, after printing `log()` if the test failed."""
        def cleanup():
            if self._problem_count() > self._problems_before:
                print(f"\n----- {name} log ({self.id()}) -----\n{log()}")
            server.stop()
        self.addCleanup(cleanup)
        return server


def _dovecot_skip_reason():
    reason = dovecot_server.available()
    if reason is None and not shutil.which("openssl"):
        reason = "openssl not installed (makes the password hash)"
    return reason


@unittest.skipUnless(_dovecot_skip_reason() is None, _dovecot_skip_reason() or "")
class DovecotImapTest(ServerTestCase):
    def test_fetches_a_hand_made_maildir_and_refuses_a_wrong_password(self):
        nobody = pwd.getpwnam("nobody")
        os.chmod(self.tmp, 0o755)  # nobody must reach mail/
        hashed = subprocess.run(["openssl", "passwd", "-6", "secret"], check=True,
                                capture_output=True, text=True, timeout=30).stdout.strip()
        passwd = os.path.join(self.tmp, "passwd")
        with open(passwd, "w") as f:
            f.write(f"carol@example.test:{{SHA512-CRYPT}}{hashed}\n")
        mail_root = os.path.join(self.tmp, "mail")
        maildir = os.path.join(mail_root, "example.test", "carol")
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(maildir, sub))
        name = f"{int(time.time())}.M1P{os.getpid()}.mda.test"
        with open(os.path.join(maildir, "new", name), "wb") as f:
            f.write(MESSAGE_LF)
        for directory, subdirs, files in os.walk(mail_root):
            for entry in [directory] + [os.path.join(directory, n) for n in files]:
                os.chown(entry, nobody.pw_uid, nobody.pw_gid)

        imap = DovecotImap(mail_root, passwd)
        self.add_server("dovecot", imap, imap.log)
        imap.start()

        self.assertEqual(imap.fetch_all("carol@example.test", "secret"),
                         [MESSAGE_LF.replace(b"\n", b"\r\n")])
        # Read only: the Maildir keeps the message in new/ and holds no
        # Dovecot files.
        self.assertEqual(os.listdir(os.path.join(maildir, "new")), [name])
        self.assertEqual(sorted(os.listdir(maildir)), ["cur", "new", "tmp"])
        with self.assertRaises(imaplib.IMAP4.error):
            imap.fetch_all("carol@example.test", "wrong")
        self.assertIn("carol@example.test", imap.log())

    def test_says_when_dovecot_cannot_read_the_passwd_file(self):
        os.chmod(self.tmp, 0o700)
        passwd = os.path.join(self.tmp, "passwd")
        with open(passwd, "w") as f:
            f.write("carol@example.test:{PLAIN}secret\n")
        imap = DovecotImap(os.path.join(self.tmp, "mail"), passwd)
        self.add_server("dovecot", imap, imap.log)
        with self.assertRaisesRegex(RuntimeError, "user dovecot cannot traverse"):
            imap.start()


def _postfix_skip_reason():
    return postfix_server.available() or smtp_sink.available()


@unittest.skipUnless(_postfix_skip_reason() is None, _postfix_skip_reason() or "")
class PostfixRelayTest(ServerTestCase):
    BODY = b"Subject: through postfix\r\n\r\nrelayed by a real Postfix\r\n"

    def relay(self, sink_port, extra_main_cf=""):
        relay = PostfixRelay(relayhost=f"[127.0.0.1]:{sink_port}", extra_main_cf=extra_main_cf)
        self.add_server("postfix", relay, relay.log)
        relay.start()
        return relay

    def sink(self, port):
        sink = SmtpSink("127.0.0.1", port, os.path.join(self.tmp, "sink"), hostname="sink.test")
        self.addCleanup(sink.stop)
        return sink

    def test_relays_to_the_next_hop(self):
        sink_port = free_port()
        sink = self.sink(sink_port)
        relay = self.relay(sink_port)
        queue_id = relay.send("alice@postfix.test", ["user@sink.test"], self.BODY)
        replies = relay.wait_for_delivery(1, timeout=10)
        self.assertEqual(len(replies), 1)
        self.assertTrue(replies[0].startswith("250 "), replies)
        self.assertEqual(relay.queue_ids_sent(), [queue_id])
        self.assertTrue(wait_until(sink.messages, 5))
        dump = sink.messages()[0]
        self.assertIn(b"relayed by a real Postfix", dump)
        self.assertIn(b"X-Rcpt-Args: <user@sink.test>", dump)

    def test_deferred_mail_is_retried_within_seconds(self):
        sink_port = free_port()  # nothing listens yet
        relay = self.relay(sink_port)
        relay.send("alice@postfix.test", ["user@sink.test"], self.BODY)
        relay.wait_for_status("deferred", 1, timeout=10)
        self.assertIn("Connection refused", relay.log())
        sink = self.sink(sink_port)
        relay.wait_for_delivery(1, timeout=5)  # no flush: the 1 s backoff
        self.assertTrue(wait_until(sink.messages, 5))
        self.assertIn(b"relayed by a real Postfix", sink.messages()[0])

    def test_flush_delivers_at_once(self):
        sink_port = free_port()  # nothing listens yet
        # Backoff long enough that only flush() can deliver in time.
        relay = self.relay(sink_port, extra_main_cf="queue_run_delay = 300s\n"
                           "minimal_backoff_time = 300s\nmaximal_backoff_time = 300s\n")
        relay.send("alice@postfix.test", ["user@sink.test"], self.BODY)
        relay.wait_for_status("deferred", 1, timeout=10)
        sink = self.sink(sink_port)
        relay.flush()
        relay.wait_for_delivery(1, timeout=5)
        self.assertTrue(wait_until(sink.messages, 5))
        self.assertIn(b"relayed by a real Postfix", sink.messages()[0])


if __name__ == "__main__":
    unittest.main()
