"""Hostile clients, command lines: the 512-octet limit, NUL and bare CR/LF,
unknown commands and commands out of order (on the MX)."""
import unittest

from hostile_client import MxTestCase, BARE_NEWLINE_IN_COMMAND, HELO_FIRST, LINE_TOO_LONG, MX_HOST, NEED_MAIL, \
    NESTED_MAIL, NUL_IN_COMMAND, OK, SENDER_OK, UNRECOGNIZED, ehlo_reply

MAIL = b"MAIL FROM:<sender@remote.test>"
RCPT = b"RCPT TO:<demo@example.test>"
NO_VALID_RECIPIENTS = b"554 5.5.1 No valid recipients\r\n"


class CommandLimits(MxTestCase):
    def test_command_line_of_512_octets_is_read_and_513_gets_500_5_5_2(self):
        self.assert_replies(self.mx(), [
            (b"NOOP " + b"x" * 505, OK),  # 512 with CRLF (RFC 5321 4.5.3.1.4)
            (b"NOOP " + b"x" * 506, LINE_TOO_LONG),
            # Much longer, hiding a command after the limit: one reply, and
            # the hidden RCPT is dropped with the rest of the line.
            (MAIL, SENDER_OK),
            (b"NOOP " + b"y" * 20000 + b" " + RCPT, LINE_TOO_LONG),
            (b"DATA", NO_VALID_RECIPIENTS)])

    def test_nul_byte_in_a_command_gets_500_5_5_2(self):
        self.assert_replies(self.mx(), [
            (b"NO\0OP", NUL_IN_COMMAND), (b"MAIL FROM:<sender\0@remote.test>", NUL_IN_COMMAND), (MAIL, SENDER_OK)])

    def test_bare_lf_or_cr_in_a_command_spoils_the_whole_line(self):
        # A proxy that splits on LF would see a RCPT here; we see one bad line.
        self.assert_replies(self.mx(), [
            (MAIL, SENDER_OK), (b"NOOP\n" + RCPT, BARE_NEWLINE_IN_COMMAND), (b"NOOP\r" + RCPT, BARE_NEWLINE_IN_COMMAND),
            (b"DATA", NO_VALID_RECIPIENTS)])

    def test_unknown_command_gets_500_5_5_2(self):
        self.assert_replies(self.mx(), [
            (b"FOO bar", UNRECOGNIZED), (b"MAILFROM:<sender@remote.test>", UNRECOGNIZED), (b"", UNRECOGNIZED),
            (b"EXPN staff", b"502 5.5.1 Command not implemented\r\n"), (b"NOOP", OK)])

    def test_commands_out_of_order_get_503_5_5_1(self):
        self.assert_replies(self.mx(ehlo=False), [
            (MAIL, HELO_FIRST), (b"EHLO mx.remote.test", ehlo_reply(MX_HOST)), (RCPT, NEED_MAIL),
            (b"DATA", NEED_MAIL), (MAIL, SENDER_OK), (MAIL, NESTED_MAIL), (b"RSET", OK), (RCPT, NEED_MAIL)])
        self.assertEqual(self.spooled(), [])

    # 503 when no RCPT was ever given, as Postfix does; 554 is kept for
    # "all RCPTs were refused" (RFC 2920 3.1).
    def test_data_before_any_rcpt_gets_503_5_5_1(self):
        client = self.mx()
        self.assertEqual(client.command(MAIL), SENDER_OK)
        self.assertEqual(client.command(b"DATA")[:10], b"503 5.5.1 ")


if __name__ == "__main__":
    unittest.main()
