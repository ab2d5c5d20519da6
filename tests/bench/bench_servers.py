"""The two systems compare.py measures, each in its own temp dir, started
and stopped by pid:

- Mailpipe: mda, mta (with its inbound MX listener) and msa from the build
  dir, configured from the same templates as tests/integration/harness.Chain
  and deploy/run-local.sh (deploy/templates/), with the limits a
  benchmark needs raised (max_connections, max_connections_per_client,
  max_recipients); everything else (fsync everywhere, delivery
  concurrency, retry policy) as shipped.
- PostfixBench: Debian's Postfix with its defaults (it fsyncs queue files
  and Maildir files), its smtpd on a loopback port, virtual(8) delivery to
  Maildirs for the local domain, and a transport map sending the relay
  domain to an smtp-sink. Only what a hermetic run needs is changed: no
  chroot, no peer name lookups (there is no DNS for 127.0.1.x), its own
  queue and log.

Both serve the same users in example.test (Maildirs made beforehand so
the load generator can watch their new/), and relay sink.test.
"""
import os
import pwd
import resource
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from harness import free_port, launcher  # noqa: E402
from postfix_server import MASTER_CF as TEST_MASTER_CF, daemon_directory, hermetic_main_cf, write_instance  # noqa: E402
from servers import ForegroundServer, _processes_of, greets  # noqa: E402

LOCAL_DOMAIN = "example.test"
RELAY_DOMAIN = "sink.test"
USERS = ["demo", "bob", "carol", "dave"]
PASSWORD = "demo"  # everyone's, for the MSA run (AUTH as demo)
# Raised for the benchmark (defaults: 1000, 20, 100): 10,000 idle sessions,
# and a load from few source addresses must not hit a per-client limit.
BENCH_LIMITS = "limits { max_connections: 20000 max_connections_per_client: 20000 max_recipients: 1000 }"
# prlimit --nofile for the MSA (idle run: 10,000 sessions): as many as
# this process may give (a container may not allow raising the hard limit).
MSA_OPEN_FILES = min(30000, resource.getrlimit(resource.RLIMIT_NOFILE)[1])


def cpu_seconds(pids):
    """utime+stime+cutime+cstime of each pid (children reaped by it count)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15])
        except (OSError, IndexError, ValueError):
            continue
    return total / ticks


def make_material(directory):
    """Self-signed certificate, Dovecot passwd-file, a password file."""
    launcher.make_certificate(os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem"))
    line = launcher.passwd_line("user", PASSWORD).split(":", 1)[1]  # one hash for everyone: a hash takes a while
    with open(os.path.join(directory, "passwd"), "w") as f:
        for user in USERS:
            f.write(f"{user}@{LOCAL_DOMAIN}:{line}")
    with open(os.path.join(directory, "password"), "w") as f:
        f.write(PASSWORD + "\n")


def make_maildirs(root, owner_uid=0, owner_gid=0):
    paths = []
    for user in USERS:
        maildir = os.path.join(root, LOCAL_DOMAIN, user)
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(maildir, sub), exist_ok=True)
        for path in (root, os.path.join(root, LOCAL_DOMAIN), maildir,
                     *(os.path.join(maildir, sub) for sub in ("tmp", "new", "cur"))):
            os.chown(path, owner_uid, owner_gid)
        paths.append(maildir)
    return paths


def empty_dirs(paths):
    for path in paths:
        for name in os.listdir(path):
            os.unlink(os.path.join(path, name))


def remove_unless_kept(root, keep):
    """The run's temp dir goes at the end, unless --keep asked for it."""
    if keep:
        print(f"kept {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)


def tls_values(material):
    return {"cert_file": f"{material}/cert.pem", "key_file": f"{material}/key.pem"}


def msa_values(ports, material, mta_endpoints):
    """The MSA of every benchmark layout: STARTTLS and implicit TLS on
    loopback, the material's users, the given MTA intakes."""
    return {"hostname": "msa.bench.test", "starttls_listen": f"127.0.0.1:{ports['starttls']}",
            "implicit_listen": f"127.0.0.1:{ports['implicit']}", **tls_values(material),
            "passwd_file": f"{material}/passwd", "mta_endpoint": mta_endpoints}


def mta_values(name, intake_port, mda_port, spool_dir, material):
    return {"hostname": f"{name}.bench.test", "intake_endpoint": f"tcp://127.0.0.1:{intake_port}",
            "mda_endpoint": f"tcp://127.0.0.1:{mda_port}", "spool_dir": spool_dir,
            "local_domain": LOCAL_DOMAIN, "passwd_file": f"{material}/passwd"}


class ChainProcesses:
    """A layout of mailpipe processes from build_dir, with their configs
    (deploy/templates/ filled in) and logs in `directory`: started in
    order, each until it logs event=ready, and stopped by pid in the order
    given (the entry first, the MDA last), SIGTERM then SIGKILL: the
    launcher's (deploy/chain/launcher.py)."""

    def __init__(self, directory, build_dir):
        self.dir = directory
        self.build_dir = build_dir
        self.processes = {}

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write_config(self, name, template, values, extra=""):
        launcher.write_config(self.path(f"{name}.conf"), template, values, extra)

    def write_mda_config(self, mda_port):
        self.write_config("mda", "mda", {"endpoint": f"tcp://127.0.0.1:{mda_port}",
                                         "mail_root": self.path("mail"), "hostname": "mda.bench.test"})

    def log(self, name):
        return launcher.read_log(self.path(f"{name}.log"))

    def start_processes(self, names, binary_of=lambda name: name, timeout=15):
        for name in names:
            binary = binary_of(name)
            command = [os.path.join(self.build_dir, binary, binary), "--config", self.path(f"{name}.conf")]
            if binary == "msa":
                command = ["prlimit", f"--nofile={MSA_OPEN_FILES}:{MSA_OPEN_FILES}", "--"] + command
            try:
                # Own session: a Ctrl-C reaches only us, and we stop them in order.
                self.processes[name] = launcher.start(name, command, self.path(f"{name}.log"), timeout)
            except launcher.StartError as e:
                raise RuntimeError(f"mailpipe {e}") from None

    def pids(self):
        return [p.pid for p in self.processes.values() if p.poll() is None]

    def pid(self, name):
        return self.processes[name].pid

    def stop_processes(self, names, timeout=15):
        for name in names:
            process = self.processes.pop(name, None)
            if process is not None:
                launcher.stop(process, timeout)


class Mailpipe(ChainProcesses):
    """msa + mta (MX on) + mda from build_dir, in `directory`."""

    def __init__(self, directory, build_dir, material, dns_spec, sink_port):
        super().__init__(directory, build_dir)
        self.material = material
        self.ports = {name: free_port() for name in ("starttls", "implicit", "intake", "mda", "mx")}
        self.maildirs = make_maildirs(self.path("mail"))
        self._write_configs(dns_spec, sink_port)

    def _write_configs(self, dns_spec, sink_port):
        p, m = self.ports, self.material
        self.write_config("msa", "msa", msa_values(p, m, f"tcp://127.0.0.1:{p['intake']}"), BENCH_LIMITS)
        self.write_config("mta", "mta", {
            **mta_values("mta", p["intake"], p["mda"], self.path("spool"), m),
            "mx_listen": f"127.0.0.1:{p['mx']}", **tls_values(m),
            "mx_extra": f'relay_domain: "{RELAY_DOMAIN}"\n  {BENCH_LIMITS}'},
            f'dns {{ server: "{dns_spec}" timeout_ms: 1000 tries: 2 }}\noutbound {{ port: {sink_port} }}')
        self.write_mda_config(p["mda"])

    def start(self):
        self.start_processes(["mda", "mta", "msa"])

    def queue_empty(self):
        spool = self.path("spool")
        return not any(name.endswith(".msg") for name in os.listdir(spool)) if os.path.isdir(spool) else True

    def stop(self):
        self.stop_processes(["msa", "mta", "mda"])


# The tests' master.cf, plus virtual(8) for the Maildir deliveries.
MASTER_CF = TEST_MASTER_CF + "virtual unix - n n - - virtual\n"


class PostfixBench(ForegroundServer):
    """Postfix as an MX for example.test (virtual Maildirs) that relays
    sink.test to smtp-sink at sink_address:sink_port."""

    log_name = "postfix.log"
    output_name = "master.out"

    def __init__(self, sink_address, sink_port):
        super().__init__()
        self.sink = f"[{sink_address}]:{sink_port}"
        self.maildirs = []

    def _main_cf(self):
        d = self.dir
        nobody = pwd.getpwnam("nobody")
        return hermetic_main_cf(d, "postfix.bench.test", "bench.test", "$myhostname") + f"""\
virtual_mailbox_domains = {LOCAL_DOMAIN}
virtual_mailbox_base = {d}/mail
virtual_mailbox_maps = texthash:{d}/vmailbox
virtual_uid_maps = static:{nobody.pw_uid}
virtual_gid_maps = static:{nobody.pw_gid}
relay_domains = {RELAY_DOMAIN}
# No MX lookups: the transport map names the sink's address.
transport_maps = texthash:{d}/transport
"""

    def start(self, timeout=20.0):
        self._make_dir("mailpipe-bench-postfix-")
        self.port = free_port()
        nobody = pwd.getpwnam("nobody")
        self.maildirs = make_maildirs(self.path("mail"), nobody.pw_uid, nobody.pw_gid)
        write_instance(self.dir, {
            "main.cf": self._main_cf(),
            "master.cf": MASTER_CF.format(port=self.port),
            "vmailbox": "".join(f"{u}@{LOCAL_DOMAIN} {LOCAL_DOMAIN}/{u}/\n" for u in USERS),
            "transport": f"{RELAY_DOMAIN} smtp:{self.sink}\n",
        })
        master = os.path.join(daemon_directory(self.dir), "master")
        self._spawn([master, "-c", self.dir, "-d"])
        self._wait_ready(self._banner, timeout, "postfix master")
        return self

    def _banner(self):
        return greets(("127.0.0.1", self.port), b"220")

    def pids(self):
        """The master and every daemon it started (they share its session)."""
        if self.process is None:
            return []
        return _processes_of(self.dir, self.process.pid)

    def queue_empty(self):
        for sub in ("incoming", "active", "deferred", "maildrop"):
            path = self.path("queue", sub)
            for _, _, files in os.walk(path):
                if files:
                    return False
        return True
