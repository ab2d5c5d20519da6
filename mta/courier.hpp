#pragma once
// A way for mail to leave the queue (chasquid's word): the MDA for local
// domains, SMTP for the rest. A courier reports one outcome per recipient,
// permanent or transient; only the queue decides retries and bounces.
#include <asio.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mailpipe.pb.h"

namespace mailpipe::mta {

class Courier {
 public:
  virtual ~Courier() = default;
  // Every address in `recipients` gets a result. `attempt` counts from 1.
  virtual asio::awaitable<std::map<std::string, v1::RecipientResult>> deliver(
      const std::string& queue_id, uint32_t attempt, const v1::Envelope& envelope,
      const std::vector<std::string>& recipients, const std::string& message) = 0;
};

}  // namespace mailpipe::mta
