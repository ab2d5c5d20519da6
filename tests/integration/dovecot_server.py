"""A real Dovecot IMAP server for integration tests, reading the Maildirs
our MDA writes: <mail_root>/<domain>/<user>/{tmp,new,cur}, users from a
Dovecot-format passwd-file ("user@domain:{SHA512-CRYPT}$6$...").

    imap = DovecotImap(mail_root=chain.path("mail"), passwd_file=chain.path("passwd"))
    imap.start()
    try:
        messages = imap.fetch_all("demo@example.test", "demo")  # [bytes, ...], CRLF
    finally:
        imap.stop()

Ownership: Dovecot refuses to access mail as uid 0 ("userdb returned 0 as
uid"), so it reads the Maildirs as nobody:nogroup. The mail tree must belong
to nobody (run the MDA as nobody: harness.Chain(mda_user="nobody")), and
every directory above mail_root must be traversable by nobody. This class
does not chown anything in mail_root. The passwd-file is read by Dovecot's
auth process as user dovecot: it and its directories must be readable and
traversable by that user (start() checks both and says what is missing).

Dovecot's own files (config, sockets, log, state, and its index/control
files: dovecot.index*, dovecot-uidlist) are kept in the instance's temp dir,
so the Maildirs hold only what the MDA wrote. fetch_all() opens INBOX read
only, so messages stay in new/ (a read-write SELECT would move them to cur/).
But a login for a user whose Maildir does not exist yet makes Dovecot create
it (as nobody, mode 0700, with a "maildirfolder" marker file in it).

Dovecot runs in the foreground (-F) as our child, in its own session, and
stop() ends it by pid, then any leftover of its processes, even if the test
failed. Needs root and the Debian dovecot-imapd package (which also made
the users dovecot and dovenull that its login processes run as).
MAILPIPE_KEEP_TMP=1 keeps the dir.

LMTP (RFC 2033) as well, for an MDA that hands mail to Dovecot: give
lmtp_port (a free loopback port, harness.free_port()) and/or lmtp_socket
(a UNIX socket path, mode 0666) so they are known before start(), e.g. to
go into the MDA's config. Dovecot then writes the Maildirs itself, as
nobody: mail_root must exist and belong to nobody. Users are those of
the passwd-file (the static userdb makes Dovecot ask the passdb whether a
recipient exists, so an unknown one gets 550 5.1.1). Needs the Debian
dovecot-lmtpd package too.
"""
import imaplib
import os
import pwd

from harness import free_port
from servers import ForegroundServer, greets

DOVECOT = "/usr/sbin/dovecot"
MAIL_USER, MAIL_GROUP = "nobody", "nogroup"


def available(lmtp=False):
    """None if Dovecot IMAP (and with `lmtp` its LMTP server) can run here,
    else why not (for unittest.skip)."""
    if lmtp and not os.path.exists("/usr/lib/dovecot/lmtp"):
        return "Dovecot's lmtp binary missing (apt-get install dovecot-lmtpd)"
    if os.geteuid() != 0:
        return "Dovecot needs root (it reads mail as nobody, logs in as dovenull)"
    if not os.access(DOVECOT, os.X_OK):
        return f"{DOVECOT} not installed (apt-get install dovecot-imapd)"
    if not os.path.exists("/usr/lib/dovecot/imap"):
        return "Dovecot's imap binary missing (apt-get install dovecot-imapd)"
    for user in ("dovecot", "dovenull", MAIL_USER):
        try:
            pwd.getpwnam(user)
        except KeyError:
            return f"user {user} missing (the dovecot-core package makes dovecot, dovenull)"
    return None


def _unreachable(path, user, read):
    """Why `user` cannot reach `path` (traverse its existing directories,
    and read it if `read`), judged by mode bits; None if it can."""
    entry = pwd.getpwnam(user)
    groups = set(os.getgrouplist(user, entry.pw_gid))

    def allowed(st, bits):  # bits: 4 read, 1 execute
        if st.st_uid == entry.pw_uid:
            return st.st_mode & (bits << 6)
        if st.st_gid in groups:
            return st.st_mode & (bits << 3)
        return st.st_mode & bits

    parts = os.path.abspath(path).split(os.sep)
    for i in range(2, len(parts) + 1):
        current = os.sep.join(parts[:i]) or os.sep
        try:
            st = os.stat(current)
        except FileNotFoundError:
            if read:
                return f"{path} does not exist"
            return None  # the MDA makes the rest
        last = i == len(parts)
        if not last or not read:
            if os.path.isdir(current) and not allowed(st, 1):
                return (f"user {user} cannot traverse {current} (mode {st.st_mode & 0o7777:o}, "
                        f"owner {st.st_uid}:{st.st_gid}): Dovecot needs it for {path}")
        elif not allowed(st, 4):
            return (f"user {user} cannot read {path} (mode {st.st_mode & 0o7777:o}, "
                    f"owner {st.st_uid}:{st.st_gid})")
    return None


class DovecotImap(ForegroundServer):
    """One throwaway Dovecot serving IMAP (plaintext, no TLS) on 127.0.0.1.

    mail_root: the MDA's mail_root (<mail_root>/<domain>/<user>/ Maildirs).
    passwd_file: Dovecot passwd-file with "user@domain:{SCHEME}hash" lines
    (names in lower case: logins are lowercased before the lookup).
    extra_config: more dovecot.conf lines, appended.
    """

    log_name = "dovecot.log"
    output_name = "dovecot.out"  # Dovecot's own output (config errors before it opened its log)

    def __init__(self, mail_root, passwd_file, extra_config="", lmtp_port=None, lmtp_socket=None):
        super().__init__()
        self.mail_root = os.path.abspath(mail_root)
        self.passwd_file = os.path.abspath(passwd_file)
        self.extra_config = extra_config
        self.lmtp_port = lmtp_port
        self.lmtp_socket = os.path.abspath(lmtp_socket) if lmtp_socket else None

    def _lmtp_config(self):
        if self.lmtp_port is None and self.lmtp_socket is None:
            return ""
        listeners = ""
        if self.lmtp_port is not None:
            listeners += f"""
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {self.lmtp_port}
  }}"""
        if self.lmtp_socket is not None:
            listeners += f"""
  unix_listener {self.lmtp_socket} {{
    mode = 0666
  }}"""
        return f"""
service lmtp {{{listeners}
}}
"""

    def _config(self):
        d, mail = self.dir, self.mail_root
        lmtp = self.lmtp_port is not None or self.lmtp_socket is not None
        return f"""\
protocols = imap{" lmtp" if lmtp else ""}
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
instance_name = mailpipe-dovecot-{self.port}
log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
# A refused login is answered at once, not after 2 s.
auth_failure_delay = 0
mail_location = maildir:{mail}/%d/%n:INDEX={d}/index/%d/%n:CONTROL={d}/index/%d/%n
mail_uid = {MAIL_USER}
mail_gid = {MAIL_GROUP}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=CRYPT username_format=%Lu {self.passwd_file}
}}
userdb {{
  driver = static
  args = uid={MAIL_USER} gid={MAIL_GROUP} home={mail}/%d/%n
}}
{self._lmtp_config()}
{self.extra_config}
"""

    def start(self, timeout=10.0):
        reason = available(lmtp=self.lmtp_port is not None or self.lmtp_socket is not None)
        if reason:
            raise RuntimeError(reason)
        # Else Dovecot starts fine and only logs "Permission denied" at login.
        problem = (_unreachable(self.passwd_file, "dovecot", read=True)
                   or _unreachable(self.mail_root, MAIL_USER, read=False))
        if problem:
            raise RuntimeError(problem)
        self.port = free_port()
        self._make_dir("mailpipe-dovecot-")
        # Index and control files are written as the mail user.
        os.makedirs(self.path("index"))
        nobody = pwd.getpwnam(MAIL_USER)
        os.chown(self.path("index"), nobody.pw_uid, nobody.pw_gid)
        with open(self.path("dovecot.conf"), "w") as f:
            f.write(self._config())
        # -F: foreground, so the pid is the master's.
        self._spawn([DOVECOT, "-F", "-c", self.path("dovecot.conf")])
        self._wait_ready(self._accepting, timeout, "dovecot")
        return self

    def _accepting(self):
        return (greets(("127.0.0.1", self.port), b"* OK")
                and (self.lmtp_port is None or greets(("127.0.0.1", self.lmtp_port), b"220 "))
                and (self.lmtp_socket is None or greets(self.lmtp_socket, b"220 ")))

    # --- IMAP client -----------------------------------------------------
    def fetch_all(self, user, password, mailbox="INBOX", readonly=True, timeout=10):
        """Full messages (bytes, CRLF line ends) in `mailbox`, in IMAP order.
        Raises imaplib.IMAP4.error if the login is refused."""
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=timeout)
        try:
            imap.login(user, password)
            status, data = imap.select(mailbox, readonly=readonly)
            if status != "OK":
                raise imaplib.IMAP4.error(f"SELECT {mailbox}: {status} {data}")
            status, data = imap.search(None, "ALL")
            if status != "OK":
                raise imaplib.IMAP4.error(f"SEARCH ALL: {status} {data}")
            messages = []
            for number in data[0].split():
                status, parts = imap.fetch(number, "(BODY.PEEK[])")
                if status != "OK":
                    raise imaplib.IMAP4.error(f"FETCH {number}: {status} {parts}")
                bodies = [part[1] for part in parts if isinstance(part, tuple)]
                if len(bodies) != 1:
                    raise imaplib.IMAP4.error(f"FETCH {number}: unexpected reply {parts!r}")
                messages.append(bodies[0])
            return messages
        finally:
            try:
                imap.logout()
            except (imaplib.IMAP4.error, OSError):
                imap.shutdown()
