"""Hostile clients, command lines: the 512-octet limit, NUL and bare CR/LF,
unknown commands and commands out of order (on the MX)."""
import unittest

from hostile_client import MxTestCase, BARE_NEWLINE_IN_COMMAND, HELO_FIRST, LINE_TOO_LONG, MX_HOST, NEED_MAIL, \
    NESTED_MAIL, NUL_IN_COMMAND, OK, SENDER_OK, UNRECOGNIZED, ehlo_reply


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


if __name__ == "__main__":
    unittest.main()
