"""Test "hosts" as Linux network namespaces on one bridge, for tests of
processes that talk to each other across hosts (DESIGN rule 3).

    net = Network(["msa", "mta1", "mda"])      # raises unittest.SkipTest if it cannot
    try:
        net.address("mta1")                    # "10.X.Y.3"
        process = net.run("mta1", [binary, "--config", path], log_path)
        ...                                    # the test process reaches every host
    finally:
        net.close()                            # processes, namespaces, veths, bridge

Each host is a namespace with loopback up and one address on a random
10.X.Y.0/24 that no route of this machine covers; its veth pair joins a
bridge made for this Network, which holds 10.X.Y.1, so the test process
(in the root namespace) reaches every host directly and the hosts reach
each other. Names carry a prefix made of our pid and a random part, so
parallel test runs never meet. run() starts the process in a new session
inside the namespace (`ip netns exec`); close() kills each one's process
group by pid, then anything still left in the namespaces, then deletes
the namespaces (their veth ends go with them), our veth ends and the
bridge. It also runs at exit, so a failed or interrupted test leaves
nothing behind; what a test process killed outright left (its pid is in
the names) is removed by the next Network, if no process lives in it.
Every `ip` command is bounded in time.

Needs root and iproute2's `ip netns`; without them the constructor raises
unittest.SkipTest saying why.
"""
import atexit
import ipaddress
import os
import random
import re
import shutil
import signal
import subprocess
import time
import unittest

from harness import launcher

IP = shutil.which("ip") or "/usr/sbin/ip"
COMMAND_TIMEOUT_S = 10


def unavailable():
    """None if namespaces can be made here, else why not."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if not os.access(IP, os.X_OK):
        return "iproute2's ip is not installed"
    try:
        result = subprocess.run([IP, "netns", "list"], capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"ip netns: {e}"
    if result.returncode != 0:
        return f"ip netns is unavailable: {result.stderr.strip()}"
    return None


def _ip(*args, check=True):
    result = subprocess.run([IP, *args], capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S)
    if check and result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result


def _routed_networks():
    """Every IPv4 network this machine routes (all tables), for avoiding."""
    networks = []
    for line in _ip("-4", "route", "show", "table", "all").stdout.splitlines():
        words = line.split()
        for word in words[:3]:  # "[type] PREFIX ...", e.g. "local 10.1.2.3 dev ..."
            try:
                networks.append(ipaddress.ip_network(word, strict=False))
                break
            except ValueError:
                continue
    return networks


_STALE_NAMESPACE = re.compile(r"^mp-(\d+)-[0-9a-f]{2}-")
_STALE_LINK = re.compile(r"^mp([0-9a-f]{1,6})-[0-9a-f]{2}[bvp]\d*(@|$)")


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _sweep_stale():
    """Namespaces and links of a Network whose test process died without
    closing it (SIGKILL, e.g. a test runner's timeout). Only those with no
    process left inside: processes are never killed here."""
    for line in _ip("netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        match = _STALE_NAMESPACE.match(name)
        if match and not _alive(int(match.group(1))) and not _ip("netns", "pids", name, check=False).stdout.split():
            _ip("netns", "del", name, check=False)
    for line in _ip("-o", "link", "show", check=False).stdout.splitlines():
        fields = line.split(":", 2)
        name = fields[1].strip() if len(fields) > 2 else ""
        match = _STALE_LINK.match(name)
        if match and not _alive(int(match.group(1), 16)):
            _ip("link", "del", name.split("@")[0], check=False)


def _free_subnet(rng):
    taken = _routed_networks()
    for _ in range(200):
        candidate = ipaddress.ip_network(f"10.{rng.randint(1, 254)}.{rng.randint(0, 255)}.0/24")
        if not any(candidate.overlaps(network) for network in taken):
            return candidate
    raise RuntimeError("no free 10.X.Y.0/24: every one tried is routed here")


class Network:
    """Hosts named in `hosts` (at most 250), up and addressed on return."""

    def __init__(self, hosts):
        reason = unavailable()
        if reason:
            raise unittest.SkipTest(reason)
        if len(set(hosts)) != len(hosts) or len(hosts) > 250:
            raise ValueError("host names must be unique, at most 250")
        _sweep_stale()
        rng = random.Random()
        pid, tag = os.getpid(), f"{rng.randrange(256):02x}"
        # Interface names are at most 15 bytes: "mp" + pid (hex, <= 6) + "-" + tag + suffix.
        self.prefix = f"mp{pid:x}-{tag}"
        self.namespace_prefix = f"mp-{pid}-{tag}"
        self.subnet = _free_subnet(rng)
        self.bridge = f"{self.prefix}b"
        self.gateway = str(self.subnet.network_address + 1)
        self._namespaces = {}  # host -> namespace name
        self._addresses = {}
        self._veths = []       # our (root namespace) ends
        self._processes = []   # Popen, each the leader of its own session
        self._closed = False
        atexit.register(self.close)
        try:
            _ip("link", "add", self.bridge, "type", "bridge")
            _ip("addr", "add", f"{self.gateway}/{self.subnet.prefixlen}", "dev", self.bridge)
            _ip("link", "set", self.bridge, "up")
            for index, host in enumerate(hosts):
                self._add_host(index, host)
        except BaseException:
            self.close()
            raise

    def _add_host(self, index, host):
        namespace = f"{self.namespace_prefix}-{host}"
        outside, inside = f"{self.prefix}v{index}", f"{self.prefix}p{index}"
        address = str(self.subnet.network_address + 2 + index)
        _ip("netns", "add", namespace)
        self._namespaces[host] = namespace
        _ip("link", "add", outside, "type", "veth", "peer", "name", inside, "netns", namespace)
        self._veths.append(outside)
        _ip("link", "set", outside, "master", self.bridge)
        _ip("link", "set", outside, "up")
        _ip("-n", namespace, "link", "set", "lo", "up")
        _ip("-n", namespace, "addr", "add", f"{address}/{self.subnet.prefixlen}", "dev", inside)
        _ip("-n", namespace, "link", "set", inside, "up")
        self._addresses[host] = address

    # --- what tests use --------------------------------------------------
    def address(self, host):
        """The host's IPv4 address, e.g. "10.23.7.4"."""
        return self._addresses[host]

    def namespace(self, host):
        return self._namespaces[host]

    def hosts(self):
        return list(self._addresses)

    def run(self, host, argv, log_path):
        """Starts argv inside the host's namespace, in its own session, with
        stdout and stderr appended to log_path; returns the Popen (its pid is
        the program's: `ip netns exec` execs it)."""
        if self._closed:
            raise RuntimeError("network already closed")
        with open(log_path, "ab") as log:
            process = subprocess.Popen([IP, "netns", "exec", self._namespaces[host], *argv],
                                       stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        self._processes.append(process)
        return process

    def kill(self, process, sig=signal.SIGKILL, timeout=5.0):
        """Sends sig to the process's group (it and its children) and, for
        SIGKILL, waits for it."""
        if sig == signal.SIGKILL:
            launcher.kill(process, group=True, timeout=timeout)
        elif process.poll() is None:
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, process, timeout=5.0):
        """SIGTERM to its group, SIGKILL after timeout; returns its exit status."""
        return launcher.stop(process, timeout, group=True)

    # --- teardown ----------------------------------------------------------
    def close(self):
        if self._closed:
            return
        self._closed = True
        for process in self._processes:
            # The group even if its leader is gone: a child may live on in it.
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                pass
        for namespace in self._namespaces.values():
            self._kill_rest_of(namespace)
            _ip("netns", "del", namespace, check=False)
        for veth in self._veths:  # gone with their peers, unless a namespace would not go
            if _ip("link", "show", veth, check=False).returncode == 0:
                _ip("link", "del", veth, check=False)
        _ip("link", "del", self.bridge, check=False)
        try:
            atexit.unregister(self.close)
        except Exception:
            pass

    @staticmethod
    def _kill_rest_of(namespace):
        """Processes left in a namespace of ours (a daemon that forked away
        from its session) are ours too: SIGKILL by pid."""
        for _ in range(3):
            result = _ip("netns", "pids", namespace, check=False)
            pids = [int(p) for p in result.stdout.split() if p.isdigit() and int(p) != os.getpid()]
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)


def _self_test():
    reason = unavailable()
    if reason:
        print(f"SKIP: {reason}")
        return 0
    import socket
    import tempfile
    net = Network(["a", "b"])
    tmp = tempfile.mkdtemp(prefix="mailpipe-netns-")
    try:
        print(f"subnet {net.subnet} bridge {net.bridge} a={net.address('a')} b={net.address('b')}")
        server = net.run("a", ["/usr/bin/python3", "-c",
                               "import socket; s=socket.create_server(('%s', 7000)); c,_=s.accept(); "
                               "c.sendall(b'hello')" % net.address("a")], os.path.join(tmp, "a.log"))
        deadline = time.monotonic() + 5
        while True:
            try:
                with socket.create_connection((net.address("a"), 7000), timeout=1) as c:
                    print("root -> a:", c.recv(10))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        server.wait(5)
        server = net.run("a", ["/usr/bin/python3", "-c",
                               "import socket; s=socket.create_server(('%s', 7001)); c,_=s.accept(); "
                               "c.sendall(b'hello b')" % net.address("a")], os.path.join(tmp, "a.log"))
        client = subprocess.run([IP, "netns", "exec", net.namespace("b"), "/usr/bin/python3", "-c",
                                 "import socket, time\n"
                                 "for _ in range(100):\n"
                                 "    try: print(socket.create_connection(('%s', 7001), 1).recv(10)); break\n"
                                 "    except OSError: time.sleep(0.05)\n" % net.address("a")],
                                capture_output=True, text=True, timeout=15)
        print("b -> a:", client.stdout.strip() or client.stderr)
        server.wait(5)
    finally:
        net.close()
        shutil.rmtree(tmp, ignore_errors=True)
    left = _ip("netns", "list").stdout
    print("left behind:", [line for line in left.splitlines() if line.startswith(net.namespace_prefix)] or "nothing")
    return 0


if __name__ == "__main__":
    raise SystemExit(_self_test())
