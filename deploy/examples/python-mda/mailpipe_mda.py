#!/usr/bin/python3
"""A complete mailpipe MDA in Python: proof that the MDA is swappable.

It speaks the Deliver contract of proto/mailpipe.proto (see
docs/mda-contract.md) on a ZeroMQ ROUTER socket and writes each recipient's
copy into a Maildir (<root>/<domain>/<user>/new/, DJB's tmp -> new rule) or
appends it to an mbox (<root>/<domain>/<user>.mbox, "From " line, >From
quoting, an exclusive lock), answering DELIVERED only once the copy is on
disk (fsync'd), TEMPFAIL when it may work later (a full disk), PERMFAIL
only for an address that is not safe as a path.

Needs Debian's python3-zmq and python3-protobuf, and protoc (the Python
code is generated from the .proto at start, so it always matches):

    mailpipe_mda.py --endpoint tcp://127.0.0.1:2601 --root /var/mail/vhosts [--mbox]
        [--proto-dir /path/to/mailpipe/proto]

Point the MTA at it with `mda_endpoint: "tcp://127.0.0.1:2601"` in mta.conf.
"""
import argparse
import errno
import fcntl
import importlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
SAFE = re.compile(r"^[a-z0-9_+-][a-z0-9._+-]{0,254}$")  # a path component we will create


def load_contract(proto_dir):
    """Generates mailpipe_pb2 from proto_dir/mailpipe.proto and imports it."""
    out = tempfile.mkdtemp(prefix="mailpipe-mda-pb-")
    subprocess.run(["protoc", f"--proto_path={proto_dir}", f"--python_out={out}", "mailpipe.proto"],
                   check=True, timeout=60)
    sys.path.insert(0, out)
    module = importlib.import_module("mailpipe_pb2")
    shutil.rmtree(out, ignore_errors=True)
    return module


def log(event, **fields):
    """One key=value line per event on stderr, like the C++ processes."""
    parts = [f"ts={time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}", "proc=python-mda", f"event={event}"]
    for key, value in fields.items():
        text = str(value).encode("unicode_escape").decode()
        parts.append(f'{key}="{text}"' if (" " in text or not text) else f"{key}={text}")
    print(" ".join(parts), file=sys.stderr, flush=True)


def mailbox_parts(address):
    """(domain, user) safe as path components, or None."""
    local, _, domain = address.rpartition("@")
    local, domain = local.lower(), domain.lower()
    if not local or not SAFE.match(local) or not SAFE.match(domain):
        return None
    return domain, local


def content_for(mail_from, recipient, message):
    """Return-Path and Delivered-To on top, LF line ends (as Maildir readers expect)."""
    clean = lambda text: re.sub(r"[\x00-\x1f\x7f]", "?", text)
    head = f"Return-Path: <{clean(mail_from)}>\nDelivered-To: {clean(recipient)}\n".encode()
    return head + message.replace(b"\r\n", b"\n")


def fsync_dir(path):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def deliver_maildir(root, domain, user, content):
    maildir = os.path.join(root, domain, user)
    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(maildir, sub), mode=0o700, exist_ok=True)
    # DJB: time.M<usec>P<pid>Q<n>.host, unique per delivery.
    now = time.time()
    name = f"{int(now)}.M{int(now * 1e6) % 1000000}P{os.getpid()}Q{deliver_maildir.count}.{socket.gethostname()}"
    deliver_maildir.count += 1
    tmp, new = os.path.join(maildir, "tmp", name), os.path.join(maildir, "new", name)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, content)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.link(tmp, new)  # never replaces an existing file
    fsync_dir(os.path.join(maildir, "new"))
    os.unlink(tmp)
    return new


deliver_maildir.count = 0


def deliver_mbox(root, domain, user, mail_from, content):
    os.makedirs(os.path.join(root, domain), mode=0o700, exist_ok=True)
    path = os.path.join(root, domain, user + ".mbox")
    body = re.sub(rb"^(>*From )", rb">\1", content, flags=re.MULTILINE)  # mboxrd quoting
    envelope = f"From {mail_from or 'MAILER-DAEMON'} {time.asctime(time.gmtime())}\n".encode()
    with open(path, "ab") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(envelope + body + (b"" if body.endswith(b"\n") else b"\n") + b"\n")
        f.flush()
        os.fsync(f.fileno())
    return path


def deliver(pb, request, root, mbox):
    reply = pb.DeliverReply(delivery_id=request.delivery_id)
    envelope = request.envelope
    for recipient in request.recipients:
        result = reply.results.add(address=recipient.address)
        parts = mailbox_parts(recipient.address)
        if parts is None:
            result.outcome = pb.PERMFAIL
            result.status.code, result.status.enhanced = 550, "5.1.3"
            result.status.text = "Mailbox name not allowed"
            continue
        try:
            content = content_for(envelope.mail_from, recipient.address, request.message)
            where = (deliver_mbox(root, *parts, envelope.mail_from, content) if mbox
                     else deliver_maildir(root, *parts, content))
            result.outcome = pb.DELIVERED
            result.status.code, result.status.enhanced = 250, "2.0.0"
            result.status.text = "Delivered"
            log("delivered", queue_id=envelope.queue_id, to=recipient.address, file=where)
        except OSError as e:
            full = e.errno in (errno.ENOSPC, errno.EDQUOT)
            result.outcome = pb.TEMPFAIL  # the MTA keeps the mail and retries
            result.status.code = 452 if full else 451
            result.status.enhanced = "4.3.1" if full else "4.3.0"
            result.status.text = f"Cannot write mailbox: {e.strerror}"
            log("deferred", queue_id=envelope.queue_id, to=recipient.address, error=e.strerror)
    return reply


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--endpoint", required=True, help="zmq bind, e.g. tcp://127.0.0.1:2601")
    parser.add_argument("--root", required=True, help="mailboxes live at ROOT/<domain>/<user>")
    parser.add_argument("--mbox", action="store_true", help="append to ROOT/<domain>/<user>.mbox instead of Maildir")
    parser.add_argument("--proto-dir", default=os.path.join(HERE, "..", "..", "..", "proto"))
    args = parser.parse_args()

    pb = load_contract(args.proto_dir)
    context = zmq.Context()
    sock = context.socket(zmq.ROUTER)
    sock.setsockopt(zmq.LINGER, 1000)
    sock.bind(args.endpoint)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    log("ready", endpoint=args.endpoint, root=args.root, format="mbox" if args.mbox else "maildir")
    poller = zmq.Poller()
    poller.register(sock, zmq.POLLIN)
    while not stopping:
        if not dict(poller.poll(200)):
            continue
        frames = sock.recv_multipart()
        if len(frames) != 2:
            continue  # not ours: [identity, one Frame]
        identity, payload = frames
        request, response = pb.Frame(), pb.Frame()
        try:
            request.ParseFromString(payload)
        except Exception:  # a broken frame gets no answer; the MTA times out and retries
            log("bad_frame", bytes=len(payload))
            continue
        response.request_id = request.request_id
        if request.HasField("deliver"):
            response.deliver_reply.CopyFrom(deliver(pb, request.deliver, args.root, args.mbox))
        else:
            response.error.status.code, response.error.status.enhanced = 502, "5.5.1"
            response.error.status.text = "This endpoint takes Deliver requests only"
        sock.send_multipart([identity, response.SerializeToString()])
    log("stopped")
    sock.close()
    context.term()


if __name__ == "__main__":
    main()
