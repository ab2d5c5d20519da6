#pragma once
// The MTA's front door for Submit requests (from an MSA or an MX front).
// Validates the envelope at this trust boundary (the sender may be another
// host), makes the message durable in the spool, and only then answers
// 250 with the queue id (DESIGN rule 1). A full disk is 452 4.3.1, any
// other failure 451 4.3.0: the sender keeps the mail and retries.
//
// Aliases are expanded here, where every message enters the queue (from
// an MSA or the inbound MX), so they work the same for local and remote
// senders. An expanded recipient keeps the address the sender wrote as
// its ORCPT (RFC 3461 4.2), for DSNs; duplicates are delivered once.
//
// A message with more Received fields than max_received_headers is
// looping between MTAs (RFC 5321 6.3): refused with 554 5.4.6, never
// queued. Counted here, after the MSA or MX added its own field, so our
// hop counts too.
#include <asio.hpp>
#include <cstddef>
#include <optional>

#include "common/os/blocking_work.hpp"
#include "common/smtp/reply.hpp"
#include "mailpipe.pb.h"
#include "mta/queue_runner.hpp"
#include "mta/recipient_resolver.hpp"
#include "mta/spool.hpp"

namespace mailpipe::mta {

class Intake final {
 public:
  // The spool writes run on `work` when given (off the event loop, so the
  // fsyncs of concurrent submissions overlap), else on the loop.
  Intake(Spool& spool, QueueRunner& queue, const RecipientResolver& resolver, std::size_t max_received_headers,
         BlockingWork* work = nullptr);

  asio::awaitable<v1::Frame> handle(v1::Frame request);
  // The answer to one Submit, once the message is durable (or refused).
  asio::awaitable<v1::SubmitReply> submit(v1::Submit submit);
  // Submits between arrival and answer (a graceful stop waits for them).
  std::size_t active() const { return active_; }
  // A graceful stop: new Submits get 451 4.3.2, so their sender offers
  // them to another MTA at once; those already here finish.
  void stop() { stopping_ = true; }

 private:
  // nullopt, or the refusal when the aliases loop for a recipient.
  std::optional<smtp::Reply> expand_recipients(v1::Envelope& envelope) const;

  Spool& spool_;
  QueueRunner& queue_;
  const RecipientResolver& resolver_;
  std::size_t max_received_headers_;  // MtaConfig.max_received_headers
  BlockingWork* work_;
  std::size_t active_ = 0;
  bool stopping_ = false;
};

}  // namespace mailpipe::mta
