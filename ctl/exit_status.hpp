#pragma once
// How a mailpipectl command ends. The exit status is part of the tool's
// interface (scripts test it), so every way out names one of these.
#include "common/cli/failure.hpp"

namespace mailpipe::ctl {

enum class Exit : int {
  ok = 0,
  failed = 1,       // refused or failed: the message says why and what to do
  usage = 2,        // bad command line: the usage text follows
  unreachable = 3,  // an MTA did not answer within timeout_ms
};

// A command that cannot go on. `what()` is the whole message for the
// operator: what happened and what to do about it.
using Failure = cli::Failure<Exit>;

}  // namespace mailpipe::ctl
