"""Hostile input (issue 7): raw bytes against the real msa and the MX of
the real mta, and the exact replies that come back.

smtplib would tidy the bytes up (it adds CRLFs, dot-stuffs, refuses bare
LFs), so these tests speak SMTP through RawSmtp below: a plain socket,
wrapped in TLS after STARTTLS or from the first byte on the implicit-TLS
port. Each test asserts the reply lines byte for byte and what ended up,
or did not, in the spool (.msg files) and in the Maildirs.

Not here: connection limits and AUTH lockout per client address,
privilege dropping (being built separately).
"""
import base64
import os
import re
import socket
import ssl
import time
import unittest
import warnings

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


def message_of_exactly(size, subject):
    """A message of `size` octets as the server counts them: CRLF line
    ends, no final ".\r\n"; lines of 100 octets, none starting with '.'."""
    head = b"Subject: " + subject + b"\r\n\r\n"
    body_size = size - len(head)
    lines, rest = divmod(body_size, 100)
    body = (b"x" * 98 + b"\r\n") * lines
    if rest:
        assert rest >= 3, "pick a size whose last line holds a character"
        body += b"y" * (rest - 2) + b"\r\n"
    message = head + body
    assert len(message) == size
    return message


def domain_of(length, suffix):
    """A valid domain name of exactly `length` octets ending in `suffix`."""
    labels, room = [], length - len(suffix)  # each label costs itself and a dot
    while room > 0:
        cost = min(61, room)
        if room - cost == 1:
            cost -= 1  # never leave room for an empty label
        labels.append(b"d" * (cost - 1))
        room -= cost
    domain = b".".join(labels + [suffix])
    assert len(domain) == length
    return domain


def path_of(length, suffix):
    """"<local@domain>" of exactly `length` octets with a 64-octet local part."""
    return b"<" + b"p" * 64 + b"@" + domain_of(length - 67, suffix) + b">"


def legacy_tls_context(version):
    """A client that offers only `version`, with every cipher allowed, so a
    refusal is the server's (OpenSSL's default level would refuse first)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        context.minimum_version = version
        context.maximum_version = version
    return context


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


# CVE-2023-51764 and kin: each way a server has been fooled into seeing an
# end of data before <CRLF>.<CRLF>, and what we answer (the whole message
# refused; the "second message" is content, never a transaction).
SMUGGLING_VARIANTS = [
    ("LF.LF", b"\n.\n", BARE_NEWLINE_IN_DATA),
    ("CR.CR", b"\r.\r", BARE_NEWLINE_IN_DATA),
    ("LF.CRLF", b"\n.\r\n", BARE_NEWLINE_IN_DATA),
    ("CRLF.LF", b"\r\n.\n", BARE_NEWLINE_IN_DATA),
    ("CR.CRLF", b"\r.\r\n", BARE_NEWLINE_IN_DATA),
    ("CRLF.CR", b"\r\n.\r", BARE_NEWLINE_IN_DATA),
    ("LF.CR", b"\n.\r", BARE_NEWLINE_IN_DATA),
    ("bare LF in a line", b"\n", BARE_NEWLINE_IN_DATA),
    ("bare CR in a line", b"\r", BARE_NEWLINE_IN_DATA),
    ("CRLF NUL.CRLF", b"\r\n\0.\r\n", NUL_IN_DATA),
]


class Smuggling:
    """The attack, shared by the MX and the MSA tests."""

    def smuggle(self, client, sender, recipient, smuggled_sender, smuggled_recipient, fake_end, expected):
        self.assertEqual(client.command(b"MAIL FROM:<" + sender + b">"), SENDER_OK)
        self.assertEqual(client.command(b"RCPT TO:<" + recipient + b">"), RECIPIENT_OK)
        self.assertEqual(client.command(b"DATA"), START_DATA)
        client.send(b"Subject: smuggling test\r\n\r\nreal body" + fake_end +
                    b"MAIL FROM:<" + smuggled_sender + b">\r\n"
                    b"RCPT TO:<" + smuggled_recipient + b">\r\n"
                    b"DATA\r\n"
                    b"Subject: smuggled\r\n\r\nsmuggled body\r\n.\r\n")
        # One reply for the whole thing; a server fooled by the fake end
        # would answer 250 (first message), 250, 250, 354, 250 instead.
        self.assertEqual(client.reply(), expected)
        self.assertEqual(self.spooled(), [])
        # Nothing else is waiting: the next command gets its own reply.
        self.assertEqual(client.command(b"NOOP"), OK)

    def assert_only_clean_mail_arrived(self, count, never_logged, smuggled_user="bob"):
        files = self.chain.wait_for_maildir("demo", count)
        self.assertEqual(len(files), count)
        for content in files:
            self.assertIn(b"Subject: clean after ", content)
            self.assertNotIn(b"smuggl", content)
        self.wait_for_empty_spool()
        self.assertEqual(self.chain.maildir_files(smuggled_user), [])
        for name in ("msa", "mta"):
            self.assertNotIn(never_logged.decode(), self.chain.log(name))


class MxSmuggling(MxTestCase, Smuggling):
    def test_fake_end_of_data_variants_are_refused_whole_and_never_make_a_second_message(self):
        for name, fake_end, expected in SMUGGLING_VARIANTS:
            with self.subTest(variant=name):
                self.wait_for_empty_spool()  # the previous clean message is delivered
                client = self.mx()
                self.smuggle(client, b"sender@remote.test", b"demo@example.test",
                             b"smuggler@evil.test", b"bob@example.test", fake_end, expected)
                # Still in step with the client: a clean message goes through.
                reply = self.send_message(client, b"sender@remote.test", [b"demo@example.test"],
                                          b"Subject: clean after " + name.encode() + b"\r\n\r\nclean\r\n")
                self.assertRegex(reply, QUEUED)
                self.assertEqual(client.command(b"QUIT"), b"221 2.0.0 mta.test closing connection\r\n")
        self.assert_only_clean_mail_arrived(len(SMUGGLING_VARIANTS), b"smuggler@evil.test")
        self.assertEqual(self.chain.log("mta").count("event=rejected "), len(SMUGGLING_VARIANTS))


class MsaSmuggling(HostileTestCase, Smuggling):
    def test_fake_end_of_data_variants_are_refused_whole_on_the_msa_too(self):
        for name, fake_end, expected in SMUGGLING_VARIANTS:
            with self.subTest(variant=name):
                self.wait_for_empty_spool()
                client = self.msa()
                # The smuggled sender is the user's own: only the data is hostile.
                self.smuggle(client, b"demo@example.test", b"demo@example.test",
                             b"demo@example.test", b"bob@example.test", fake_end, expected)
                reply = self.send_message(client, b"demo@example.test", [b"demo@example.test"],
                                          b"Subject: clean after " + name.encode() + b"\r\n\r\nclean\r\n")
                self.assertRegex(reply, QUEUED)
                self.assertEqual(client.command(b"QUIT"), b"221 2.0.0 msa.test closing connection\r\n")
        self.assert_only_clean_mail_arrived(len(SMUGGLING_VARIANTS), b"bob@example.test")
        self.assertEqual(self.chain.log("msa").count("event=rejected "), len(SMUGGLING_VARIANTS))


class StartTlsInjection(MxTestCase):
    """CVE-2011-0411: plaintext pipelined behind STARTTLS, in the same
    packet, must not run as if it had come over TLS."""

    def test_rset_pipelined_behind_starttls_on_the_mx_is_discarded(self):
        client = self.mx()
        client.send(b"STARTTLS\r\nRSET\r\n")
        self.assertEqual(client.reply(), READY_FOR_TLS)
        client.upgrade()
        # Had RSET been kept, its 250 would come before EHLO's reply.
        self.assertEqual(client.command(b"EHLO mx.remote.test"), ehlo_reply(MX_HOST, tls=True))
        self.assertEqual(client.command(b"NOOP"), OK)
        self.assertIn("event=starttls_plaintext_discarded client=127.0.0.1 bytes=6", self.chain.log("mta"))

    def test_mail_pipelined_behind_starttls_on_the_mx_does_not_open_a_transaction(self):
        client = self.mx()
        client.send(b"STARTTLS\r\nMAIL FROM:<x@y>\r\n")
        self.assertEqual(client.reply(), READY_FOR_TLS)
        client.upgrade()
        self.assertEqual(client.command(b"EHLO mx.remote.test"), ehlo_reply(MX_HOST, tls=True))
        self.assertEqual(client.command(b"RCPT TO:<demo@example.test>"), NEED_MAIL)
        self.assertEqual(self.spooled(), [])

    def test_starttls_on_the_mx_is_refused_in_a_transaction_and_forgets_ehlo(self):
        client = self.mx()
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test>"), SENDER_OK)
        # As Postfix: a transaction begun in plaintext is not carried into TLS.
        self.assertEqual(client.command(b"STARTTLS"),
                         b"503 5.5.1 STARTTLS not permitted during a mail transaction\r\n")
        self.assertEqual(client.command(b"RSET"), OK)
        client.starttls()
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test>"), HELO_FIRST)
        self.assertEqual(client.command(b"EHLO mx.remote.test"), ehlo_reply(MX_HOST, tls=True))
        self.assertEqual(client.command(b"RCPT TO:<demo@example.test>"), NEED_MAIL)
        self.assertEqual(client.command(b"STARTTLS"), b"503 5.5.1 TLS already active\r\n")

    def test_auth_pipelined_behind_starttls_on_the_msa_is_not_executed(self):
        client = RawSmtp(self, self.chain.ports["starttls"])
        self.assertEqual(client.reply(), greeting(MSA_HOST))
        self.assertEqual(client.command(b"EHLO client.test"), ehlo_reply(MSA_HOST))
        client.send(b"STARTTLS\r\nAUTH PLAIN " + plain(b"demo@example.test", b"demo") + b"\r\n")
        self.assertEqual(client.reply(), READY_FOR_TLS)
        client.upgrade()
        self.assertEqual(client.command(b"EHLO client.test"), ehlo_reply(MSA_HOST, tls=True, auth=True))
        self.assertEqual(client.command(b"MAIL FROM:<demo@example.test>"), AUTH_REQUIRED)
        self.assertNotIn("event=auth_ok", self.chain.log("msa"))

    def test_starttls_on_the_msa_forgets_ehlo(self):
        client = RawSmtp(self, self.chain.ports["starttls"])
        self.assertEqual(client.reply(), greeting(MSA_HOST))
        self.assertEqual(client.command(b"EHLO client.test"), ehlo_reply(MSA_HOST))
        client.starttls()
        self.assertEqual(client.command(b"MAIL FROM:<demo@example.test>"), HELO_FIRST)
        self.assertEqual(client.command(b"AUTH PLAIN " + plain(b"demo@example.test", b"demo")),
                         b"503 5.5.1 Send EHLO first\r\n")
        self.assertEqual(client.command(b"EHLO client.test"), ehlo_reply(MSA_HOST, tls=True, auth=True))
        self.assertEqual(client.command(b"AUTH PLAIN " + plain(b"demo@example.test", b"demo")), AUTH_OK)
        self.assertEqual(client.command(b"MAIL FROM:<demo@example.test>"), SENDER_OK)


class CommandLimits(MxTestCase):
    def test_command_line_of_512_octets_is_read_and_513_gets_500_5_5_2(self):
        client = self.mx()
        self.assertEqual(client.command(b"NOOP " + b"x" * 505), OK)  # 512 with CRLF (RFC 5321 4.5.3.1.4)
        self.assertEqual(client.command(b"NOOP " + b"x" * 506), LINE_TOO_LONG)
        # Much longer, hiding a command after the limit: one reply, and the
        # hidden RCPT is dropped with the rest of the line.
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test>"), SENDER_OK)
        self.assertEqual(client.command(b"NOOP " + b"y" * 20000 + b" RCPT TO:<demo@example.test>"), LINE_TOO_LONG)
        self.assertEqual(client.command(b"DATA"), b"554 5.5.1 No valid recipients\r\n")

    def test_nul_byte_in_a_command_gets_500_5_5_2(self):
        client = self.mx()
        self.assertEqual(client.command(b"NO\0OP"), NUL_IN_COMMAND)
        self.assertEqual(client.command(b"MAIL FROM:<sender\0@remote.test>"), NUL_IN_COMMAND)
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test>"), SENDER_OK)

    def test_bare_lf_or_cr_in_a_command_spoils_the_whole_line(self):
        client = self.mx()
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test>"), SENDER_OK)
        # A proxy that splits on LF would see a RCPT here; we see one bad line.
        self.assertEqual(client.command(b"NOOP\nRCPT TO:<demo@example.test>"), BARE_NEWLINE_IN_COMMAND)
        self.assertEqual(client.command(b"NOOP\rRCPT TO:<demo@example.test>"), BARE_NEWLINE_IN_COMMAND)
        self.assertEqual(client.command(b"DATA"), b"554 5.5.1 No valid recipients\r\n")

    def test_unknown_command_gets_500_5_5_2(self):
        client = self.mx()
        self.assertEqual(client.command(b"FOO bar"), UNRECOGNIZED)
        self.assertEqual(client.command(b"MAILFROM:<sender@remote.test>"), UNRECOGNIZED)
        self.assertEqual(client.command(b""), UNRECOGNIZED)
        self.assertEqual(client.command(b"EXPN staff"), b"502 5.5.1 Command not implemented\r\n")
        self.assertEqual(client.command(b"NOOP"), OK)

    def test_commands_out_of_order_get_503_5_5_1(self):
        client = self.mx(ehlo=False)
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test>"), HELO_FIRST)
        self.assertEqual(client.command(b"EHLO mx.remote.test"), ehlo_reply(MX_HOST))
        self.assertEqual(client.command(b"RCPT TO:<demo@example.test>"), NEED_MAIL)
        self.assertEqual(client.command(b"DATA"), NEED_MAIL)
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test>"), SENDER_OK)
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test>"), NESTED_MAIL)
        self.assertEqual(client.command(b"RSET"), OK)
        self.assertEqual(client.command(b"RCPT TO:<demo@example.test>"), NEED_MAIL)
        self.assertEqual(self.spooled(), [])

    # 503 when no RCPT was ever given, as Postfix does; 554 is kept for
    # "all RCPTs were refused" (RFC 2920 3.1).
    def test_data_before_any_rcpt_gets_503_5_5_1(self):
        client = self.mx()
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test>"), SENDER_OK)
        self.assertEqual(client.command(b"DATA")[:10], b"503 5.5.1 ")


class AddressLimits(MxTestCase):
    def test_bad_or_overlong_sender_gets_501_5_1_7(self):
        client = self.mx()
        for line, expected in [
            (b"MAIL FROM:sender@remote.test", BAD_SENDER),
            (b"MAIL FROM:<sender@remote.test", BAD_SENDER),
            (b"MAIL FROM:<sender@>", BAD_SENDER),
            (b"MAIL FROM:<sender@remote..test>", BAD_SENDER),
            (b"MAIL FROM:<send er@remote.test>", BAD_SENDER),
            (b"MAIL FROM:<" + b"s" * 65 + b"@remote.test>", SENDER_TOO_LONG),    # RFC 5321 4.5.3.1.1
            (b"MAIL FROM:" + path_of(257, b"remote.test"), SENDER_TOO_LONG),  # RFC 5321 4.5.3.1.3
        ]:
            self.assertEqual(client.command(line), expected, line)
        self.assertEqual(client.command(b"MAIL FROM:" + path_of(256, b"remote.test")), SENDER_OK)
        self.assertEqual(client.command(b"RSET"), OK)
        self.assertEqual(client.command(b"MAIL FROM:<" + b"s" * 64 + b"@remote.test>"), SENDER_OK)

    def test_bad_or_overlong_recipient_gets_501_5_1_3(self):
        client = self.mx()
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test>"), SENDER_OK)
        for line, expected in [
            (b"RCPT TO:demo@example.test", BAD_RECIPIENT),
            (b"RCPT TO:<demo@example.test", BAD_RECIPIENT),
            (b"RCPT TO:<demo@>", BAD_RECIPIENT),
            (b"RCPT TO:<de mo@example.test>", BAD_RECIPIENT),
            (b"RCPT TO:<" + b"r" * 65 + b"@example.test>", RECIPIENT_TOO_LONG),
            (b"RCPT TO:" + path_of(257, b"example.test"), RECIPIENT_TOO_LONG),
            # At the limits the syntax is fine, and the policy answers.
            (b"RCPT TO:<" + b"r" * 64 + b"@example.test>", UNKNOWN_USER),
            (b"RCPT TO:" + path_of(256, b"example.test"), RELAY_DENIED),  # a subdomain is not ours
        ]:
            self.assertEqual(client.command(line), expected, line)
        self.assertEqual(client.command(b"RSET"), OK)
        self.assertEqual(self.spooled(), [])

    def test_non_ascii_address_without_smtputf8_gets_553_5_6_7(self):
        client = self.mx()
        self.assertEqual(client.command("MAIL FROM:<jörg@remote.test>".encode()), NON_ASCII_ADDRESS)
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test>"), SENDER_OK)
        # A real alias, but the transaction did not say SMTPUTF8.
        self.assertEqual(client.command("RCPT TO:<grüße@example.test>".encode()), NON_ASCII_ADDRESS)
        self.assertEqual(client.command(b"DATA"), b"554 5.5.1 No valid recipients\r\n")
        self.assertEqual(self.spooled(), [])

    def test_smtputf8_mail_to_a_utf8_alias_is_delivered(self):
        client = self.mx()
        self.assertEqual(client.command("MAIL FROM:<jörg@remote.test> SMTPUTF8".encode()), SENDER_OK)
        self.assertEqual(client.command("RCPT TO:<grüße@example.test>".encode()), RECIPIENT_OK)
        # SMTPUTF8 allows UTF-8, not any byte.
        self.assertEqual(client.command(b"RCPT TO:<gr\xff@example.test>"), BAD_RECIPIENT)
        self.assertEqual(client.command(b"DATA"), START_DATA)
        client.send("Subject: Grüße\r\n\r\nÜnïcödé\r\n.\r\n".encode())
        self.assertRegex(client.reply(), QUEUED)
        files = self.chain.wait_for_maildir("demo", 1)
        self.assertEqual(len(files), 1)
        self.assertTrue(files[0].startswith("Return-Path: <jörg@remote.test>\nDelivered-To: demo@example.test\n".encode()),
                        files[0])
        self.assertIn(b"(mailpipe) with UTF8SMTP id ", files[0])
        self.assertTrue(files[0].endswith("Subject: Grüße\n\nÜnïcödé\n".encode()), files[0])


class DataLimits(MxTestCase):
    def test_text_line_over_1000_octets_refuses_the_message_with_500_5_5_2(self):
        client = self.mx()
        self.assertEqual(self.send_message(client, b"sender@remote.test", [b"demo@example.test"],
                                           b"Subject: too long\r\n\r\n" + b"x" * 999 + b"\r\n"),
                         TEXT_LINE_TOO_LONG)
        self.assertEqual(self.spooled(), [])
        # 1000 octets with CRLF is the limit (RFC 5321 4.5.3.1.6), and allowed.
        reply = self.send_message(client, b"sender@remote.test", [b"demo@example.test"],
                                  b"Subject: at the limit\r\n\r\n" + b"z" * 998 + b"\r\n")
        self.assertRegex(reply, QUEUED)
        files = self.chain.wait_for_maildir("demo", 1)
        self.assertEqual(len(files), 1)
        self.assertTrue(files[0].endswith(b"Subject: at the limit\n\n" + b"z" * 998 + b"\n"), files[0][-200:])
        self.wait_for_empty_spool()
        self.assertEqual(len(self.chain.maildir_files("demo")), 1)

    def test_nul_byte_in_data_refuses_the_message_with_550_5_6_0(self):
        client = self.mx()
        self.assertEqual(self.send_message(client, b"sender@remote.test", [b"demo@example.test"],
                                           b"Subject: nul\r\n\r\nbefore\0after\r\n"), NUL_IN_DATA)
        self.assertEqual(self.spooled(), [])
        self.assertEqual(client.command(b"NOOP"), OK)


LIMITS = "limits { max_recipients: 3 max_message_bytes: 10000 max_errors: 4 }"


class MxLimits(MxTestCase):
    chain_options = {**MxTestCase.chain_options, "mx_overrides": LIMITS}

    def test_recipients_past_max_recipients_get_452_4_5_3_and_the_first_ones_are_delivered(self):
        client = self.mx()
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test>"), SENDER_OK)
        # Pipelined, as a real MTA sends them (RFC 2920).
        client.send(b"".join(b"RCPT TO:<%s@example.test>\r\n" % user
                             for user in (b"demo", b"bob", b"carol", b"dave", b"erin")))
        self.assertEqual(client.replies(5), [RECIPIENT_OK] * 3 + [TOO_MANY_RECIPIENTS] * 2)
        self.assertEqual(client.command(b"DATA"), START_DATA)
        client.send(b"Subject: to three\r\n\r\nhello\r\n.\r\n")
        self.assertRegex(client.reply(), QUEUED)
        for user in ("demo", "bob", "carol"):
            files = self.chain.wait_for_maildir(user, 1)
            self.assertEqual(len(files), 1, user)
            self.assertIn(b"Subject: to three", files[0])
        self.wait_for_empty_spool()
        for user in ("dave", "erin"):
            self.assertEqual(self.chain.maildir_files(user), [], user)
        self.assertRegex(self.chain.log("mta"), r"event=received queue_id=\S+ from=sender@remote.test nrcpt=3 ")

    # A client that pipelines more recipients than we take gets 452 for the
    # extra ones (RFC 5321 4.5.3.1.10) and sends them again in a later
    # transaction: those 452s are not errors that end the session (as
    # Postfix's smtpd_recipient_overshoot_limit), so the accepted
    # recipients are kept.
    def test_more_extra_recipients_than_max_errors_keep_the_transaction(self):
        client = self.mx()
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test>"), SENDER_OK)
        users = (b"demo", b"bob", b"carol", b"dave", b"erin", b"demo+1", b"demo+2", b"demo+3")
        client.send(b"".join(b"RCPT TO:<%s@example.test>\r\n" % user for user in users))
        self.assertEqual(client.replies(8), [RECIPIENT_OK] * 3 + [TOO_MANY_RECIPIENTS] * 5)
        self.assertEqual(client.command(b"DATA"), START_DATA)

    def test_size_announced_above_the_limit_gets_552_5_3_4_at_mail(self):
        client = self.mx(ehlo=False)
        self.assertEqual(client.command(b"EHLO mx.remote.test"), ehlo_reply(MX_HOST, size=10000))
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test> SIZE=10001"), TOO_BIG)  # RFC 1870 6.1
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test> SIZE=99999999999999999999"),
                         b"501 5.5.4 Syntax error: SIZE\r\n")  # beyond 64 bits
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test> SIZE=10000"), SENDER_OK)
        self.assertEqual(client.command(b"RSET"), OK)
        self.assertEqual(self.spooled(), [])

    def test_size_that_lied_gets_552_5_3_4_after_the_data(self):
        client = self.mx()
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test> SIZE=100"), SENDER_OK)
        self.assertEqual(client.command(b"RCPT TO:<demo@example.test>"), RECIPIENT_OK)
        self.assertEqual(client.command(b"DATA"), START_DATA)
        client.send(message_of_exactly(10001, b"one octet too many") + b".\r\n")
        self.assertEqual(client.reply(), TOO_BIG)
        self.assertEqual(self.spooled(), [])
        # Exactly the limit is accepted (no SIZE given this time).
        exact = message_of_exactly(10000, b"exactly the limit")
        self.assertRegex(self.send_message(client, b"sender@remote.test", [b"demo@example.test"], exact), QUEUED)
        files = self.chain.wait_for_maildir("demo", 1)
        self.assertEqual(len(files), 1)
        self.assertTrue(files[0].endswith(exact.replace(b"\r\n", b"\n")))
        self.wait_for_empty_spool()
        self.assertEqual(len(self.chain.maildir_files("demo")), 1)

    def test_too_many_errors_get_421_4_7_0_and_the_connection_closes(self):
        client = self.mx()
        self.assertEqual(client.command(b"FOO"), UNRECOGNIZED)
        self.assertEqual(client.command(b"RCPT TO:<demo@example.test>"), NEED_MAIL)
        self.assertEqual(client.command(b"MAIL FROM:<sender@remote.test"), BAD_SENDER)
        client.send(b"BAR\r\n")  # the fourth (max_errors: 4)
        self.assertEqual(client.rest_until_closed(), UNRECOGNIZED + TOO_MANY_ERRORS)
        self.assertIn("event=too_many_errors client=127.0.0.1 errors=4", self.chain.log("mta"))


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


class MsaAuth(HostileTestCase):
    """AUTH after STARTTLS and on the implicit-TLS port; and nothing of a
    password, right or wrong, ever reaches a log."""

    def starttls_client(self):
        client = RawSmtp(self, self.chain.ports["starttls"])
        self.assertEqual(client.reply(), greeting(MSA_HOST))
        self.assertEqual(client.command(b"EHLO client.test"), ehlo_reply(MSA_HOST))
        client.starttls()
        self.assertEqual(client.command(b"EHLO client.test"), ehlo_reply(MSA_HOST, tls=True, auth=True))
        return client

    def assert_not_logged(self, secrets):
        for name in ("msa", "mta", "mda"):
            log = self.chain.log(name)
            for secret in secrets:
                self.assertNotIn(secret.decode(), log, f"{name} log holds {secret!r}")

    def test_bad_base64_cancel_and_wrong_password_get_their_codes_and_nothing_secret_is_logged(self):
        client = self.starttls_client()
        not_base64 = b"!!not-base64-Zm9v!!"
        self.assertEqual(client.command(b"AUTH PLAIN " + not_base64), BAD_BASE64)
        self.assertEqual(client.command(b"AUTH PLAIN"), b"334 \r\n")
        self.assertEqual(client.command(b"*"), AUTH_CANCELLED)
        self.assertEqual(client.command(b"AUTH LOGIN"), b"334 VXNlcm5hbWU6\r\n")
        self.assertEqual(client.command(base64.b64encode(b"bob@example.test")), b"334 UGFzc3dvcmQ6\r\n")
        self.assertEqual(client.command(b"*"), AUTH_CANCELLED)
        wrong_login = b"Wr0ng-L0gin-Passw0rd"
        self.assertEqual(client.command(b"AUTH LOGIN"), b"334 VXNlcm5hbWU6\r\n")
        self.assertEqual(client.command(base64.b64encode(b"bob@example.test")), b"334 UGFzc3dvcmQ6\r\n")
        self.assertEqual(client.command(base64.b64encode(wrong_login)), AUTH_FAILED)
        wrong_plain = b"Wr0ng-Pl4in-Passw0rd"
        self.assertEqual(client.command(b"AUTH PLAIN " + plain(b"bob@example.test", wrong_plain)), AUTH_FAILED)
        # Two failures of three: the right password still works.
        self.assertEqual(client.command(b"AUTH PLAIN " + plain(b"bob@example.test", b"bobpass")), AUTH_OK)
        self.assertEqual(client.command(b"MAIL FROM:<bob@example.test>"), SENDER_OK)
        self.assertEqual(client.command(b"QUIT"), b"221 2.0.0 msa.test closing connection\r\n")

        self.assertEqual(self.chain.log("msa").count("event=auth_failed "), 2)
        self.assert_not_logged([
            not_base64, wrong_login, base64.b64encode(wrong_login), wrong_plain,
            plain(b"bob@example.test", wrong_plain), b"bobpass", plain(b"bob@example.test", b"bobpass")])

    def test_max_auth_failures_on_the_implicit_tls_port_get_421_4_7_0_and_close(self):
        client = RawSmtp(self, self.chain.ports["implicit"], implicit_tls=True)
        self.assertEqual(client.reply(), greeting(MSA_HOST))
        self.assertEqual(client.command(b"EHLO client.test"), ehlo_reply(MSA_HOST, tls=True, auth=True))
        passwords = [b"Guess-One-1111", b"Guess-Two-2222", b"Guess-Three-3333"]
        for password in passwords[:2]:
            self.assertEqual(client.command(b"AUTH PLAIN " + plain(b"demo@example.test", password)), AUTH_FAILED)
        client.send(b"AUTH PLAIN " + plain(b"demo@example.test", passwords[2]) + b"\r\n")
        self.assertEqual(client.rest_until_closed(), AUTH_FAILED + AUTH_LOCKED)
        self.assertEqual(self.chain.log("msa").count("event=auth_failed "), 3)
        self.assert_not_logged(passwords + [plain(b"demo@example.test", p) for p in passwords])

    # RFC 4954 4: "500 5.5.6 Authentication Exchange line is too long" for a
    # response longer than the server takes (this line is valid base64).
    def test_auth_response_line_past_12288_octets_gets_500_5_5_6(self):
        client = self.starttls_client()
        self.assertEqual(client.command(b"AUTH PLAIN"), b"334 \r\n")
        self.assertEqual(client.command(b"QUFB" * 4000)[:10], b"500 5.5.6 ")

    def test_the_default_limit_is_100_recipients(self):
        client = self.msa()
        self.assertEqual(client.command(b"MAIL FROM:<demo@example.test>"), SENDER_OK)
        client.send(b"".join(b"RCPT TO:<r%d@remote.test>\r\n" % i for i in range(102)))
        self.assertEqual(client.replies(102), [RECIPIENT_OK] * 100 + [TOO_MANY_RECIPIENTS] * 2)
        self.assertEqual(client.command(b"RSET"), OK)
        self.assertEqual(self.spooled(), [])


class TlsVersions(MxTestCase):
    """TLS 1.2 and 1.3 only, AEAD suites only, on every TLS port."""

    def tls_ports(self):
        return [("msa STARTTLS", self.chain.ports["starttls"], MSA_HOST, True),
                ("msa implicit TLS", self.chain.ports["implicit"], MSA_HOST, False),
                ("mx STARTTLS", self.chain.ports["mx"], MX_HOST, True)]

    def connect(self, port, host, starttls, context):
        """Returns the client, handshake done (or raising ssl.SSLError)."""
        if not starttls:
            return RawSmtp(self, port, implicit_tls=True, context=context)
        client = RawSmtp(self, port)
        self.assertEqual(client.reply(), greeting(host))
        self.assertEqual(client.command(b"EHLO client.test")[:4], b"250-")
        client.starttls(context)
        return client

    def test_tls_1_0_and_1_1_are_refused(self):
        for name, port, host, starttls in self.tls_ports():
            for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
                with self.subTest(port=name, version=version.name):
                    with self.assertRaises(ssl.SSLError) as caught:
                        self.connect(port, host, starttls, legacy_tls_context(version))
                    # The server's alert, not our own refusal to offer it.
                    self.assertEqual(caught.exception.reason, "TLSV1_ALERT_PROTOCOL_VERSION")

    def test_tls_1_2_without_aead_suites_is_refused(self):
        context = legacy_tls_context(ssl.TLSVersion.TLSv1_2)
        context.set_ciphers("ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA384:AES128-SHA256:AES256-SHA")
        for name, port, host, starttls in self.tls_ports():
            with self.subTest(port=name):
                with self.assertRaises(ssl.SSLError) as caught:
                    self.connect(port, host, starttls, context)
                self.assertEqual(caught.exception.reason, "SSLV3_ALERT_HANDSHAKE_FAILURE")

    def test_tls_1_2_and_1_3_are_accepted_with_an_aead_suite(self):
        aead = re.compile(r"GCM|CHACHA20[-_]POLY1305|CCM")
        for name, port, host, starttls in self.tls_ports():
            for version, label in ((ssl.TLSVersion.TLSv1_2, "TLSv1.2"), (ssl.TLSVersion.TLSv1_3, "TLSv1.3")):
                with self.subTest(port=name, version=label):
                    context = client_tls_context()
                    context.minimum_version = context.maximum_version = version
                    client = self.connect(port, host, starttls, context)
                    if not starttls:
                        self.assertEqual(client.reply(), greeting(host))
                    self.assertEqual(client.sock.version(), label)
                    cipher = client.sock.cipher()[0]
                    self.assertRegex(cipher, aead)
                    if label == "TLSv1.2":
                        self.assertTrue(cipher.startswith("ECDHE-"), cipher)  # forward secrecy
                    self.assertEqual(client.command(b"EHLO client.test"),
                                     ehlo_reply(host, tls=True, auth=host == MSA_HOST))
                    self.assertEqual(client.command(b"QUIT"), b"221 2.0.0 " + host + b" closing connection\r\n")


if __name__ == "__main__":
    unittest.main()
