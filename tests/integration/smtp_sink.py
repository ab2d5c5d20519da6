"""Postfix's smtp-sink as a receiving SMTP server for integration tests:
listens on one loopback address and port, and dumps each message it takes
to a file (with X-Mail-Args / X-Rcpt-Args lines for the envelope).

    sink = SmtpSink("127.0.0.2", port, dump_dir)  # started; raises if it does not listen
    try:
        ...
        messages = sink.messages()  # [bytes, ...], one per message, oldest first
    finally:
        sink.stop()

The dump dir belongs to the caller: stop() keeps it (and its messages).
"""
import os
import socket

from postfix_server import SMTP_SINK
from servers import ForegroundServer


def available():
    """None if smtp-sink can run here, else why not (for unittest.skip)."""
    if not os.access(SMTP_SINK, os.X_OK):
        return f"{SMTP_SINK} not installed (postfix package)"
    return None


class SmtpSink(ForegroundServer):
    """smtp-sink on `address`:`port`, started by the constructor.

    dump_dir: where each message goes, as a file "msg.*" (made if missing).
    extra: more smtp-sink options, e.g. ["-f", "RCPT"] (hard reject of
    RCPT TO) or ["-r", "RCPT"] (soft reject).
    hostname: its name in the greeting (default "sink-<address>").
    """

    def __init__(self, address, port, dump_dir, extra=(), hostname=None, timeout=5.0):
        super().__init__()
        os.makedirs(dump_dir, exist_ok=True)
        self.address = address
        self.port = port
        self.dir = self.dump_dir = dump_dir
        self._spawn([SMTP_SINK, "-u", "root", "-h", hostname or f"sink-{address}",
                     "-d", os.path.join(dump_dir, "msg."), *extra, f"{address}:{port}", "50"])
        self._wait_ready(self._listening, timeout, "smtp-sink", error=AssertionError)

    def _listening(self):
        try:
            with socket.create_connection((self.address, self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def messages(self):
        contents = []
        for name in sorted(os.listdir(self.dump_dir)):
            with open(os.path.join(self.dump_dir, name), "rb") as f:
                contents.append(f.read())
        return contents

    def __enter__(self):
        return self  # already started
