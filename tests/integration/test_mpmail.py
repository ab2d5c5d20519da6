"""mpmail, the MUA, against a real chain: what a user does.

A message with a UTF-8 subject and body and two binary attachments (one
with a non-ASCII name) goes mpmail -> msa -> mta -> mda; Python's email
parser reads the Maildir file back; `mpmail list` and `mpmail read` show
it, save the attachments byte for byte and mark it seen. Refusals end with
the right message and exit status. Certificates are verified against the
chain's self-signed one with --ca-file; passwords come from a file.
"""
import email
import email.policy
import os
import re
import subprocess
import time

from harness import BUILD_DIR, ChainTestCase, free_port

MPMAIL = os.path.join(BUILD_DIR, "mua", "mpmail")
SUBJECT = "Grüße aus Köln — ☕"
BODY = ("Hallo Bob,\n\nanbei die Unterlagen. Schöne Grüße!\n"
        ".a line that starts with a dot\n"
        "From the start of a line\n"
        + "Eine sehr lange Zeile, " * 8 + "Ende.\n")
QUEUED = re.compile(r"^250 2\.0\.0 Ok: queued as [0-9A-Z]+$", re.M)


class Mpmail(ChainTestCase):
    def setUp(self):
        super().setUp()
        self.chain.start_all()
        self.password_file = self.write("password", b"demo\n")

    def write(self, name, data):
        path = self.chain.path(name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def mpmail(self, *args, stdin=b""):
        return subprocess.run([MPMAIL, *args], input=stdin, capture_output=True, timeout=30)

    def send(self, *args, port="starttls", password_file=None, tls=("--ca-file",)):
        """mpmail send to the chain's MSA; --ca-file with the chain's certificate by default."""
        options = ["send", "--server", f"localhost:{self.chain.ports[port]}",
                   "--tls" if port == "implicit" else "--starttls",
                   "--password-file", password_file or self.password_file, "--timeout", "15"]
        if tls == ("--ca-file",):
            options += ["--ca-file", self.chain.path("cert.pem")]
        else:
            options += list(tls)
        return self.mpmail(*options, *args, stdin=b"body\n")

    def maildir(self, user):
        return self.chain.path("mail", "example.test", user)

    def test_utf8_mail_with_binary_attachments_through_the_chain_then_list_and_read(self):
        plain_bytes = os.urandom(5000)
        named_bytes = os.urandom(20000) + b"\r\n.\r\n--=_mpmail_\r\n"
        plain = self.write("data.bin", plain_bytes)
        named_name = "Prüfbericht – März.dat"
        named = self.write(named_name, named_bytes)
        body = self.write("body.txt", BODY.encode())

        result = self.send("--from", "Demo Üser <demo@example.test>", "--to", "Dëmo <demo@example.test>",
                           "--bcc", "bob@example.test", "--subject", SUBJECT, "--body-file", body,
                           "--attach", plain, "--attach", named)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertRegex(result.stdout.decode(), QUEUED)

        demo = self.chain.wait_for_maildir("demo", 1)
        bob = self.chain.wait_for_maildir("bob", 1)
        self.assertEqual((len(demo), len(bob)), (1, 1))
        # The blind copy reached bob, and no copy names him.
        self.assertNotIn(b"bob@example.test", demo[0])
        for raw in (demo[0], bob[0]):
            message = email.message_from_bytes(raw, policy=email.policy.default)
            self.assertEqual(message["Subject"], SUBJECT)
            self.assertIsNone(message["Bcc"])
            self.assertEqual(message["From"].addresses[0].display_name, "Demo Üser")
            self.assertEqual(message["To"].addresses[0].display_name, "Dëmo")
            self.assertEqual(message["User-Agent"], "mpmail")
            self.assertRegex(message["Message-ID"], r"^<[0-9]+\.[0-9a-f]{32}@example\.test>$")
            self.assertEqual(message.get_body(("plain",)).get_content(), BODY)
            attachments = [(part.get_filename(), part.get_content_type(), part.get_content())
                           for part in message.iter_attachments()]
            self.assertEqual(attachments, [("data.bin", "application/octet-stream", plain_bytes),
                                           (named_name, "application/octet-stream", named_bytes)])
            self.assertEqual(message.defects, [])
            for part in message.walk():
                self.assertEqual(part.defects, [], part.get_content_type())
        # 7-bit clean, so no 8BITMIME was needed; header lines folded to 78.
        self.assertTrue(demo[0].isascii())
        header = demo[0].split(b"\n\n", 1)[0]
        for line in header.split(b"\n"):
            self.assertLessEqual(len(line), 78, line)

        # mpmail list: the decoded subject, N for new.
        listed = self.mpmail("list", "--maildir", self.maildir("demo"))
        self.assertEqual(listed.returncode, 0, listed.stderr.decode())
        lines = listed.stdout.decode().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertRegex(lines[0], r"^\s+1 N \d{4}-\d{2}-\d{2} \d{2}:\d{2}  Demo Üser\s+" + re.escape(SUBJECT))

        # mpmail read: decoded header and text, the attachments saved byte for byte.
        saved = self.chain.path("saved")
        read = self.mpmail("read", "--maildir", self.maildir("demo"), "1", "--save-attachments", saved)
        self.assertEqual(read.returncode, 0, read.stderr.decode())
        shown = read.stdout.decode()
        self.assertIn("From:    Demo Üser <demo@example.test>\n", shown)
        self.assertIn("Subject: " + SUBJECT + "\n", shown)
        self.assertIn(BODY, shown)
        self.assertIn("[attachment 2] " + named_name + "  application/octet-stream  %d bytes" % len(named_bytes), shown)
        with open(os.path.join(saved, "data.bin"), "rb") as f:
            self.assertEqual(f.read(), plain_bytes)
        with open(os.path.join(saved, named_name), "rb") as f:
            self.assertEqual(f.read(), named_bytes)

        # Seen: moved from new/ to cur/ with the :2,S info; list no longer says N.
        self.assertEqual(os.listdir(os.path.join(self.maildir("demo"), "new")), [])
        seen = os.listdir(os.path.join(self.maildir("demo"), "cur"))
        self.assertEqual(len(seen), 1)
        self.assertTrue(seen[0].endswith(":2,S"), seen)
        listed = self.mpmail("list", "--maildir", self.maildir("demo"))
        self.assertRegex(listed.stdout.decode(), r"^\s+1   ")

    def test_implicit_tls_and_certificate_verification(self):
        result = self.send("--from", "demo@example.test", "--to", "demo@example.test", "--subject", "implicit",
                           port="implicit")
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertRegex(result.stdout.decode(), QUEUED)
        # Without --ca-file the self-signed certificate is not trusted: exit 5, and no password was sent.
        result = self.send("--from", "demo@example.test", "--to", "demo@example.test", tls=())
        self.assertEqual(result.returncode, 5, result.stderr.decode())
        self.assertIn("certificate verify failed", result.stderr.decode())
        # --insecure (for tests) skips verification.
        result = self.send("--from", "demo@example.test", "--to", "demo@example.test", "--subject", "insecure",
                           tls=("--insecure",))
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        files = self.chain.wait_for_maildir("demo", 2)
        subjects = sorted(email.message_from_bytes(f, policy=email.policy.default)["Subject"] for f in files)
        self.assertEqual(subjects, ["implicit", "insecure"])

    def test_refusals_have_their_messages_and_exit_codes(self):
        # Wrong password: 3, with the server's 535; the password is never shown.
        wrong = self.write("wrong-password", b"not-the-password\n")
        result = self.send("--from", "demo@example.test", "--to", "demo@example.test", password_file=wrong)
        stderr = result.stderr.decode()
        self.assertEqual(result.returncode, 3, stderr)
        self.assertIn("login refused by the server: 535 5.7.8", stderr)
        self.assertNotIn("not-the-password", stderr + result.stdout.decode())

        # A sender the user does not own: the MSA's 553, exit 4.
        result = self.send("--from", "bob@example.test", "--user", "demo@example.test", "--to", "demo@example.test")
        self.assertEqual(result.returncode, 4, result.stderr.decode())
        self.assertIn("sender <bob@example.test> refused by the server: 553 5.7.1", result.stderr.decode())

        # A recipient the server refuses (a local part over RFC 5321's 64 octets):
        # named with the reply, exit 4, and nothing sent to the good one.
        too_long = "x" * 65 + "@example.test"
        result = self.send("--from", "demo@example.test", "--to", "demo@example.test", "--cc", too_long,
                           "--subject", "all or nothing")
        stderr = result.stderr.decode()
        self.assertEqual(result.returncode, 4, stderr)
        self.assertIn(f"recipient <{too_long}> refused by the server: 501 5.1.3", stderr)
        self.assertIn("nothing sent", stderr)
        # --partial sends to the others, and still says who was refused.
        result = self.send("--from", "demo@example.test", "--to", "demo@example.test", "--cc", too_long,
                           "--subject", "partial", "--partial")
        self.assertEqual(result.returncode, 4, result.stderr.decode())
        self.assertRegex(result.stdout.decode(), QUEUED)
        files = self.chain.wait_for_maildir("demo", 1)
        time.sleep(0.5)  # had "all or nothing" gone through, it would be here by now too
        files = self.chain.maildir_files("demo")
        self.assertEqual([email.message_from_bytes(f, policy=email.policy.default)["Subject"] for f in files],
                         ["partial"])

        # Nothing listening: 5, saying what failed.
        port = free_port()
        result = self.mpmail("send", "--server", f"127.0.0.1:{port}", "--password-file", self.password_file,
                             "--from", "demo@example.test", "--to", "demo@example.test", "--timeout", "5",
                             stdin=b"body\n")
        self.assertEqual(result.returncode, 5, result.stderr.decode())
        self.assertIn(f"cannot connect to 127.0.0.1:{port}: Connection refused", result.stderr.decode())


if __name__ == "__main__":
    import unittest
    unittest.main()
