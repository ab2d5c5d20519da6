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

The script is a dict (see peer_script.DEFAULT_SCRIPT, and the helpers
per_recipient, if_body_contains, lmtp_replies, taken, importable from
here); peer_dialogue.py plays it on each connection. set_script() swaps
the script on every connection, open or new: a transaction (MAIL to the
replies after the dot) plays the script it began with, the next one the
new one.

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
import socket
import threading

from peer_dialogue import Closed, Dialogue
from peer_script import DEFAULT_SCRIPT, Turn, if_body_contains, lmtp_replies, merged_script, per_recipient, taken

__all__ = ["HostilePeer", "DEFAULT_SCRIPT", "Turn", "if_body_contains", "lmtp_replies", "per_recipient", "taken"]

IO_TIMEOUT = 0.2         # seconds per blocking call, so stop() is noticed
CONNECTION_BOUND = 120   # seconds: no connection thread lives longer


class HostilePeer:
    def __init__(self, address, port, **script):
        if not ipaddress.ip_address(address).is_loopback:
            raise ValueError(f"{address} is not a loopback address")
        self.address = address
        self.port = port
        self.lock = threading.Lock()  # over the script and everything below it
        self.late_replies_sent = 0    # after_dot_later replies that went out
        self._script = merged_script(script)
        self.stopping = threading.Event()
        self._listener = None
        self._threads = []
        self._sockets = []
        self._connections = 0
        self.commands_seen = []       # written by the dialogues
        self.transactions_seen = []

    # --- control ---------------------------------------------------------
    def set_script(self, **script):
        """Replaces the whole script (defaults plus these keys)."""
        merged = merged_script(script)
        with self.lock:
            self._script = merged

    def script(self):
        with self.lock:
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
        self.stopping.set()
        if self._threads:
            self._threads[0].join(timeout=5)  # the accept loop: no new connection after this
        with self.lock:
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
        with self.lock:
            return self._connections

    def commands(self):
        with self.lock:
            return list(self.commands_seen)

    def transactions(self):
        with self.lock:
            return copy.deepcopy(self.transactions_seen)

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
        while not self.stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            sock.settimeout(IO_TIMEOUT)
            with self.lock:
                self._connections += 1
                number = self._connections
                self._sockets.append(sock)
                thread = threading.Thread(target=self._serve, args=(sock, number),
                                          name=f"peer-{self.address}-{number}", daemon=True)
                self._threads.append(thread)
            thread.start()

    def _serve(self, sock, number):
        timer = threading.Timer(CONNECTION_BOUND, lambda: self._shutdown(sock))
        timer.daemon = True
        timer.start()
        try:
            Dialogue(self, sock, number).run()
        except (Closed, OSError):
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
