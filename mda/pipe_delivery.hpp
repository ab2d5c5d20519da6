#pragma once
// Delivery through a command (a PIPE rule): procmail, maildrop, a script.
// One run per recipient, argv from the rule's template (pipe_command.hpp),
// the message on stdin as in a Maildir file: Return-Path and Delivered-To
// on top and LF line ends, which is what procmail, maildrop and the mbox
// world expect. The command's exit status is the outcome, as sysexits(3)
// and Postfix's pipe(8) have it:
//
//   0                                   DELIVERED 250 2.0.0
//   75 EX_TEMPFAIL, 71 EX_OSERR,        TEMPFAIL  451 4.3.0 (try again)
//   73 EX_CANTCREAT, 74 EX_IOERR
//   killed by a signal or the timeout   TEMPFAIL  451 4.3.0
//   could not be started (exec failed)  TEMPFAIL  451 4.3.0 (an operator's fix; keep the mail)
//   any other exit code                 PERMFAIL  550 5.3.0 with the code and
//                                       the first line of stderr
#include <asio.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "mailpipe.pb.h"
#include "mda/child_process.hpp"

namespace mailpipe::mda {

struct PipeTarget {
  std::vector<std::string> command;  // templates, checked at start-up
  std::optional<ChildUser> user;     // nullopt: run as the MDA's user
  std::chrono::milliseconds timeout{60000};
};

struct PipeOutcome {
  v1::RecipientResult result;
  std::optional<ChildResult> run;  // unset when refused before running
};

asio::awaitable<PipeOutcome> deliver_by_pipe(const PipeTarget& target, const v1::Deliver& request,
                                             const std::string& recipient);

// The outcome of one run of `program` (argv[0]) for `address`.
v1::RecipientResult pipe_result(const std::string& address, const std::string& program, const ChildResult& run,
                                std::chrono::milliseconds timeout);

}  // namespace mailpipe::mda
