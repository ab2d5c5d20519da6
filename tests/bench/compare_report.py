"""compare.py's output: one line per scenario (or, at a fixed rate, its
latency against one fsync), and the tracing it can add to a run: system
calls per message (strace -c -f) and the hottest symbols (perf record).
"""
import re
import signal
import subprocess
import time


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


def strace_lines(name, outputs, done):
    """Calls per message for each strace output of `name` (a system);
    outputs: {label: path} as given to strace_wrapper."""
    lines = []
    for label, output in outputs.items():
        counts, total = strace_counts(output)
        if not total:
            continue  # not on this path (the MSA in an MX run)
        shown = [c for c in DURABILITY if counts.get(c)]
        shown += [c for c, _ in sorted(counts.items(), key=lambda x: -x[1]) if c not in shown][:8]
        parts = " ".join(f"{call}={counts[call] / done:.1f}" for call in shown)
        who = name if label == "all" else f"{name} {label}"
        lines.append(f"  {who}: total={total / done:.0f} {parts}")
    return lines
