"""Our wire contract (proto/mailpipe.proto) for Python tests and tools:
the Python code is generated with protoc into a temp dir once per test
process (Debian's protoc and python3-protobuf), so it always matches the
.proto in this checkout.

    mailpipe_pb2 = wire.load()
    frame = mailpipe_pb2.Frame(request_id=1, deliver=mailpipe_pb2.Deliver(...))
"""
import atexit
import importlib
import os
import shutil
import subprocess
import sys
import tempfile

PROTO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto")
_module = None


def load():
    global _module
    if _module is None:
        out = tempfile.mkdtemp(prefix="mailpipe-wire-")
        atexit.register(shutil.rmtree, out, True)
        subprocess.run(["protoc", f"--proto_path={PROTO_DIR}", f"--python_out={out}", "mailpipe.proto"],
                       check=True, capture_output=True, timeout=60)
        sys.path.insert(0, out)
        _module = importlib.import_module("mailpipe_pb2")
    return _module


class ZmqPeer:
    """A DEALER socket speaking Frames to one endpoint (an MDA or an MTA
    intake), one request at a time, bounded in time."""

    def __init__(self, endpoint, timeout_ms=5000, curve=None):
        """curve: (server public, client public, client secret), Z85 bytes."""
        import zmq
        self.pb = load()
        self.context = zmq.Context()
        self.socket = self.context.socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.setsockopt(zmq.RCVTIMEO, timeout_ms)
        if curve:
            self.socket.curve_serverkey, self.socket.curve_publickey, self.socket.curve_secretkey = curve
        self.socket.connect(endpoint)
        self.next_id = 1

    def request(self, **body):
        """Sends Frame(request_id, **body); returns the reply Frame."""
        frame = self.pb.Frame(request_id=self.next_id, **body)
        self.next_id += 1
        self.socket.send(frame.SerializeToString())
        reply = self.pb.Frame()
        reply.ParseFromString(self.socket.recv())
        assert reply.request_id == frame.request_id, (reply, frame.request_id)
        return reply

    def close(self):
        self.socket.close()
        self.context.term()
