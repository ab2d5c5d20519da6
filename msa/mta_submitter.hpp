#pragma once
// Where the MSA's accepted messages go: a Submit to one of the MTA intakes
// over ZeroMQ. The client gets the MTA's own answer (250 only once the
// message is durable there); no answer within submit_timeout_ms is a
// 451 4.3.0 and the client keeps its mail (DESIGN rule 1).
#include <chrono>
#include <string>

#include "common/smtp/policy.hpp"
#include "msa/mta_pool.hpp"

namespace mailpipe::msa {

class MtaSubmitter final : public smtp::MessageSink {
 public:
  MtaSubmitter(MtaPool& mtas, std::string hostname, std::chrono::milliseconds submit_timeout);

  void set_submit_timeout(std::chrono::milliseconds timeout) { submit_timeout_ = timeout; }

  asio::awaitable<smtp::Reply> accept(const smtp::SessionInfo& session, const smtp::Transaction& transaction,
                                      std::string message) override;

 private:
  MtaPool& mtas_;
  std::string hostname_;
  std::chrono::milliseconds submit_timeout_;
};

}  // namespace mailpipe::msa
