#pragma once
// Sends each recipient of a Deliver its own way, as the delivery rules
// (MdaConfig.delivery, delivery_rules.hpp) say: into its Maildir (no rule
// matched, or a MAILDIR rule), to an LMTP server, or through a command.
// Recipients of one request bound for the same LMTP server share one LMTP
// transaction. The ways run one after the other (Maildirs first, then each
// LMTP server, then each command), so the MTA's deliver_timeout_ms must
// leave room for their timeouts.
//
// Logs one line per recipient: event=delivered|deferred|refused with
// queue_id, to and method (and the server or command).
#include <asio.hpp>
#include <functional>
#include <string>
#include <vector>

#include "common/os/blocking_work.hpp"
#include "config.pb.h"
#include "mailpipe.pb.h"
#include "mda/lmtp_client.hpp"
#include "mda/maildir_delivery.hpp"
#include "mda/pipe_delivery.hpp"

namespace mailpipe::mda {

// "maildir", "lmtp", "pipe": for logs and metrics.
const char* method_name(v1::DeliveryMethod method);

class DeliveryRouter final {
 public:
  // Called once per recipient with its method and outcome (metrics).
  using Observer = std::function<void(v1::DeliveryMethod, const v1::RecipientResult&)>;

  // Resolves every rule's server and user. Throws std::runtime_error naming
  // the rule when one cannot work here (an unknown user, or a user other
  // than ours while we are not root): better at start than at each message.
  // Maildir writes run on `work` when given (off the event loop, so the
  // fsyncs of concurrent Deliver requests overlap), else on the loop.
  DeliveryRouter(const v1::MdaConfig& config, std::string hostname, Observer observer = {},
                 BlockingWork* work = nullptr);

  asio::awaitable<v1::DeliverReply> deliver(const v1::Deliver& request) const;

 private:
  struct Route {
    v1::DeliveryMethod method = v1::MAILDIR;
    LmtpTarget lmtp;
    PipeTarget pipe;
  };
  // Index into routes_ of the rule for `address`, -1 for the default Maildir.
  int route_for(const std::string& address) const;
  void report(const v1::Deliver& request, const Route* route, const v1::RecipientResult& result,
              const ChildResult* run) const;

  BlockingWork* work_;
  google::protobuf::RepeatedPtrField<v1::DeliveryRule> rules_;
  std::vector<Route> routes_;  // one per rule
  std::string hostname_;       // LHLO name
  MaildirDelivery maildir_;
  Observer observer_;
};

}  // namespace mailpipe::mda
