#include "common/dns/resolver.hpp"

#include <ares.h>
#include <gtest/gtest.h>

#include <chrono>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/loopback_dns.hpp"
#include "tests/support/run_until_done.hpp"

namespace mailpipe::dns {
namespace {

TEST(DnsResolverConfig, BadServerThrows) {
  asio::io_context io;
  v1::DnsConfig config;
  config.add_server("not an address");
  EXPECT_THROW(Resolver(io, config), std::runtime_error);
}

// ---- against a scripted UDP server in the same event loop -------------------
//
// The server answers by the first label of the name asked: "txt" with one TXT
// record, "empty" with no record, "nowhere" with NXDOMAIN, "silent" never.

struct Question {
  std::string name;
  size_t end = 0;  // offset just past QTYPE and QCLASS
};

std::optional<Question> read_question(const std::vector<unsigned char>& query) {
  Question question;
  size_t offset = 12;  // RFC 1035 4.1.1: the header
  while (offset < query.size() && query[offset] != 0) {
    const size_t length = query[offset];
    if (offset + 1 + length > query.size()) return std::nullopt;
    if (!question.name.empty()) question.name += '.';
    question.name.append(query.begin() + offset + 1, query.begin() + offset + 1 + length);
    offset += 1 + length;
  }
  question.end = offset + 1 + 4;
  if (question.end > query.size()) return std::nullopt;
  return question;
}

// The reply to `query`, or nothing for names the server ignores.
std::optional<std::vector<unsigned char>> scripted_reply(const std::vector<unsigned char>& query) {
  const auto question = read_question(query);
  if (!question) return std::nullopt;
  const std::string label = question->name.substr(0, question->name.find('.'));
  if (label == "silent") return std::nullopt;
  std::vector<unsigned char> reply(query.begin(), query.begin() + question->end);
  reply[2] = 0x81;                               // QR, RD
  reply[3] = label == "nowhere" ? 0x83 : 0x80;   // RA; RCODE 3 is NXDOMAIN
  for (size_t i = 6; i < 12; ++i) reply[i] = 0;  // no answer, authority, additional
  if (label == "txt") {
    reply[7] = 1;  // one answer
    const std::string text = "hello";
    // NAME (a pointer to the question's), TYPE TXT, CLASS IN, TTL 300,
    // RDLENGTH 6, then one character-string of length 5.
    const unsigned char record[] = {0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 1, 44, 0, 6, 5};
    reply.insert(reply.end(), std::begin(record), std::end(record));
    reply.insert(reply.end(), text.begin(), text.end());
  }
  return reply;
}

asio::awaitable<void> serve(asio::ip::udp::socket socket, std::vector<std::vector<unsigned char>>& sent) {
  std::vector<unsigned char> buffer(512);
  for (;;) {
    asio::ip::udp::endpoint peer;
    asio::error_code ec;
    const size_t n =
        co_await socket.async_receive_from(asio::buffer(buffer), peer, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    const auto reply = scripted_reply({buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n)});
    if (!reply) continue;
    sent.push_back(*reply);
    co_await socket.async_send_to(asio::buffer(*reply), peer, asio::redirect_error(asio::use_awaitable, ec));
  }
}

class DnsResolverScripted : public ::testing::Test {
 protected:
  void SetUp() override {
    asio::ip::udp::socket socket(io_, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port_ = socket.local_endpoint().port();
    asio::co_spawn(io_, serve(std::move(socket), sent_), asio::detached);
  }

  v1::DnsConfig config(uint32_t timeout_ms = 1000, uint32_t tries = 2) const {
    return test_support::loopback_dns(port_, timeout_ms, tries);
  }

  std::optional<Answer> run(asio::awaitable<Answer> lookup, std::chrono::seconds bound = std::chrono::seconds(10)) {
    return test_support::run_until_done(io_, std::move(lookup), bound);
  }

  asio::io_context io_;
  uint16_t port_ = 0;
  std::vector<std::vector<unsigned char>> sent_;  // every reply the server sent
};

TEST_F(DnsResolverScripted, HandsBackTheRawAnswer) {
  Resolver resolver(io_, config());
  const auto answer = run(resolver.query("txt.example", RecordType::txt));
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, ARES_SUCCESS) << ares_strerror(answer->status);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(answer->message, sent_[0]);
  ares_txt_reply* txt = nullptr;
  const int parsed = ares_parse_txt_reply(answer->message.data(), static_cast<int>(answer->message.size()), &txt);
  ASSERT_EQ(parsed, ARES_SUCCESS);
  ASSERT_NE(txt, nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(txt->txt), txt->length), "hello");
  ares_free_data(txt);
}

TEST_F(DnsResolverScripted, NoRecordIsNoData) {
  Resolver resolver(io_, config());
  const auto answer = run(resolver.query("empty.example", RecordType::tlsa));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, ARES_ENODATA);
  EXPECT_TRUE(answer->message.empty());
}

TEST_F(DnsResolverScripted, NxdomainIsNotFound) {
  Resolver resolver(io_, config());
  const auto answer = run(resolver.query("nowhere.example", RecordType::mx));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, ARES_ENOTFOUND);
}

TEST_F(DnsResolverScripted, SilenceTimesOutWithinBound) {
  Resolver resolver(io_, config(200, 1));
  const auto start = std::chrono::steady_clock::now();
  const auto answer = run(resolver.query("silent.example", RecordType::a));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, ARES_ETIMEOUT);
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST_F(DnsResolverScripted, SeveralQueriesOnTheWireAtOnce) {
  Resolver resolver(io_, config());
  const auto both = [](Query first, Query second) -> asio::awaitable<Answer> {
    Answer a = co_await first.answer();
    const Answer b = co_await second.answer();
    a.status = a.status == ARES_SUCCESS ? b.status : a.status;
    co_return a;
  };
  const auto answer =
      run(both(resolver.start("txt.example", RecordType::txt), resolver.start("empty.example", RecordType::aaaa)));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, ARES_ENODATA);  // the first succeeded, the second has no record
  EXPECT_EQ(sent_.size(), 2u);
}

TEST_F(DnsResolverScripted, DestroyedResolverCompletesPendingQuery) {
  auto resolver = std::make_unique<Resolver>(io_, config(2000, 2));
  std::optional<Answer> answer;
  test_support::spawn_into(io_, resolver->query("silent.example", RecordType::txt), answer);
  io_.run_for(std::chrono::milliseconds(100));  // the query is on the wire, unanswered
  ASSERT_FALSE(answer);
  resolver.reset();
  test_support::run_until_set(io_, answer, std::chrono::seconds(2));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, ARES_EDESTRUCTION);
}

}  // namespace
}  // namespace mailpipe::dns
