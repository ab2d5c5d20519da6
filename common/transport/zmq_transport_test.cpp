#include <gtest/gtest.h>

#include "common/transport/zmq_client.hpp"
#include "common/transport/zmq_server.hpp"

namespace mailpipe::transport {
namespace {

using namespace std::chrono_literals;

// An ipc endpoint unique to this test process, so parallel runs never meet.
std::string endpoint(const char* name) {
  return "ipc:///tmp/mailpipe-test-" + std::string(name) + "-" + std::to_string(::getpid());
}

template <typename T>
T run_until_done(asio::io_context& io, asio::awaitable<T> work) {
  std::optional<T> result;
  asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
    if (e) std::rethrow_exception(e);
    result = std::move(value);
    io.stop();
  });
  io.run_for(10s);
  EXPECT_TRUE(result.has_value()) << "did not finish within 10 s";
  return result.value_or(T{});
}

v1::Frame submit_frame(const std::string& queue_id) {
  v1::Frame frame;
  frame.mutable_submit()->mutable_envelope()->set_queue_id(queue_id);
  return frame;
}

TEST(ZmqTransport, ReplyCarriesTheRequestsAnswer) {
  asio::io_context io;
  zmq::context_t context;
  const auto where = endpoint("echo");
  ZmqServer server(io, context, where, [](v1::Frame request) -> asio::awaitable<v1::Frame> {
    v1::Frame reply;
    reply.mutable_submit_reply()->set_queue_id(request.submit().envelope().queue_id());
    co_return reply;
  });
  ZmqClient client(io, context, {where});
  auto answers = run_until_done(io, [&]() -> asio::awaitable<std::vector<std::string>> {
    std::vector<std::string> ids;
    for (const char* id : {"AAAAAAAA", "BBBBBBBB", "CCCCCCCC"}) {
      auto reply = co_await client.request(submit_frame(id), 5s);
      ids.push_back(reply ? reply->submit_reply().queue_id() : "none");
    }
    co_return ids;
  }());
  EXPECT_EQ(answers, (std::vector<std::string>{"AAAAAAAA", "BBBBBBBB", "CCCCCCCC"}));
}

TEST(ZmqTransport, TheClientsRequestIdReplacesTheFramesOwn) {
  asio::io_context io;
  zmq::context_t context;
  const auto where = endpoint("ids");
  std::vector<uint64_t> seen;
  ZmqServer server(io, context, where, [&seen](v1::Frame request) -> asio::awaitable<v1::Frame> {
    seen.push_back(request.request_id());
    v1::Frame reply;
    reply.mutable_submit_reply()->set_queue_id(request.submit().envelope().queue_id());
    co_return reply;
  });
  ZmqClient client(io, context, {where});
  // The same frame twice, with a stale id in it (say, a frame resent to
  // another MTA): each send is its own request and gets its own answer.
  v1::Frame frame = submit_frame("AAAAAAAA");
  frame.set_request_id(999);
  const int answered = run_until_done(io, [&]() -> asio::awaitable<int> {
    int n = 0;
    for (int i = 0; i < 2; ++i) n += (co_await client.request(frame, 5s)).has_value() ? 1 : 0;
    co_return n;
  }());
  EXPECT_EQ(answered, 2);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_NE(seen[0], 999u);
  EXPECT_NE(seen[0], seen[1]);
  EXPECT_EQ(frame.request_id(), 999u);  // the caller's frame is not touched
}

TEST(ZmqTransport, NoPeerFailsAtTheTimeout) {
  asio::io_context io;
  zmq::context_t context;
  ZmqClient client(io, context, {endpoint("nobody")});
  const auto started = std::chrono::steady_clock::now();
  const bool answered = run_until_done(io, [&]() -> asio::awaitable<bool> {
    co_return (co_await client.request(submit_frame("AAAAAAAA"), 300ms)).has_value();
  }());
  EXPECT_FALSE(answered);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 300ms);
}

TEST(ZmqTransport, SilentPeerTimesOut) {
  asio::io_context io;
  zmq::context_t context;
  const auto where = endpoint("silent");
  ZmqServer server(io, context, where, [&io](v1::Frame) -> asio::awaitable<v1::Frame> {
    asio::steady_timer never(io, 1h);
    asio::error_code ec;
    co_await never.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return v1::Frame{};
  });
  ZmqClient client(io, context, {where});
  // Let the connection come up so the request is really sent.
  asio::steady_timer settle(io, 200ms);
  const bool answered = run_until_done(io, [&]() -> asio::awaitable<bool> {
    co_await settle.async_wait(asio::use_awaitable);
    co_return (co_await client.request(submit_frame("AAAAAAAA"), 300ms)).has_value();
  }());
  EXPECT_FALSE(answered);
}

TEST(ZmqTransport, ConcurrentRequestsGetTheirOwnReplies) {
  asio::io_context io;
  zmq::context_t context;
  const auto where = endpoint("concurrent");
  // Answers in reverse order of arrival by sleeping less for later ones.
  ZmqServer server(io, context, where, [&io](v1::Frame request) -> asio::awaitable<v1::Frame> {
    const std::string id = request.submit().envelope().queue_id();
    asio::steady_timer wait(io, std::chrono::milliseconds(id == "AAAAAAAA" ? 200 : 10));
    co_await wait.async_wait(asio::use_awaitable);
    v1::Frame reply;
    reply.mutable_submit_reply()->set_queue_id(id);
    co_return reply;
  });
  ZmqClient client(io, context, {where});
  std::vector<std::string> got;
  int done = 0;
  for (const char* id : {"AAAAAAAA", "BBBBBBBB"}) {
    asio::co_spawn(io, [&, id = std::string(id)]() -> asio::awaitable<void> {
      auto reply = co_await client.request(submit_frame(id), 5s);
      got.push_back(id + "=" + (reply ? reply->submit_reply().queue_id() : "none"));
      if (++done == 2) io.stop();
    }, asio::detached);
  }
  io.run_for(10s);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], "BBBBBBBB=BBBBBBBB");
  EXPECT_EQ(got[1], "AAAAAAAA=AAAAAAAA");
}

}  // namespace
}  // namespace mailpipe::transport
