#!/usr/bin/python3
"""Writes the seed corpora under tests/fuzz/corpus/<target>/.

The seeds are committed; run this again only to change them
(/usr/bin/python3 tests/fuzz/make_corpus.py); it rewrites its own files
and leaves others (regression inputs added by hand) alone. Each seed is a small,
realistic input, named after what it is. Frame seeds are serialized with
the Python code protoc generates from proto/mailpipe.proto into a temp dir.
"""
import base64
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")


def write(target, seeds):
    # Only its own files: inputs added by hand (regression_*) stay.
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    for name, data in seeds.items():
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)


def command_seeds():
    # One command line each, without its CRLF, as the line reader hands it over.
    return {
        "ehlo": "EHLO client.example.org",
        "helo_literal": "HELO [192.0.2.1]",
        "mail_size_body": "MAIL FROM:<alice@example.test> SIZE=12345 BODY=8BITMIME",
        "mail_null_dsn": "MAIL FROM:<> RET=HDRS ENVID=QQ314159+2B1",
        "mail_smtputf8": "MAIL FROM:<jos\u00e9@ex\u00e4mple.test> SMTPUTF8",
        "mail_auth_space": "mail from: <bob@example.test> AUTH=bob+40example.test",
        "mail_source_route": "MAIL FROM:<@relay.example,@hop.example:carol@example.test>",
        "rcpt_notify_orcpt": "RCPT TO:<bob@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob+40example.test",
        "rcpt_postmaster": "RCPT TO:<Postmaster>",
        "rcpt_quoted": 'RCPT TO:<"john q. public"@example.test>',
        "rcpt_ipv6": "RCPT TO:<bob@[IPv6:2001:db8::1]>",
        "data": "DATA",
        "auth_plain": "AUTH PLAIN AGRlbW9AZXhhbXBsZS50ZXN0AGRlbW8=",
        "auth_login": "AUTH LOGIN",
        "starttls": "STARTTLS",
        "vrfy": "VRFY postmaster",
        "bdat": "BDAT 1000 LAST",
        "quit": "QUIT",
        "unknown": "XCLIENT NAME=spike.porcupine.org",
        "duplicate_param": "MAIL FROM:<a@b.test> SIZE=1 SIZE=2",
    }


def address_seeds():
    return {
        "simple": "<bob@example.test>",
        "null": "<>",
        "postmaster": "<Postmaster>",
        "dotted_local": "<first.last+tag@sub.example.test>",
        "quoted_local": '<"odd \\"quoted\\" name"@example.test>',
        "utf8": "<\u00fcser@b\u00fccher.example>",
        "utf8_cjk": "<\u7528\u6237@\u4f8b\u5b50.\u6d4b\u8bd5>",
        "ipv4_literal": "<root@[192.0.2.25]>",
        "ipv6_literal": "<root@[IPv6:2001:db8::ff00:42:8329]>",
        "ipv6_v4mapped": "<root@[ipv6:::ffff:192.0.2.1]>",
        "source_route": "<@a.example,@b.example:joe@c.example>",
        "local_64": "<" + "l" * 64 + "@example.test>",
        "overlong_utf8": b"<\xc0\xafetc@example.test>",
        "surrogate_utf8": b"<\xed\xa0\x80@example.test>",
        "double_dot": "<a..b@example.test>",
    }


def data_seeds():
    # 4 bytes of parameters (see fuzz_data_reader.cpp), then the DATA stream.
    rfc = b"\x80\x80\x12\x34"          # 1,000,000 bytes, 1000-octet lines
    small = b"\x20\x10\x56\x78"        # 32-byte message, 16-octet lines
    headers = b"From: alice@example.test\r\nTo: bob@example.test\r\nSubject: hi\r\n\r\n"
    return {
        "plain": rfc + headers + b"Hello.\r\n.\r\n",
        "empty": rfc + b".\r\n",
        "dot_stuffed": rfc + headers + b"..leading dot\r\n...\r\n. \r\n.\r\n",
        "next_command": rfc + headers + b"body\r\n.\r\nQUIT\r\n",
        "smuggle_lf_dot_lf": rfc + headers + b"x\n.\nMAIL FROM:<evil@example.test>\r\n.\r\n",
        "smuggle_cr_dot_cr": rfc + headers + b"x\r.\rMAIL FROM:<evil@example.test>\r\n.\r\n",
        "smuggle_lf_dot_crlf": rfc + headers + b"x\n.\r\nRCPT TO:<evil@example.test>\r\n.\r\n",
        "smuggle_crlf_dot_lf": rfc + headers + b"x\r\n.\nDATA\r\n.\r\n",
        "bare_cr_before_end": rfc + b"x\r\r\n.\r\n",
        "nul": rfc + b"a\x00b\r\n.\r\n",
        "too_big": small + b"0123456789\r\n0123456789\r\n0123456789\r\n.\r\n",
        "line_too_long": small + b"short\r\nthis line is far too long\r\n.\r\n",
        "unfinished": rfc + headers + b"still typing\r",
        "utf8_8bit": rfc + "Subject: caf\u00e9\r\n\r\n\u00fcber\r\n.\r\n".encode(),
    }


def reply_seeds():
    # 4 bytes of parameters (see fuzz_reply_parser.cpp), then what a server sends.
    rfc = b"\x80\x80\x12\x34"          # 4096-octet lines, 100 lines a reply
    small = b"\x20\x03\x56\x78"        # 32-octet lines, 3 lines a reply
    return {
        "greeting": rfc + b"220 mx.example.test ESMTP ready\r\n",
        "ehlo": rfc + b"250-mx.example.test Hello client.example.org [192.0.2.1]\r\n250-PIPELINING\r\n"
                      b"250-SIZE 10240000\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-DSN\r\n"
                      b"250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n",
        "ehlo_empty_first_line": rfc + b"250-\r\n250 SIZE\r\n",
        # A CR that may be half of a CRLF ends the line: "" and "25" are
        # no reply lines, whatever comes next (found by the fuzzer).
        "lone_cr": b"\x80\x32\x35\x30" + b"\r",
        "short_code_then_cr": rfc + b"25\r",
        "pipelined_batch": rfc + b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 <gone@example.test>: no such user\r\n"
                                 b"354 End data with <CR><LF>.<CR><LF>\r\n",
        "lmtp_per_recipient": rfc + b"250 2.0.0 <a@example.test> Saved\r\n452 4.2.2 <b@example.test> Quota exceeded\r\n",
        "bare_code": rfc + b"250\r\n221 \r\n",
        "enhanced_multiline": rfc + b"550-5.7.1 Message rejected as spam\r\n550 5.7.1 See https://example.test/spam\r\n",
        "class_mismatch": rfc + b"250 5.1.0 looks like an enhanced code\r\n",
        "latin1_text": rfc + b"451 4.7.1 gr\xfc\xdflisted, try again later\r\n",
        "utf8_text": rfc + "451 4.7.1 gr\u00fc\u00dflisted \u20ac\r\n".encode(),
        "controls": rfc + b"250 a\x00b\x1b[31mred\x7f\xc2\x9b0m\r\n",
        "unfinished": rfc + b"250-first\r\n250-second\r\n250 thi",
        "code_changes": rfc + b"250-a\r\n251 b\r\n",
        "bare_lf": rfc + b"250-ok\n250 forged\r\n",
        "bare_cr": rfc + b"250 ok\r250 forged\r\n",
        "malformed_codes": rfc + b"25O ok\r\n",
        "four_digit_code": rfc + b"2500 ok\r\n",
        "not_smtp": rfc + b"HTTP/1.1 400 Bad Request\r\n\r\n",
        "too_many_lines": small + b"250-a\r\n250-b\r\n250-c\r\n250 d\r\n",
        "long_line": small + b"250 this line is longer than thirty-two octets\r\n",
        "max_line_exactly": small + b"250 " + b"x" * 26 + b"\r\n",
    }


def auth_seeds():
    def b64(text):
        return base64.b64encode(text).decode()
    return {
        "plain_b64": b64(b"\x00demo@example.test\x00demo"),
        "plain_authzid_b64": b64(b"admin@example.test\x00demo@example.test\x00secret"),
        "plain_raw": b"\x00demo@example.test\x00demo",
        "login_user_b64": b64(b"demo@example.test"),
        "padding_one": "Zm9vYg==",
        "padding_two": "Zm9vYmE=",
        "noncanonical_pad_bits": "Zh==",
        "empty_response": "=",
        "cancel": "*",
        "whitespace": "AGRl bW8=",
    }


def frame_seeds():
    tmp = tempfile.mkdtemp()
    try:
        subprocess.run(["protoc", "--python_out=" + tmp, "-I", os.path.join(ROOT, "proto"),
                        "mailpipe.proto"], check=True)
        sys.path.insert(0, tmp)
        import mailpipe_pb2 as pb
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    envelope = pb.Envelope(
        mail_from="alice@example.test",
        recipients=[pb.Recipient(address="bob@example.test", notify=pb.NOTIFY_SUCCESS | pb.NOTIFY_FAILURE,
                                 orcpt="rfc822;bob@example.test")],
        client_address="192.0.2.1", helo_name="client.example.org",
        authenticated_user="alice@example.test", body_type=pb.BODY_8BITMIME, smtputf8=True,
        received_unix_ms=1700000000000, queue_id="4Fz9kQ1a", dsn_envid="QQ314159", dsn_ret_full=True)
    message = b"From: alice@example.test\r\nSubject: hi\r\n\r\nHello.\r\n"
    frames = {
        "submit": pb.Frame(request_id=1, submit=pb.Submit(envelope=envelope, message=message)),
        "submit_reply_ok": pb.Frame(request_id=1, submit_reply=pb.SubmitReply(
            queue_id="4Fz9kQ1a", status=pb.Status(code=250, enhanced="2.0.0", text="Ok: queued as 4Fz9kQ1a"))),
        "submit_reply_451": pb.Frame(request_id=2, submit_reply=pb.SubmitReply(
            status=pb.Status(code=451, enhanced="4.3.0", text="spool unavailable"))),
        "deliver": pb.Frame(request_id=3, deliver=pb.Deliver(
            delivery_id="4Fz9kQ1a.1", envelope=envelope,
            recipients=[pb.DeliveryRecipient(address="demo@example.test", original="postmaster@example.test")],
            message=message)),
        "deliver_reply": pb.Frame(request_id=3, deliver_reply=pb.DeliverReply(
            delivery_id="4Fz9kQ1a.1",
            results=[pb.RecipientResult(address="demo@example.test", outcome=pb.DELIVERED,
                                        status=pb.Status(code=250, enhanced="2.0.0", text="delivered")),
                     pb.RecipientResult(address="gone@example.test", outcome=pb.PERMFAIL,
                                        status=pb.Status(code=550, enhanced="5.1.1", text="no such user"),
                                        remote_mta="mx.example.test")])),
        "error": pb.Frame(request_id=4, error=pb.ErrorReply(
            status=pb.Status(code=500, enhanced="5.5.0", text="cannot parse request"))),
        "empty": pb.Frame(),
    }
    seeds = {name: frame.SerializeToString() for name, frame in frames.items()}
    # A field number this version does not know (kept as unknown), appended.
    seeds["unknown_field"] = seeds["submit_reply_ok"] + b"\xf8\x06\x01"
    return seeds


def config_seeds():
    seeds = {}
    for process in ("msa", "mta", "mda"):
        with open(os.path.join(ROOT, "deploy", "local", process + ".conf.in")) as f:
            seeds[process + "_demo"] = f.read().replace("@VAR@", "/var/lib/mailpipe")
    seeds["limits_block"] = ("hostname: \"mx.example.test\"\n"
                             "limits { max_message_bytes: 10485760 max_recipients: 50 }\n"
                             "log { debug: true }\n")
    seeds["typo"] = "hostnme: \"x\"\n"
    return seeds


def main():
    write("command", command_seeds())
    write("address", address_seeds())
    write("data_reader", data_seeds())
    write("reply_parser", reply_seeds())
    write("auth", auth_seeds())
    write("frame", frame_seeds())
    write("config", config_seeds())


if __name__ == "__main__":
    main()
