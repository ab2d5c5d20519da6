"""Where a process's threads spend their wall time, without slowing them:
samples each thread's kernel stack (/proc/<pid>/task/<tid>/stack, root
only) a couple of hundred times a second from another thread and counts
the system call it is in ("fsync", "unlink", "epoll_wait" = idle), or
"user" when it is not in the kernel. A single-threaded event loop that
shows "fsync" 60% of the time is blocked in fsync 60% of the time, and
serves nobody then.

(/proc/<pid>/syscall would be simpler but on this kernel says "running"
for most of the time a thread waits in fsync; the stack does not lie.)

    profiler = ThreadProfiler({"mta": mta_pid, "mda": mda_pid})
    profiler.start(); ...load...; profiler.stop()
    print(profiler.report())
"""
import os
import re
import threading
import time

SYSCALL_FRAME = re.compile(r"\b__(?:x64|do)_sys_(\w+)\+")


def _thread_name(pid, tid):
    try:
        with open(f"/proc/{pid}/task/{tid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def _state(pid, tid):
    """The system call the thread is in, "user" outside the kernel (or
    preempted on its way out), None when it is gone."""
    try:
        with open(f"/proc/{pid}/task/{tid}/stack") as f:
            stack = f.read()
    except OSError:
        return None
    match = SYSCALL_FRAME.search(stack)
    return match.group(1) if match else "user"


class ThreadProfiler:
    def __init__(self, processes, interval=0.004, main_thread_only=True):
        """processes: {label: pid}. main_thread_only: sample only the thread
        whose id is the pid (the event loop in mailpipe's processes)."""
        self.processes = processes
        self.interval = interval
        self.main_thread_only = main_thread_only
        self.counts = {}  # (label, thread name) -> {state: samples}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join(5)

    def _run(self):
        while not self._stop.is_set():
            for label, pid in self.processes.items():
                tids = [pid] if self.main_thread_only else self._tids(pid)
                for tid in tids:
                    state = _state(pid, tid)
                    if state is None:
                        continue
                    key = (label, _thread_name(pid, tid) if not self.main_thread_only else "main")
                    bucket = self.counts.setdefault(key, {})
                    bucket[state] = bucket.get(state, 0) + 1
            time.sleep(self.interval)

    @staticmethod
    def _tids(pid):
        try:
            return [int(t) for t in os.listdir(f"/proc/{pid}/task")]
        except OSError:
            return []

    def shares(self):
        """{(label, thread): [(state, fraction), ...] most frequent first}."""
        out = {}
        for key, bucket in self.counts.items():
            total = sum(bucket.values())
            out[key] = sorted(((state, n / total) for state, n in bucket.items()), key=lambda x: -x[1])
        return out

    def report(self, top=6):
        lines = []
        for (label, thread), shares in sorted(self.shares().items()):
            parts = ", ".join(f"{state} {share * 100:.0f}%" for state, share in shares[:top])
            lines.append(f"  {label} ({thread} thread): {parts}")
        return "\n".join(lines)
