"""One connection to a hostile_peer.HostilePeer: read each command, answer
it as the peer's script says, and record what came in on the peer (under
its lock). A transaction (MAIL to the replies after the dot) plays the
script it began with to its end; the next one plays the script of then.
"""
import re
import socket
import threading

from peer_script import Turn, reply_code, taken

MAX_LINE = 64 * 1024


class Closed(Exception):
    """The client closed the connection, or the peer is stopping."""


class Reader:
    """Lines (commands) and, in bulk, the body up to the final dot."""

    def __init__(self, sock, stopping):
        self.sock = sock
        self.stopping = stopping
        self.buffer = bytearray()

    def _fill(self):
        while not self.stopping.is_set():
            try:
                chunk = self.sock.recv(262144)
            except socket.timeout:
                continue
            except OSError:
                raise Closed()
            if not chunk:
                raise Closed()
            self.buffer += chunk
            return len(chunk)
        raise Closed()

    def line(self):
        searched = 0
        while True:
            end = self.buffer.find(b"\n", searched)
            if end != -1:
                line = bytes(self.buffer[:end + 1])
                del self.buffer[:end + 1]
                return line
            if len(self.buffer) > MAX_LINE:
                line = bytes(self.buffer)
                self.buffer.clear()
                return line
            searched = len(self.buffer)
            self._fill()

    def body(self, progress):
        """The dot-stuffed body without its final ".\r\n"; progress(n) is
        called with the count of body bytes read so far."""
        searched = 0
        progress(len(self.buffer))
        while True:
            if self.buffer.startswith(b".\r\n"):
                del self.buffer[:3]
                return b""
            end = self.buffer.find(b"\r\n.\r\n", max(0, searched - 4))
            if end != -1:
                raw = bytes(self.buffer[:end + 2])
                del self.buffer[:end + 5]
                return raw
            searched = len(self.buffer)
            self._fill()
            progress(len(self.buffer))


def address_of(line):
    """The address in MAIL FROM:<a> / RCPT TO:<a> (str, lossless latin-1)."""
    text = line.decode("latin-1").strip()
    start, end = text.find("<"), text.find(">")
    if start != -1 and end > start:
        return text[start + 1:end]
    return text.split(":", 1)[-1].strip()


def new_transaction(number, index, mail):
    return {"connection": number, "index": index, "mail": mail, "rcpts": [], "rcpt_replies": [],
            "data_reply": None, "body": b"", "body_complete": False, "dot_reply": None, "accepted": False,
            "accepted_rcpts": []}


class Dialogue:
    def __init__(self, peer, sock, number):
        self.peer = peer
        self.sock = sock
        self.number = number
        self.reader = Reader(sock, peer.stopping)
        self.transaction = None
        self.transaction_script = None
        self.index = 0

    def send(self, data):
        if data:
            self.sock.sendall(data)

    def _send_later(self, data):
        try:
            self.send(data)
        except OSError:
            return  # the client closed it meanwhile
        with self.peer.lock:
            self.peer.late_replies_sent += 1

    def reply(self, script, key, transaction, argument):
        value = script[key]
        if callable(value):
            value = value(Turn(self.peer, self.number, transaction, argument))
        return value

    def run(self):
        script = self.peer.script()
        hostname = script["hostname"].encode()
        self.send(script["greeting"] or b"220 " + hostname + b" ESMTP hostile-peer\r\n")
        if script["hangup_after_greeting"]:
            return
        while True:
            line = self.reader.line()
            with self.peer.lock:
                self.peer.commands_seen.append((self.number, line))
            verb = line.split(b" ", 1)[0].strip().upper()
            if b":" in verb:
                verb = verb.split(b":", 1)[0]
            script = self.peer.script()
            if self.transaction is not None and verb in (b"RCPT", b"DATA"):
                script = self.transaction_script  # a transaction plays one script to its end
            if verb == b"QUIT":
                self.send(self.reply(script, "quit", None, line))
                return
            self.answer(verb, script, line)

    def answer(self, verb, script, line):
        if verb in (b"EHLO", b"HELO", b"LHLO"):
            self.hello(verb, script, line)
        elif verb == b"MAIL":
            self.mail(script, line)
        elif verb == b"RCPT":
            self.rcpt(script, line)
        elif verb == b"DATA":
            self.data(script, line)
        elif verb == b"RSET":
            self.transaction = None
            self.send(self.reply(script, "rset", None, line))
        elif verb == b"NOOP":
            self.send(self.reply(script, "noop", None, line))
        elif verb in (b"STARTTLS", b"BDAT", b"AUTH"):
            self.send(b"502 5.5.1 Not implemented\r\n")
        else:
            self.send(b"500 5.5.2 Command unrecognized\r\n")

    def hello(self, verb, script, line):
        self.transaction = None
        if script["ehlo"] is not None:
            self.send(self.reply(script, "ehlo", None, line))
        elif verb == b"HELO":
            self.send(b"250 " + script["hostname"].encode() + b"\r\n")
        else:
            lines = [script["hostname"]] + list(script["extensions"])
            self.send(b"".join(b"250-" + x.encode() + b"\r\n" for x in lines[:-1])
                      + b"250 " + lines[-1].encode() + b"\r\n")

    def mail(self, script, line):
        self.transaction = new_transaction(self.number, self.index, line)
        self.index += 1
        self.transaction_script = script
        with self.peer.lock:
            self.peer.transactions_seen.append(self.transaction)
        self.send(self.reply(script, "mail", self.transaction, line))

    def rcpt(self, script, line):
        address = address_of(line)
        reply = self.reply(script, "rcpt", self.transaction, address)
        with self.peer.lock:
            if self.transaction is not None:
                self.transaction["rcpts"].append(address)
                self.transaction["rcpt_replies"].append(reply)
        self.send(reply)

    def data(self, script, line):
        reply = self.reply(script, "data", self.transaction, line)
        with self.peer.lock:
            if self.transaction is not None:
                self.transaction["data_reply"] = reply
        self.send(reply)
        if reply and any(part.startswith(b"354") for part in reply.split(b"\r\n")):
            self.body(script)
            self.transaction = None

    def body(self, script):
        """Reads the body up to the final dot; answers it as scripted."""
        early = [script["early_reply"]]

        def progress(received):
            if early[0] is not None and received >= early[0][0]:
                self.send(early[0][1])
                early[0] = None

        raw = self.reader.body(progress)
        body = re.sub(rb"(^|\n)\.", rb"\1", raw)  # undo the dot-stuffing
        transaction = self.transaction
        if transaction is None:
            return
        with self.peer.lock:
            transaction["body"] = body
            transaction["body_complete"] = True
        if script["lmtp"]:
            self.lmtp_dot(script, transaction, body)
        else:
            self.smtp_dot(script, transaction, body)

    def lmtp_dot(self, script, transaction, body):
        value = self.reply(script, "lmtp_dot", transaction, body)
        if value is None:  # one 250 per recipient taken at RCPT
            value = [(rcpt, b"250 2.0.0 <" + rcpt.encode("latin-1") + b"> delivered\r\n")
                     for rcpt in taken(transaction)]
        with self.peer.lock:
            transaction["dot_reply"] = b"".join(reply for _, reply in value)
            transaction["accepted_rcpts"] = [rcpt for rcpt, reply in value
                                             if rcpt is not None and reply_code(reply) // 100 == 2]
            transaction["accepted"] = bool(transaction["accepted_rcpts"])
        self.send(b"".join(reply for _, reply in value))

    def smtp_dot(self, script, transaction, body):
        reply = self.reply(script, "dot", transaction, body)
        with self.peer.lock:
            transaction["dot_reply"] = reply
            transaction["accepted"] = reply_code(reply) // 100 == 2 and script["early_reply"] is None
            if transaction["accepted"]:
                transaction["accepted_rcpts"] = taken(transaction)
        self.send(reply)
        later = self.reply(script, "after_dot_later", transaction, body)
        if later:
            # A stray reply that comes once the client has read its
            # answer: it waits in an idle, cached connection.
            timer = threading.Timer(later[0], lambda: self._send_later(later[1]))
            timer.daemon = True
            timer.start()
