#!/usr/bin/python3
"""mailpipe against Debian's Postfix, same load, same machine, one go.

    sudo /usr/bin/python3 tests/bench/compare.py [--build build] [--scale 1] [--strace]

Starts (as root, in temp dirs, all on loopback, stopped by pid at the
end): dnsmasq (sink.test MX -> 127.0.0.2), two Postfix smtp-sinks (one per
system), mailpipe's msa/mta/mda from the build dir, and a Postfix. Then
runs each scenario against both with the same mailpipe-loadgen command:
plain SMTP with PIPELINING to the port-25-style listener (mailpipe's MX on
the mta, Postfix's smtpd). A message is done when its file is in the
Maildir (local) or the sink has closed its dump (relay); throughput =
messages / (first connect .. last message done). One line per scenario:

    scenario=local-10k-c20 n=1000 mailpipe=X msg/s postfix=Y msg/s ratio=X/Y | ...latency, CPU...

Then mailpipe's MSA (STARTTLS + AUTH PLAIN) as an extra line (Postfix's
submission would need Dovecot SASL: skipped), where mailpipe's event loops
spent their time during local-10k-c20 (thread_profile.py), and the
concurrency run: 10,000 idle sessions on the MSA, its RSS, and whether a
new client is still served. --strace adds a run of 200 messages per
system under `strace -c -f` and prints system calls per message.
"""
import argparse
import os
import re
import shutil
import statistics
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import bench_servers  # noqa: E402
from bench_servers import LOCAL_DOMAIN, RELAY_DOMAIN, USERS, Mailpipe, PostfixBench, cpu_seconds  # noqa: E402
from dns_server import DnsServer  # noqa: E402
from harness import free_port, wait_until  # noqa: E402
from smtp_sink import SmtpSink  # noqa: E402
from thread_profile import ThreadProfiler  # noqa: E402


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


# --- the machine -----------------------------------------------------------
def _run(command):
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def fsync_rate(directory, writers, files=200):
    """10 KB files created, written and fsync'd per second by `writers` threads."""
    work = tempfile.mkdtemp(prefix="fsync-probe-", dir=directory)

    def write(k, count):
        for i in range(count):
            fd = os.open(os.path.join(work, f"{k}-{i}"), os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(fd, b"x" * 10240)
            os.fsync(fd)
            os.close(fd)

    per = max(1, files // writers)
    start = time.monotonic()
    threads = [threading.Thread(target=write, args=(k, per)) for k in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rate = per * writers / (time.monotonic() - start)
    shutil.rmtree(work, ignore_errors=True)
    return rate


def durable_write_ms(directory, count=200):
    """p50 ms, one writer, 10 KB: (fsync of a new file, a whole commit as
    mailpipe's spool does it: temporary, fsync, rename, directory fsync)."""
    work = tempfile.mkdtemp(prefix="commit-probe-", dir=directory)
    fsyncs, commits = [], []
    for i in range(count):
        start = time.perf_counter()
        temp = os.path.join(work, f".tmp-{i}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, b"x" * 10240)
        before = time.perf_counter()
        os.fsync(fd)
        fsyncs.append(time.perf_counter() - before)
        os.close(fd)
        os.rename(temp, os.path.join(work, str(i)))
        dir_fd = os.open(work, os.O_RDONLY | os.O_DIRECTORY)
        os.fsync(dir_fd)
        os.close(dir_fd)
        commits.append(time.perf_counter() - start)
    shutil.rmtree(work, ignore_errors=True)
    return statistics.median(fsyncs) * 1000, statistics.median(commits) * 1000


def machine_lines(tmp):
    cpu = re.search(r"Model name:\s*(.+)", _run(["lscpu"]))
    with open("/proc/meminfo") as f:
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
    mount = _run(["findmnt", "-n", "-T", tmp, "-o", "SOURCE,FSTYPE,OPTIONS"]).split()
    device = os.path.basename(mount[0]) if mount else "?"
    rotational = _run(["cat", f"/sys/block/{device}/queue/rotational"]) or "?"
    journal = "?"
    if mount and mount[1].startswith("ext") and os.path.isdir("/proc/fs/jbd2"):
        journal = "yes" if any(n.startswith(device + "-") for n in os.listdir("/proc/fs/jbd2")) else "no"
    debian = _run(["cat", "/etc/debian_version"])
    postfix = _run(["postconf", "-d", "-h", "mail_version"])
    revision = _run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"])
    return [
        f"machine: {cpu.group(1) if cpu else '?'}, {os.cpu_count()} cores, {mem_kb / 1048576:.1f} GiB, "
        f"Linux {os.uname().release}, Debian {debian}",
        f"temp dir: {tmp} on {' '.join(mount[:2]) if mount else '?'} ({mount[2] if len(mount) > 2 else ''}), "
        f"rotational={rotational} journal={journal}",
        f"fsync of a new 10 KB file there: {fsync_rate(tmp, 1):.0f}/s with 1 writer, "
        f"{fsync_rate(tmp, 20, 400):.0f}/s with 20 writers",
        f"mailpipe {revision} (build: RelWithDebInfo unless configured otherwise), Postfix {postfix}",
    ]


# --- one load run ----------------------------------------------------------
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


# --- reporting ---------------------------------------------------------------
def latency(fields, prefix):
    if fields is None:
        return "n/a"
    return f"{fields[prefix + '_p50_ms']:.1f}/{fields[prefix + '_p99_ms']:.1f}"


def loadgen_share(fields):
    """The load generator's own CPU time as a share of one core over its run."""
    return f"{100 * fields['loadgen_cpu_s'] / max(fields['done_s'], 1e-9):.0f}%"


def problems(name, fields):
    if fields is None:
        return ""
    failed, missing = int(fields["failed"]), int(fields["missing"])
    if failed or missing:
        return f" [{name}: {failed} failed, {missing} not on disk; {fields['stderr'].splitlines()[-1:]}]"
    return ""


def latency_line(scenario, messages, mailpipe, postfix, fsync_ms, commit_ms):
    """For a fixed-rate scenario: p99 DATA->250 against one fsync."""
    def judged(fields):
        if not fields:
            return "n/a"
        p99 = fields["data_p99_ms"]
        return f"p50 {fields['data_p50_ms']:.2f} p99 {p99:.2f} ms = {p99 / fsync_ms:.1f}x one fsync"
    return (f"scenario={scenario.name} n={messages} offered={scenario.rate} msg/s | DATA->250: "
            f"mailpipe {judged(mailpipe)} | postfix {judged(postfix)} | one fsync p50 {fsync_ms:.2f} ms, "
            f"one spool commit (2 fsyncs) p50 {commit_ms:.2f} ms | 250->on disk p50/p99 ms: mailpipe "
            f"{latency(mailpipe, 'delivery')} postfix {latency(postfix, 'delivery')}"
            f"{problems('mailpipe', mailpipe)}{problems('postfix', postfix)}")


def scenario_line(scenario, messages, mailpipe, postfix):
    x = mailpipe["throughput"]
    y = postfix["throughput"] if postfix else None
    ratio = f"{x / y:.2f}" if y else "n/a"
    cpu = f"mailpipe {mailpipe['cpu_ms_per_msg']:.2f}" + (f" postfix {postfix['cpu_ms_per_msg']:.2f}" if postfix else "")
    return (f"scenario={scenario.name} n={messages} mailpipe={x:.1f} msg/s "
            f"postfix={f'{y:.1f} msg/s' if y else 'n/a'} ratio={ratio} | "
            f"DATA->250 p50/p99 ms: mailpipe {latency(mailpipe, 'data')} postfix {latency(postfix, 'data')} | "
            f"250->on disk p50/p99 ms: mailpipe {latency(mailpipe, 'delivery')} "
            f"postfix {latency(postfix, 'delivery')} | CPU ms/msg (all server processes): {cpu} | "
            f"loadgen CPU: {loadgen_share(mailpipe)}{'/' + loadgen_share(postfix) if postfix else ''}"
            f"{problems('mailpipe', mailpipe)}{problems('postfix', postfix)}")


# --- strace ------------------------------------------------------------------
STRACE_ROW = re.compile(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$", re.MULTILINE)
DURABILITY = ("fsync", "fdatasync", "rename", "link", "unlink")  # always shown, then the most frequent others


def strace_wrapper(outputs):
    """outputs: {label: path}; labels are mailpipe process names (one
    strace each) or "all" (every pid of the system in one strace)."""
    def wrap(system):
        processes = []
        for label, output in outputs.items():
            pids = system.pids() if label == "all" else [system.pid(label)]
            command = ["strace", "-c", "-f", "-o", output] + [arg for pid in pids for arg in ("-p", str(pid))]
            processes.append(subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL))
        time.sleep(1.0)  # attached

        def detach():
            time.sleep(1.0)  # the last deliveries' follow-up (queue file removal)
            for process in processes:
                process.send_signal(signal.SIGINT)
            for process in processes:
                process.wait(30)
        return detach
    return wrap


def perf_wrapper(output):
    """perf record (cpu-clock: this VM has no hardware counters) of every
    mailpipe process during the run."""
    def wrap(system):
        pids = ",".join(str(pid) for pid in system.pids())
        process = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", "499", "-g", "-p", pids,
                                    "-o", output], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(0.5)

        def detach():
            process.send_signal(signal.SIGINT)
            process.wait(60)
        return detach
    return wrap


def perf_top(output, lines=15):
    """The hottest symbols by self time, per process."""
    report = subprocess.run(["perf", "report", "-i", output, "--stdio", "--no-children", "-g", "none",
                             "--sort", "comm,dso,symbol", "--percent-limit", "1"],
                            capture_output=True, text=True, timeout=120).stdout
    rows = [line for line in report.splitlines() if line.strip() and not line.startswith("#")]
    # Rows end with the (empty) "- -" of unresolved source columns.
    return "\n".join("  " + " ".join(row.split()).removesuffix(" - -") for row in rows[:lines])


def strace_counts(path):
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return {}, 0
    counts = {name: int(calls) for calls, name in STRACE_ROW.findall(text) if name != "total"}
    total = re.search(r"^\s*100\.00\s+[\d.]+\s+\d+\s+(\d+)", text, re.MULTILINE)
    return counts, int(total.group(1)) if total else sum(counts.values())


# --- main --------------------------------------------------------------------
def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    parser.add_argument("--tmp", default=tempfile.gettempdir(), help="where the servers' dirs go")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every scenario's message count")
    parser.add_argument("--only", action="append", help="run only this scenario (repeatable)")
    parser.add_argument("--idle", type=int, default=10000, help="idle sessions on the MSA (0: skip)")
    parser.add_argument("--strace", action="store_true", help="also count system calls per message")
    parser.add_argument("--profile", metavar="SCENARIO", default="local-10k-c20",
                        help="sample where mailpipe's event loops spend their time during SCENARIO")
    parser.add_argument("--perf", metavar="SCENARIO", help="perf record mailpipe's processes during SCENARIO")
    parser.add_argument("--no-postfix", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = parser.parse_args()
    args.build = os.path.abspath(args.build)
    if os.geteuid() != 0:
        sys.exit("compare.py needs root (Postfix starts its daemons as user postfix)")
    tempfile.tempdir = args.tmp  # the servers' own temp dirs go there too
    root = tempfile.mkdtemp(prefix="mailpipe-bench-")
    os.chmod(root, 0o755)
    for line in machine_lines(root):
        print(line, flush=True)

    bench = Bench(args, root)
    # SIGTERM/SIGINT: stop everything we started before leaving.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    started = time.monotonic()
    try:
        bench.start()
        for name in ("mailpipe",) + (() if args.no_postfix else ("postfix",)):
            bench.run(name, SCENARIOS[1], messages=40, label=f"{name}:warm-up")
        print(f"servers started and warmed up ({time.monotonic() - started:.0f}s)", flush=True)
        print(bench.ceiling(), "\n", flush=True)

        profile_text = perf_text = None
        for scenario in SCENARIOS:
            if args.only and scenario.name not in args.only:
                continue
            profiler = None
            if scenario.name == args.profile:
                profiler = ThreadProfiler({name: bench.mailpipe.pid(name) for name in ("msa", "mta", "mda")})
                profiler.start()
            perf_output = os.path.join(root, "perf.data") if args.perf == scenario.name else None
            mailpipe = bench.run("mailpipe", scenario, wrap=perf_wrapper(perf_output) if perf_output else None)
            if perf_output:
                perf_text = perf_top(perf_output)
            if profiler:
                profiler.stop()
                profile_text = profiler.report()
            postfix = bench.run("postfix", scenario) if scenario.postfix and not args.no_postfix else None
            messages = max(1, int(scenario.messages * args.scale))
            if scenario.rate:
                fsync_ms, commit_ms = durable_write_ms(root)
                print(latency_line(scenario, messages, mailpipe, postfix, fsync_ms, commit_ms), flush=True)
            else:
                print(scenario_line(scenario, messages, mailpipe, postfix), flush=True)

        if profile_text:
            print(f"\nmailpipe's event loops during {args.profile} (share of wall time, sampled from "
                  f"the kernel stack of each main thread):\n{profile_text}", flush=True)

        if perf_text:
            print(f"\nmailpipe's CPU during {args.perf} (perf record -e cpu-clock, self time, "
                  f"symbols above 1%):\n{perf_text}", flush=True)

        if args.strace:
            print("\nsystem calls per message under strace -c -f (local-10k-c20, 200 messages; "
                  "strace slows the servers, counts only):", flush=True)
            for name in ("mailpipe",) + (() if args.no_postfix else ("postfix",)):
                labels = ("mta", "mda", "msa") if name == "mailpipe" else ("all",)
                outputs = {label: os.path.join(root, f"strace-{name}-{label}.txt") for label in labels}
                fields = bench.run(name, SCENARIOS[1], messages=200, label=f"{name}:strace",
                                   wrap=strace_wrapper(outputs))
                done = fields.get("delivered", 0) or 1
                for label, output in outputs.items():
                    counts, total = strace_counts(output)
                    if not total:
                        continue  # not on this path (the MSA in an MX run)
                    shown = [c for c in DURABILITY if counts.get(c)]
                    shown += [c for c, _ in sorted(counts.items(), key=lambda x: -x[1]) if c not in shown][:8]
                    parts = " ".join(f"{call}={counts[call] / done:.1f}" for call in shown)
                    who = name if label == "all" else f"{name} {label}"
                    print(f"  {who}: total={total / done:.0f} {parts}", flush=True)

        if args.idle:
            msa = bench.mailpipe.pid("msa")
            command = [bench.loadgen, "--idle", str(args.idle), "--port", str(bench.mailpipe.ports["starttls"]),
                       "--pid", str(msa), "--sources", "20", "--source-base", "127.0.2.1",
                       "--label", "mailpipe:msa-idle", "--hold", "5"]
            result = subprocess.run(command, capture_output=True, text=True, timeout=300)
            print(f"\nconcurrency (mailpipe MSA, STARTTLS port, sessions EHLO then hold; "
                  f"MSA started with prlimit --nofile={bench_servers.MSA_OPEN_FILES}):", flush=True)
            print(result.stdout.strip() or result.stderr.strip(), flush=True)
            print(result.stderr.strip(), flush=True)
        print(f"\ntotal time: {time.monotonic() - started:.0f}s", flush=True)
    finally:
        bench.stop()
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
