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
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import bench_servers  # noqa: E402
from compare_machine import durable_write_ms, machine_lines  # noqa: E402
from compare_report import (latency_line, perf_top, perf_wrapper, scenario_line, strace_lines,  # noqa: E402
                            strace_wrapper)
from compare_runs import SCENARIOS, SUMMARY, Bench, parse_fields  # noqa: E402
from thread_profile import ThreadProfiler  # noqa: E402

# What scaleout.py takes from here.
__all__ = ["SUMMARY", "machine_lines", "parse_fields", "main"]


def parse_args():
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
    return args


def systems(args):
    return ("mailpipe",) + (() if args.no_postfix else ("postfix",))


def run_scenarios(bench, args, root):
    """Each scenario against both systems, a line each; the texts of the
    thread profile and of perf (None when not asked for)."""
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
    return profile_text, perf_text


def run_strace(bench, args, root):
    print("\nsystem calls per message under strace -c -f (local-10k-c20, 200 messages; "
          "strace slows the servers, counts only):", flush=True)
    for name in systems(args):
        labels = ("mta", "mda", "msa") if name == "mailpipe" else ("all",)
        outputs = {label: os.path.join(root, f"strace-{name}-{label}.txt") for label in labels}
        fields = bench.run(name, SCENARIOS[1], messages=200, label=f"{name}:strace", wrap=strace_wrapper(outputs))
        for line in strace_lines(name, outputs, fields.get("delivered", 0) or 1):
            print(line, flush=True)


def run_idle(bench, args):
    command = [bench.loadgen, "--idle", str(args.idle), "--port", str(bench.mailpipe.ports["starttls"]),
               "--pid", str(bench.mailpipe.pid("msa")), "--sources", "20", "--source-base", "127.0.2.1",
               "--label", "mailpipe:msa-idle", "--hold", "5"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    print(f"\nconcurrency (mailpipe MSA, STARTTLS port, sessions EHLO then hold; "
          f"MSA started with prlimit --nofile={bench_servers.MSA_OPEN_FILES}):", flush=True)
    print(result.stdout.strip() or result.stderr.strip(), flush=True)
    print(result.stderr.strip(), flush=True)


def run_all(bench, args, root, started):
    bench.start()
    for name in systems(args):
        bench.run(name, SCENARIOS[1], messages=40, label=f"{name}:warm-up")
    print(f"servers started and warmed up ({time.monotonic() - started:.0f}s)", flush=True)
    print(bench.ceiling(), "\n", flush=True)
    profile_text, perf_text = run_scenarios(bench, args, root)
    if profile_text:
        print(f"\nmailpipe's event loops during {args.profile} (share of wall time, sampled from "
              f"the kernel stack of each main thread):\n{profile_text}", flush=True)
    if perf_text:
        print(f"\nmailpipe's CPU during {args.perf} (perf record -e cpu-clock, self time, "
              f"symbols above 1%):\n{perf_text}", flush=True)
    if args.strace:
        run_strace(bench, args, root)
    if args.idle:
        run_idle(bench, args)
    print(f"\ntotal time: {time.monotonic() - started:.0f}s", flush=True)


def remove_unless_kept(root, keep):
    if keep:
        print(f"kept {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)


def main():
    args = parse_args()
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
    try:
        run_all(bench, args, root, time.monotonic())
    finally:
        bench.stop()
        remove_unless_kept(root, args.keep)


if __name__ == "__main__":
    main()
