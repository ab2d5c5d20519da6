"""A local DNS server for integration tests: Debian's dnsmasq on 127.0.0.1.

Serves MX/A/AAAA records given as Python data on a free UDP+TCP port, so
the mta can be pointed at it (DnsConfig.server: DnsServer.server_spec).

    with DnsServer(records={
            "mx": [("two-mx.test", "mx1.two-mx.test", 10)],
            "a": [("mx1.two-mx.test", "127.0.0.2")],
            "aaaa": [("mx1.two-mx.test", "::1")],
            "null_mx": ["nullmx.test"],        # RFC 7505 MX 0 "."
            "timeout": ["timeout.test"],       # never answered
            "servfail": ["servfail.test"],     # answered SERVFAIL
        }) as dns:
        config = f'dns {{ server: "{dns.server_spec}" timeout_ms: 300 tries: 1 }}'

Names under the local zones (default: "test") that have no record are
NXDOMAIN; a name with records but none of the asked type is NODATA; names
outside the local zones are REFUSED (there is no upstream).

dnsmasq runs in the foreground as our child and is stopped by pid in stop(),
even if the test fails; its log (every query) is dns.log_path.

Self-test: python3 tests/integration/dns_server.py
"""
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

DNSMASQ = "/usr/sbin/dnsmasq"

TYPE_A, TYPE_MX, TYPE_AAAA = 1, 15, 28
RCODE_NAMES = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}


def available():
    return os.access(DNSMASQ, os.X_OK)


def _free_port():
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port
    raise RuntimeError("no free port for dnsmasq")


class _ServfailResponder:
    """dnsmasq cannot make up a SERVFAIL: it forwards servfail domains here."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping.is_set():
            try:
                query, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(query) < 12:
                continue
            # Same id and question, QR=1 RD/RA, RCODE=2, no records.
            header = query[:2] + bytes([0x81, 0x82]) + query[4:6] + b"\0" * 6
            self.sock.sendto(header + query[12:], peer)

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=2)
        self.sock.close()


class DnsServer:
    def __init__(self, records=None, local_zones=("test",)):
        self.records = records or {}
        self.local_zones = list(local_zones)
        self.port = None
        self.process = None
        self.tmp = None
        self.log_path = None
        self._blackhole = None
        self._servfail = None

    @property
    def server_spec(self):
        """For DnsConfig.server: "127.0.0.1:<port>"."""
        return f"127.0.0.1:{self.port}"

    def _arguments(self):
        args = [DNSMASQ, "--no-daemon", "--no-resolv", "--no-hosts", "--pid-file=",
                f"--port={self.port}", "--listen-address=127.0.0.1", "--bind-interfaces",
                f"--log-facility={self.log_path}", "--log-queries"]
        if os.geteuid() == 0:
            args.append("--user=root")  # else dnsmasq drops to nobody
        args += [f"--local=/{zone}/" for zone in self.local_zones]
        for domain, target, preference in self.records.get("mx", []):
            args.append(f"--mx-host={domain},{target},{preference}")
        for domain in self.records.get("null_mx", []):
            args.append(f"--mx-host={domain},.,0")  # dnsmasq 2.90 writes the root name
        addresses = {}
        for kind in ("a", "aaaa"):
            for name, ip in self.records.get(kind, []):
                addresses.setdefault(name, []).append(ip)
        for name, ips in addresses.items():
            args.append("--host-record=" + ",".join([name] + ips))
        if self.records.get("timeout"):
            # Bound and never read: no answer, and no ICMP error either.
            self._blackhole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self._blackhole.bind(("127.0.0.1", 0))
            port = self._blackhole.getsockname()[1]
            for domain in self.records["timeout"]:
                args.append(f"--server=/{domain}/127.0.0.1#{port}")
        if self.records.get("servfail"):
            self._servfail = _ServfailResponder()
            for domain in self.records["servfail"]:
                args.append(f"--server=/{domain}/127.0.0.1#{self._servfail.port}")
        return args

    @classmethod
    def started_for(cls, test, records):
        """A started server that `test` (a unittest.TestCase) stops at its
        cleanup."""
        dns = cls(records)
        dns.start()
        test.addCleanup(dns.stop)
        return dns

    def mta_config(self, timeout_ms=300, tries=1):
        """The MtaConfig.dns block that points the mta at this server."""
        return f'dns {{ server: "{self.server_spec}" timeout_ms: {timeout_ms} tries: {tries} }}'

    def start(self, timeout=5.0):
        if not available():
            raise RuntimeError(f"{DNSMASQ} not installed (apt-get install dnsmasq-base)")
        self.tmp = tempfile.mkdtemp(prefix="mailpipe-dns-")
        self.log_path = os.path.join(self.tmp, "dnsmasq.log")
        self.port = _free_port()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self._arguments(), stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"dnsmasq exited: {self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dnsmasq did not listen within {timeout}s")

    def stop(self):
        if self.process is not None:
            if self.process.poll() is None:
                os.kill(self.process.pid, signal.SIGTERM)
                try:
                    self.process.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    os.kill(self.process.pid, signal.SIGKILL)
                    self.process.wait(timeout=3)
            self.process = None
        if self._servfail is not None:
            self._servfail.stop()
            self._servfail = None
        if self._blackhole is not None:
            self._blackhole.close()
            self._blackhole = None
        if self.tmp and not os.environ.get("MAILPIPE_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except (OSError, TypeError):
            return ""

    def query(self, name, qtype=TYPE_MX, timeout=2.0):
        """One UDP query without dig: returns (rcode name, answer count),
        or ("TIMEOUT", 0)."""
        question = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".") if label)
        packet = struct.pack(">HHHHHH", 0x4d50, 0x0100, 1, 0, 0, 0) + question + b"\0" + \
            struct.pack(">HH", qtype, 1)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(timeout)
            sock.sendto(packet, ("127.0.0.1", self.port))
            try:
                reply = sock.recv(65535)
            except socket.timeout:
                return "TIMEOUT", 0
        rcode = reply[3] & 0x0F
        return RCODE_NAMES.get(rcode, str(rcode)), struct.unpack(">H", reply[6:8])[0]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _self_test():
    if not available():
        print(f"SKIP: {DNSMASQ} not installed")
        return 0
    records = {
        "mx": [("two-mx.test", "mx1.two-mx.test", 10), ("two-mx.test", "mx2.two-mx.test", 20)],
        "a": [("mx1.two-mx.test", "127.0.0.2"), ("implicit.test", "127.0.0.4")],
        "aaaa": [("mx1.two-mx.test", "::1")],
        "null_mx": ["nullmx.test"],
        "timeout": ["timeout.test"],
        "servfail": ["servfail.test"],
    }
    expected = [
        ("two-mx.test", TYPE_MX, ("NOERROR", 2)),
        ("mx1.two-mx.test", TYPE_A, ("NOERROR", 1)),
        ("mx1.two-mx.test", TYPE_AAAA, ("NOERROR", 1)),
        ("nullmx.test", TYPE_MX, ("NOERROR", 1)),
        ("implicit.test", TYPE_MX, ("NOERROR", 0)),  # NODATA
        ("nowhere.test", TYPE_MX, ("NXDOMAIN", 0)),
        ("example.org", TYPE_MX, ("REFUSED", 0)),
        ("servfail.test", TYPE_MX, ("SERVFAIL", 0)),
        ("x.timeout.test", TYPE_MX, ("TIMEOUT", 0)),
    ]
    failures = 0
    with DnsServer(records) as dns:
        print(f"dnsmasq on {dns.server_spec}")
        for name, qtype, want in expected:
            got = dns.query(name, qtype, timeout=1.0)
            ok = got == want
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name} type {qtype}: {got}, want {want}")
        dig = shutil.which("dig")
        if dig:
            print(subprocess.run([dig, "+short", "-p", str(dns.port), "@127.0.0.1", "two-mx.test", "MX"],
                                 capture_output=True, text=True, timeout=10).stdout.strip())
        else:
            print("dig not installed: queried with the built-in UDP client only")
        if failures:
            print(dns.log())
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(_self_test())
