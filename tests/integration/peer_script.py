"""The script a hostile_peer.HostilePeer plays: what it answers at each
step, with helpers that build the callable replies tests use.

Each reply is raw bytes sent as they are (several replies in one value
are "extra" replies, None is silence), or a callable f(turn) -> bytes |
None, where turn.argument is the command line (the address for "rcpt",
the body for "dot") and turn.transaction the transaction so far.
"""

DEFAULT_SCRIPT = {
    "lmtp": False,                 # LHLO, and one reply per recipient after the dot
    "hostname": "peer.test",       # in the greeting and the EHLO/LHLO reply
    "greeting": None,              # default: b"220 <hostname> ESMTP hostile-peer\r\n"
    "hangup_after_greeting": False,
    "extensions": ["PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "SIZE 52428800"],
    "ehlo": None,                  # default: built from hostname and extensions
    "mail": b"250 2.1.0 Sender ok\r\n",
    "rcpt": b"250 2.1.5 Recipient ok\r\n",
    "data": b"354 End data with <CR><LF>.<CR><LF>\r\n",   # body read iff a line starts with 354
    "early_reply": None,           # (after_bytes, reply): sent once while the body still comes
    "dot": b"250 2.0.0 Ok: queued\r\n",                    # SMTP: reply to the final dot
    "after_dot_later": None,       # f(turn) -> (seconds, bytes) | None: sent that long after the dot's reply
    "lmtp_dot": None,              # LMTP: f(turn) -> [(rcpt or None for a stray, reply bytes)]
    "rset": b"250 2.0.0 Ok\r\n",
    "noop": b"250 2.0.0 Ok\r\n",
    "quit": b"221 2.0.0 Bye\r\n",
}


def merged_script(script):
    """DEFAULT_SCRIPT with these keys replaced; unknown keys are an error."""
    unknown = set(script) - set(DEFAULT_SCRIPT)
    if unknown:
        raise KeyError(f"unknown script keys: {sorted(unknown)}")
    merged = dict(DEFAULT_SCRIPT)
    merged.update(script)
    return merged


class Turn:
    """What a callable reply is given: the peer, the connection's number,
    the transaction so far (None outside one) and the argument."""

    def __init__(self, peer, connection, transaction, argument):
        self.peer = peer
        self.connection = connection
        self.transaction = transaction
        self.argument = argument


def reply_code(reply):
    """The reply's three-digit code; 0 for silence or a malformed reply."""
    try:
        return int(reply[:3])
    except (TypeError, ValueError):
        return 0


def per_recipient(replies, default=DEFAULT_SCRIPT["rcpt"]):
    """A "rcpt" script: replies[address] for those addresses, else default."""
    lowered = {address.lower(): reply for address, reply in replies.items()}
    return lambda turn: lowered.get(turn.argument.lower(), default)


def if_body_contains(marker, then, otherwise):
    """A "dot" script: `then` for a body containing marker (bytes)."""
    return lambda turn: then if marker in turn.argument else otherwise


def taken(transaction):
    """The recipients of a transaction the peer said 2xx to at RCPT."""
    return [rcpt for rcpt, reply in zip(transaction["rcpts"], transaction["rcpt_replies"])
            if reply_code(reply) // 100 == 2]


def lmtp_replies(*replies):
    """An "lmtp_dot" script: replies[i] is sent for the i-th recipient
    taken at RCPT; more replies than recipients are strays (None as
    recipient), fewer leave the rest unanswered (silence)."""
    def script(turn):
        rcpts = taken(turn.transaction)
        return [(rcpts[i] if i < len(rcpts) else None, reply) for i, reply in enumerate(replies)]
    return script
