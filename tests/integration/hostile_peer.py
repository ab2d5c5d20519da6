"""A scripted SMTP or LMTP server for tests: it plays a remote MX (or an
LMTP server behind the MDA) that lies, answers out of turn, or says
nothing, so the tests can show what our clients make of it.

    peer = HostilePeer("127.0.0.2", port, mail=b"250 2.1.0 Ok\\r\\n250 2.0.0 stray\\r\\n")
    peer.start()
    try:
        ...
        peer.set_script()               # from now on a well-behaved server
        peer.accepted_count("a@x.test")  # transactions it took for a@x.test
    finally:
        peer.stop()

The script is a dict (see DEFAULT_SCRIPT); each reply is raw bytes sent
as they are (several replies in one value are "extra" replies, None is
silence), or a callable f(turn) -> bytes | None, where turn.argument is
the command line (the address for "rcpt", the body for "dot") and
turn.transaction the transaction so far. set_script() swaps the script
on every connection, open or new: a transaction (MAIL to the replies
after the dot) plays the script it began with, the next one the new one.

What it received is recorded under a lock; accessors return copies:
connections(), commands(), transactions() (dicts: connection, index,
mail, rcpts, rcpt_replies, data_reply, body, body_complete, dot_reply,
accepted, accepted_rcpts). A transaction is "accepted" when the peer
itself answered the final dot as RFC 5321 wants (2xx, after a 354 and the
whole body); in LMTP mode per recipient: accepted_rcpts are those it
gave a 2xx after the dot. Only loopback addresses are served. stop()
closes every socket and joins every thread.
"""
import copy
import ipaddress
import re
import socket
import threading

IO_TIMEOUT = 0.2         # seconds per blocking call, so stop() is noticed
CONNECTION_BOUND = 120   # seconds: no connection thread lives longer
MAX_LINE = 64 * 1024

DEFAULT_SCRIPT = {
    "lmtp": False,                 # LHLO, and one reply per recipient after the dot
    "hostname": "peer.test",       # in the greeting and the EHLO/LHLO reply
    "greeting": None,              # default: b"220 <hostname> ESMTP hostile-peer\r\n"
    "hangup_after_greeting": False,
    "extensions": ["PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "SIZE 52428800"],
    "ehlo": None,                  # default: built from hostname and extensions
    "mail": b"250 2.1.0 Sender ok\r\n",
    "rcpt": b"250 2.1.5 Recipient ok\r\n",
    "data": b"354 End data with <CR><LF>.<CR><LF>\r\n",   # body read iff a line starts with 354
    "early_reply": None,           # (after_bytes, reply): sent once while the body still comes
    "dot": b"250 2.0.0 Ok: queued\r\n",                    # SMTP: reply to the final dot
    "after_dot_later": None,       # f(turn) -> (seconds, bytes) | None: sent that long after the dot's reply
    "lmtp_dot": None,              # LMTP: f(turn) -> [(rcpt or None for a stray, reply bytes)]
    "rset": b"250 2.0.0 Ok\r\n",
    "noop": b"250 2.0.0 Ok\r\n",
    "quit": b"221 2.0.0 Bye\r\n",
}


def per_recipient(replies, default=DEFAULT_SCRIPT["rcpt"]):
    """A "rcpt" script: replies[address] for those addresses, else default."""
    lowered = {address.lower(): reply for address, reply in replies.items()}
    return lambda turn: lowered.get(turn.argument.lower(), default)


def if_body_contains(marker, then, otherwise):
    """A "dot" script: `then` for a body containing marker (bytes)."""
    return lambda turn: then if marker in turn.argument else otherwise


def taken(transaction):
    """The recipients of a transaction the peer said 2xx to at RCPT."""
    return [rcpt for rcpt, reply in zip(transaction["rcpts"], transaction["rcpt_replies"])
            if _code(reply) // 100 == 2]


def lmtp_replies(*replies):
    """An "lmtp_dot" script: replies[i] is sent for the i-th recipient
    taken at RCPT; more replies than recipients are strays (None as
    recipient), fewer leave the rest unanswered (silence)."""
    def script(turn):
        rcpts = taken(turn.transaction)
        return [(rcpts[i] if i < len(rcpts) else None, reply) for i, reply in enumerate(replies)]
    return script


def _code(reply):
    try:
        return int(reply[:3])
    except (TypeError, ValueError):
        return 0


def _address(line):
    """The address in MAIL FROM:<a> / RCPT TO:<a> (str, lossless latin-1)."""
    text = line.decode("latin-1").strip()
    start, end = text.find("<"), text.find(">")
    if start != -1 and end > start:
        return text[start + 1:end]
    return text.split(":", 1)[-1].strip()


class Turn:
    def __init__(self, peer, connection, transaction, argument):
        self.peer = peer
        self.connection = connection
        self.transaction = transaction
        self.argument = argument


class _Closed(Exception):
    pass


class _Reader:
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
                raise _Closed()
            if not chunk:
                raise _Closed()
            self.buffer += chunk
            return len(chunk)
        raise _Closed()

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


class HostilePeer:
    def __init__(self, address, port, **script):
        if not ipaddress.ip_address(address).is_loopback:
            raise ValueError(f"{address} is not a loopback address")
        self.address = address
        self.port = port
        self._lock = threading.Lock()
        self.late_replies_sent = 0  # after_dot_later replies that went out
        self._script = self._merged(script)
        self._stopping = threading.Event()
        self._listener = None
        self._threads = []
        self._sockets = []
        self._connections = 0
        self._commands = []
        self._transactions = []

    # --- control ---------------------------------------------------------
    @staticmethod
    def _merged(script):
        unknown = set(script) - set(DEFAULT_SCRIPT)
        if unknown:
            raise KeyError(f"unknown script keys: {sorted(unknown)}")
        merged = dict(DEFAULT_SCRIPT)
        merged.update(script)
        return merged

    def set_script(self, **script):
        """Replaces the whole script (defaults plus these keys)."""
        merged = self._merged(script)
        with self._lock:
            self._script = merged

    def script(self):
        with self._lock:
            return self._script

    def start(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.address, self.port))
        listener.listen(64)
        listener.settimeout(IO_TIMEOUT)
        self._listener = listener
        thread = threading.Thread(target=self._accept_loop, name=f"peer-{self.address}", daemon=True)
        self._threads.append(thread)
        thread.start()
        return self

    def stop(self):
        self._stopping.set()
        if self._threads:
            self._threads[0].join(timeout=5)  # the accept loop: no new connection after this
        with self._lock:
            sockets = list(self._sockets)
            threads = self._threads[1:]
        for sock in sockets:
            self._shutdown(sock)
        for thread in threads:
            thread.join(timeout=5)
        for sock in sockets + ([self._listener] if self._listener else []):
            sock.close()
        self._listener = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- what it saw ------------------------------------------------------
    def connections(self):
        with self._lock:
            return self._connections

    def commands(self):
        with self._lock:
            return list(self._commands)

    def transactions(self):
        with self._lock:
            return copy.deepcopy(self._transactions)

    def accepted_count(self, rcpt=None, marker=None):
        """Transactions the peer accepted (for rcpt, with marker in the body)."""
        count = 0
        for t in self.transactions():
            if marker is not None and marker not in t["body"]:
                continue
            if rcpt is None:
                count += bool(t["accepted_rcpts"])
            else:
                count += rcpt.lower() in [r.lower() for r in t["accepted_rcpts"]]
        return count

    # --- serving -----------------------------------------------------------
    def _accept_loop(self):
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            sock.settimeout(IO_TIMEOUT)
            with self._lock:
                self._connections += 1
                number = self._connections
                self._sockets.append(sock)
                thread = threading.Thread(target=self._serve, args=(sock, number),
                                          name=f"peer-{self.address}-{number}", daemon=True)
                self._threads.append(thread)
            thread.start()

    def _send(self, sock, data):
        if data:
            sock.sendall(data)

    def _send_quietly(self, sock, data):
        try:
            self._send(sock, data)
        except OSError:
            return  # the client closed it meanwhile
        with self._lock:
            self.late_replies_sent += 1

    def _reply(self, script, key, number, transaction, argument):
        value = script[key]
        if callable(value):
            value = value(Turn(self, number, transaction, argument))
        return value

    def _serve(self, sock, number):
        timer = threading.Timer(CONNECTION_BOUND, lambda: self._shutdown(sock))
        timer.daemon = True
        timer.start()
        try:
            self._dialogue(sock, number)
        except (_Closed, OSError):
            pass
        finally:
            timer.cancel()
            self._shutdown(sock)
            sock.close()

    @staticmethod
    def _shutdown(sock):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _dialogue(self, sock, number):
        script = self.script()
        hostname = script["hostname"].encode()
        greeting = script["greeting"] or b"220 " + hostname + b" ESMTP hostile-peer\r\n"
        self._send(sock, greeting)
        if script["hangup_after_greeting"]:
            return
        reader = _Reader(sock, self._stopping)
        transaction = transaction_script = None
        index = 0
        while True:
            line = reader.line()
            with self._lock:
                self._commands.append((number, line))
            verb = line.split(b" ", 1)[0].strip().upper()
            if b":" in verb:
                verb = verb.split(b":", 1)[0]
            script = self.script()
            if transaction is not None and verb in (b"RCPT", b"DATA"):
                script = transaction_script  # a transaction plays one script to its end
            if verb in (b"EHLO", b"HELO", b"LHLO"):
                transaction = None
                if script["ehlo"] is not None:
                    self._send(sock, self._reply(script, "ehlo", number, None, line))
                elif verb == b"HELO":
                    self._send(sock, b"250 " + script["hostname"].encode() + b"\r\n")
                else:
                    lines = [script["hostname"]] + list(script["extensions"])
                    self._send(sock, b"".join(b"250-" + x.encode() + b"\r\n" for x in lines[:-1])
                               + b"250 " + lines[-1].encode() + b"\r\n")
            elif verb == b"MAIL":
                transaction = {"connection": number, "index": index, "mail": line, "rcpts": [],
                               "rcpt_replies": [], "data_reply": None, "body": b"", "body_complete": False,
                               "dot_reply": None, "accepted": False, "accepted_rcpts": []}
                index += 1
                transaction_script = script
                with self._lock:
                    self._transactions.append(transaction)
                self._send(sock, self._reply(script, "mail", number, transaction, line))
            elif verb == b"RCPT":
                address = _address(line)
                reply = self._reply(script, "rcpt", number, transaction, address)
                with self._lock:
                    if transaction is not None:
                        transaction["rcpts"].append(address)
                        transaction["rcpt_replies"].append(reply)
                self._send(sock, reply)
            elif verb == b"DATA":
                reply = self._reply(script, "data", number, transaction, line)
                with self._lock:
                    if transaction is not None:
                        transaction["data_reply"] = reply
                self._send(sock, reply)
                if reply and any(part.startswith(b"354") for part in reply.split(b"\r\n")):
                    self._body(sock, reader, number, transaction, script)
                    transaction = None
            elif verb == b"RSET":
                transaction = None
                self._send(sock, self._reply(script, "rset", number, None, line))
            elif verb == b"NOOP":
                self._send(sock, self._reply(script, "noop", number, None, line))
            elif verb == b"QUIT":
                self._send(sock, self._reply(script, "quit", number, None, line))
                return
            elif verb in (b"STARTTLS", b"BDAT", b"AUTH"):
                self._send(sock, b"502 5.5.1 Not implemented\r\n")
            else:
                self._send(sock, b"500 5.5.2 Command unrecognized\r\n")

    def _body(self, sock, reader, number, transaction, script):
        """Reads the body up to the final dot; answers it as scripted."""
        early = [script["early_reply"]]

        def progress(received):
            if early[0] is not None and received >= early[0][0]:
                self._send(sock, early[0][1])
                early[0] = None

        raw = reader.body(progress)
        body = re.sub(rb"(^|\n)\.", rb"\1", raw)  # undo the dot-stuffing
        if transaction is None:
            return
        with self._lock:
            transaction["body"] = body
            transaction["body_complete"] = True
        if script["lmtp"]:
            value = self._reply(script, "lmtp_dot", number, transaction, body)
            if value is None:  # one 250 per recipient taken at RCPT
                value = [(rcpt, b"250 2.0.0 <" + rcpt.encode("latin-1") + b"> delivered\r\n")
                         for rcpt in taken(transaction)]
            with self._lock:
                transaction["dot_reply"] = b"".join(reply for _, reply in value)
                transaction["accepted_rcpts"] = [rcpt for rcpt, reply in value
                                                 if rcpt is not None and _code(reply) // 100 == 2]
                transaction["accepted"] = bool(transaction["accepted_rcpts"])
            self._send(sock, b"".join(reply for _, reply in value))
        else:
            reply = self._reply(script, "dot", number, transaction, body)
            with self._lock:
                transaction["dot_reply"] = reply
                transaction["accepted"] = _code(reply) // 100 == 2 and script["early_reply"] is None
                if transaction["accepted"]:
                    transaction["accepted_rcpts"] = taken(transaction)
            self._send(sock, reply)
            later = self._reply(script, "after_dot_later", number, transaction, body)
            if later:
                # A stray reply that comes once the client has read its
                # answer: it waits in an idle, cached connection.
                timer = threading.Timer(later[0], lambda: self._send_quietly(sock, later[1]))
                timer.daemon = True
                timer.start()
