"""Delivery rules of our MDA with real servers and real commands: a domain
handed to Dovecot over LMTP (TCP and a UNIX socket) and read back over
IMAP; Dovecot's "no such user" bounced to the sender; users whose mail
goes through a command (tee, a script), its exit code deciding delivered,
deferred and retried, or bounced.

Mail is submitted through the MSA as a user would, so the whole chain
(msa -> mta -> mda -> Dovecot or the command) runs.
"""
import grp
import os
import pwd
import re
import unittest

import dovecot_server
from harness import QUEUED, ChainTestCase, free_port, wait_until
from smtp_checks import msa_session

DATE = rb"[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}"
# The trace header our MSA puts on top of a submission.
OUR_RECEIVED = (rb"Received: from \S+ \(\[127\.0\.0\.1\]\)\r\n"
                rb"(?:\t.*\r\n)*?"
                rb"\tby msa\.test \(mailpipe\) with ESMTPSA id ([0-9A-Z]+);\r\n"
                rb"\t" + DATE + rb"\r\n")


def message(subject, body):
    """With Date and Message-ID, so the MSA adds only its Received."""
    return (b"Subject: " + subject + b"\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
            b"Message-ID: <" + subject.replace(b" ", b"-") + b"@example.test>\r\n\r\n" + body)


def add_mda_rules(chain, rules):
    """Delivery rules naming paths in the chain's own dir, which exists only
    once the chain is made: appended to its mda.conf before the MDA starts
    (what harness.Chain(mda_overrides=...) does for rules known earlier)."""
    with open(chain.path("mda.conf"), "a") as f:
        f.write(rules)


class SubmittingTestCase(ChainTestCase):
    def submit(self, to, message, sender="demo@example.test"):
        """Submits as demo through the MSA (implicit TLS); the queue id."""
        smtp = msa_session(self)
        recipients = [to] if isinstance(to, str) else to
        smtp.mail(sender)
        for rcpt in recipients:
            code, text = smtp.rcpt(rcpt)
            self.assertEqual(code, 250, text)
        code, text = smtp.data(message)
        self.assertEqual(code, 250, text)
        smtp.quit()
        return QUEUED.search(b"250 " + text).group(1).decode()

    def wait_for_log(self, name, pattern, timeout=10):
        found = wait_until(lambda: re.search(pattern, self.chain.log(name)), timeout)
        self.assertTrue(found, f"{pattern!r} not in the {name} log:\n{self.chain.log(name)}")
        return found


@unittest.skipIf(dovecot_server.available(lmtp=True), dovecot_server.available(lmtp=True) or "")
class LmtpToDovecot(SubmittingTestCase):
    """example.test belongs to Dovecot: bob over its UNIX socket, everyone
    else over TCP. Dovecot writes the Maildirs (as nobody); our MDA never
    touches them."""

    def setUp(self):
        super().setUp()
        self.lmtp_port = free_port()
        self.lmtp_socket = self.chain.path("lmtp.sock")  # in the chain's dir, made by super().setUp()
        add_mda_rules(self.chain, f"""
delivery {{ match: "bob@example.test" method: LMTP server: "unix:{self.lmtp_socket}" timeout_ms: 1500 }}
delivery {{ match: "@example.test" method: LMTP server: "127.0.0.1:{self.lmtp_port}" timeout_ms: 1500 }}
""")
        mail = self.chain.path("mail")
        os.makedirs(mail)
        os.chown(mail, pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid)
        self.dovecot = dovecot_server.DovecotImap(mail_root=mail, passwd_file=self.chain.path("passwd"),
                                                  lmtp_port=self.lmtp_port, lmtp_socket=self.lmtp_socket)
        self.dovecot.start()
        self.addCleanup(self.dovecot.stop)
        self.show_log_on_failure("dovecot", self.dovecot.log)
        self.chain.start_all()

    def test_domain_routed_by_lmtp_is_read_back_over_imap_byte_for_byte(self):
        sent = (b"From: demo@example.test\r\nTo: bob@example.test, demo@example.test\r\n"
                b"Subject: over LMTP\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
                b"Message-ID: <lmtp-test@example.test>\r\nMIME-Version: 1.0\r\n"
                b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                b"Gr\xc3\xbc\xc3\x9fe,\r\n.a line that starts with a dot\r\n..and two\r\n\r\nlast line\r\n")
        queue_id = self.submit(["bob@example.test", "demo@example.test"], sent)
        users = {"bob": ("bobpass", f"unix:{self.lmtp_socket}"), "demo": ("demo", f"127.0.0.1:{self.lmtp_port}")}
        for user, (_, server) in users.items():
            self.wait_for_log("mda", rf"event=delivered queue_id={queue_id} delivery_id=\S+ to={user}@example.test "
                                     rf"method=lmtp server={re.escape(server)} code=250 dsn=2\.0\.0 ")
            self.wait_for_log("mta", rf"event=delivered queue_id={queue_id} to={user}@example.test relay=mda dsn=2\.0\.0")
        for user, (password, _) in users.items():
            messages = self.dovecot.fetch_all(f"{user}@example.test", password)
            self.assertEqual(len(messages), 1, user)
            fetched = messages[0]
            # Dovecot, the final delivery agent, adds Return-Path, Delivered-To
            # and its own Received; then come our trace header and the bytes sent.
            match = re.match(rb"Return-Path: <demo@example\.test>\r\nDelivered-To: " + user.encode() +
                             rb"@example\.test\r\nReceived: from mda\.test\b.*\r\n(?:\t.*\r\n)*?"
                             rb"\t.*" + DATE + rb"\r\n" + OUR_RECEIVED, fetched)
            self.assertIsNotNone(match, fetched)
            self.assertEqual(match.group(1).decode(), queue_id)
            self.assertEqual(fetched[match.end():], sent)
        # Our MDA wrote no Maildir of its own: only Dovecot's files are there.
        self.assertNotIn("method=maildir", self.chain.log("mda"))

    def test_unknown_user_at_dovecot_bounces_to_the_sender_with_dovecots_550(self):
        queue_id = self.submit("nosuch@example.test", message(b"to nobody", b"hello\r\n"))
        self.wait_for_log("mda", rf"event=refused queue_id={queue_id} delivery_id=\S+ to=nosuch@example.test "
                                 rf"method=lmtp server=127\.0\.0\.1:{self.lmtp_port} code=550 dsn=5\.1\.1 ")
        bounced = self.wait_for_log("mta", rf"event=bounced queue_id={queue_id} to=nosuch@example.test relay=mda "
                                           rf"dsn=5\.1\.1 .*")
        self.assertIn("User doesn't exist", bounced.group(0))
        # The DSN goes to demo, through Dovecot too.
        reports = wait_until(lambda: self.dovecot.fetch_all("demo@example.test", "demo"), 10)
        self.assertEqual(len(reports), 1, reports)
        report = reports[0]
        self.assertIn(b"Final-Recipient: rfc822; nosuch@example.test", report)
        self.assertIn(b"Status: 5.1.1", report)
        self.assertRegex(report, rb"Diagnostic-Code: smtp; 550 5\.1\.1 .*User doesn't exist")


SCRIPTS = {
    # Delivers only once the test has created "fixed" beside it.
    "flaky.sh": """#!/bin/sh
here=$(dirname "$0")
if [ ! -e "$here/fixed" ]; then
  echo "mailbox locked, try later" >&2
  exit 75
fi
printf 'args: %s %s\\n' "$1" "$2" > "$here/flaky.out"
cat >> "$here/flaky.out"
""",
    "broken.sh": """#!/bin/sh
echo "no such folder: Inbox" >&2
echo "a second line nobody needs" >&2
exit 1
""",
}


class PipeRoutes(SubmittingTestCase):
    """Single users whose mail goes through a command; demo has no rule and
    keeps its Maildir (where the bounces land)."""

    def setUp(self):
        super().setUp()
        self.box = self.chain.path("pipes")
        os.makedirs(self.box)
        os.chmod(self.box, 0o777)  # the command run as nobody writes here too
        for name, text in SCRIPTS.items():
            path = os.path.join(self.box, name)
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o755)
        add_mda_rules(self.chain, f"""
delivery {{ match: "bob@example.test" method: PIPE command: ["/usr/bin/tee", "-a", "{self.box}/bob.mbox"] timeout_ms: 1500 }}
delivery {{ match: "flaky@example.test" method: PIPE command: ["{self.box}/flaky.sh", "{{recipient}}", "{{sender}}"] timeout_ms: 1500 }}
delivery {{ match: "broken@example.test" method: PIPE command: ["{self.box}/broken.sh"] timeout_ms: 1500 }}
delivery {{ match: "-opt@example.test" method: PIPE command: ["/usr/bin/tee", "{{user}}"] timeout_ms: 1500 }}
delivery {{ match: "carol@example.test" method: PIPE user: "nobody"
            command: ["/bin/sh", "-c", "id -un > \\"$0\\"; cat >> \\"$0\\"", "{self.box}/carol.out"] timeout_ms: 1500 }}
""")
        self.chain.start_all()

    def read(self, name):
        with open(os.path.join(self.box, name), "rb") as f:
            return f.read()

    def test_tee_appends_the_message_with_return_path_and_delivered_to_and_lf(self):
        queue_id = self.submit(["bob@example.test", "carol@example.test"],
                               message(b"piped", b"first\r\n.dot\r\n"))
        self.wait_for_log("mta", rf"event=delivered queue_id={queue_id} to=bob@example.test relay=mda dsn=2\.0\.0")
        self.wait_for_log("mda", rf"event=delivered queue_id={queue_id} delivery_id=\S+ to=bob@example.test "
                                 rf"method=pipe command=/usr/bin/tee exit=0 code=250 dsn=2\.0\.0")
        mbox = self.read("bob.mbox")
        self.assertRegex(mbox, rb"\AReturn-Path: <demo@example\.test>\nDelivered-To: bob@example\.test\n"
                               rb"Received: from ")
        self.assertTrue(mbox.endswith(b"\nSubject: piped\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n"
                                     b"Message-ID: <piped@example.test>\n\nfirst\n.dot\n"), mbox)
        self.assertNotIn(b"\r", mbox)
        # carol's command ran as nobody.
        self.wait_for_log("mta", rf"event=delivered queue_id={queue_id} to=carol@example.test relay=mda")
        carol = self.read("carol.out")
        self.assertTrue(carol.startswith(b"nobody\nReturn-Path: <demo@example.test>\n"), carol)
        self.assertEqual(os.stat(os.path.join(self.box, "carol.out")).st_uid, pwd.getpwnam("nobody").pw_uid)

    def test_exit_75_defers_and_the_retry_delivers_once_fixed(self):
        queue_id = self.submit("flaky@example.test", message(b"later", b"body\r\n"))
        deferred = self.wait_for_log("mta", rf"event=deferred queue_id={queue_id} to=flaky@example.test relay=mda "
                                            rf"dsn=4\.3\.0 .*")
        self.assertIn("exited with 75 (EX_TEMPFAIL): mailbox locked, try later", deferred.group(0))
        self.wait_for_log("mda", rf"event=deferred queue_id={queue_id} delivery_id=\S+ to=flaky@example.test "
                                 rf"method=pipe command={re.escape(self.box)}/flaky.sh exit=75 code=451 dsn=4\.3\.0")
        self.assertFalse(os.path.exists(os.path.join(self.box, "flaky.out")))
        open(os.path.join(self.box, "fixed"), "w").close()
        self.wait_for_log("mta", rf"event=delivered queue_id={queue_id} to=flaky@example.test relay=mda dsn=2\.0\.0")
        out = self.read("flaky.out")
        self.assertTrue(out.startswith(b"args: flaky@example.test demo@example.test\nReturn-Path: <demo@example.test>\n"),
                        out)
        self.assertTrue(out.endswith(message(b"later", b"body\r\n").replace(b"\r\n", b"\n")), out)

    def test_exit_1_bounces_with_the_first_stderr_line_and_a_dash_user_is_refused(self):
        queue_id = self.submit(["broken@example.test", "-opt@example.test"], message(b"doomed", b"body\r\n"))
        bounced = self.wait_for_log("mta", rf"event=bounced queue_id={queue_id} to=broken@example.test relay=mda "
                                           rf"dsn=5\.3\.0 .*")
        self.assertIn("broken.sh exited with 1: no such folder: Inbox", bounced.group(0))
        self.assertNotIn("second line", bounced.group(0))
        self.wait_for_log("mta", rf"event=bounced queue_id={queue_id} to=-opt@example.test relay=mda dsn=5\.1\.3")
        self.assertFalse(os.path.exists(os.path.join(self.box, "-opt")))
        self.assertFalse(os.path.exists(self.chain.path("-opt")))
        # One DSN to the sender, in demo's Maildir (no rule for demo).
        reports = self.chain.wait_for_maildir("demo", 1)
        self.assertEqual(len(reports), 1)
        self.assertIn(b"Final-Recipient: rfc822; broken@example.test", reports[0])
        self.assertIn(b"Status: 5.3.0", reports[0])
        self.assertIn(b"Final-Recipient: rfc822; -opt@example.test", reports[0])
        self.assertIn(b"Status: 5.1.3", reports[0])


if __name__ == "__main__":
    unittest.main()
