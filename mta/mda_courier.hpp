#pragma once
// How mail leaves the MTA for a local mailbox: a Deliver request to the MDA
// (ours or anyone's that speaks proto/mailpipe.proto), one result per
// recipient. No answer in time means TEMPFAIL for everyone: the queue keeps
// the message and tries again (DESIGN rule 1; delivery is at-least-once).
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "common/transport/zmq_client.hpp"
#include "mta/courier.hpp"
#include "mailpipe.pb.h"

namespace mailpipe::mta {

class MdaCourier final : public Courier {
 public:
  MdaCourier(transport::ZmqClient& mda, std::chrono::milliseconds timeout);

  // delivery_id "<queue_id>.<attempt>" lets an MDA spot a redelivery.
  asio::awaitable<std::map<std::string, v1::RecipientResult>> deliver(
      const std::string& queue_id, uint32_t attempt, const v1::Envelope& envelope,
      const std::vector<std::string>& recipients, const std::string& message) override;

 private:
  transport::ZmqClient& mda_;
  std::chrono::milliseconds timeout_;
};

}  // namespace mailpipe::mta
