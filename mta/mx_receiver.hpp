#pragma once
// Where the inbound MX's accepted messages go: straight into this MTA's
// Intake, in process, so the 250 after DATA means the message is durable
// in our spool (DESIGN rule 1) with no extra hop. The message gets one
// Received field with the TLS details (RFC 5321 4.4, RFC 3848) and is
// otherwise stored as it came (8BITMIME and SMTPUTF8 untouched); aliases
// are expanded by the Intake, as for every message.
#include <string>

#include "common/smtp/policy.hpp"
#include "mta/intake.hpp"

namespace mailpipe::mta {

class MxReceiver final : public smtp::MessageSink {
 public:
  MxReceiver(Intake& intake, std::string hostname);

  asio::awaitable<smtp::Reply> accept(const smtp::SessionInfo& session, const smtp::Transaction& transaction,
                                      std::string message) override;

 private:
  Intake& intake_;
  std::string hostname_;
};

}  // namespace mailpipe::mta
