"""The chain spread over six hosts (issue 8): msa, mta1, mta2, mda, dns and
sink are network namespaces on one bridge (netns.py), every zmq link
between them is CURVE, and a load of a few hundred messages goes in while
one MTA is killed with SIGKILL and restarted.

                 Submit, CURVE      Deliver, CURVE
    client --465--> msa ---+--> mta1 --+--> mda --> Maildir (demo@example.test)
                           +--> mta2 --+
                       mta1, mta2 --SMTP 25--> sink: smtp-sink, the MX of remote.test
                                               in dnsmasq on the dns host

Half the messages are for demo@example.test (the Maildir), half for
someone@remote.test (the sink's dump files); each carries a token in its
Subject. Every message a client got 250 for must arrive where it belongs:
the test prints `accepted=N delivered=N lost=0 duplicated=K` and fails on
any loss. It also checks that both MTAs took a share of the load and that
a zmq client with a key nobody listed gets no answer from an MTA intake or
from the MDA, which log event=link_refused.

Needs root (namespaces, ports 25/53/465), dnsmasq and Postfix's smtp-sink;
skipped without them. MAILPIPE_MULTIHOST_MESSAGES changes the load (300).
"""
import os
import random
import re
import smtplib
import time
import unittest

import zmq

import wire
from harness import USERS, client_tls_context, wait_until
from multihost import INTAKE_PORT, MDA_PORT, SUBMISSION_PORT, SixHosts
from submission_load import SubmissionLoad

LOCAL, REMOTE = "demo@example.test", "someone@remote.test"


class MultiHost(SixHosts):
    """The hosts, the keys and the processes: multihost.SixHosts."""
    messages = int(os.environ.get("MAILPIPE_MULTIHOST_MESSAGES", "300"))
    connections = 6
    deadline_s = 60      # for the whole load
    delivery_wait_s = 30  # after the load, for the last deliveries

    # --- the test -------------------------------------------------------------
    def test_load_over_six_hosts_with_curve_survives_an_mta_crash(self):
        accepted, refused, crash = self.run_load()
        self.check_every_accepted_message_arrived(accepted)
        self.assertEqual(refused, {})
        self.assertEqual(len(accepted["local"]) + len(accepted["remote"]), self.messages,
                         "not every message was accepted before the deadline")
        self.assertTrue(crash.get("killed") and crash.get("restarted"), crash)
        # Spread: both MTAs queued mail (the restarted one resumed its spool).
        self.assertGreater(self.queued_by("mta1"), 0)
        self.assertGreater(self.queued_by("mta2"), 0)
        # The restarted MTA resumed its own spool, and both spools drain.
        recovered = re.findall(r"event=ready .*?recovered=(\d+)", self.log(crash["killed"]))
        self.assertEqual(len(recovered), 2, self.log(crash["killed"])[-2000:])
        after_restart = self.log(crash["killed"]).rsplit("event=ready", 1)[1].count("event=queued ")
        print(f"{crash['killed']} recovered={recovered[-1]} after its restart, then queued {after_restart} new")
        self.assertTrue(wait_until(lambda: self.spooled("mta1") + self.spooled("mta2") == [], 10),
                        f"still queued: mta1 {self.spooled('mta1')[:5]} mta2 {self.spooled('mta2')[:5]}")
        self.check_strangers_are_refused(survivor="mta2" if crash["killed"] == "mta1" else "mta1")

    def run_load(self):
        crash = {}

        def crasher(load):
            # SIGKILL one MTA a quarter of the way in; start it again half way
            # (and no sooner than 2 s later), so it has a share to take again.
            victim = random.choice(["mta1", "mta2"])
            wait_until(lambda: load.count() >= self.messages // 4, self.deadline_s, interval=0.02)
            self.kill(victim)
            crash.update(killed=victim, at=load.count())
            down_since = time.monotonic()
            wait_until(lambda: load.count() >= self.messages // 2 and time.monotonic() - down_since >= 2,
                       self.deadline_s, interval=0.05)
            crash["down_s"] = time.monotonic() - down_since
            self.start(victim)
            crash["restarted"] = load.count()

        load = SubmissionLoad(self.messages, self.connections, self.deadline_s, self.connect, self.message_for,
                              retry_pause_s=0.1)
        self.submit_s = load.run(crasher, LOCAL)
        print(f"crash: {crash.get('killed')} killed at accepted={crash.get('at')}, "
              f"restarted at accepted={crash.get('restarted')} after {crash.get('down_s', 0):.1f}s; "
              f"queued by mta1={self.queued_by('mta1')} mta2={self.queued_by('mta2')}")
        return {kind: load.accepted[kind] for kind in ("local", "remote")}, load.refused, crash

    def connect(self):
        smtp = smtplib.SMTP_SSL(self.ip("msa"), SUBMISSION_PORT, timeout=20, context=client_tls_context())
        smtp.login(LOCAL, USERS[LOCAL])
        return smtp

    @staticmethod
    def message_for(token):
        kind, to = ("local", LOCAL) if token % 2 == 0 else ("remote", REMOTE)
        body = f"Subject: multihost-{token}\r\nMessage-ID: <multihost-{token}@client.test>\r\n\r\nfor {to}\r\n"
        return kind, to, body.encode()

    def check_every_accepted_message_arrived(self, accepted):
        def arrived():
            return (accepted["local"] <= set(self.maildir_tokens())
                    and accepted["remote"] <= set(self.sink_tokens()))
        started = time.monotonic()
        # Counted once both spools are empty too: no late duplicate to come.
        wait_until(lambda: arrived() and self.spooled("mta1") + self.spooled("mta2") == [],
                   self.delivery_wait_s, interval=0.5)
        local, remote = self.maildir_tokens(), self.sink_tokens()
        delivered = (accepted["local"] & set(local)) | (accepted["remote"] & set(remote))
        everything = accepted["local"] | accepted["remote"]
        lost = sorted(everything - delivered)
        duplicated_local, duplicated_remote = len(local) - len(set(local)), len(remote) - len(set(remote))
        duplicated = duplicated_local + duplicated_remote
        misrouted = sorted({t for t in local if t % 2} | {t for t in remote if t % 2 == 0})
        unacknowledged = len((set(local) | set(remote)) - everything)
        print(f"accepted={len(everything)} delivered={len(delivered)} lost={len(lost)} duplicated={duplicated} "
              f"(accepted local {len(accepted['local'])} remote {len(accepted['remote'])}; "
              f"duplicated local {duplicated_local} remote {duplicated_remote}; "
              f"unacknowledged={unacknowledged}) submit_s={self.submit_s:.1f} "
              f"drain_s={time.monotonic() - started:.1f}")
        self.assertEqual(misrouted, [])
        self.assertEqual(lost, [], f"lost tokens (even: local, odd: remote): {lost[:50]}")

    def check_strangers_are_refused(self, survivor):
        """A zmq client whose key nobody listed gets no answer (ZAP refuses
        the handshake), and the server says so in its log."""
        pb = wire.load()
        stranger_public, stranger_secret = zmq.curve_keypair()
        envelope = pb.Envelope(mail_from="x@evil.test", recipients=[pb.Recipient(address="intruder@example.test")])
        message = b"Subject: forged\r\n\r\nx\r\n"

        intake = f"tcp://{self.ip(survivor)}:{INTAKE_PORT}"
        peer = wire.ZmqPeer(intake, timeout_ms=1500,
                            curve=(self.keys["mta-intake"].encode(), stranger_public, stranger_secret))
        self.addCleanup(peer.close)
        with self.assertRaises(zmq.Again):
            peer.request(submit=pb.Submit(envelope=envelope, message=message))
        self.assertTrue(wait_until(lambda: "event=link_refused domain=mailpipe-intake" in self.log(survivor), 2),
                        self.log(survivor)[-2000:])
        plain = wire.ZmqPeer(intake, timeout_ms=1000)
        self.addCleanup(plain.close)
        with self.assertRaises(zmq.Again):
            plain.request(submit=pb.Submit(envelope=envelope, message=message))

        with self.subTest("the MDA refuses a client it does not list"):
            mda = f"tcp://{self.ip('mda')}:{MDA_PORT}"
            deliver = pb.Deliver(delivery_id="forged.1", envelope=envelope,
                                 recipients=[pb.DeliveryRecipient(address="intruder@example.test")], message=message)
            peer = wire.ZmqPeer(mda, timeout_ms=1500,
                                curve=(self.keys["mda"].encode(), stranger_public, stranger_secret))
            self.addCleanup(peer.close)
            with self.assertRaises(zmq.Again):
                peer.request(deliver=deliver)
            self.assertTrue(wait_until(lambda: "event=link_refused domain=mailpipe-mda" in self.log("mda"), 2),
                            self.log("mda")[-2000:])
            plain = wire.ZmqPeer(mda, timeout_ms=1000)
            self.addCleanup(plain.close)
            with self.assertRaises(zmq.Again):
                plain.request(deliver=deliver)
        self.assertFalse(os.path.exists(self.path("mail", "example.test", "intruder")))


if __name__ == "__main__":
    unittest.main()
