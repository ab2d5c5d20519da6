#pragma once
// Asks MTAs' admin endpoints one AdminRequest each, all at once, and
// waits at most `timeout` in total: a stopped MTA, a wrong socket path or
// a hung process costs the operator one timeout, never a hang. One plain
// DEALER socket per MTA (not the Asio ZmqClient: a CLI asks once and
// exits, and one socket per MTA tells us which of them did not answer).
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "mailpipe.pb.h"

namespace mailpipe::ctl {

struct MtaAnswer {
  std::string endpoint;
  std::optional<v1::AdminReply> reply;  // none: the MTA could not be reached
  std::string problem;                  // why there is no reply, with what to do

  // The MTA's own name (AdminReply.mta) once it answered, else its endpoint.
  std::string name() const;
};

// One answer per endpoint, in the same order. An ErrorReply frame comes
// back as a reply holding its status.
std::vector<MtaAnswer> ask_every_mta(const std::vector<std::string>& endpoints, const v1::AdminRequest& request,
                                     std::chrono::milliseconds timeout);

}  // namespace mailpipe::ctl
