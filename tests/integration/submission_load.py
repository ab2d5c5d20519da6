"""Many messages over several SMTP sessions, submitted the way a real
client does (a 4xx or a dropped connection: keep the mail, reconnect, try
again), while a chaos thread kills processes: the load of the chaos test
(test_durability) and of the multi-host test.

    load = SubmissionLoad(messages=1000, connections=8, deadline_s=240,
                          connect=lambda: logged_in_smtp(), message_for=lambda token: ("demo", to, body))
    submit_s = load.run(chaos)        # chaos(load) runs beside the sessions
    load.accepted["demo"]             # the tokens a client got 250 for
    load.refused                      # token -> the 5xx

Each token is submitted until it is accepted (250) or refused (5xx), or the
deadline passes. load.done is set once every session has ended, so chaos
can go on until then.
"""
import collections
import smtplib
import ssl
import threading
import time


class SubmissionLoad:
    def __init__(self, messages, connections, deadline_s, connect, message_for, retry_pause_s=0.05):
        """connect(): a logged-in smtplib client. message_for(token): (kind,
        recipient, message bytes); accepted tokens are counted by kind."""
        self.pending = list(range(messages))
        self.connections, self.deadline_s = connections, deadline_s
        self.connect, self.message_for, self.retry_pause_s = connect, message_for, retry_pause_s
        self.accepted = collections.defaultdict(set)
        self.refused = {}
        self.done = threading.Event()
        self._lock = threading.Lock()
        self._deadline = None

    def count(self):
        """Tokens accepted so far, of every kind."""
        with self._lock:
            return sum(len(tokens) for tokens in self.accepted.values())

    def _take(self):
        with self._lock:
            return self.pending.pop() if self.pending else None

    def _session(self, sender):
        smtp = None
        token = self._take()
        while token is not None and time.monotonic() < self._deadline:
            kind, to, message = self.message_for(token)
            try:
                if smtp is None:
                    smtp = self.connect()
                smtp.sendmail(sender, [to], message)
                with self._lock:
                    self.accepted[kind].add(token)
                token = self._take()
            except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as e:
                if getattr(e, "smtp_code", 0) >= 500:
                    with self._lock:
                        self.refused[token] = str(e)
                    token = self._take()
                # 4xx: the client keeps the mail and tries again, as a real one does.
                smtp = close(smtp)
                time.sleep(self.retry_pause_s)
            except (OSError, smtplib.SMTPException, ssl.SSLError):
                smtp = close(smtp)  # the MSA died under us: reconnect
                time.sleep(self.retry_pause_s)
        close(smtp)

    def run(self, chaos, sender):
        """Runs the sessions (from `sender`) and chaos(self) side by side,
        until both are done; returns the seconds it took."""
        started = time.monotonic()
        self._deadline = started + self.deadline_s
        sessions = [threading.Thread(target=self._session, args=(sender,)) for _ in range(self.connections)]
        chaos_thread = threading.Thread(target=chaos, args=(self,))
        chaos_thread.start()
        for thread in sessions:
            thread.start()
        for thread in sessions:
            thread.join()
        self.done.set()
        chaos_thread.join()
        return time.monotonic() - started

    def past_deadline(self):
        return time.monotonic() >= self._deadline


def close(smtp):
    """Closes an smtplib client (None is fine); returns None."""
    if smtp is not None:
        try:
            smtp.close()
        except OSError:
            pass
    return None
