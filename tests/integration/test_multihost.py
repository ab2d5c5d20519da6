"""The chain spread over six hosts (issue 8): msa, mta1, mta2, mda, dns and
sink are network namespaces on one bridge (netns.py), every zmq link
between them is CURVE, and a load of a few hundred messages goes in while
one MTA is killed with SIGKILL and restarted.

                 Submit, CURVE      Deliver, CURVE
    client --465--> msa ---+--> mta1 --+--> mda --> Maildir (demo@example.test)
                           +--> mta2 --+
                       mta1, mta2 --SMTP 25--> sink: smtp-sink, the MX of remote.test
                                               in dnsmasq on the dns host

Half the messages are for demo@example.test (the Maildir), half for
someone@remote.test (the sink's dump files); each carries a token in its
Subject. Every message a client got 250 for must arrive where it belongs:
the test prints `accepted=N delivered=N lost=0 duplicated=K` and fails on
any loss. It also checks that both MTAs took a share of the load and that
a zmq client with a key nobody listed gets no answer from an MTA intake or
from the MDA, which log event=link_refused.

Needs root (namespaces, ports 25/53/465), dnsmasq and Postfix's smtp-sink;
skipped without them. MAILPIPE_MULTIHOST_MESSAGES changes the load (300).
"""
import os
import random
import re
import shutil
import smtplib
import socket
import subprocess
import ssl
import tempfile
import threading
import time
import unittest

import zmq

import dns_server
import netns
import smtp_sink
import wire
from harness import BUILD_DIR, USERS, _shared_material, client_tls_context, wait_until

HOSTS = ["msa", "mta1", "mta2", "mda", "dns", "sink"]
INTAKE_PORT, MDA_PORT, SUBMISSION_PORT = 2600, 2601, 465
LOCAL, REMOTE = "demo@example.test", "someone@remote.test"
TOKEN = re.compile(rb"\nSubject: multihost-(\d+)\r?\n")
MAILPIPECTL = os.path.join(BUILD_DIR, "ctl", "mailpipectl")


def write_key_pair(path_without_suffix):
    """`mailpipectl keygen`: NAME.key for the process, NAME.pub for its
    peers; returns the public key as NAME.pub holds it."""
    subprocess.run([MAILPIPECTL, "keygen", path_without_suffix], check=True, capture_output=True, timeout=10)
    assert os.stat(path_without_suffix + ".key").st_mode & 0o777 == 0o600
    with open(path_without_suffix + ".pub") as f:
        return f.read().strip()


class MultiHost(unittest.TestCase):
    messages = int(os.environ.get("MAILPIPE_MULTIHOST_MESSAGES", "300"))
    connections = 6
    deadline_s = 60      # for the whole load
    delivery_wait_s = 30  # after the load, for the last deliveries

    # --- setup -------------------------------------------------------------
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
        self._make_keys_and_configs()
        self.start_dns()
        self.start_sink()
        for name in ("mda", "mta1", "mta2", "msa"):
            self.start(name)
        print(f"\nsetup_s={time.monotonic() - started:.1f} subnet={self.net.subnet}")

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def ip(self, host):
        return self.net.address(host)

    def _make_keys_and_configs(self):
        for name in ("cert.pem", "key.pem", "passwd"):
            shutil.copy(os.path.join(_shared_material(), name), self.path(name))
        # One intake key pair for both MTAs: the MSA's mta_link has one
        # server_public_key for all of its mta_endpoints.
        self.keys = {name: write_key_pair(self.path(name))
                     for name in ("msa", "mta-intake", "mta1", "mta2", "mda")}
        k, ip = self.keys, self.ip
        configs = {"msa": f"""
hostname: "msa.example.test"
listen {{ address: "{ip('msa')}:{SUBMISSION_PORT}" tls: IMPLICIT }}
tls {{ cert_file: "{self.path('cert.pem')}" key_file: "{self.path('key.pem')}" }}
passwd_file: "{self.path('passwd')}"
mta_endpoint: "tcp://{ip('mta1')}:{INTAKE_PORT}"
mta_endpoint: "tcp://{ip('mta2')}:{INTAKE_PORT}"
mta_link {{ key_file: "{self.path('msa.key')}" server_public_key: "{k['mta-intake']}" }}
submit_timeout_ms: 10000
mta_attempt_timeout_ms: 2000
mta_down_ms: 1000
"""}
        mda_link = lambda n: f'mda_link {{ key_file: "{self.path(n + ".key")}" server_public_key: "{k["mda"]}" }}'
        link = (f'link {{ key_file: "{self.path("mda.key")}" allowed_client_key: "{k["mta1"]}" '
                f'allowed_client_key: "{k["mta2"]}" }}')
        for n in ("mta1", "mta2"):
            configs[n] = f"""
hostname: "{n}.example.test"
intake_endpoint: "tcp://{ip(n)}:{INTAKE_PORT}"
intake_link {{ key_file: "{self.path('mta-intake.key')}" allowed_client_key: "{k['msa']}" }}
mda_endpoint: "tcp://{ip('mda')}:{MDA_PORT}"
{mda_link(n)}
spool_dir: "{self.path('spool-' + n)}"
local_domain: "example.test"
deliver_timeout_ms: 5000
retry {{ first_retry_ms: 500 max_retry_ms: 2000 }}
dns {{ server: "{ip('dns')}:53" timeout_ms: 1000 tries: 2 }}
outbound {{ port: 25 connect_timeout_ms: 3000 command_timeout_ms: 10000 data_timeout_ms: 10000 }}
shutdown_timeout_ms: 3000
"""
        configs["mda"] = f"""
endpoint: "tcp://{ip('mda')}:{MDA_PORT}"
mail_root: "{self.path('mail')}"
hostname: "mda.example.test"
{link}
"""
        for name, text in configs.items():
            with open(self.path(f"{name}.conf"), "w") as f:
                f.write(text)

    # --- processes ---------------------------------------------------------
    def log(self, name):
        try:
            with open(self.path(f"{name}.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def start(self, name, timeout=10):
        """Our process `name` (msa, mta1, mta2, mda) on its host; ready
        once its log says event=ready again."""
        binary = os.path.join(BUILD_DIR, re.sub(r"\d+$", "", name), re.sub(r"\d+$", "", name))
        ready_before = self.log(name).count("event=ready")
        process = self.net.run(name, [binary, "--config", self.path(f"{name}.conf")], self.path(f"{name}.log"))
        self.processes[name] = process
        ok = wait_until(lambda: self.log(name).count("event=ready") > ready_before
                        or process.poll() is not None, timeout)
        if process.poll() is not None or not ok:
            raise AssertionError(f"{name} did not become ready:\n{self.log(name)}")

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
        process = self.processes.pop(name)
        self.net.kill(process)

    def _stop_all(self):
        for name, process in list(self.processes.items()):
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

    # --- the test -------------------------------------------------------------
    def test_load_over_six_hosts_with_curve_survives_an_mta_crash(self):
        accepted, refused, crash = self.run_load()
        self.check_every_accepted_message_arrived(accepted)
        self.assertEqual(refused, {})
        self.assertEqual(len(accepted["local"]) + len(accepted["remote"]), self.messages,
                         "not every message was accepted before the deadline")
        self.assertTrue(crash.get("killed") and crash.get("restarted"), crash)
        # Spread: both MTAs queued mail (the restarted one resumed its spool).
        self.assertGreater(self.queued_by("mta1"), 0)
        self.assertGreater(self.queued_by("mta2"), 0)
        # The restarted MTA resumed its own spool, and both spools drain.
        recovered = re.findall(r"event=ready .*?recovered=(\d+)", self.log(crash["killed"]))
        self.assertEqual(len(recovered), 2, self.log(crash["killed"])[-2000:])
        after_restart = self.log(crash["killed"]).rsplit("event=ready", 1)[1].count("event=queued ")
        print(f"{crash['killed']} recovered={recovered[-1]} after its restart, then queued {after_restart} new")
        self.assertTrue(wait_until(lambda: self.spooled("mta1") + self.spooled("mta2") == [], 10),
                        f"still queued: mta1 {self.spooled('mta1')[:5]} mta2 {self.spooled('mta2')[:5]}")
        self.check_strangers_are_refused(survivor="mta2" if crash["killed"] == "mta1" else "mta1")

    def run_load(self):
        pending = list(range(self.messages))
        random.shuffle(pending)
        accepted = {"local": set(), "remote": set()}
        refused = {}
        lock = threading.Lock()
        deadline = time.monotonic() + self.deadline_s

        def count():
            with lock:
                return len(accepted["local"]) + len(accepted["remote"])

        def take():
            with lock:
                return pending.pop() if pending else None

        def worker():
            smtp = None
            token = take()
            while token is not None and time.monotonic() < deadline:
                kind, to = ("local", LOCAL) if token % 2 == 0 else ("remote", REMOTE)
                try:
                    if smtp is None:
                        smtp = smtplib.SMTP_SSL(self.ip("msa"), SUBMISSION_PORT, timeout=20,
                                                context=client_tls_context())
                        smtp.login(LOCAL, USERS[LOCAL])
                    body = (f"Subject: multihost-{token}\r\nMessage-ID: <multihost-{token}@client.test>\r\n"
                            f"\r\nfor {to}\r\n")
                    smtp.sendmail(LOCAL, [to], body.encode())
                    with lock:
                        accepted[kind].add(token)
                    token = take()
                except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as e:
                    if getattr(e, "smtp_code", 0) >= 500:
                        with lock:
                            refused[token] = str(e)
                        token = take()
                    # 4xx: the client keeps the mail and tries again, as a real one does.
                    smtp = self._close(smtp)
                    time.sleep(0.1)
                except (OSError, smtplib.SMTPException, ssl.SSLError):
                    smtp = self._close(smtp)
                    time.sleep(0.1)
            self._close(smtp)

        crash = {}

        def crasher():
            # SIGKILL one MTA a quarter of the way in; start it again half way
            # (and no sooner than 2 s later), so it has a share to take again.
            victim = random.choice(["mta1", "mta2"])
            wait_until(lambda: count() >= self.messages // 4, self.deadline_s, interval=0.02)
            self.kill(victim)
            crash.update(killed=victim, at=count())
            down_since = time.monotonic()
            wait_until(lambda: count() >= self.messages // 2 and time.monotonic() - down_since >= 2,
                       self.deadline_s, interval=0.05)
            crash["down_s"] = time.monotonic() - down_since
            self.start(victim)
            crash["restarted"] = count()

        started = time.monotonic()
        threads = [threading.Thread(target=worker) for _ in range(self.connections)]
        chaos = threading.Thread(target=crasher)
        chaos.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        chaos.join()
        self.submit_s = time.monotonic() - started
        print(f"crash: {crash.get('killed')} killed at accepted={crash.get('at')}, "
              f"restarted at accepted={crash.get('restarted')} after {crash.get('down_s', 0):.1f}s; "
              f"queued by mta1={self.queued_by('mta1')} mta2={self.queued_by('mta2')}")
        return accepted, refused, crash

    def check_every_accepted_message_arrived(self, accepted):
        def arrived():
            return (accepted["local"] <= set(self.maildir_tokens())
                    and accepted["remote"] <= set(self.sink_tokens()))
        started = time.monotonic()
        # Counted once both spools are empty too: no late duplicate to come.
        wait_until(lambda: arrived() and self.spooled("mta1") + self.spooled("mta2") == [],
                   self.delivery_wait_s, interval=0.5)
        local, remote = self.maildir_tokens(), self.sink_tokens()
        delivered = (accepted["local"] & set(local)) | (accepted["remote"] & set(remote))
        everything = accepted["local"] | accepted["remote"]
        lost = sorted(everything - delivered)
        duplicated_local, duplicated_remote = len(local) - len(set(local)), len(remote) - len(set(remote))
        duplicated = duplicated_local + duplicated_remote
        misrouted = sorted({t for t in local if t % 2} | {t for t in remote if t % 2 == 0})
        unacknowledged = len((set(local) | set(remote)) - everything)
        print(f"accepted={len(everything)} delivered={len(delivered)} lost={len(lost)} duplicated={duplicated} "
              f"(accepted local {len(accepted['local'])} remote {len(accepted['remote'])}; "
              f"duplicated local {duplicated_local} remote {duplicated_remote}; "
              f"unacknowledged={unacknowledged}) submit_s={self.submit_s:.1f} "
              f"drain_s={time.monotonic() - started:.1f}")
        self.assertEqual(misrouted, [])
        self.assertEqual(lost, [], f"lost tokens (even: local, odd: remote): {lost[:50]}")

    def check_strangers_are_refused(self, survivor):
        """A zmq client whose key nobody listed gets no answer (ZAP refuses
        the handshake), and the server says so in its log."""
        pb = wire.load()
        stranger_public, stranger_secret = zmq.curve_keypair()
        envelope = pb.Envelope(mail_from="x@evil.test", recipients=[pb.Recipient(address="intruder@example.test")])
        message = b"Subject: forged\r\n\r\nx\r\n"

        intake = f"tcp://{self.ip(survivor)}:{INTAKE_PORT}"
        peer = wire.ZmqPeer(intake, timeout_ms=1500,
                            curve=(self.keys["mta-intake"].encode(), stranger_public, stranger_secret))
        self.addCleanup(peer.close)
        with self.assertRaises(zmq.Again):
            peer.request(submit=pb.Submit(envelope=envelope, message=message))
        self.assertTrue(wait_until(lambda: "event=link_refused domain=mailpipe-intake" in self.log(survivor), 2),
                        self.log(survivor)[-2000:])
        plain = wire.ZmqPeer(intake, timeout_ms=1000)
        self.addCleanup(plain.close)
        with self.assertRaises(zmq.Again):
            plain.request(submit=pb.Submit(envelope=envelope, message=message))

        with self.subTest("the MDA refuses a client it does not list"):
            mda = f"tcp://{self.ip('mda')}:{MDA_PORT}"
            deliver = pb.Deliver(delivery_id="forged.1", envelope=envelope,
                                 recipients=[pb.DeliveryRecipient(address="intruder@example.test")], message=message)
            peer = wire.ZmqPeer(mda, timeout_ms=1500,
                                curve=(self.keys["mda"].encode(), stranger_public, stranger_secret))
            self.addCleanup(peer.close)
            with self.assertRaises(zmq.Again):
                peer.request(deliver=deliver)
            self.assertTrue(wait_until(lambda: "event=link_refused domain=mailpipe-mda" in self.log("mda"), 2),
                            self.log("mda")[-2000:])
            plain = wire.ZmqPeer(mda, timeout_ms=1000)
            self.addCleanup(plain.close)
            with self.assertRaises(zmq.Again):
                plain.request(deliver=deliver)
        self.assertFalse(os.path.exists(self.path("mail", "example.test", "intruder")))

    @staticmethod
    def _close(smtp):
        if smtp is not None:
            try:
                smtp.close()
            except OSError:
                pass
        return None


if __name__ == "__main__":
    unittest.main()
