#include "msa/mta_pool.hpp"

#include "common/log/log.hpp"

namespace mailpipe::msa {
namespace {

// How long to wait for an MTA's link to be up before moving on: a process
// that is down refuses at once, a host that is gone does not.
constexpr std::chrono::milliseconds connect_wait{1000};

// An MTA's answer that another MTA might do better with: a temporary
// failure of its own (spool full, unavailable).
bool worth_another_mta(const v1::Frame& frame) {
  const v1::Status& status =
      frame.has_submit_reply() ? frame.submit_reply().status() : frame.error().status();
  return status.code() >= 400 && status.code() < 500;
}

}  // namespace

MtaPool::MtaPool(asio::io_context& io, zmq::context_t& context, const std::vector<std::string>& endpoints,
                 const transport::LinkKeys& keys, PoolSettings settings)
    : settings_(settings) {
  for (const auto& endpoint : endpoints) {
    members_.push_back(
        Member{endpoint, std::make_unique<transport::ZmqClient>(io, context, std::vector<std::string>{endpoint}, keys)});
  }
}

void MtaPool::close() {
  for (auto& member : members_) member.client->close();
}

std::vector<MtaPool::Member*> MtaPool::order() {
  // Round robin from the next MTA; those marked down go last (tried only
  // when every other one failed too).
  const auto now = Clock::now();
  std::vector<Member*> up;
  std::vector<Member*> down;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    Member& member = members_[(next_ + i) % members_.size()];
    (member.down_until > now ? down : up).push_back(&member);
  }
  next_ = (next_ + 1) % members_.size();
  up.insert(up.end(), down.begin(), down.end());
  return up;
}

asio::awaitable<MtaPool::Answer> MtaPool::submit(const v1::Frame& request, std::chrono::milliseconds total) {
  Answer answer;
  const auto deadline = Clock::now() + total;
  for (Member* member : order()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= std::chrono::milliseconds::zero()) break;
    const auto attempt = std::min(left, settings_.attempt_timeout);
    ++answer.tried;
    answer.mta = member->endpoint;
    std::optional<v1::Frame> frame = co_await member->client->request(request, attempt, std::min(attempt, connect_wait));
    if (frame && !worth_another_mta(*frame)) {
      member->down_until = {};
      answer.frame = std::move(frame);
      co_return answer;
    }
    member->down_until = Clock::now() + settings_.down_for;
    log::warning("mta_failover").kv("queue_id", request.submit().envelope().queue_id()).kv("mta", member->endpoint)
        .kv("reason", frame ? "temporary failure: " + frame->submit_reply().status().text()
                            : std::string("no answer within mta_attempt_timeout_ms"));
    if (frame) answer.frame = std::move(frame);  // kept in case no other MTA answers
  }
  co_return answer;
}

}  // namespace mailpipe::msa
