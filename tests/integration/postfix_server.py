"""A real Postfix for integration tests: accepts mail over SMTP on a free
loopback port and relays everything to one next hop (our MX under test).

    relay = PostfixRelay(relayhost=f"[127.0.0.1]:{mx_port}")
    relay.start()
    try:
        relay.send("alice@postfix.test", ["demo@example.test"], b"Subject: hi\\r\\n\\r\\nhello\\r\\n")
        replies = relay.wait_for_delivery(1, timeout=10)  # ["250 2.0.0 Ok: queued as ..."]
    finally:
        relay.stop()

The instance lives in its own temp dir (config, queue, data, postfix.log);
the system's /etc/postfix is never read or written and no system service is
started. The master runs in the foreground as our child, in its own session,
and stop() ends it by pid, then any leftover child of it (found by session,
working directory, MAIL_CONFIG or command line), even if the test failed.
Deferred mail is retried every second or so; flush() retries at once. No
DNS: the next hop must be a bracketed IP address ("[127.0.0.1]:PORT").

Needs root (the master starts its daemons as user postfix) and the Debian
postfix package. MAILPIPE_KEEP_TMP=1 keeps the dir.
"""
import grp
import os
import pwd
import re
import smtplib
import subprocess
import time

from harness import free_port, wait_until
from servers import ForegroundServer, kill_leftovers  # noqa: F401 (kill_leftovers: still importable from here)

POSTFIX = "/usr/sbin/postfix"
POSTCONF = "/usr/sbin/postconf"
POSTQUEUE = "/usr/sbin/postqueue"
SMTP_SINK = "/usr/sbin/smtp-sink"

# One line of postfix.log per delivery attempt, e.g.
# "... postfix/smtp[42]: 4Xy3Kq1ZbTz: to=<a@b.test>, relay=127.0.0.1[127.0.0.1]:2525,
#  delay=0.1, delays=..., dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as ABC)"
DELIVERY = re.compile(r"postfix/\w+\[\d+\]: ([0-9A-Za-z]+): to=<([^>]*)>.*? status=(\w+) \((.*)\)$",
                      re.MULTILINE)

# No chroot anywhere. pickup is not used for mail (all comes in over SMTP),
# but postqueue -f refuses to run ("mail system is down") without it.
MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
pickup unix n - n 60 1 pickup
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
"""


def available():
    """None if Postfix can run here, else why not (for unittest.skip)."""
    if os.geteuid() != 0:
        return "Postfix needs root (its master starts daemons as user postfix)"
    for binary in (POSTFIX, POSTCONF, POSTQUEUE):
        if not os.access(binary, os.X_OK):
            return f"{binary} not installed (apt-get install postfix)"
    try:
        pwd.getpwnam("postfix")
        grp.getgrnam("postdrop")
    except KeyError:
        return "user postfix or group postdrop missing (the postfix package makes them)"
    return None


def hermetic_main_cf(directory, myhostname, mydomain, myorigin):
    """The main.cf lines of every throwaway Postfix here (the tests' relay,
    the benchmark's MX): its own queue, data and log in `directory`, on
    loopback only, no local delivery, no DNS, no reverse lookups, no biff.
    Callers append their own lines (later lines win)."""
    d = directory
    return f"""\
compatibility_level = 3.6
queue_directory = {d}/queue
data_directory = {d}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = {myhostname}
mydomain = {mydomain}
myorigin = {myorigin}
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
mynetworks = 127.0.0.0/8
inet_interfaces = loopback-only
inet_protocols = ipv4
maillog_file = {d}/postfix.log
maillog_file_prefixes = {d}
# Hermetic: no DNS (no MX lookups), no reverse lookups of clients.
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
biff = no
"""


def write_instance(directory, files, log=lambda: ""):
    """Writes `files` (name -> text: main.cf, master.cf, maps) into the
    instance dir, with its queue/ and data/, then `postfix check` (which
    makes the queue's subdirs); raises RuntimeError if that fails."""
    os.makedirs(os.path.join(directory, "queue"), exist_ok=True)
    os.makedirs(os.path.join(directory, "data"), exist_ok=True)
    postfix = pwd.getpwnam("postfix")
    os.chown(os.path.join(directory, "data"), postfix.pw_uid, postfix.pw_gid)
    for name, text in files.items():
        with open(os.path.join(directory, name), "w") as f:
            f.write(text)
    # Postfix will not read a config file modified within the last
    # second or so: it pauses "to let it cool down", 0.3 s at a time,
    # in every command. Backdated, start-up takes 1 s instead of 3-4 s.
    past = time.time() - 60
    for name in files:
        os.utime(os.path.join(directory, name), (past, past))
    # It warns that files are "not owned by root" (they live in /tmp): harmless.
    check = subprocess.run([POSTFIX, "-c", directory, "check"], capture_output=True, text=True, timeout=60)
    if check.returncode != 0:
        raise RuntimeError(f"postfix check failed ({check.returncode}):\n"
                           f"{check.stdout}{check.stderr}\n{log()}")


def daemon_directory(config_dir=None):
    """Where master and its daemons live (/usr/lib/postfix/sbin on Debian),
    as `config_dir`'s main.cf says, else the built-in default (-d: there is
    no /etc/postfix/main.cf here)."""
    command = [POSTCONF, "-c", config_dir] if config_dir else [POSTCONF, "-d"]
    result = subprocess.run(command + ["-h", "daemon_directory"],
                            capture_output=True, text=True, timeout=10)
    directory = result.stdout.strip()
    if result.returncode != 0 or not directory:
        directory = "/usr/lib/postfix/sbin"
    return directory


class PostfixRelay(ForegroundServer):
    """One throwaway Postfix relaying all mail to `relayhost`.

    relayhost: the next hop, "[IP]:PORT" (brackets: no MX lookup).
    smtp_tls_security_level: of the Postfix SMTP client ("may": STARTTLS if
    offered, "none", "encrypt", ...).
    extra_main_cf: more main.cf lines, appended (later lines win).
    """

    log_name = "postfix.log"  # every daemon logs there
    output_name = "master.out"  # the master's own output (errors before it read main.cf)

    def __init__(self, relayhost, smtp_tls_security_level="may", extra_main_cf="",
                 myhostname="postfix.test"):
        super().__init__()
        self.relayhost = relayhost
        self.smtp_tls_security_level = smtp_tls_security_level
        self.extra_main_cf = extra_main_cf
        self.myhostname = myhostname

    # --- setup -----------------------------------------------------------
    def _main_cf(self):
        return hermetic_main_cf(self.dir, self.myhostname, self.myhostname, self.myhostname) + f"""\
relay_recipient_maps =
relay_domains =
relayhost = {self.relayhost}
smtp_tls_security_level = {self.smtp_tls_security_level}
smtp_host_lookup = native
append_dot_mydomain = no
# Fast: a deferred message is retried within a second or two, a dead next
# hop is tried again after a second.
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 1s
smtp_connect_timeout = 5s
in_flow_delay = 0
smtpd_error_sleep_time = 0
{self.extra_main_cf}
"""

    def _prepare(self):
        self._make_dir("mailpipe-postfix-")  # postfix's own user traverses it
        write_instance(self.dir, {"main.cf": self._main_cf(), "master.cf": MASTER_CF.format(port=self.port)},
                       self.log)

    # --- process ---------------------------------------------------------
    def start(self, timeout=10.0):
        reason = available()
        if reason:
            raise RuntimeError(reason)
        self.port = free_port()
        self._prepare()
        master = os.path.join(daemon_directory(self.dir), "master")
        self._spawn([master, "-c", self.dir, "-d"])  # -d: foreground, so the pid is the master's
        self._wait_ready(self._accepting, timeout, "postfix master")
        return self

    def _accepting(self):
        try:
            with smtplib.SMTP("127.0.0.1", self.port, timeout=2) as smtp:
                code, _ = smtp.noop()
                return code == 250
        except (OSError, smtplib.SMTPException):
            return False

    # --- mail ------------------------------------------------------------
    def send(self, mail_from, rcpts, message_bytes, timeout=15):
        """Submits one message over SMTP; returns Postfix's queue id (from its
        reply to DATA). Raises smtplib's exceptions if Postfix refuses it."""
        if isinstance(rcpts, str):
            rcpts = [rcpts]
        with smtplib.SMTP("127.0.0.1", self.port, timeout=timeout) as smtp:
            smtp.ehlo("client.test")
            code, reply = smtp.mail(mail_from)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, reply, mail_from)
            refused = {}
            for rcpt in rcpts:
                code, reply = smtp.rcpt(rcpt)
                if code not in (250, 251):
                    refused[rcpt] = (code, reply)
            if len(refused) == len(rcpts):
                raise smtplib.SMTPRecipientsRefused(refused)
            code, reply = smtp.data(message_bytes)
            if code != 250:
                raise smtplib.SMTPDataError(code, reply)
        match = re.search(rb"queued as ([0-9A-Za-z]+)", reply)
        return match.group(1).decode() if match else None

    def flush(self, timeout=10):
        """Retries every deferred message now (postqueue -f)."""
        result = subprocess.run([POSTQUEUE, "-c", self.dir, "-f"], capture_output=True, text=True,
                                timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"postqueue -f failed: {result.stdout}{result.stderr}\n{self.log()}")

    def queue(self, timeout=10):
        """postqueue -p output (the mail queue, with reasons for deferral)."""
        return subprocess.run([POSTQUEUE, "-c", self.dir, "-p"], capture_output=True, text=True,
                              timeout=timeout).stdout

    def deliveries(self, status=None):
        """(queue id, recipient, status, reply text) per delivery attempt in
        the log, oldest first; status: only "sent", "deferred", "bounced"..."""
        return [m for m in DELIVERY.findall(self.log()) if status is None or m[2] == status]

    def queue_ids_sent(self):
        return [queue_id for queue_id, _, _, _ in self.deliveries("sent")]

    def wait_for_status(self, status, count=1, timeout=10):
        """Waits until `count` log lines say status=`status`; returns their
        reply texts, or raises AssertionError with the log."""
        if not wait_until(lambda: len(self.deliveries(status)) >= count, timeout):
            raise AssertionError(f"postfix: fewer than {count} status={status} in {timeout}s "
                                 f"(got {len(self.deliveries(status))}):\n{self.log()}")
        return [reply for _, _, _, reply in self.deliveries(status)]

    def wait_for_delivery(self, count=1, timeout=10):
        """Waits for `count` status=sent lines; returns the next hop's replies
        from them, e.g. ["250 2.0.0 Ok: queued as 0123ABC"]."""
        return self.wait_for_status("sent", count, timeout)
