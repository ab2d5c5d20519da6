#!/usr/bin/python3
"""One way to start a mailpipe chain: render a config from the templates in
deploy/templates/, start a process, wait until its log says event=ready,
stop it by pid. Standard library only, so deploy/run-local.sh can use it
on a machine without the test packages.

Used by deploy/run-local.sh (the command line below), the integration
harness (tests/integration/harness.py), the multi-host test and the
benchmarks (tests/bench/bench_servers.py, scaleout.py), each with its own
values.

    text = render("mta", {"hostname": "mta.test", ...}, extra="...")
    process = start("mta", [binary, "--config", path], log_path, timeout=10)
    stop(process, timeout=5)             # SIGTERM, SIGKILL after the bound

Templates (deploy/templates/NAME.conf.in, Protobuf text format):
- `@name@` is replaced by the value of `name`, as given (quotes are the
  template's); a name without a value is an error naming the line.
- A line whose placeholder has a list value is repeated once per item.
- Lines `@if name`, `@else`, `@endif` (they may nest) keep what they
  enclose only when `name` has a value that is not empty (or, after
  `@else`, only when it has none).
- `extra` text is appended: a caller's own fields (the text format
  refuses a singular field given twice, so extra names only fields the
  rendering left out).

Command line (what deploy/run-local.sh calls):

    launcher.py render TEMPLATE OUT NAME=VALUE...   (a NAME given twice: a list)
    launcher.py certificate CERT KEY [--days N]     (self-signed, for localhost)
    launcher.py start --name N --log LOG --pid-file F [--timeout S] [--prefix P] -- ARGV...
    launcher.py running --pid-file F --match TEXT   (exit 0: alive and ours)
    launcher.py stop --name N --pid-file F --match TEXT [--timeout S] [--prefix P]
    launcher.py watch [--prefix P] NAME:PIDFILE:LOG:MATCH...   (returns when one dies)
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import time

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "templates")
READY = "event=ready"
POLL_S = 0.05
LAST_LINES = 20


class StartError(Exception):
    """A process that exited during start-up or did not log event=ready in time."""


class TemplateError(Exception):
    """A template that cannot be filled in: a value missing, an @if unclosed."""


# --- templates ---------------------------------------------------------------
_PLACEHOLDER = re.compile(r"@([a-z][a-z0-9_]*)@")
_DIRECTIVE = re.compile(r"^@(if|else|endif)\b\s*([a-z][a-z0-9_]*)?\s*$")


def _given(values, name):
    value = values.get(name)
    return value is not None and value != "" and value != []


def _fill(line, values, where):
    names = _PLACEHOLDER.findall(line)
    missing = [n for n in names if values.get(n) is None]
    if missing:
        raise TemplateError(f"{where}: no value for @{missing[0]}@")
    lists = sorted({n for n in names if isinstance(values[n], (list, tuple))})
    if len(lists) > 1:
        raise TemplateError(f"{where}: more than one list on a line ({', '.join(lists)})")
    items = values[lists[0]] if lists else [None]
    out = []
    for item in items:
        def value(match):
            name = match.group(1)
            return str(item if name in lists else values[name])
        out.append(_PLACEHOLDER.sub(value, line))
    return out


def render_text(template, values, extra="", source="template"):
    """The template text filled in with `values` (see the module's doc)."""
    out, keep = [], [True]  # keep[-1]: the innermost @if's lines are kept
    for number, line in enumerate(template.splitlines(keepends=True), 1):
        where = f"{source}:{number}"
        directive = _DIRECTIVE.match(line.strip())
        if directive:
            word, name = directive.groups()
            if word == "if" and name:
                keep.append(keep[-1] and _given(values, name))
            elif word == "else" and len(keep) > 1:
                keep[-1] = keep[-2] and not keep[-1]
            elif word == "endif" and len(keep) > 1:
                keep.pop()
            else:
                raise TemplateError(f"{where}: misplaced @{word}")
            continue
        if keep[-1]:
            out.extend(_fill(line, values, where))
    if len(keep) != 1:
        raise TemplateError(f"{source}: @if without @endif")
    text = "".join(out)
    if extra:
        text += ("" if text.endswith("\n") else "\n") + extra + ("" if extra.endswith("\n") else "\n")
    return text


def template_path(name):
    return os.path.normpath(os.path.join(TEMPLATES, f"{name}.conf.in"))


def render(name, values, extra=""):
    """deploy/templates/NAME.conf.in filled in."""
    path = template_path(name)
    with open(path) as f:
        return render_text(f.read(), values, extra, source=os.path.relpath(path))


def write_config(path, name, values, extra=""):
    """Renders template `name` into the file `path`; returns the text."""
    text = render(name, values, extra)
    with open(path, "w") as f:
        f.write(text)
    return text


# --- material ----------------------------------------------------------------
def make_certificate(cert_file, key_file, days=2):
    """A self-signed certificate for localhost (and 127.0.0.1), key mode 0600."""
    old = os.umask(0o077)
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", str(days),
                        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                        "-keyout", key_file, "-out", cert_file], check=True, capture_output=True, timeout=60)
    finally:
        os.umask(old)


def passwd_line(user, password):
    """One line of a Dovecot passwd-file: user:{SHA512-CRYPT}$6$..."""
    hashed = subprocess.run(["openssl", "passwd", "-6", password], check=True, capture_output=True,
                            text=True, timeout=30).stdout.strip()
    return f"{user}:{{SHA512-CRYPT}}{hashed}\n"


# --- processes ---------------------------------------------------------------
def read_log(log_path):
    try:
        with open(log_path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def last_lines(log_path, count=LAST_LINES):
    return "\n".join(read_log(log_path).splitlines()[-count:])


def spawn(argv, log_path, new_session=True):
    """argv with stdout and stderr appended to log_path, stdin closed; in its
    own session unless told otherwise (terminal signals then reach only us,
    and we stop it in order)."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=new_session)


def wait_ready(name, process, log_path, timeout, ready_before=0, shown_log=None):
    """Returns once the log holds more event=ready lines than ready_before;
    raises StartError with the log's last lines if the process exits first
    or the timeout passes. Never a fixed sleep: the event, or the bound."""
    deadline = time.monotonic() + timeout
    while True:
        if read_log(log_path).count(READY) > ready_before:
            return
        if process.poll() is not None:
            problem = f"{name} exited during start-up (status {process.returncode})"
            break
        if time.monotonic() >= deadline:
            problem = f"{name} did not log {READY} within {timeout:g} s"
            break
        time.sleep(POLL_S)
    raise StartError(f"{problem}; last lines of {shown_log or log_path}:\n{last_lines(log_path)}")


def start(name, argv, log_path, timeout=10, run=None, new_session=True, group=False):
    """Starts argv (appending to log_path) and waits for its event=ready.
    run(argv, log_path) -> Popen starts it another way (e.g. in a network
    namespace). A process that does not get ready is stopped again (group:
    its whole process group), and StartError says why."""
    ready_before = read_log(log_path).count(READY)  # a restart appends to the same log
    process = run(argv, log_path) if run else spawn(argv, log_path, new_session)
    try:
        wait_ready(name, process, log_path, timeout, ready_before)
    except StartError:
        stop(process, group=group)
        raise
    return process


def _signal(process, sig, group):
    try:
        if group:
            os.killpg(process.pid, sig)
        else:
            process.send_signal(sig)
    except ProcessLookupError:
        pass


def stop(process, timeout=5, group=False):
    """SIGTERM, then SIGKILL if it has not exited within timeout; returns its
    exit status. group: signal its whole process group (it and its children)."""
    if process.poll() is None:
        _signal(process, signal.SIGTERM, group)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            kill(process, group)
    return process.poll()


def kill(process, group=False, timeout=5):
    """SIGKILL, as a crash: no clean-up in the process."""
    if process.poll() is None:
        _signal(process, signal.SIGKILL, group)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    return process.poll()


# --- processes named by a pid file (deploy/run-local.sh) ------------------------
def pid_in(pid_file):
    try:
        with open(pid_file) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def ours(pid, match):
    """pid is alive and its command line holds `match` (e.g. "--config
    PATH"): not a pid the kernel has since given to something else."""
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            command_line = f.read().replace(b"\0", b" ").decode(errors="replace")
    except (OSError, ProcessLookupError):
        return False
    return match in command_line


def _gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:  # a zombie (not reaped yet: its parent was this launcher's caller) is gone too
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError):
        return True


def stop_pid(name, pid_file, match, timeout, say):
    """deploy/run-local.sh stop, for one process."""
    if not os.path.exists(pid_file):
        return
    pid = pid_in(pid_file)
    if ours(pid, match):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while not _gone(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not _gone(pid):
            say(f"{name} (pid {pid}) did not stop in {timeout:g} s; killing it")
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        say(f"stopped {name} (pid {pid})")
    else:
        say(f"{name} (pid {'' if pid is None else pid}) had already exited")
    os.unlink(pid_file)


def _command_line(argv):
    parser = argparse.ArgumentParser(prog="launcher.py", description="Render configs, start and stop mailpipe processes.")
    parser.add_argument("--prefix", default="", help="put before every message, e.g. 'run-local: '")
    parser.add_argument("--root", help="show log paths relative to this dir")
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("render", help="fill in deploy/templates/TEMPLATE.conf.in")
    command.add_argument("template")
    command.add_argument("out")
    command.add_argument("values", nargs="*", metavar="NAME=VALUE")
    command = commands.add_parser("certificate", help="a self-signed certificate for localhost")
    command.add_argument("cert_file")
    command.add_argument("key_file")
    command.add_argument("--days", type=int, default=2)
    command = commands.add_parser("start", help="start ARGV in its own session, wait for event=ready")
    command.add_argument("--name", required=True)
    command.add_argument("--log", required=True)
    command.add_argument("--pid-file", required=True)
    command.add_argument("--timeout", type=float, default=10)
    command.add_argument("argv", nargs="+")
    command = commands.add_parser("running", help="exit 0 if the pid file names a live process of ours")
    command.add_argument("--pid-file", required=True)
    command.add_argument("--match", required=True)
    command = commands.add_parser("stop", help="SIGTERM the pid file's process, SIGKILL after the timeout")
    command.add_argument("--name", required=True)
    command.add_argument("--pid-file", required=True)
    command.add_argument("--match", required=True)
    command.add_argument("--timeout", type=float, default=10)
    command = commands.add_parser("watch", help="return when one of the processes has died")
    command.add_argument("--process", nargs=4, action="append", required=True,
                         metavar=("NAME", "PIDFILE", "LOG", "MATCH"))
    return parser.parse_args(argv)


def _values(pairs):
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"launcher.py render: {pair!r} is not NAME=VALUE")
        if name in values:
            values[name] = (values[name] if isinstance(values[name], list) else [values[name]]) + [value]
        else:
            values[name] = value
    return values


def main(argv=None):
    args = _command_line(argv)

    def say(text):
        print(f"{args.prefix}{text}", file=sys.stderr if "last lines" in text else sys.stdout, flush=True)

    def shown(path):
        return os.path.relpath(path, args.root) if args.root else path

    if args.command == "render":
        try:
            write_config(args.out, args.template, _values(args.values))
        except (TemplateError, OSError) as e:
            print(f"{args.prefix}{e}", file=sys.stderr)
            return 1
    elif args.command == "certificate":
        make_certificate(args.cert_file, args.key_file, args.days)
    elif args.command == "start":
        process = spawn(args.argv, args.log)
        with open(args.pid_file, "w") as f:
            f.write(f"{process.pid}\n")
        try:
            wait_ready(args.name, process, args.log, args.timeout, shown_log=shown(args.log))
        except StartError as e:
            say(str(e))
            return 1
        say(f"started {args.name} (pid {process.pid}), log in {shown(args.log)}")
    elif args.command == "running":
        return 0 if ours(pid_in(args.pid_file), args.match) else 1
    elif args.command == "stop":
        stop_pid(args.name, args.pid_file, args.match, args.timeout, say)
    elif args.command == "watch":
        try:
            while True:
                for name, pid_file, log, match in args.process:
                    if not ours(pid_in(pid_file), match):
                        say(f"{name} exited unexpectedly; last lines of {shown(log)}:\n{last_lines(log)}")
                        return 1
                time.sleep(1)
        except KeyboardInterrupt:
            return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
