"""Hostile clients, message data: text lines over 1000 octets and NUL bytes
refuse the whole message (on the MX)."""
import unittest

from hostile_client import MxTestCase, NUL_IN_DATA, OK, QUEUED, TEXT_LINE_TOO_LONG


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


if __name__ == "__main__":
    unittest.main()
