"""Starts a real mailpipe chain (mda, mta, msa) on free loopback ports.

The configs are deploy/templates/*.conf.in (the local demo's) filled in
with the chain's ports and paths, plus each test's overrides. Every process
is started by the launcher (deploy/chain/launcher.py: ready once its log
says event=ready, bounded in time) and stopped by pid in tearDown, even
when a test fails. Logs stay in the temp dir and are
printed when a test fails; set MAILPIPE_KEEP_TMP=1 to keep the dir.
"""
import atexit
import os
import re
import shutil
import socket
import ssl
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy", "chain"))
import launcher  # noqa: E402  (deploy/chain/launcher.py: templates, start, stop)

BUILD_DIR = os.environ.get(
    "MAILPIPE_BUILD_DIR",
    os.path.join(os.path.dirname(__file__), "..", "..", "build"))

USERS = {"demo@example.test": "demo", "bob@example.test": "bobpass"}


_ports_given = set()


def free_port():
    """A free loopback port, never the same twice in one test process: a
    port handed out but not bound yet (a sink started later) is free again
    for the kernel, and a second server given it would take it (a Postfix
    relaying to itself instead of to its sink)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _ports_given:
            _ports_given.add(port)
            return port
    raise RuntimeError("no new free port after 100 tries")


def client_tls_context():
    """Our test certificate is self-signed: no verification."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


_material_dir = None


def _shared_material():
    """The certificate and password hashes are the same for every chain:
    made once per test process (RSA keys and SHA512-CRYPT take a while)."""
    global _material_dir
    if _material_dir is None:
        directory = tempfile.mkdtemp(prefix="mailpipe-it-material-")
        atexit.register(shutil.rmtree, directory, True)
        launcher.make_certificate(os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem"))
        with open(os.path.join(directory, "passwd"), "w") as f:
            f.writelines(launcher.passwd_line(user, password) for user, password in USERS.items())
        _material_dir = directory
    return _material_dir


def wait_until(predicate, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    return predicate()


class Chain:
    """One chain in its own temp dir. Use start_all() or start(name)."""

    def __init__(self, msa_overrides="", mta_overrides="", mda_overrides="", retry_overrides="",
                 mx=False, aliases=None, mx_overrides="", mda_user=None):
        """mx: the MTA also listens as inbound MX (ports["mx"]), with local
        users from the chain's passwd-file and `aliases` (text) as its
        aliases file. mda_user: the MDA drops root to this user (e.g. "nobody"),
        so its Maildirs belong to it, as Dovecot wants (it refuses uid 0)."""
        self.dir = tempfile.mkdtemp(prefix="mailpipe-it-")
        self.processes = {}
        self.mda_user = mda_user
        self.ports = {"starttls": free_port(), "implicit": free_port(),
                      "intake": free_port(), "mda": free_port(), "mx": free_port()}
        self._make_tls()
        self._make_passwd()
        if aliases is not None:
            with open(self.path("aliases"), "w") as f:
                f.write(aliases)
        # mkdtemp made it 0700: a process that drops root (its `user` knob)
        # must still reach its spool or Maildirs in here. Test keys only.
        os.chmod(self.dir, 0o755)
        self._write_configs(mx, aliases is not None, mx_overrides,
                            msa_overrides, mta_overrides, mda_overrides, retry_overrides)

    # --- setup -----------------------------------------------------------
    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def _make_tls(self):
        for name in ("cert.pem", "key.pem"):
            shutil.copy(os.path.join(_shared_material(), name), self.path(name))

    def _make_passwd(self):
        # A copy: a test may add users to its own chain's file.
        shutil.copy(os.path.join(_shared_material(), "passwd"), self.path("passwd"))

    def _write_configs(self, mx, with_aliases, mx_overrides,
                       msa_overrides, mta_overrides, mda_overrides, retry_overrides):
        """deploy/templates/*.conf.in with the chain's ports and paths; the
        overrides are appended (mx_overrides and retry_overrides go inside
        their blocks). mx: the MTA's MX with the chain's users (and aliases)."""
        p, tls = self.ports, {"cert_file": self.path("cert.pem"), "key_file": self.path("key.pem")}
        launcher.write_config(self.path("msa.conf"), "msa", {
            "hostname": "msa.test", "starttls_listen": f"127.0.0.1:{p['starttls']}",
            "implicit_listen": f"127.0.0.1:{p['implicit']}", **tls, "passwd_file": self.path("passwd"),
            "mta_endpoint": f"tcp://127.0.0.1:{p['intake']}", "submit_timeout_ms": "3000"}, msa_overrides)
        mx_values = {"passwd_file": self.path("passwd"), "mx_listen": f"127.0.0.1:{p['mx']}", **tls,
                     "mx_extra": mx_overrides} if mx else {}
        if mx and with_aliases:
            mx_values["aliases_file"] = self.path("aliases")
        launcher.write_config(self.path("mta.conf"), "mta", {
            "hostname": "mta.test", "intake_endpoint": f"tcp://127.0.0.1:{p['intake']}",
            "mda_endpoint": f"tcp://127.0.0.1:{p['mda']}", "spool_dir": self.path("spool"),
            "local_domain": "example.test", "deliver_timeout_ms": "2000",
            "retry": f"first_retry_ms: 500 max_retry_ms: 1000 {retry_overrides}".rstrip(), **mx_values},
            mta_overrides)
        launcher.write_config(self.path("mda.conf"), "mda", {
            "endpoint": f"tcp://127.0.0.1:{p['mda']}", "mail_root": self.path("mail"),
            "hostname": "mda.test", "user": self.mda_user}, mda_overrides)

    # --- processes -------------------------------------------------------
    def log_path(self, name):
        return self.path(f"{name}.log")

    def log(self, name):
        try:
            with open(self.log_path(name), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def start(self, name, timeout=10, command=None):
        """Starts our `name` process, or `command` (a list) in its place, e.g.
        another MDA; either way ready once its log says event=ready (a
        restarted process appends to its earlier log)."""
        assert name not in self.processes, f"{name} already running"
        command = command or [os.path.join(BUILD_DIR, name, name), "--config", self.path(f"{name}.conf")]
        try:
            # Not in a session of its own: a Ctrl-C of the test run reaches it too.
            self.processes[name] = launcher.start(name, command, self.log_path(name), timeout, new_session=False)
        except launcher.StartError as e:
            raise AssertionError(f"{e}\n--- whole log ---\n{self.log(name)}") from None

    def stop(self, name, timeout=5):
        process = self.processes.pop(name, None)
        if process is not None:
            return launcher.stop(process, timeout)

    def kill(self, name):
        """SIGKILL, as a crash: no clean-up in the process."""
        process = self.processes.pop(name, None)
        if process is not None:
            launcher.kill(process)

    def start_all(self):
        for name in ("mda", "mta", "msa"):
            self.start(name)

    def close(self, keep=False):
        for name in list(self.processes):
            self.stop(name)
        if not keep and not os.environ.get("MAILPIPE_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    # --- mailboxes -------------------------------------------------------
    def maildir_files(self, user, domain="example.test"):
        """Contents (bytes) of the files in the user's new/, oldest first."""
        new = self.path("mail", domain, user, "new")
        if not os.path.isdir(new):
            return []
        names = sorted(os.listdir(new), key=lambda n: os.stat(os.path.join(new, n)).st_mtime_ns)
        contents = []
        for name in names:
            with open(os.path.join(new, name), "rb") as f:
                contents.append(f.read())
        return contents

    def wait_for_maildir(self, user, count, timeout=10, domain="example.test"):
        wait_until(lambda: len(self.maildir_files(user, domain)) >= count, timeout)
        return self.maildir_files(user, domain)


class ChainTestCase(unittest.TestCase):
    """Gives each test a fresh chain and prints its logs when it fails."""

    chain_options = {}

    def setUp(self):
        self.chain = Chain(**self.chain_options)
        self._problems_before = self._problem_count()
        self.addCleanup(self._cleanup)

    def show_log_on_failure(self, name, read_log):
        """Prints read_log() (another server's log) if this test fails."""
        def show():
            if self._problem_count() > self._problems_before:
                print(f"\n----- {name} log ({self.id()}) -----\n{read_log()}")
        self.addCleanup(show)

    def _problem_count(self):
        result = getattr(getattr(self, "_outcome", None), "result", None)
        return len(result.failures) + len(result.errors) if result is not None else 0

    def _cleanup(self):
        # unittest records this test's failure before running cleanups.
        if self._problem_count() > self._problems_before:
            for name in ("msa", "mta", "mda"):
                print(f"\n----- {name} log ({self.id()}) -----\n{self.chain.log(name)}")
        self.chain.close()


QUEUED = re.compile(rb"250 2\.0\.0 Ok: queued as ([0-9A-Z]{8,40})")
