#pragma once
// The MTAs an MSA submits to (DESIGN rule 5: the MTA scales out). Each
// MTA has its own link; a message goes to the next MTA in turn, and when
// that one does not acknowledge within mta_attempt_timeout_ms (down, hung,
// or its spool failing with 4xx) the same message is offered to the next,
// all within the client's submit_timeout_ms. An MTA that failed is skipped
// for mta_down_ms, then tried again, so one that comes back rejoins.
//
// A slow MTA may still commit a message that another MTA then also takes:
// a duplicate, never a loss (delivery is at-least-once).
#include <asio.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/transport/zmq_client.hpp"
#include "mailpipe.pb.h"

namespace mailpipe::msa {

struct PoolSettings {
  std::chrono::milliseconds attempt_timeout{10000};
  std::chrono::milliseconds down_for{30000};
};

class MtaPool final {
 public:
  using Clock = std::chrono::steady_clock;

  MtaPool(asio::io_context& io, zmq::context_t& context, const std::vector<std::string>& endpoints,
          const transport::LinkKeys& keys, PoolSettings settings);

  struct Answer {
    std::optional<v1::Frame> frame;  // none: no MTA answered in time
    std::string mta;                 // the endpoint that answered, or the last one tried
    int tried = 0;
  };
  asio::awaitable<Answer> submit(const v1::Frame& request, std::chrono::milliseconds total);
  void set_settings(PoolSettings settings) { settings_ = settings; }
  void close();

 private:
  struct Member {
    std::string endpoint;
    std::unique_ptr<transport::ZmqClient> client;
    Clock::time_point down_until{};
  };
  std::vector<Member*> order();

  std::vector<Member> members_;
  PoolSettings settings_;
  std::size_t next_ = 0;
};

}  // namespace mailpipe::msa
