// The metrics endpoint over real loopback TCP, with a plain Asio client
// (curl is used too when installed, but never needed).
#include "common/metrics/http_server.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <thread>

#include "common/net/listen_address.hpp"

namespace mailpipe::metrics {
namespace {

using namespace std::chrono_literals;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Connects, sends `request` (may be partial), and returns everything the
// server says until it closes.
asio::awaitable<std::string> fetch(tcp::endpoint server, std::string request) {
  tcp::socket socket(co_await asio::this_coro::executor);
  co_await socket.async_connect(server, asio::use_awaitable);
  co_await asio::async_write(socket, asio::buffer(request), asio::use_awaitable);
  std::string answer;
  char buffer[4096];
  for (;;) {
    asio::error_code ec;
    const std::size_t n = co_await socket.async_read_some(asio::buffer(buffer),
                                                          asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return answer;
    answer.append(buffer, n);
  }
}

class MetricsHttp : public ::testing::Test {
 protected:
  void start(HttpLimits limits = {}) {
    server_ = std::make_unique<HttpServer>(io_, "127.0.0.1:0", registry_, limits);
    server_->start();
  }
  tcp::endpoint endpoint() const { return net::parse_listen_address(server_->local_address()); }

  // Runs one client to the end.
  std::string exchange(std::string request) {
    std::optional<std::string> answer;
    asio::co_spawn(io_, fetch(endpoint(), std::move(request)), [&](std::exception_ptr, std::string text) {
      answer = std::move(text);
      io_.stop();
    });
    io_.run_for(10s);
    io_.restart();
    EXPECT_TRUE(answer.has_value()) << "client did not finish";
    return answer.value_or("");
  }

  asio::io_context io_;
  Registry registry_;
  std::unique_ptr<HttpServer> server_;
};

std::string expected_metrics_response(const std::string& body) {
  return "HTTP/1.1 200 OK\r\n"
         "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
         "Content-Length: " + std::to_string(body.size()) + "\r\n"
         "Connection: close\r\n\r\n" + body;
}

TEST_F(MetricsHttp, GetMetricsAnswersTheExposition) {
  registry_.counter("mailpipe_received_total", "Messages accepted.").inc(7);
  start();
  EXPECT_EQ(exchange("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n"),
            expected_metrics_response(registry_.render()));
  // Prometheus may add a query string; HTTP/1.0 clients are fine too.
  EXPECT_EQ(exchange("GET /metrics?x=1 HTTP/1.0\r\n\r\n"), expected_metrics_response(registry_.render()));
}

TEST_F(MetricsHttp, HeadAnswersHeadersWithoutBody) {
  registry_.gauge("g", "h").set(1);
  start();
  const std::string full = expected_metrics_response(registry_.render());
  EXPECT_EQ(exchange("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), full.substr(0, full.find("\r\n\r\n") + 4));
}

TEST_F(MetricsHttp, UnknownPathIs404) {
  start();
  EXPECT_EQ(exchange("GET /secret HTTP/1.1\r\nHost: x\r\n\r\n"),
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\n"
            "Connection: close\r\n\r\n404 Not Found\n");
  EXPECT_EQ(exchange("GET /metricsx HTTP/1.1\r\n\r\n").substr(0, 22), "HTTP/1.1 404 Not Found");
}

TEST_F(MetricsHttp, OtherMethodIs405WithAllow) {
  start();
  const std::string answer = exchange("POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(answer,
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 23\r\n"
            "Allow: GET, HEAD\r\nConnection: close\r\n\r\n405 Method Not Allowed\n");
}

TEST_F(MetricsHttp, MalformedRequestLineIs400) {
  start();
  for (const char* request : {"GET /metrics\r\n\r\n", "GET  /metrics HTTP/1.1\r\n\r\n",
                              "GET /metrics HTTP/2.0\r\n\r\n", "\r\n\r\n", "GET /metrics HTTP/1.1 x\r\n\r\n"}) {
    EXPECT_EQ(exchange(request).substr(0, 24), "HTTP/1.1 400 Bad Request") << request;
  }
}

TEST_F(MetricsHttp, OversizedHeadIs400) {
  start();
  const std::string head = "GET /metrics HTTP/1.1\r\nX-Junk: " + std::string(9000, 'a') + "\r\n\r\n";
  EXPECT_EQ(exchange(head).substr(0, 24), "HTTP/1.1 400 Bad Request");
}

TEST_F(MetricsHttp, HeadOfExactlyTheLimitIsServed) {
  start(HttpLimits{.max_head_bytes = 64});
  std::string head = "GET /metrics HTTP/1.1\r\nX: ";
  head += std::string(64 - head.size() - 4, 'a') + "\r\n\r\n";
  ASSERT_EQ(head.size(), 64u);
  EXPECT_EQ(exchange(head).substr(0, 15), "HTTP/1.1 200 OK");
  std::string one_more = head;
  one_more.insert(head.find("X: ") + 3, "a");
  EXPECT_EQ(exchange(one_more).substr(0, 24), "HTTP/1.1 400 Bad Request");
}

TEST_F(MetricsHttp, IncompleteHeadTimesOutWith408) {
  start(HttpLimits{.head_timeout = 200ms});
  const auto began = Clock::now();
  EXPECT_EQ(exchange("GET /metrics HTTP/1.1\r\nHost: x\r\n").substr(0, 28), "HTTP/1.1 408 Request Timeout");
  EXPECT_LT(Clock::now() - began, 3s);
}

TEST_F(MetricsHttp, SlowClientDoesNotBlockOthers) {
  registry_.gauge("g", "h").set(1);
  start(HttpLimits{.head_timeout = 3s});
  std::optional<Clock::time_point> slow_done, fast_done;
  std::string fast_answer;
  const auto began = Clock::now();
  asio::co_spawn(io_, fetch(endpoint(), "GET /metrics HTTP/1.1\r\nHo"),
                 [&](std::exception_ptr, std::string) { slow_done = Clock::now(); });
  asio::co_spawn(io_, [&]() -> asio::awaitable<void> {
    asio::steady_timer pause(io_, 100ms);  // the slow one is surely connected and waiting
    co_await pause.async_wait(asio::use_awaitable);
    fast_answer = co_await fetch(endpoint(), "GET /metrics HTTP/1.1\r\n\r\n");
    fast_done = Clock::now();
    io_.stop();
  }, asio::detached);
  io_.run_for(10s);
  ASSERT_TRUE(fast_done.has_value());
  EXPECT_EQ(fast_answer, expected_metrics_response(registry_.render()));
  EXPECT_LT(*fast_done - began, 1s);
  EXPECT_FALSE(slow_done.has_value());
}

TEST_F(MetricsHttp, ConnectionsBeyondTheLimitAreClosedAtOnce) {
  start(HttpLimits{.max_connections = 2, .head_timeout = 3s});
  std::vector<std::unique_ptr<tcp::socket>> idle;
  std::string third_answer = "unset";
  std::optional<Clock::duration> third_took;
  asio::co_spawn(io_, [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 2; ++i) {
      idle.push_back(std::make_unique<tcp::socket>(io_));
      co_await idle.back()->async_connect(endpoint(), asio::use_awaitable);
    }
    asio::steady_timer pause(io_);
    while (server_->active_connections() < 2) {
      pause.expires_after(10ms);
      co_await pause.async_wait(asio::use_awaitable);
    }
    const auto began = Clock::now();
    third_answer = co_await fetch(endpoint(), "GET /metrics HTTP/1.1\r\n\r\n");
    third_took = Clock::now() - began;
    for (auto& socket : idle) socket->close();
    while (server_->active_connections() > 0) {
      pause.expires_after(10ms);
      co_await pause.async_wait(asio::use_awaitable);
    }
    io_.stop();
  }, asio::detached);
  io_.run_for(10s);
  io_.restart();
  ASSERT_TRUE(third_took.has_value());
  EXPECT_EQ(third_answer, "");
  EXPECT_LT(*third_took, 1s);
  // The slots are given back.
  EXPECT_EQ(exchange("GET /metrics HTTP/1.1\r\n\r\n").substr(0, 15), "HTTP/1.1 200 OK");
}

TEST_F(MetricsHttp, BindsIpv6Loopback) {
  std::unique_ptr<HttpServer> server;
  try {
    server = std::make_unique<HttpServer>(io_, "[::1]:0", registry_);
  } catch (const std::system_error& e) {
    GTEST_SKIP() << "no IPv6 loopback: " << e.what();
  }
  EXPECT_TRUE(server->local_address().starts_with("[::1]:")) << server->local_address();
}

TEST_F(MetricsHttp, BadListenAddressIsRefused) {
  EXPECT_THROW(HttpServer(io_, "localhost:9100", registry_), std::invalid_argument);
  EXPECT_THROW(HttpServer(io_, "127.0.0.1", registry_), std::invalid_argument);
}

TEST_F(MetricsHttp, CurlScrapesMetrics) {
  if (!std::filesystem::exists("/usr/bin/curl")) GTEST_SKIP() << "no /usr/bin/curl";
  registry_.counter("smtp_replies_total", "Replies.", {{"code", "250"}}).inc();
  const std::string expected = expected_metrics_response(registry_.render());
  start();
  const std::string url = "http://" + server_->local_address() + "/metrics";
  // The server runs on its own thread here; this thread only reads curl.
  auto guard = asio::make_work_guard(io_);
  std::thread loop([this] { io_.run(); });
  std::string output;
  if (FILE* curl = popen(("/usr/bin/curl -sS -i --max-time 5 " + url).c_str(), "r")) {
    char buffer[4096];
    while (const std::size_t n = fread(buffer, 1, sizeof buffer, curl)) output.append(buffer, n);
    EXPECT_EQ(pclose(curl), 0);
  }
  guard.reset();
  io_.stop();
  loop.join();
  EXPECT_EQ(output, expected);
}

}  // namespace
}  // namespace mailpipe::metrics
