"""mailpipectl, the operator's tool, against a real chain: the queue verbs
over the MTA's admin socket (list, show, hold, release, flush, delete), the
passwd-file verbs with the MSA picking the change up on SIGHUP, and config
checks. Mail stays deferred because the MDA is stopped.
"""
import json
import os
import re
import signal
import smtplib
import socket
import subprocess
import time
import unittest

from harness import BUILD_DIR, ChainTestCase, client_tls_context, wait_until

MAILPIPECTL = os.path.join(BUILD_DIR, "ctl", "mailpipectl")
QUEUED = re.compile(r"queued as ([0-9A-Z]{8,40})")
TIMEOUT_MS = 1500


class Mailpipectl(ChainTestCase):
    def setUp(self):
        super().setUp()
        self.admin = "ipc://" + self.chain.path("run", "mta-admin.sock")
        with open(self.chain.path("mta.conf"), "a") as f:
            f.write(f'admin_endpoint: "{self.admin}"\n')
        self.config = self.chain.path("mailpipectl.conf")
        with open(self.config, "w") as f:
            f.write(f'mta_admin_endpoint: "{self.admin}"\ntimeout_ms: {TIMEOUT_MS}\n'
                    f'passwd_file: "{self.chain.path("passwd")}"\n')

    # --- helpers ---------------------------------------------------------
    def ctl(self, *args, stdin=None):
        return subprocess.run([MAILPIPECTL, "--config", self.config, *args], input=stdin,
                              capture_output=True, text=True, timeout=20)

    def ok(self, *args, stdin=None):
        result = self.ctl(*args, stdin=stdin)
        self.assertEqual(result.returncode, 0, f"{args}: {result.stdout}{result.stderr}")
        return result.stdout

    def long_retry(self):
        """A deferred message waits ten minutes: only flush sends it sooner."""
        path = self.chain.path("mta.conf")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("first_retry_ms: 500 max_retry_ms: 1000",
                                 "first_retry_ms: 600000 max_retry_ms: 600000"))

    def submit(self, to="bob@example.test", subject="queued"):
        smtp = smtplib.SMTP_SSL("127.0.0.1", self.chain.ports["implicit"], timeout=15, context=client_tls_context())
        try:
            smtp.ehlo("client.test")
            smtp.login("demo@example.test", "demo")
            smtp.mail("demo@example.test")
            smtp.rcpt(to)
            code, text = smtp.data(f"Subject: {subject}\r\n\r\nbody\r\n".encode())
            self.assertEqual(code, 250, text)
            return QUEUED.search(text.decode()).group(1)
        finally:
            smtp.close()

    def deferred_message(self):
        """A message the MTA has tried once and keeps: the MDA is down."""
        self.chain.start_all()
        self.chain.stop("mda")
        queue_id = self.submit()
        self.assertTrue(wait_until(lambda: f"event=deferred queue_id={queue_id}" in self.chain.log("mta"), 10),
                        self.chain.log("mta"))
        return queue_id

    def message(self, queue_id):
        return json.loads(self.ok("queue", "show", queue_id, "--json"))

    def spool_files(self, queue_id):
        return [name for name in os.listdir(self.chain.path("spool")) if queue_id in name]

    def can_login(self, user, password):
        smtp = smtplib.SMTP_SSL("127.0.0.1", self.chain.ports["implicit"], timeout=15, context=client_tls_context())
        try:
            smtp.ehlo("client.test")
            smtp.login(user, password)
            return True
        except smtplib.SMTPAuthenticationError:
            return False
        finally:
            smtp.close()

    def hup_msa(self):
        count = self.chain.log("msa").count("event=reloaded")
        self.chain.processes["msa"].send_signal(signal.SIGHUP)
        self.assertTrue(wait_until(lambda: self.chain.log("msa").count("event=reloaded") > count, 10),
                        self.chain.log("msa"))

    # --- queue -----------------------------------------------------------
    def test_list_and_show_a_deferred_message_with_its_recipient_and_last_error(self):
        queue_id = self.deferred_message()

        listing = self.ok("queue", "list")
        self.assertRegex(listing, rf"(?m)^{queue_id}[!*]?\s+\d+ \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d  demo@example\.test$")
        self.assertRegex(listing, r"(?m)^  pending   bob@example\.test, [1-9]\d* attempts?.* \(4\d\d 4\.\d+\.\d+ .+\)$")
        self.assertRegex(listing, r"(?m)^-- 1 message in 1 MTA, \d+ bytes$")

        messages = json.loads(self.ok("queue", "list", "--json"))
        self.assertEqual(len(messages), 1)
        self.assertEqual(messages[0]["mta"], "mta.test")
        self.assertEqual(messages[0]["queue_id"], queue_id)
        self.assertEqual(messages[0]["sender"], "demo@example.test")
        recipient = messages[0]["recipients"][0]
        self.assertEqual((recipient["address"], recipient["state"]), ("bob@example.test", "pending"))
        self.assertGreaterEqual(recipient["attempts"], 1)
        self.assertEqual(recipient["last_status"]["code"] // 100, 4)

        shown = self.ok("queue", "show", queue_id)
        self.assertIn(f"queue id: {queue_id}\nmta: mta.test\n", shown)
        self.assertIn("recipient: bob@example.test\n  state: pending\n", shown)
        self.assertRegex(shown, r"  last status: 4\d\d ")
        self.assertEqual(self.message(queue_id)["queue_id"], queue_id)

    def test_held_message_is_not_delivered_until_released(self):
        queue_id = self.deferred_message()
        self.assertIn(f"{queue_id}: held by mta.test", self.ok("queue", "hold", queue_id))
        self.assertIn(f"event=held queue_id={queue_id}", self.chain.log("mta"))
        # An attempt already running when the hold came still finishes:
        # wait for it before the MDA comes back.
        self.assertTrue(wait_until(lambda: not self.message(queue_id)["in_delivery"], 5))
        self.assertRegex(self.ok("queue", "list"), rf"(?m)^{queue_id}!")

        self.chain.start("mda")
        time.sleep(2.5)  # retries are due every second or less: a held message would have gone
        self.assertEqual(self.chain.maildir_files("bob"), [])
        self.assertTrue(self.message(queue_id)["held"])

        self.assertIn(f"{queue_id}: released (due now) by mta.test", self.ok("queue", "release", queue_id))
        self.assertEqual(len(self.chain.wait_for_maildir("bob", 1, timeout=10)), 1, self.chain.log("mta"))

    def test_flush_sends_a_deferred_message_at_once(self):
        self.long_retry()
        queue_id = self.deferred_message()
        self.chain.start("mda")
        time.sleep(1)
        self.assertEqual(self.chain.maildir_files("bob"), [])  # next try is ten minutes away

        self.assertIn(f"{queue_id}: flushed (due now) by mta.test", self.ok("queue", "flush", queue_id))
        self.assertEqual(len(self.chain.wait_for_maildir("bob", 1, timeout=5)), 1, self.chain.log("mta"))
        self.assertTrue(wait_until(lambda: self.spool_files(queue_id) == [], 5))

    def test_delete_removes_it_from_the_spool_and_it_is_never_delivered(self):
        self.long_retry()
        queue_id = self.deferred_message()
        self.assertNotEqual(self.spool_files(queue_id), [])

        self.assertIn(f"{queue_id}: deleted by mta.test", self.ok("queue", "delete", queue_id))
        self.assertEqual(self.spool_files(queue_id), [])
        self.assertIn(f"event=deleted queue_id={queue_id}", self.chain.log("mta"))
        self.assertIn("-- 0 messages in 1 MTA, 0 bytes", self.ok("queue", "list"))

        self.chain.start("mda")
        self.ok("queue", "flush")
        time.sleep(1)
        self.assertEqual(self.chain.maildir_files("bob"), [])

        for verb in ("show", "hold", "release", "delete", "flush"):
            result = self.ctl("queue", verb, queue_id)
            self.assertEqual(result.returncode, 1, (verb, result.stdout, result.stderr))
            self.assertIn(f"no such message {queue_id}", result.stderr)

    def test_an_unreachable_mta_exits_3_within_the_timeout_and_the_others_are_still_listed(self):
        self.chain.start("mta")
        # A socket that accepts but never speaks ZMTP: the wait is the timeout.
        mute_path = self.chain.path("mute.sock")
        mute = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(mute.close)
        mute.bind(mute_path)
        mute.listen(8)
        missing = "ipc://" + self.chain.path("nothing-here.sock")

        started = time.monotonic()
        result = self.ctl("--mta", self.admin, "--mta", "ipc://" + mute_path, "--mta", missing, "queue", "list")
        elapsed = time.monotonic() - started
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertLess(elapsed, TIMEOUT_MS / 1000 + 2)
        self.assertIn("-- 0 messages in 1 MTA, 0 bytes", result.stdout)
        self.assertIn(f"no answer from ipc://{mute_path} within {TIMEOUT_MS} ms", result.stderr)
        self.assertIn(f"no socket at {missing[6:]}", result.stderr)

        result = self.ctl("--mta", missing, "queue", "hold", "01KA3ZK8F2X7Q2M4PA")
        self.assertEqual(result.returncode, 3, result.stderr)

    # --- users -----------------------------------------------------------
    def test_user_add_and_del_reach_the_msa_on_sighup(self):
        self.chain.start_all()
        with open(self.chain.path("passwd")) as f:
            before = f.read()

        out = self.ok("user", "add", "Carol@Example.test", "--password-stdin", stdin="carol's pass\n")
        self.assertIn("added carol@example.test", out)
        self.assertIn("reload the msa and mta", out)
        with open(self.chain.path("passwd")) as f:
            after = f.read()
        self.assertTrue(after.startswith(before), "other lines kept byte for byte")
        self.assertRegex(after[len(before):], r"^carol@example\.test:\{CRYPT\}\$y\$\S+\n$")
        self.assertFalse(self.can_login("carol@example.test", "carol's pass"))  # not yet reloaded
        self.hup_msa()
        self.assertTrue(self.can_login("carol@example.test", "carol's pass"))

        again = self.ctl("user", "add", "carol@example.test", "--password-stdin", stdin="x\n")
        self.assertEqual(again.returncode, 1)
        self.assertIn("already in the passwd-file", again.stderr)
        empty = self.ctl("user", "passwd", "carol@example.test", "--password-stdin", stdin="\n")
        self.assertEqual(empty.returncode, 1)
        self.assertIn("empty", empty.stderr)
        no_tty = self.ctl("user", "passwd", "carol@example.test", stdin="")
        self.assertEqual(no_tty.returncode, 1)
        self.assertIn("--password-stdin", no_tty.stderr)

        self.ok("user", "del", "carol@example.test")
        with open(self.chain.path("passwd")) as f:
            self.assertEqual(f.read(), before)
        self.hup_msa()
        self.assertFalse(self.can_login("carol@example.test", "carol's pass"))
        self.assertTrue(self.can_login("demo@example.test", "demo"))
        missing = self.ctl("user", "del", "carol@example.test")
        self.assertEqual(missing.returncode, 1)
        self.assertIn("no user carol@example.test", missing.stderr)

    # --- config checks ---------------------------------------------------
    def test_check_a_good_and_a_broken_config(self):
        for name in ("msa", "mta", "mda"):
            path = self.chain.path(f"{name}.conf")
            self.assertEqual(self.ok("check", path), f"{path}: ok ({name})\n")
        self.assertEqual(self.ok("check", self.config), f"{self.config}: ok (ctl)\n")

        broken = self.chain.path("mta-broken.conf")
        with open(self.chain.path("mta.conf")) as f:
            lines = f.read().splitlines(keepends=True)
        with open(broken, "w") as f:
            f.writelines(lines + ["deliver_timeout: 5\n"])
        result = self.ctl("check", broken)
        self.assertEqual(result.returncode, 1)
        self.assertRegex(result.stderr, rf"^{re.escape(broken)}:{len(lines) + 1}:\d+: .*deliver_timeout")

        anonymous = self.chain.path("main.conf")
        with open(anonymous, "w") as f:
            f.write('endpoint: "tcp://127.0.0.1:1"\nmail_root: "/tmp/x"\n')
        self.assertEqual(self.ctl("check", anonymous).returncode, 2)
        self.assertEqual(self.ok("check", anonymous, "--kind", "mda"), f"{anonymous}: ok (mda)\n")
        self.assertEqual(self.ctl("check", anonymous, "--kind", "mta").returncode, 1)

    def test_usage_errors_and_a_missing_config_say_what_to_do(self):
        self.assertEqual(self.ctl("queue", "frobnicate").returncode, 2)
        result = subprocess.run([MAILPIPECTL, "--config", self.chain.path("absent.conf"), "queue", "list"],
                                capture_output=True, text=True, timeout=20)
        self.assertEqual(result.returncode, 1)
        self.assertIn("absent.conf", result.stderr)
        if not os.path.exists("/etc/mailpipe/mailpipectl.conf"):
            result = subprocess.run([MAILPIPECTL, "queue", "list"], capture_output=True, text=True, timeout=20)
            self.assertEqual(result.returncode, 2)
            self.assertIn("--mta ipc://", result.stderr)


if __name__ == "__main__":
    unittest.main()
