"""The six hosts of test_multihost: msa, mta1, mta2, mda, dns and sink as
network namespaces on one bridge (netns.py), every zmq link between them
CURVE, configs rendered from deploy/templates/ (the ones deploy/run-local.sh
and harness.Chain fill in) with each host's address and keys, processes
started and stopped by the launcher (deploy/chain/launcher.py).

SixHosts is a TestCase base: setUp builds the network, the keys and the
configs and starts dnsmasq (the MX of remote.test), an smtp-sink (that MX),
then mda, mta1, mta2 and msa; on failure every host's last log lines are
printed. Needs root, dnsmasq and smtp-sink; skipped without them.
"""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

import dns_server
import netns
import smtp_sink
from harness import BUILD_DIR, _shared_material, launcher, wait_until

HOSTS = ["msa", "mta1", "mta2", "mda", "dns", "sink"]
INTAKE_PORT, MDA_PORT, SUBMISSION_PORT = 2600, 2601, 465
TOKEN = re.compile(rb"\nSubject: multihost-(\d+)\r?\n")
MAILPIPECTL = os.path.join(BUILD_DIR, "ctl", "mailpipectl")


def write_key_pair(path_without_suffix):
    """`mailpipectl keygen`: NAME.key for the process, NAME.pub for its
    peers; returns the public key as NAME.pub holds it."""
    subprocess.run([MAILPIPECTL, "keygen", path_without_suffix], check=True, capture_output=True, timeout=10)
    assert os.stat(path_without_suffix + ".key").st_mode & 0o777 == 0o600
    with open(path_without_suffix + ".pub") as f:
        return f.read().strip()


class SixHosts(unittest.TestCase):
    def setUp(self):
        for reason in (None if dns_server.available() else f"{dns_server.DNSMASQ} not installed",
                       smtp_sink.available()):
            if reason:
                self.skipTest(reason)
        started = time.monotonic()
        self.net = netns.Network(HOSTS)  # SkipTest without root or ip netns
        self.addCleanup(self.net.close)
        self.dir = tempfile.mkdtemp(prefix="mailpipe-it-multihost-")
        os.chmod(self.dir, 0o755)
        if not os.environ.get("MAILPIPE_KEEP_TMP"):
            self.addCleanup(shutil.rmtree, self.dir, True)
        self.processes = {}
        self._problems_before = self._problem_count()
        self.addCleanup(self._show_logs_on_failure)
        self.addCleanup(self._stop_all)  # runs first: logs are complete when shown
        self._make_keys()
        self._write_configs()
        self.start_dns()
        self.start_sink()
        for name in ("mda", "mta1", "mta2", "msa"):
            self.start(name)
        print(f"\nsetup_s={time.monotonic() - started:.1f} subnet={self.net.subnet}")

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def ip(self, host):
        return self.net.address(host)

    def _make_keys(self):
        for name in ("cert.pem", "key.pem", "passwd"):
            shutil.copy(os.path.join(_shared_material(), name), self.path(name))
        # One intake key pair for both MTAs: the MSA's mta_link has one
        # server_public_key for all of its mta_endpoints.
        self.keys = {name: write_key_pair(self.path(name))
                     for name in ("msa", "mta-intake", "mta1", "mta2", "mda")}

    def _write_configs(self):
        k, ip = self.keys, self.ip
        tls = {"cert_file": self.path("cert.pem"), "key_file": self.path("key.pem")}
        launcher.write_config(self.path("msa.conf"), "msa", {
            "hostname": "msa.example.test", "implicit_listen": f"{ip('msa')}:{SUBMISSION_PORT}", **tls,
            "passwd_file": self.path("passwd"), "submit_timeout_ms": "10000",
            "mta_endpoint": [f"tcp://{ip(n)}:{INTAKE_PORT}" for n in ("mta1", "mta2")]},
            f'mta_link {{ key_file: "{self.path("msa.key")}" server_public_key: "{k["mta-intake"]}" }}\n'
            "mta_attempt_timeout_ms: 2000\nmta_down_ms: 1000")
        for n in ("mta1", "mta2"):
            launcher.write_config(self.path(f"{n}.conf"), "mta", {
                "hostname": f"{n}.example.test", "intake_endpoint": f"tcp://{ip(n)}:{INTAKE_PORT}",
                "mda_endpoint": f"tcp://{ip('mda')}:{MDA_PORT}", "spool_dir": self.path("spool-" + n),
                "local_domain": "example.test", "deliver_timeout_ms": "5000",
                "retry": "first_retry_ms: 500 max_retry_ms: 2000"}, f"""\
intake_link {{ key_file: "{self.path('mta-intake.key')}" allowed_client_key: "{k['msa']}" }}
mda_link {{ key_file: "{self.path(n + '.key')}" server_public_key: "{k['mda']}" }}
dns {{ server: "{ip('dns')}:53" timeout_ms: 1000 tries: 2 }}
outbound {{ port: 25 connect_timeout_ms: 3000 command_timeout_ms: 10000 data_timeout_ms: 10000 }}
shutdown_timeout_ms: 3000""")
        launcher.write_config(self.path("mda.conf"), "mda", {
            "endpoint": f"tcp://{ip('mda')}:{MDA_PORT}", "mail_root": self.path("mail"),
            "hostname": "mda.example.test"},
            f'link {{ key_file: "{self.path("mda.key")}" allowed_client_key: "{k["mta1"]}" '
            f'allowed_client_key: "{k["mta2"]}" }}')

    # --- processes ---------------------------------------------------------
    def log(self, name):
        return launcher.read_log(self.path(f"{name}.log"))

    def start(self, name, timeout=10):
        """Our process `name` (msa, mta1, mta2, mda) on its host; ready
        once its log says event=ready again."""
        binary = os.path.join(BUILD_DIR, re.sub(r"\d+$", "", name), re.sub(r"\d+$", "", name))
        try:
            self.processes[name] = launcher.start(
                name, [binary, "--config", self.path(f"{name}.conf")], self.path(f"{name}.log"), timeout,
                run=lambda argv, log: self.net.run(name, argv, log), group=True)
        except launcher.StartError as e:
            raise AssertionError(str(e)) from None

    def _start_server(self, name, argv, probe_port, timeout=5):
        process = self.net.run(name, argv, self.path(f"{name}.log"))
        self.processes[name] = process

        def listening():
            try:
                with socket.create_connection((self.ip(name), probe_port), timeout=0.5):
                    return True
            except OSError:
                return False
        if not wait_until(lambda: process.poll() is not None or listening(), timeout) or process.poll() is not None:
            raise AssertionError(f"{name} did not start:\n{self.log(name)}")

    def start_dns(self):
        self._start_server("dns", [
            dns_server.DNSMASQ, "--no-daemon", "--no-resolv", "--no-hosts", "--pid-file=", "--user=root",
            "--port=53", f"--listen-address={self.ip('dns')}", "--bind-interfaces", "--log-queries",
            f"--log-facility={self.path('dns.log')}", "--local=/test/",
            "--mx-host=remote.test,mx.remote.test,10", f"--host-record=mx.remote.test,{self.ip('sink')}"], 53)

    def start_sink(self):
        os.makedirs(self.path("sink"))
        self._start_server("sink", [
            smtp_sink.SMTP_SINK, "-u", "root", "-h", "mx.remote.test", "-d", self.path("sink", "msg."),
            f"{self.ip('sink')}:25", "50"], 25)

    def kill(self, name):
        """SIGKILL, as a crash."""
        self.net.kill(self.processes.pop(name))

    def _stop_all(self):
        for process in self.processes.values():
            self.net.stop(process, timeout=5)
        self.processes.clear()

    def _problem_count(self):
        result = getattr(getattr(self, "_outcome", None), "result", None)
        return len(result.failures) + len(result.errors) if result is not None else 0

    def _show_logs_on_failure(self):
        if self._problem_count() > self._problems_before:
            for name in HOSTS:
                lines = self.log(name).splitlines()
                print(f"\n----- {name} log, last 60 of {len(lines)} lines ({self.id()}) -----")
                print("\n".join(lines[-60:]))

    # --- where the mail went -------------------------------------------------
    def tokens_in(self, directory):
        tokens = []
        if not os.path.isdir(directory):
            return tokens
        for name in os.listdir(directory):
            try:
                with open(os.path.join(directory, name), "rb") as f:
                    match = TOKEN.search(b"\n" + f.read())
            except FileNotFoundError:
                continue
            if match:
                tokens.append(int(match.group(1)))
        return tokens

    def maildir_tokens(self):
        return self.tokens_in(self.path("mail", "example.test", "demo", "new"))

    def sink_tokens(self):
        return self.tokens_in(self.path("sink"))

    def spooled(self, name):
        """Messages still in the MTA's spool: its .msg and .state files (not
        the empty or recycled .tmp-spare- files it keeps for new mail)."""
        directory = self.path("spool-" + name)
        return [n for n in os.listdir(directory) if n.endswith((".msg", ".state"))]

    def queued_by(self, name):
        return len(re.findall(r"event=queued ", self.log(name)))
