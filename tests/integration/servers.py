"""The lifecycle shared by the third-party servers the integration tests
run (Postfix, Dovecot, smtp-sink).

Each server runs in the foreground as our child, in its own session, and
stop() ends it by pid (SIGTERM, then SIGKILL after a bound), then any
leftover process of it (found by session, working directory, environment
or command line), even if the test failed. An instance dir made with
_make_dir() is removed by stop(); MAILPIPE_KEEP_TMP=1 keeps it.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from harness import wait_until


def _processes_of(marker, session):
    """Pids (not ours) in session `session`, or whose cwd, command line or
    environment (e.g. MAIL_CONFIG) mentions the directory `marker`."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        pid = int(name)
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
            # Fields after "(comm)": state ppid pgrp session ...
            fields = stat[stat.rindex(b")") + 2:].split()
            if session is not None and int(fields[3]) == session:
                found.append(pid)
                continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                text = f.read()
            try:
                text += b"\0" + os.readlink(f"/proc/{pid}/cwd").encode()
            except OSError:
                pass
            try:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    text += b"\0" + f.read()
            except OSError:
                pass
            if re.search(re.escape(marker.encode()) + rb"(?=[/\0\s]|$)", text):
                found.append(pid)
        except (OSError, ValueError, IndexError):
            continue  # gone, or not ours to read
    return found


def kill_leftovers(marker, session=None, grace=2.0):
    """SIGTERM, then SIGKILL, each leftover process by pid."""
    pids = _processes_of(marker, session)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while pids and time.monotonic() < deadline:
        pids = [pid for pid in pids if os.path.exists(f"/proc/{pid}") and not _zombie(pid)]
        time.sleep(0.05)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def greets(address, greeting, timeout=2):
    """True if a server at `address` ((host, port), or a UNIX socket's path)
    accepts a connection and its first bytes start with `greeting`."""
    family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(address)
            return sock.recv(100).startswith(greeting)
    except OSError:
        return False


def _zombie(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        return stat[stat.rindex(b")") + 2:][:1] == b"Z"
    except (OSError, ValueError):
        return True


class ForegroundServer:
    """One server process: _spawn() starts it, _wait_ready() waits until it
    serves (or raises with its log), stop() ends it and its leftovers.

    dir: the instance dir (also the marker for its leftover processes).
    log_name: the server's log file in dir, if it has one.
    output_name: the file in dir that gets the process's stdout and stderr
    (None: discarded).
    """

    log_name = None
    output_name = None

    def __init__(self):
        self.address = "127.0.0.1"
        self.port = None
        self.dir = None
        self.process = None
        self._owns_dir = False

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    @property
    def log_path(self):
        return self.path(self.log_name)

    def log(self):
        """The log file, then the process's own output if it wrote any
        (errors from before it opened its log)."""
        if self.dir is None:
            return ""
        text = ""
        for name in (self.log_name, self.output_name):
            if name is None:
                continue
            try:
                with open(self.path(name), encoding="utf-8", errors="replace") as f:
                    part = f.read()
            except OSError:
                continue
            if name != self.log_name and part:
                part = f"--- {name} ---\n{part}"
            text += part
        return text

    def _make_dir(self, prefix):
        """A fresh instance dir, removed again by stop(); traversable by
        the server's own users."""
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self._owns_dir = True
        os.chmod(self.dir, 0o755)

    def _spawn(self, command):
        """Starts `command` in its own session, its stdout and stderr
        appended to output_name in dir (discarded if there is none)."""
        output = open(self.path(self.output_name), "ab") if self.output_name else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            if output is not subprocess.DEVNULL:
                output.close()

    def _wait_ready(self, probe, timeout, what, error=RuntimeError):
        """Waits until probe() is true or the process has exited. If it is
        not serving then, stops it and raises `error` with the log."""
        def exited():
            return self.process.poll() is not None

        ready = wait_until(lambda: exited() or probe(), timeout)
        if not ready or exited():
            problem = ("exited with status %s" % self.process.returncode
                       if exited() else f"not listening after {timeout}s")
            text = self.log()
            self.stop()
            raise error(f"{what} {problem} on {self.address}:{self.port}:\n{text}")

    def stop(self, timeout=5.0):
        if self.process is not None:
            session = self.process.pid
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(5)
            self.process = None
            # A master ends its children, but not always before it exits.
            kill_leftovers(self.dir, session)
        if self.dir and self._owns_dir and not os.environ.get("MAILPIPE_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
