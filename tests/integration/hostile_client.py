"""Shared by the test_hostile_client_*.py files (issue 7): raw bytes from a
hostile SMTP client against the real msa and the MX of the real mta, and
the exact replies that come back.

smtplib would tidy the bytes up (it adds CRLFs, dot-stuffs, refuses bare
LFs), so these tests speak SMTP through RawSmtp below: a plain socket,
wrapped in TLS after STARTTLS or from the first byte on the implicit-TLS
port. Each test asserts the reply lines byte for byte and what ended up,
or did not, in the spool (.msg files) and in the Maildirs.

Not to be confused with hostile_peer.py (hostile remote *servers*, for
test_hostile_relay.py and test_hostile_lmtp.py). Not in these tests:
connection limits and AUTH lockout per client address (test_client_limits.py),
privilege dropping.
"""
import base64
import os
import re
import socket
import ssl

from harness import ChainTestCase, client_tls_context, wait_until

SOCKET_TIMEOUT = 10  # seconds; no test waits longer on one read

MX_HOST = b"mta.test"
MSA_HOST = b"msa.test"

# The MX knows demo and bob (harness.USERS) plus these, added per chain,
# so max_recipients can be shown with distinct mailboxes.
EXTRA_USERS = ("carol", "dave", "erin")
ALIASES = "postmaster@example.test: demo@example.test\n"
UTF8_ALIAS = "grüße@example.test: demo@example.test\n".encode("utf-8")

# --- the replies of common/smtp/replies.hpp, as they go on the wire -------
OK = b"250 2.0.0 Ok\r\n"
SENDER_OK = b"250 2.1.0 Sender ok\r\n"
RECIPIENT_OK = b"250 2.1.5 Recipient ok\r\n"
START_DATA = b"354 End data with <CR><LF>.<CR><LF>\r\n"
READY_FOR_TLS = b"220 2.0.0 Ready to start TLS\r\n"
AUTH_OK = b"235 2.7.0 Authentication successful\r\n"
UNRECOGNIZED = b"500 5.5.2 Syntax error, command unrecognized\r\n"
LINE_TOO_LONG = b"500 5.5.2 Line too long (RFC 5321 4.5.3.1)\r\n"
BARE_NEWLINE_IN_COMMAND = b"500 5.5.2 Bare CR or LF in command; lines end with CRLF (RFC 5321 2.3.8)\r\n"
NUL_IN_COMMAND = b"500 5.5.2 NUL byte in command\r\n"
TEXT_LINE_TOO_LONG = b"500 5.5.2 Message line too long (RFC 5321 4.5.3.1.6: 1000 octets)\r\n"
BARE_NEWLINE_IN_DATA = b"550 5.6.0 Message refused: bare CR or LF in data; lines end with CRLF (RFC 5321 2.3.8)\r\n"
NUL_IN_DATA = b"550 5.6.0 Message refused: NUL byte in data\r\n"
BAD_SENDER = b"501 5.1.7 Bad sender address syntax: expected MAIL FROM:<address>\r\n"
SENDER_TOO_LONG = b"501 5.1.7 Bad sender address syntax: address too long\r\n"
BAD_RECIPIENT = b"501 5.1.3 Bad address syntax: expected RCPT TO:<address>\r\n"
RECIPIENT_TOO_LONG = b"501 5.1.3 Bad address syntax: address too long\r\n"
NON_ASCII_ADDRESS = b"553 5.6.7 Non-ASCII address requires SMTPUTF8 (RFC 6531)\r\n"
HELO_FIRST = b"503 5.5.1 Send HELO/EHLO first\r\n"
NEED_MAIL = b"503 5.5.1 Need MAIL command\r\n"
NESTED_MAIL = b"503 5.5.1 Nested MAIL command\r\n"
TOO_MANY_RECIPIENTS = b"452 4.5.3 Too many recipients\r\n"
TOO_BIG = b"552 5.3.4 Message size exceeds fixed limit\r\n"
TOO_MANY_ERRORS = b"421 4.7.0 Too many errors, closing connection\r\n"
UNKNOWN_USER = b"550 5.1.1 Recipient address rejected: user unknown\r\n"
RELAY_DENIED = b"554 5.7.1 Relay access denied\r\n"
AUTH_REQUIRED = b"530 5.7.0 Authentication required\r\n"
BAD_BASE64 = b"501 5.5.2 Cannot decode base64 response\r\n"
AUTH_CANCELLED = b"501 5.0.0 Authentication cancelled\r\n"
AUTH_FAILED = b"535 5.7.8 Authentication credentials invalid\r\n"
AUTH_LOCKED = b"421 4.7.0 Too many authentication failures, closing connection\r\n"
QUEUED = re.compile(rb"250 2\.0\.0 Ok: queued as [0-9A-Z]{8,40}\r\n\Z")


def greeting(host):
    return b"220 " + host + b" ESMTP mailpipe\r\n"


def timeout_reply(host):
    return b"421 4.4.2 " + host + b" Timeout, closing connection\r\n"


def ehlo_reply(host, size=26214400, tls=False, auth=False):
    keywords = [b"PIPELINING", b"SIZE %d" % size, b"8BITMIME", b"ENHANCEDSTATUSCODES", b"SMTPUTF8", b"DSN"]
    if not tls:
        keywords.append(b"STARTTLS")
    if auth:
        keywords.append(b"AUTH PLAIN LOGIN")
    lines = [host] + keywords
    return b"".join(b"250-" + line + b"\r\n" for line in lines[:-1]) + b"250 " + lines[-1] + b"\r\n"


def plain(user, password):
    return base64.b64encode(b"\0" + user + b"\0" + password)


class RawSmtp:
    """An SMTP client that sends exactly the bytes it is given and returns
    each reply exactly as it came (all its lines, CRLFs included)."""

    def __init__(self, test, port, implicit_tls=False, context=None):
        self.raw = socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT)
        self.sock = self.raw
        self.pending = b""
        test.addCleanup(self.close)
        if implicit_tls:
            self.upgrade(context)

    def send(self, data):
        self.sock.sendall(data)

    def command(self, line):
        self.send(line + b"\r\n")
        return self.reply()

    def _receive(self):
        try:
            return self.sock.recv(65536)
        except (ConnectionResetError, ssl.SSLEOFError, ssl.SSLZeroReturnError):
            return b""  # the server closed (without TLS close_notify)

    def reply(self):
        """One whole reply; what is left if the server closes mid-reply."""
        while True:
            start = 0
            while (end := self.pending.find(b"\r\n", start)) >= 0:
                if self.pending[start + 3:start + 4] != b"-":  # "250 ..." ends a reply
                    reply, self.pending = self.pending[:end + 2], self.pending[end + 2:]
                    return reply
                start = end + 2
            data = self._receive()
            if not data:
                rest, self.pending = self.pending, b""
                return rest
            self.pending += data

    def replies(self, count):
        return [self.reply() for _ in range(count)]

    def rest_until_closed(self):
        """Everything the server still sends, up to its closing the
        connection (a socket timeout here fails the test)."""
        data, self.pending = self.pending, b""
        while chunk := self._receive():
            data += chunk
        return data

    def upgrade(self, context=None):
        """The TLS handshake, on the plain connection (after 220 to STARTTLS)."""
        assert self.pending == b"", f"plaintext left before TLS: {self.pending!r}"
        self.sock = (context or client_tls_context()).wrap_socket(self.raw)

    def starttls(self, context=None):
        reply = self.command(b"STARTTLS")
        assert reply == READY_FOR_TLS, reply
        self.upgrade(context)

    def close(self):
        for sock in (self.sock, self.raw):
            try:
                sock.close()
            except OSError:
                pass


class HostileTestCase(ChainTestCase):
    def setUp(self):
        super().setUp()
        self.prepare_chain()
        self.chain.start_all()

    def prepare_chain(self):
        """Runs before the processes start."""

    def spooled(self):
        found = []
        for root, _, names in os.walk(self.chain.path("spool")):
            found += [os.path.join(root, name) for name in names if name.endswith(".msg")]
        return found

    def wait_for_empty_spool(self):
        self.assertTrue(wait_until(lambda: not self.spooled(), 10), self.spooled())

    def mx(self, ehlo=True):
        client = RawSmtp(self, self.chain.ports["mx"])
        self.assertEqual(client.reply(), greeting(MX_HOST))
        if ehlo:
            self.assertEqual(client.command(b"EHLO mx.remote.test")[:4], b"250-")
        return client

    def msa(self, user=b"demo@example.test", password=b"demo"):
        """Implicit TLS, EHLO and AUTH PLAIN done."""
        client = RawSmtp(self, self.chain.ports["implicit"], implicit_tls=True)
        self.assertEqual(client.reply(), greeting(MSA_HOST))
        self.assertEqual(client.command(b"EHLO client.test"), ehlo_reply(MSA_HOST, tls=True, auth=True))
        self.assertEqual(client.command(b"AUTH PLAIN " + plain(user, password)), AUTH_OK)
        return client

    def assert_replies(self, client, dialogue):
        """dialogue: [(command line, the exact reply it must get)], in turn."""
        for line, reply in dialogue:
            self.assertEqual(client.command(line), reply, line)

    def send_message(self, client, sender, recipients, message):
        """A whole clean transaction; returns the reply to the data."""
        self.assertEqual(client.command(b"MAIL FROM:<" + sender + b">"), SENDER_OK)
        for recipient in recipients:
            self.assertEqual(client.command(b"RCPT TO:<" + recipient + b">"), RECIPIENT_OK)
        self.assertEqual(client.command(b"DATA"), START_DATA)
        client.send(message + b".\r\n")
        return client.reply()


class MxTestCase(HostileTestCase):
    chain_options = {"mx": True, "aliases": ALIASES}

    def prepare_chain(self):
        with open(self.chain.path("passwd")) as f:
            demo = next(line for line in f if line.startswith("demo@example.test:"))
        with open(self.chain.path("passwd"), "a") as f:
            for user in EXTRA_USERS:
                f.write(demo.replace("demo@", user + "@", 1))
        with open(self.chain.path("aliases"), "ab") as f:
            f.write(UTF8_ALIAS)
