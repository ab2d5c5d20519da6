#!/usr/bin/python3
"""Throughput of one MSA and one MDA with one MTA, then with two (issue 8).

    sudo /usr/bin/python3 tests/bench/scaleout.py [--build build] [--messages 1000]
        [--sessions 20] [--size 10k] [--tmp DIR] [--keep]

Each layout runs in its own temp dir, with processes started from the
build dir and stopped by pid at the end (also on failure or Ctrl-C), all
on loopback:

- 1-mta: msa -> mta1 -> mda.
- 2-mta: msa -> mta1 | mta2 -> mda. Each MTA has its own spool_dir,
  intake_endpoint, admin_endpoint and metrics_listen, and both connect to
  the same mda_endpoint; the MSA lists both as `mta_endpoint` and hands
  messages to them in turn (msa/mta_pool.hpp).

The load is compare.py's msa-starttls-auth-10k-c20: mailpipe-loadgen to
the MSA's STARTTLS port with AUTH PLAIN, PIPELINING, one recipient per
message round robin over the local users, a message done when it is in
their Maildir's new/. A warm-up of a few messages first, then the
measured run. One line per layout, then the ratio:

    layout=1-mta msg/s=X data250_p50/p99=A/B ms ondisk_p50/p99=C/D ms cpu_ms/msg=E ...
    layout=2-mta msg/s=Y ... queued mta1=N mta2=M
    ratio=2mta/1mta=Y/X

On one machine both MTAs share the same cores and the same disk: the
ratio is what spreading the queue over two processes costs or gains
here, not what a second host would add.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from bench_servers import (BENCH_LIMITS, ChainProcesses, LOCAL_DOMAIN, USERS, cpu_seconds,  # noqa: E402
                           empty_dirs, make_maildirs, make_material, msa_values, mta_values, remove_unless_kept)
from compare import SUMMARY, machine_lines, parse_fields  # noqa: E402
from harness import free_port, wait_until  # noqa: E402

# The MSA's failover knobs at their defaults (proto/config.proto): no MTA
# is meant to fail here, so they only show up if one is too slow to
# acknowledge (event=mta_failover in the MSA's log, counted per run).
MTA_ATTEMPT_TIMEOUT_MS = 10000
MTA_DOWN_MS = 30000
WARM_UP_MESSAGES = 40  # first TLS sessions, spool and Maildir dirs: not in the measured run
START_TIMEOUT_S = 15
STOP_TIMEOUT_S = 15
QUEUE_DRAIN_TIMEOUT_S = 120
DELIVERY_WAIT_S = 120  # loadgen --wait: after the last 250
LOADGEN_TIMEOUT_S = 600


class ScaledChain(ChainProcesses):
    """msa + `mta_count` mtas + mda from build_dir, in `directory`."""

    def __init__(self, directory, build_dir, material, mta_count):
        super().__init__(directory, build_dir)
        self.material = material
        self.mtas = [f"mta{k}" for k in range(1, mta_count + 1)]
        self.ports = {name: free_port() for name in ("starttls", "implicit", "mda")}
        for mta in self.mtas:
            self.ports[f"{mta}-intake"] = free_port()
            self.ports[f"{mta}-metrics"] = free_port()
        self.maildirs = make_maildirs(self.path("mail"))
        self._write_configs()

    def _write_configs(self):
        p, m = self.ports, self.material
        intakes = [f"tcp://127.0.0.1:{p[mta + '-intake']}" for mta in self.mtas]
        self.write_config("msa", "msa", msa_values(p, m, intakes),
                          f"mta_attempt_timeout_ms: {MTA_ATTEMPT_TIMEOUT_MS}\nmta_down_ms: {MTA_DOWN_MS}\n{BENCH_LIMITS}")
        self.write_mda_config(p["mda"])
        for mta in self.mtas:
            self.write_config(mta, "mta", {
                **mta_values(mta, p[mta + "-intake"], p["mda"], self.path(mta + "-spool"), m),
                "admin_endpoint": f"ipc://{self.path(mta + '-admin.sock')}",
                "metrics_listen": f"127.0.0.1:{p[mta + '-metrics']}"})

    def count_in_log(self, name, event):
        return len(re.findall(rf"event={event}\b", self.log(name)))

    def start(self):
        self.start_processes(["mda", *self.mtas, "msa"], lambda name: "mta" if name in self.mtas else name,
                             START_TIMEOUT_S)

    def queues_empty(self):
        for mta in self.mtas:
            spool = self.path(f"{mta}-spool")
            if os.path.isdir(spool) and any(name.endswith(".msg") for name in os.listdir(spool)):
                return False
        return True

    def settle(self):
        """Every queue drained, then empty Maildirs for the next run."""
        if not wait_until(self.queues_empty, QUEUE_DRAIN_TIMEOUT_S, 0.2):
            print("warning: a queue did not empty", file=sys.stderr)
        empty_dirs([os.path.join(m, sub) for m in self.maildirs for sub in ("new", "cur")])
        time.sleep(0.5)

    def stop(self):
        self.stop_processes(["msa", *self.mtas, "mda"], STOP_TIMEOUT_S)


def loadgen_command(args, chain, messages, label):
    """compare.py's msa-starttls-auth-10k-c20 command, with our sizes."""
    command = [os.path.join(args.build, "tests", "bench", "mailpipe-loadgen"),
               "-n", str(messages), "-c", str(args.sessions), "--size", args.size, "--pipelining",
               "--sources", str(min(args.sessions, 50)), "--source-base", "127.0.1.1",
               "--label", label, "--wait", str(DELIVERY_WAIT_S),
               "--port", str(chain.ports["starttls"]), "--starttls",
               "--auth", f"demo@{LOCAL_DOMAIN}:{args.material}/password", "--from", f"demo@{LOCAL_DOMAIN}"]
    command += [arg for maildir in chain.maildirs for arg in ("--maildir", maildir)]
    command += [arg for user in USERS for arg in ("--to", f"{user}@{LOCAL_DOMAIN}")]
    return command


def load_run(args, chain, messages, label):
    """One loadgen run; its summary fields, CPU and per-process log counts."""
    chain.settle()
    queued_before = {mta: chain.count_in_log(mta, "queued") for mta in chain.mtas}
    failovers_before = chain.count_in_log("msa", "mta_failover")
    cpu_before = cpu_seconds(chain.pids())
    command = loadgen_command(args, chain, messages, label)
    result = subprocess.run(command, capture_output=True, text=True, timeout=LOADGEN_TIMEOUT_S)
    cpu_after = cpu_seconds(chain.pids())
    match = SUMMARY.search(result.stdout)
    if not match:
        raise RuntimeError(f"loadgen failed ({result.returncode}): {' '.join(command)}\n{result.stderr}")
    fields = parse_fields(match.group(1))
    fields["cpu_ms_per_msg"] = (cpu_after - cpu_before) * 1000 / (fields.get("delivered", 0) or 1)
    fields["queued"] = {mta: chain.count_in_log(mta, "queued") - queued_before[mta] for mta in chain.mtas}
    fields["failovers"] = chain.count_in_log("msa", "mta_failover") - failovers_before
    fields["stderr"] = result.stderr.strip()
    return fields


def run_layout(args, root, mta_count):
    layout = f"{mta_count}-mta"
    directory = os.path.join(root, layout)
    os.makedirs(directory)
    chain = ScaledChain(directory, args.build, args.material, mta_count)
    try:
        chain.start()
        load_run(args, chain, WARM_UP_MESSAGES, f"{layout}:warm-up")
        return load_run(args, chain, args.messages, layout)
    finally:
        chain.stop()


def layout_line(layout, f):
    line = (f"layout={layout} n={int(f['messages'])} msg/s={f['throughput']:.1f} "
            f"data250_p50/p99={f['data_p50_ms']:.1f}/{f['data_p99_ms']:.1f} ms "
            f"ondisk_p50/p99={f['delivery_p50_ms']:.1f}/{f['delivery_p99_ms']:.1f} ms "
            f"cpu_ms/msg={f['cpu_ms_per_msg']:.2f} "
            f"loadgen_cpu={100 * f['loadgen_cpu_s'] / max(f['done_s'], 1e-9):.0f}% "
            f"queued {' '.join(f'{mta}={n}' for mta, n in f['queued'].items())} "
            f"mta_failovers={f['failovers']}")
    failed, missing = int(f["failed"]), int(f["missing"])
    if failed or missing:
        line += f" [{failed} failed, {missing} not on disk; {f['stderr'].splitlines()[-1:]}]"
    return line


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    parser.add_argument("--messages", type=int, default=1000, help="messages per measured run")
    parser.add_argument("--sessions", type=int, default=20, help="concurrent SMTP sessions")
    parser.add_argument("--size", default="10k", help="message size in octets, k/m suffix allowed")
    parser.add_argument("--tmp", default=tempfile.gettempdir(), help="where the servers' dirs go")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir with every log")
    args = parser.parse_args()
    args.build = os.path.abspath(args.build)
    root = tempfile.mkdtemp(prefix="mailpipe-scaleout-", dir=args.tmp)
    os.chmod(root, 0o755)
    # SIGTERM as Ctrl-C: leave through the finally below, which stops everything.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    started = time.monotonic()
    try:
        for line in machine_lines(root)[:3]:
            print(line, flush=True)
        revision = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                                  capture_output=True, text=True, timeout=30).stdout.strip()
        print(f"mailpipe {revision}; load: {args.messages} messages of {args.size} over {args.sessions} "
              f"STARTTLS+AUTH sessions to the MSA, done when in the Maildir", flush=True)
        print(f"note: on this one machine both MTAs share the same {os.cpu_count()} cores and the same disk "
              f"(and the MSA, the MDA and the load generator run there too): the ratio shows what spreading "
              f"the queue over two MTA processes costs or gains here, not a multi-host gain.\n", flush=True)
        args.material = os.path.join(root, "material")
        os.makedirs(args.material)
        make_material(args.material)
        one = run_layout(args, root, 1)
        print(layout_line("1-mta", one), flush=True)
        two = run_layout(args, root, 2)
        print(layout_line("2-mta", two), flush=True)
        print(f"ratio=2mta/1mta={two['throughput'] / max(one['throughput'], 1e-9):.2f}", flush=True)
        print(f"total time: {time.monotonic() - started:.0f}s", flush=True)
    finally:
        remove_unless_kept(root, args.keep)


if __name__ == "__main__":
    main()
