"""What many integration tests do against a harness.Chain with real
clients (Python's smtplib, swaks), and what they check in the mail that
comes out: one copy here instead of one per test file.

    smtp = msa_session(self, ehlo="client.test")      # implicit TLS, logged in as demo
    mx = mx_session(self, ehlo="mx.remote.test")      # plain SMTP to the MX
    queue_id = submit_as_demo(self, ["bob@example.test"], "subject", b"body\\r\\n")
    self.assertRegex(message, trace_fields(b"demo@example.test", b"demo@example.test",
                                           b"client.test", b"msa.test", b"ESMTPSA", queue_id))

Every session is closed at the test's cleanup (and may be closed before).
Raw bytes for hostile clients are hostile_client.py's job, not this one's.
"""
import re
import smtplib
import subprocess

from harness import QUEUED, client_tls_context

SMTP_TIMEOUT = 15  # seconds per smtplib call
DEMO = ("demo@example.test", "demo")

# The date our Received fields end with (RFC 5322 3.3, two-digit day).
DATE = rb"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}"


def swaks(*args, timeout=30):
    return subprocess.run(["swaks", "--timeout", "20", *args], capture_output=True, timeout=timeout)


def msa_session(test, login=DEMO, ehlo=None):
    """smtplib over implicit TLS to the chain's MSA: EHLO `ehlo` if given
    (else smtplib's own when it needs one), then AUTH as `login` (a
    (user, password) pair; None: not logged in)."""
    smtp = smtplib.SMTP_SSL("127.0.0.1", test.chain.ports["implicit"], timeout=SMTP_TIMEOUT,
                            context=client_tls_context())
    test.addCleanup(smtp.close)
    if ehlo is not None:
        smtp.ehlo(ehlo)
    if login is not None:
        smtp.login(*login)
    return smtp


def mx_session(test, ehlo=None):
    """smtplib in plain text to the chain's MX; EHLO `ehlo` if given."""
    smtp = smtplib.SMTP("127.0.0.1", test.chain.ports["mx"], timeout=SMTP_TIMEOUT)
    test.addCleanup(smtp.close)
    if ehlo is not None:
        smtp.ehlo(ehlo)
    return smtp


def submit_as_demo(test, recipients, subject, body, rcpt_options=()):
    """One message from demo through the MSA, each RCPT (with
    rcpt_options, e.g. ["NOTIFY=SUCCESS"]) and the data checked for 250;
    the queue id (str). recipients: a list or one str."""
    smtp = msa_session(test)
    smtp.mail("demo@example.test")
    for rcpt in [recipients] if isinstance(recipients, str) else recipients:
        code, text = smtp.rcpt(rcpt, list(rcpt_options))
        test.assertEqual(code, 250, text)
    code, text = smtp.data(b"Subject: " + subject.encode() + b"\r\n\r\n" + body)
    test.assertEqual(code, 250, text)
    smtp.quit()
    return QUEUED.search(b"250 " + text).group(1).decode()


def trace_fields(sender, mailbox, helo, server, protocol, queue_id):
    """The regex (bytes) of what the chain puts on top of a message it
    took over TLS from 127.0.0.1: Return-Path, Delivered-To, and the
    Received field of `server` for a client that said EHLO `helo`."""
    return (rb"Return-Path: <" + re.escape(sender) + rb">\n"
            rb"Delivered-To: " + re.escape(mailbox) + rb"\n"
            rb"Received: from " + re.escape(helo) + rb" \(\[127\.0\.0\.1\]\)\n"
            rb"\t\(using TLSv1\.[23] with cipher [A-Z0-9_-]+\)\n"
            rb"\tby " + re.escape(server) + rb" \(mailpipe\) with " + protocol + rb" id " + queue_id + rb";\n"
            rb"\t" + DATE + rb"\n")


def only_message(test, user, timeout=10):
    """Waits for the one file in user's Maildir (fails on none or more); its bytes."""
    files = test.chain.wait_for_maildir(user, 1, timeout=timeout)
    test.assertEqual(len(files), 1, user)
    return files[0]
