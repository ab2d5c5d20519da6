"""compare.py's scenarios and its runs of mailpipe-loadgen against each
system: Bench starts the servers (bench_servers.py) with dnsmasq and the
smtp-sinks, builds the loadgen command for a scenario and returns the
loadgen's summary fields.
"""
import os
import re
import subprocess
import sys
import time

import bench_servers
from bench_servers import LOCAL_DOMAIN, RELAY_DOMAIN, USERS, Mailpipe, PostfixBench, cpu_seconds
from dns_server import DnsServer
from harness import free_port, wait_until
from smtp_sink import SmtpSink


class Scenario:
    def __init__(self, name, kind, size, sessions, messages, postfix=True, rate=0):
        self.name, self.kind, self.size, self.sessions = name, kind, size, sessions
        self.messages, self.postfix = messages, postfix
        self.rate = rate  # msg/s offered (open loop); 0: as fast as the server answers


# Messages per scenario: a whole run takes a few minutes on a 2-core VM
# whose disk does ~130 fsyncs/s for one writer (mailpipe serializes its
# fsyncs, so it sets the pace). --scale multiplies them.
SCENARIOS = [
    Scenario("local-10k-c1", "local", 10240, 1, 200),
    Scenario("local-10k-c20", "local", 10240, 20, 1000),
    Scenario("local-10k-c100", "local", 10240, 100, 1000),
    Scenario("relay-10k-c20", "relay", 10240, 20, 1000),
    Scenario("local-1m-c10", "local", 1024 * 1024, 10, 200),
    Scenario("msa-starttls-auth-10k-c20", "msa", 10240, 20, 500, postfix=False),
    # The latency target: 20 sessions at a fixed rate both systems sustain
    # (closed-loop latency at saturation is sessions / throughput, Little's
    # law, whatever the server). Compared with one fsync on the same disk.
    Scenario("latency-10k-c20-150/s", "local", 10240, 20, 600, rate=150),
]


SUMMARY = re.compile(r"^summary (.*)$", re.MULTILINE)


def parse_fields(line):
    out = {}
    for item in line.split():
        key, _, value = item.partition("=")
        try:
            out[key] = float(value)
        except ValueError:
            out[key] = value
    return out


class Bench:
    def __init__(self, args, root):
        self.args = args
        self.root = root
        self.loadgen = os.path.join(args.build, "tests", "bench", "mailpipe-loadgen")
        self.material = os.path.join(root, "material")
        os.makedirs(self.material)
        bench_servers.make_material(self.material)
        self.dns = None
        self.sinks = {}
        self.mailpipe = None
        self.postfix = None

    def start(self):
        self.dns = DnsServer({"mx": [(RELAY_DOMAIN, f"mx.{RELAY_DOMAIN}", 10)],
                              "a": [(f"mx.{RELAY_DOMAIN}", "127.0.0.2")]}).start()
        sink_port = free_port()
        # smtp-sink's dumps are written to a tmpfs-like page cache, never fsync'd.
        for name, address in (("mailpipe", "127.0.0.2"), ("postfix", "127.0.0.3")):
            self.sinks[name] = SmtpSink(address, sink_port, os.path.join(self.root, f"sink-{name}"),
                                        hostname=f"sink-{name}")
        mailpipe_dir = os.path.join(self.root, "mailpipe")
        os.makedirs(mailpipe_dir)
        self.mailpipe = Mailpipe(mailpipe_dir, self.args.build, self.material, self.dns.server_spec, sink_port)
        self.mailpipe.start()
        if not self.args.no_postfix:
            self.postfix = PostfixBench("127.0.0.3", sink_port).start()

    def stop(self):
        for server in (self.mailpipe, self.postfix, *self.sinks.values(), self.dns):
            if server is not None:
                try:
                    server.stop()
                except Exception as error:  # keep stopping the others
                    print(f"stop failed: {error}", file=sys.stderr)

    def system(self, name):
        return self.mailpipe if name == "mailpipe" else self.postfix

    def loadgen_command(self, name, scenario, messages, label):
        system = self.system(name)
        command = [self.loadgen, "-n", str(messages), "-c", str(scenario.sessions), "--size", str(scenario.size),
                   "--pipelining", "--sources", str(min(scenario.sessions, 50)), "--source-base", "127.0.1.1",
                   "--label", label, "--wait", "120", "--rate", str(scenario.rate)]
        if scenario.kind == "relay":
            command += ["--from", "sender@remote.bench.test", "--sink-dir", self.sinks[name].dump_dir]
            command += [arg for user in USERS for arg in ("--to", f"{user}@{RELAY_DOMAIN}")]
        else:
            command += [arg for maildir in system.maildirs for arg in ("--maildir", maildir)]
            command += [arg for user in USERS for arg in ("--to", f"{user}@{LOCAL_DOMAIN}")]
        if scenario.kind == "msa":
            command += ["--port", str(system.ports["starttls"]), "--starttls",
                        "--auth", f"demo@{LOCAL_DOMAIN}:{self.material}/password", "--from", f"demo@{LOCAL_DOMAIN}"]
        elif name == "mailpipe":
            command += ["--port", str(system.ports["mx"])]
        else:
            command += ["--port", str(system.port)]
        if scenario.kind != "msa" and scenario.kind != "relay":
            command += ["--from", "sender@remote.bench.test"]
        return command

    def ceiling(self):
        """What the load generator alone can do: 10 KB messages at 20 sessions
        straight to an smtp-sink (nothing fsync'd), counted at the 250."""
        sink = self.sinks["postfix"]
        command = [self.loadgen, "-n", "5000", "-c", "20", "--size", "10240", "--pipelining", "--sources", "20",
                   "--source-base", "127.0.1.1", "--port", str(sink.port), "--host", sink.address,
                   "--to", f"user@{RELAY_DOMAIN}", "--label", "loadgen-ceiling"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        bench_servers.empty_dirs([sink.dump_dir])
        match = SUMMARY.search(result.stdout)
        if not match:
            return f"loadgen ceiling: failed: {result.stderr.strip()}"
        f = parse_fields(match.group(1))
        return (f"loadgen ceiling (to smtp-sink, no disk, 10 KB, 20 sessions): {f['accept_rate']:.0f} msg/s, "
                f"DATA->250 p50/p99 {f['data_p50_ms']:.2f}/{f['data_p99_ms']:.2f} ms, loadgen CPU "
                f"{100 * f['loadgen_cpu_s'] / max(f['accept_s'], 1e-9):.0f}% of a core")

    def settle(self, name):
        """Nothing left in the queue, empty Maildirs and sink dir."""
        system = self.system(name)
        if not wait_until(system.queue_empty, 120, 0.2):
            print(f"warning: {name}'s queue did not empty", file=sys.stderr)
        bench_servers.empty_dirs([os.path.join(m, sub) for m in system.maildirs for sub in ("new", "cur")])
        bench_servers.empty_dirs([self.sinks[name].dump_dir])
        time.sleep(0.5)

    def run(self, name, scenario, messages=None, label=None, wrap=None):
        """One loadgen run; its summary fields plus cpu_ms_per_msg."""
        messages = messages or max(1, int(scenario.messages * self.args.scale))
        self.settle(name)
        system = self.system(name)
        command = self.loadgen_command(name, scenario, messages, label or f"{name}:{scenario.name}")
        cpu_before = cpu_seconds(system.pids())
        extra = wrap(system) if wrap else None
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=600)
        finally:
            if extra:
                extra()
        cpu_after = cpu_seconds(system.pids())
        match = SUMMARY.search(result.stdout)
        if not match:
            raise RuntimeError(f"loadgen failed ({result.returncode}): {' '.join(command)}\n{result.stderr}")
        fields = parse_fields(match.group(1))
        done = fields.get("delivered", 0) or 1
        fields["cpu_ms_per_msg"] = (cpu_after - cpu_before) * 1000 / done
        fields["stderr"] = result.stderr.strip()
        return fields
