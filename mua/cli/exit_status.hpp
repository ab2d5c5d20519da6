#pragma once
// How an mpmail command ends. The exit status is part of the program's
// interface (scripts test it), so every way out names one of these.
#include "common/cli/failure.hpp"

namespace mailpipe::mua {

enum class Exit : int {
  ok = 0,
  failed = 1,         // a local problem: a file, the Maildir; the message says which
  usage = 2,          // bad command line
  login_refused = 3,  // the server refused AUTH (or offers no method we know)
  refused = 4,        // the server refused the sender, a recipient or the message
  unreachable = 5,    // cannot resolve, connect, secure (TLS) or keep the connection
};

// A command that cannot go on. `what()` is the whole message for the
// user: what happened and, where it helps, what to do.
using Failure = cli::Failure<Exit>;

}  // namespace mailpipe::mua
