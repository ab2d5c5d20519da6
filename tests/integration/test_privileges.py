"""Started as root, each process binds its ports (privileged ones too),
reads its keys and users, then becomes the configured unprivileged user
for good; the MDA writes the Maildirs as the mailbox owner.
"""
import os
import pwd
import smtplib
import socket
import unittest

from harness import ChainTestCase, client_tls_context


def free_privileged_port():
    for port in range(900, 1000):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise unittest.SkipTest("no free port below 1024")


def ids_of(pid):
    """(real, effective, saved, fs) uid and gid of a process, from /proc."""
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    return [int(x) for x in fields["Uid"].split()], [int(x) for x in fields["Gid"].split()]


@unittest.skipUnless(os.geteuid() == 0, "needs root to bind below 1024 and to drop privileges")
class DropsRoot(ChainTestCase):
    def setUp(self):
        self.submission_port = free_privileged_port()
        self.chain_options = {
            "msa_overrides": f'user: "nobody"\nlisten {{ address: "127.0.0.1:{self.submission_port}" tls: STARTTLS }}',
            "mta_overrides": 'user: "nobody"', "mx": True, "mda_user": "nobody",
        }
        super().setUp()

    def test_every_process_runs_as_nobody_after_binding_and_mail_still_flows(self):
        self.chain.start_all()
        nobody = pwd.getpwnam("nobody")
        for name in ("msa", "mta", "mda"):
            uids, gids = ids_of(self.chain.processes[name].pid)
            self.assertEqual(uids, [nobody.pw_uid] * 4, name)
            self.assertEqual(gids, [nobody.pw_gid] * 4, name)
            self.assertIn("event=privileges_dropped user=nobody", self.chain.log(name))
            self.assertNotIn("event=running_as_root", self.chain.log(name))

        smtp = smtplib.SMTP("127.0.0.1", self.submission_port, timeout=15)  # bound as root
        self.addCleanup(smtp.close)
        smtp.starttls(context=client_tls_context())
        smtp.login("demo@example.test", "demo")  # the passwd-file was read before the drop
        smtp.sendmail("demo@example.test", ["bob@example.test"], b"Subject: as nobody\r\n\r\nhi\r\n")
        smtp.quit()
        mx = smtplib.SMTP("127.0.0.1", self.chain.ports["mx"], timeout=15)
        self.addCleanup(mx.close)
        mx.sendmail("a@remote.test", ["demo@example.test"], b"Subject: via mx as nobody\r\n\r\nhi\r\n")
        mx.quit()

        for user in ("bob", "demo"):
            self.assertEqual(len(self.chain.wait_for_maildir(user, 1)), 1, user)
            new = self.chain.path("mail", "example.test", user, "new")
            for name in os.listdir(new):
                self.assertEqual(os.stat(os.path.join(new, name)).st_uid, nobody.pw_uid)
        self.assertEqual(os.stat(self.chain.path("spool")).st_uid, nobody.pw_uid)


if __name__ == "__main__":
    unittest.main()
