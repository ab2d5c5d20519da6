"""Nothing accepted is lost: processes die, disks fill, peers vanish.

The chaos test submits many messages over several connections with
Python's smtplib while msa, mta and mda are killed with SIGKILL and
restarted at random times; at the end every message a client got 250 for
must be in the Maildir. Duplicates are allowed (a crash between a durable
write and its acknowledgement) and counted. MAILPIPE_CHAOS_MESSAGES sets
the load (1000 by default; more for a longer opt-in run).
"""
import errno
import os
import random
import re
import signal
import smtplib
import socket
import subprocess
import time
import unittest

import wire
from harness import ChainTestCase, client_tls_context, wait_until
from submission_load import SubmissionLoad, close

TOKEN = re.compile(rb"\nSubject: chaos-(\d+)\n")


class ChaosLoad(ChainTestCase):
    messages = int(os.environ.get("MAILPIPE_CHAOS_MESSAGES", "1000"))
    connections = 8
    min_kills = 10
    deadline_s = 240

    def test_no_accepted_message_is_lost_while_processes_are_killed(self):
        self.chain.start_all()
        kills = []

        def chaos(load):
            rng = random.Random(os.environ.get("MAILPIPE_CHAOS_SEED"))
            while not (load.done.is_set() and len(kills) >= self.min_kills) and not load.past_deadline():
                time.sleep(rng.uniform(0.2, 0.8))
                name = rng.choice(["msa", "mta", "mda"])
                self.chain.kill(name)
                kills.append(name)
                time.sleep(rng.uniform(0.0, 0.3))  # down for a moment
                self.chain.start(name)

        load = SubmissionLoad(self.messages, self.connections, self.deadline_s, self.connect, self.message_for)
        submit_s = load.run(chaos, "demo@example.test")
        accepted = load.accepted["demo"]

        def delivered_tokens():
            tokens = []
            for content in self.chain.maildir_files("demo"):
                match = TOKEN.search(b"\n" + content)
                if match:
                    tokens.append(int(match.group(1)))
            return tokens

        wait_until(lambda: accepted <= set(delivered_tokens()), 90, interval=0.5)
        tokens = delivered_tokens()
        delivered = accepted & set(tokens)
        lost = sorted(accepted - delivered)
        duplicated = len(tokens) - len(set(tokens))
        unacknowledged = len(set(tokens) - accepted)  # durable, but the client never heard 250
        print(f"\naccepted={len(accepted)} delivered={len(delivered)} lost={len(lost)} duplicated={duplicated} "
              f"unacknowledged={unacknowledged} kills={len(kills)} ({', '.join(kills)}) "
              f"submit_s={submit_s:.1f}")
        self.assertEqual(load.refused, {})
        self.assertEqual(lost, [])
        self.assertEqual(len(accepted), self.messages, "not every message was accepted before the deadline")
        self.assertGreaterEqual(len(kills), self.min_kills)

    def connect(self):
        smtp = smtplib.SMTP_SSL("127.0.0.1", self.chain.ports["implicit"], timeout=15, context=client_tls_context())
        smtp.login("demo@example.test", "demo")
        return smtp

    @staticmethod
    def message_for(token):
        body = f"Subject: chaos-{token}\r\nMessage-ID: <chaos-{token}@client.test>\r\n\r\nx\r\n"
        return "demo", "demo@example.test", body.encode()


def fill(directory):
    """Writes a file into `directory` until its file system is full;
    returns the file's path (delete it to free the space)."""
    path = os.path.join(directory, "filler")
    with open(path, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError as e:
            if e.errno != errno.ENOSPC:
                raise
    return path


class SlowOrBrokenPeers(ChainTestCase):
    def submit(self, subject, to=("demo@example.test",)):
        smtp = smtplib.SMTP_SSL("127.0.0.1", self.chain.ports["implicit"], timeout=15, context=client_tls_context())
        try:
            smtp.login("demo@example.test", "demo")
            smtp.sendmail("demo@example.test", list(to), f"Subject: {subject}\r\n\r\nbody\r\n".encode())
        finally:
            close(smtp)

    def test_a_frozen_mda_does_not_stop_the_msa_and_the_mail_arrives_when_it_wakes(self):
        self.chain.start_all()
        mda = self.chain.processes["mda"]
        mda.send_signal(signal.SIGSTOP)  # alive but silent: the worst kind of slow
        self.addCleanup(lambda: mda.poll() is None and mda.send_signal(signal.SIGCONT))
        for i in range(5):
            self.submit(f"frozen-{i}")  # each 250: the MTA's spool has room
        self.assertTrue(wait_until(lambda: "event=deferred" in self.chain.log("mta"), 10))
        mda.send_signal(signal.SIGCONT)
        wait_until(lambda: len({f for f in self.chain.maildir_files("demo")}) >= 5, 15)
        subjects = {re.search(rb"Subject: (frozen-\d)", f).group(1) for f in self.chain.maildir_files("demo")}
        self.assertEqual(subjects, {f"frozen-{i}".encode() for i in range(5)})

    def test_a_delivered_recipient_is_not_delivered_again_after_a_crash(self):
        self.chain.start_all()
        # bob's Maildir cannot be made (a file is in the way): his copy is
        # deferred while demo's is delivered.
        os.makedirs(self.chain.path("mail", "example.test"))
        blocker = self.chain.path("mail", "example.test", "bob")
        open(blocker, "w").close()
        self.submit("two recipients", to=("demo@example.test", "bob@example.test"))
        self.assertEqual(len(self.chain.wait_for_maildir("demo", 1)), 1)
        self.assertTrue(wait_until(lambda: "to=bob@example.test relay=mda dsn=4." in self.chain.log("mta"), 10))
        self.chain.kill("mta")
        self.chain.start("mta")
        self.assertIn("recovered=1", self.chain.log("mta"))
        os.unlink(blocker)
        self.assertEqual(len(self.chain.wait_for_maildir("bob", 1, timeout=15)), 1)
        self.assertEqual(len(self.chain.maildir_files("demo")), 1)  # not again


class SmallDisk(ChainTestCase):
    """The spool or the Maildirs on a tiny tmpfs that the test fills up."""

    def mount_tmpfs(self, directory, size="1m"):
        if os.geteuid() != 0:
            self.skipTest("mounting a tmpfs needs root")
        os.makedirs(directory, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", directory],
                       check=True, capture_output=True, timeout=10)
        # Lazy: the processes may still hold it open when cleanups run.
        self.addCleanup(subprocess.run, ["umount", "-l", directory], capture_output=True, timeout=10)

    def submit(self, subject):
        smtp = smtplib.SMTP_SSL("127.0.0.1", self.chain.ports["implicit"], timeout=15, context=client_tls_context())
        try:
            smtp.login("demo@example.test", "demo")
            smtp.sendmail("demo@example.test", ["demo@example.test"], f"Subject: {subject}\r\n\r\nbody\r\n".encode())
        finally:
            close(smtp)

    def test_full_spool_is_452_and_mail_is_accepted_again_once_space_returns(self):
        self.mount_tmpfs(self.chain.path("spool"))
        self.chain.start_all()
        filler = fill(self.chain.path("spool"))
        with self.assertRaises(smtplib.SMTPDataError) as refused:
            self.submit("while the spool is full")
        self.assertEqual(refused.exception.smtp_code, 452)
        self.assertTrue(refused.exception.smtp_error.startswith(b"4.3.1"), refused.exception.smtp_error)
        self.assertIn("event=spool_write_failed", self.chain.log("mta"))
        # No half-written temporary left; the spares made ahead are empty.
        spool = self.chain.path("spool")
        self.assertEqual([n for n in os.listdir(spool) if n.startswith(".tmp-") and not n.startswith(".tmp-spare-")], [])
        self.assertEqual([n for n in os.listdir(spool) if n.startswith(".tmp-spare-")
                          and os.path.getsize(os.path.join(spool, n)) > 0], [])

        os.unlink(filler)
        self.submit("after space returned")  # no restart needed
        files = self.chain.wait_for_maildir("demo", 1)
        self.assertEqual(len(files), 1)
        self.assertIn(b"Subject: after space returned\n", files[0])

    def test_full_maildir_volume_defers_and_delivers_once_space_returns(self):
        self.mount_tmpfs(self.chain.path("mail"))
        self.chain.start_all()
        filler = fill(self.chain.path("mail"))
        self.submit("while the mailbox disk is full")  # the MTA has it: 250
        self.assertTrue(wait_until(lambda: "dsn=4.3.1" in self.chain.log("mta"), 10), self.chain.log("mta"))
        self.assertRegex(self.chain.log("mta"), r"event=deferred queue_id=\S+ to=demo@example.test relay=mda dsn=4.3.1")
        self.assertEqual(self.chain.maildir_files("demo"), [])
        tmp = self.chain.path("mail", "example.test", "demo", "tmp")
        self.assertEqual(os.listdir(tmp) if os.path.isdir(tmp) else [], [])  # no half-written file left

        os.unlink(filler)
        files = self.chain.wait_for_maildir("demo", 1, timeout=15)  # the next retry, by itself
        self.assertEqual(len(files), 1)
        self.assertIn(b"Subject: while the mailbox disk is full\n", files[0])


class DsnOnAFullSpool(ChainTestCase):
    chain_options = {"retry_overrides": "max_queue_lifetime_ms: 3000"}

    def test_a_dsn_that_cannot_be_queued_keeps_the_recipient_pending_until_space_returns(self):
        SmallDisk.mount_tmpfs(self, self.chain.path("spool"))
        self.chain.start_all()
        # bob's Maildir cannot be made (a file is in the way): his copy is
        # deferred until the queue lifetime (3 s here) expires into a DSN.
        os.makedirs(self.chain.path("mail", "example.test"))
        open(self.chain.path("mail", "example.test", "bob"), "w").close()
        smtp = smtplib.SMTP_SSL("127.0.0.1", self.chain.ports["implicit"], timeout=15, context=client_tls_context())
        try:
            smtp.login("demo@example.test", "demo")
            smtp.sendmail("demo@example.test", ["bob@example.test"], b"Subject: for bob\r\n\r\nbody\r\n")
        finally:
            close(smtp)
        self.assertTrue(wait_until(lambda: "event=deferred" in self.chain.log("mta"), 10))
        filler = fill(self.chain.path("spool"))  # no room for the DSN when the lifetime ends
        self.assertTrue(wait_until(lambda: "event=bounce_deferred" in self.chain.log("mta"), 15), self.chain.log("mta"))
        self.assertEqual(self.chain.maildir_files("demo"), [])  # not told yet, but not forgotten either

        os.unlink(filler)
        files = self.chain.wait_for_maildir("demo", 1, timeout=15)  # the next attempt bounces for real
        self.assertEqual(len(files), 1)
        self.assertIn(b"Final-Recipient: rfc822; bob@example.test", files[0])
        self.assertIn(b"Action: failed", files[0])


class CorruptSpool(ChainTestCase):
    GARBAGE = b"\xff\xff\xff this is not a SpoolMessage"

    def test_corrupt_file_at_start_is_moved_aside_and_the_mta_runs(self):
        os.makedirs(self.chain.path("spool"))
        with open(self.chain.path("spool", "01M85E0000000000AA.msg"), "wb") as f:
            f.write(self.GARBAGE)
        self.chain.start_all()
        self.assertIn("event=spool_message_quarantined queue_id=01M85E0000000000AA", self.chain.log("mta"))
        with open(self.chain.path("spool", "corrupt", "01M85E0000000000AA.msg"), "rb") as f:
            self.assertEqual(f.read(), self.GARBAGE)  # kept for an operator, never deleted
        SmallDisk.submit(self, "after the corrupt file")
        self.assertEqual(len(self.chain.wait_for_maildir("demo", 1)), 1)

    def test_file_corrupted_while_queued_is_moved_aside_and_the_rest_is_delivered(self):
        self.chain.start_all()
        self.chain.stop("mda")
        SmallDisk.submit(self, "to be corrupted")
        queue_id = re.search(r"event=queued queue_id=(\S+)", self.chain.log("mta")).group(1)
        with open(self.chain.path("spool", queue_id + ".msg"), "wb") as f:
            f.write(self.GARBAGE)
        self.assertTrue(wait_until(lambda: f"event=spool_message_quarantined queue_id={queue_id}"
                                   in self.chain.log("mta"), 10), self.chain.log("mta"))
        self.assertTrue(os.path.exists(self.chain.path("spool", "corrupt", queue_id + ".msg")))
        self.chain.start("mda")
        SmallDisk.submit(self, "still served")
        files = self.chain.wait_for_maildir("demo", 1)
        self.assertEqual(len(files), 1)
        self.assertIn(b"Subject: still served\n", files[0])
        self.assertIsNone(self.chain.processes["mta"].poll())


class GracefulStop(ChainTestCase):
    """SIGTERM: stop accepting, let the transaction in progress finish, tell
    idle clients 421 4.3.2, exit 0 within shutdown_timeout_ms."""
    chain_options = {"msa_overrides": "shutdown_timeout_ms: 3000", "mta_overrides": "shutdown_timeout_ms: 3000",
                     "mx": True}

    def login(self):
        smtp = smtplib.SMTP_SSL("127.0.0.1", self.chain.ports["implicit"], timeout=15, context=client_tls_context())
        self.addCleanup(close, smtp)
        smtp.login("demo@example.test", "demo")
        return smtp

    def test_sigterm_finishes_the_transaction_in_flight_and_says_421_to_idle_clients(self):
        self.chain.start_all()
        busy = self.login()
        self.assertEqual(busy.mail("demo@example.test")[0], 250)
        self.assertEqual(busy.rcpt("demo@example.test")[0], 250)
        idle = self.login()

        msa = self.chain.processes["msa"]
        msa.send_signal(signal.SIGTERM)
        self.assertTrue(wait_until(lambda: "event=stopping" in self.chain.log("msa"), 5))
        # The idle client is told at once; nobody new gets in.
        code, text = idle.getreply()
        self.assertEqual((code, text[:5]), (421, b"4.3.2"))
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", self.chain.ports["implicit"]), timeout=2).close()
        # The transaction in progress completes: its 250 means durable, as always.
        code, text = busy.data(b"Subject: sent during shutdown\r\n\r\nbody\r\n")
        self.assertEqual(code, 250, text)
        code, text = busy.getreply()
        self.assertEqual((code, text[:5]), (421, b"4.3.2"))
        self.assertEqual(msa.wait(10), 0)
        self.chain.processes.pop("msa")
        self.assertNotIn("event=shutdown_timeout", self.chain.log("msa"))
        files = self.chain.wait_for_maildir("demo", 1)
        self.assertEqual(len(files), 1)
        self.assertIn(b"Subject: sent during shutdown\n", files[0])

    def test_mta_sigterm_lets_an_mx_transaction_finish_and_keeps_it_queued(self):
        self.chain.start_all()
        self.chain.stop("mda")  # so the message is still queued when the MTA stops
        mx = smtplib.SMTP("127.0.0.1", self.chain.ports["mx"], timeout=15)
        self.addCleanup(close, mx)
        mx.ehlo("mx.remote.test")
        mx.mail("someone@remote.test")
        mx.rcpt("demo@example.test")
        mta = self.chain.processes["mta"]
        mta.send_signal(signal.SIGTERM)
        self.assertTrue(wait_until(lambda: "event=stopping" in self.chain.log("mta"), 5))
        # While it drains, a new Submit is turned away with a 4xx, so an
        # MSA offers it to another MTA at once instead of waiting.
        pb = wire.load()
        intake = wire.ZmqPeer(f"tcp://127.0.0.1:{self.chain.ports['intake']}", timeout_ms=5000)
        self.addCleanup(intake.close)
        reply = intake.request(submit=pb.Submit(
            envelope=pb.Envelope(mail_from="demo@example.test", recipients=[pb.Recipient(address="demo@example.test")]),
            message=b"Subject: too late\r\n\r\nbody\r\n"))
        status = reply.submit_reply.status
        self.assertEqual((status.code, status.enhanced), (451, "4.3.2"), reply)
        code, text = mx.data(b"Subject: mx during shutdown\r\n\r\nbody\r\n")
        self.assertEqual(code, 250, text)
        self.assertEqual(mta.wait(10), 0)
        self.chain.processes.pop("mta")
        self.chain.start("mta")
        self.assertIn("recovered=1", self.chain.log("mta"))
        self.chain.start("mda")
        files = self.chain.wait_for_maildir("demo", 1)
        self.assertEqual(len(files), 1)
        self.assertIn(b"Subject: mx during shutdown\n", files[0])

    def test_a_session_that_never_finishes_is_cut_after_the_bound(self):
        self.chain.start_all()
        stuck = self.login()
        stuck.mail("demo@example.test")
        stuck.rcpt("demo@example.test")  # ... and never sends DATA
        msa = self.chain.processes["msa"]
        started = time.monotonic()
        msa.send_signal(signal.SIGTERM)
        self.assertEqual(msa.wait(10), 0)
        self.chain.processes.pop("msa")
        self.assertGreaterEqual(time.monotonic() - started, 2.5)  # shutdown_timeout_ms: 3000
        self.assertIn("event=shutdown_timeout sessions=1", self.chain.log("msa"))


if __name__ == "__main__":
    unittest.main()
