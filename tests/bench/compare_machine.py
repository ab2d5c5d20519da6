"""compare.py's description of the machine: CPU, memory, the temp dir's
disk (device, file system, journal) and how fast it makes files durable,
probed the way the servers write (scaleout.py prints the same lines).
"""
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


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
