// The pure halves of MX resolution, on hand-built DNS messages: ordering
// (RFC 5321 5.1, RFC 7505 null MX), answer and address parsing. No socket,
// no DNS server; mx_resolver_test.cpp runs the same code against dnsmasq.
#include "mta/mx_resolver.hpp"

#include <ares.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace mailpipe::mta {
namespace {
// ---- order_mx: pure ---------------------------------------------------------

TEST(MxOrder, SortsByPreference) {
  std::mt19937 random(1);
  const auto answer = order_mx({{"c.example", 30}, {"a.example", 10}, {"b.example", 20}}, random);
  EXPECT_EQ(answer.status, DnsStatus::ok);
  EXPECT_FALSE(answer.null_mx);
  ASSERT_EQ(answer.hosts.size(), 3u);
  EXPECT_EQ(answer.hosts[0].name, "a.example");
  EXPECT_EQ(answer.hosts[1].name, "b.example");
  EXPECT_EQ(answer.hosts[2].name, "c.example");
}

TEST(MxOrder, ShufflesOnlyAmongEqualPreference) {
  std::set<std::string> first_seen;
  for (unsigned seed = 0; seed < 64; ++seed) {
    std::mt19937 random(seed);
    const auto answer = order_mx({{"x.example", 20}, {"b.example", 10}, {"a.example", 10}}, random);
    ASSERT_EQ(answer.hosts.size(), 3u);
    EXPECT_EQ(answer.hosts[0].preference, 10);
    EXPECT_EQ(answer.hosts[1].preference, 10);
    EXPECT_EQ(answer.hosts[2].name, "x.example");
    first_seen.insert(answer.hosts[0].name);
  }
  EXPECT_EQ(first_seen, (std::set<std::string>{"a.example", "b.example"}));
}

TEST(MxOrder, LowercasesAndStripsTrailingDot) {
  std::mt19937 random(1);
  const auto answer = order_mx({{"MX1.Example.COM.", 5}}, random);
  ASSERT_EQ(answer.hosts.size(), 1u);
  EXPECT_EQ(answer.hosts[0].name, "mx1.example.com");
}

TEST(MxOrder, NullMxIsPermanent) {
  std::mt19937 random(1);
  for (const char* root : {".", ""}) {
    const auto answer = order_mx({{root, 0}}, random);
    EXPECT_EQ(answer.status, DnsStatus::permanent);
    EXPECT_TRUE(answer.null_mx);
    EXPECT_TRUE(answer.hosts.empty());
    EXPECT_FALSE(answer.error.empty());
  }
}

TEST(MxOrder, NullMxBesideRealMxIsIgnored) {
  std::mt19937 random(1);
  const auto answer = order_mx({{".", 0}, {"mx.example", 10}}, random);
  EXPECT_EQ(answer.status, DnsStatus::ok);
  EXPECT_FALSE(answer.null_mx);
  ASSERT_EQ(answer.hosts.size(), 1u);
  EXPECT_EQ(answer.hosts[0].name, "mx.example");
}

// ---- parse_mx_answer, parse_address_answers: pure, on built DNS messages ---

struct Record {
  uint16_t type;
  std::vector<unsigned char> data;
};

void put16(std::vector<unsigned char>& out, uint16_t value) {
  out.push_back(static_cast<unsigned char>(value >> 8));
  out.push_back(static_cast<unsigned char>(value & 0xff));
}

void put_name(std::vector<unsigned char>& out, const std::string& name) {
  for (size_t start = 0; start < name.size();) {
    const size_t dot = std::min(name.find('.', start), name.size());
    out.push_back(static_cast<unsigned char>(dot - start));
    out.insert(out.end(), name.begin() + start, name.begin() + dot);
    start = dot + 1;
  }
  out.push_back(0);
}

// RFC 1035 4.1: a response to one question about `name`, no compression.
dns::Answer response(const std::string& name, uint16_t type, const std::vector<Record>& records) {
  dns::Answer answer{ARES_SUCCESS, {}};
  auto& out = answer.message;
  for (uint16_t field : {uint16_t{0x1234}, uint16_t{0x8180}, uint16_t{1}, static_cast<uint16_t>(records.size()),
                         uint16_t{0}, uint16_t{0}}) {
    put16(out, field);
  }
  put_name(out, name);
  put16(out, type);
  put16(out, 1);  // IN
  for (const auto& record : records) {
    put_name(out, name);
    put16(out, record.type);
    put16(out, 1);
    put16(out, 0);
    put16(out, 300);  // TTL
    put16(out, static_cast<uint16_t>(record.data.size()));
    out.insert(out.end(), record.data.begin(), record.data.end());
  }
  return answer;
}

Record mx(uint16_t preference, const std::string& host) {
  Record record{15, {}};
  put16(record.data, preference);
  put_name(record.data, host);
  return record;
}

dns::Answer failed(int status) { return {status, {}}; }

TEST(MxParse, OrdersTheRecords) {
  std::mt19937 random(1);
  const auto answer = parse_mx_answer(
      "example.test", response("example.test", 15, {mx(20, "b.example.test"), mx(10, "A.example.test")}), random);
  EXPECT_EQ(answer.status, DnsStatus::ok) << answer.error;
  ASSERT_EQ(answer.hosts.size(), 2u);
  EXPECT_EQ(answer.hosts[0].name, "a.example.test");
  EXPECT_EQ(answer.hosts[0].preference, 10);
  EXPECT_EQ(answer.hosts[1].name, "b.example.test");
}

TEST(MxParse, NoMxRecordMeansTheDomainItself) {
  std::mt19937 random(1);
  for (const auto& query : {failed(ARES_ENODATA), response("example.test", 15, {})}) {
    const auto answer = parse_mx_answer("example.test", query, random);
    EXPECT_EQ(answer.status, DnsStatus::ok);
    ASSERT_EQ(answer.hosts.size(), 1u);
    EXPECT_EQ(answer.hosts[0].name, "example.test");
    EXPECT_EQ(answer.hosts[0].preference, 0);
  }
}

TEST(MxParse, NullMxNamesTheDomain) {
  std::mt19937 random(1);
  const auto answer = parse_mx_answer("nullmx.test", response("nullmx.test", 15, {mx(0, "")}), random);
  EXPECT_EQ(answer.status, DnsStatus::permanent);
  EXPECT_TRUE(answer.null_mx);
  EXPECT_TRUE(answer.hosts.empty());
  EXPECT_EQ(answer.error, "null MX for nullmx.test: the domain accepts no mail (RFC 7505)");
}

TEST(MxParse, KeepsAtMost32Hosts) {
  std::mt19937 random(1);
  std::vector<Record> records;
  for (uint16_t i = 0; i < 40; ++i) records.push_back(mx(i, "mx" + std::to_string(i) + ".example.test"));
  const auto answer = parse_mx_answer("example.test", response("example.test", 15, records), random);
  EXPECT_EQ(answer.status, DnsStatus::ok);
  ASSERT_EQ(answer.hosts.size(), 32u);
  EXPECT_EQ(answer.hosts[31].name, "mx31.example.test");
}

TEST(MxParse, FailuresSayPermanentOrTemporary) {
  std::mt19937 random(1);
  const auto nxdomain = parse_mx_answer("nowhere.test", failed(ARES_ENOTFOUND), random);
  EXPECT_EQ(nxdomain.status, DnsStatus::permanent);
  EXPECT_EQ(nxdomain.error, "NXDOMAIN for nowhere.test");
  const auto timeout = parse_mx_answer("slow.test", failed(ARES_ETIMEOUT), random);
  EXPECT_EQ(timeout.status, DnsStatus::temporary);
  EXPECT_EQ(timeout.error, "DNS timeout for slow.test");
  const auto servfail = parse_mx_answer("broken.test", failed(ARES_ESERVFAIL), random);
  EXPECT_EQ(servfail.status, DnsStatus::temporary);
  EXPECT_EQ(servfail.error, "SERVFAIL for broken.test");
  const auto gone = parse_mx_answer("late.test", failed(ARES_EDESTRUCTION), random);
  EXPECT_EQ(gone.status, DnsStatus::temporary);
}

TEST(MxParse, MalformedAnswerIsTemporary) {
  std::mt19937 random(1);
  const auto answer = parse_mx_answer("example.test", dns::Answer{ARES_SUCCESS, {0x12, 0x34, 0x81}}, random);
  EXPECT_EQ(answer.status, DnsStatus::temporary);
  EXPECT_TRUE(answer.hosts.empty());
  EXPECT_EQ(answer.error, "malformed DNS answer for example.test");
}

TEST(MxParseAddresses, AThenAaaa) {
  const auto answer =
      parse_address_answers("dual.test", response("dual.test", 1, {{1, {127, 0, 0, 3}}}),
                            response("dual.test", 28, {{28, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}}));
  EXPECT_EQ(answer.status, DnsStatus::ok) << answer.error;
  ASSERT_EQ(answer.addresses.size(), 2u);
  EXPECT_EQ(answer.addresses[0].to_string(), "127.0.0.3");
  EXPECT_EQ(answer.addresses[1].to_string(), "::1");
}

TEST(MxParseAddresses, OneFamilyIsEnough) {
  const auto answer =
      parse_address_answers("v4.test", response("v4.test", 1, {{1, {127, 0, 0, 2}}}), failed(ARES_ETIMEOUT));
  EXPECT_EQ(answer.status, DnsStatus::ok) << answer.error;
  ASSERT_EQ(answer.addresses.size(), 1u);
  EXPECT_EQ(answer.addresses[0].to_string(), "127.0.0.2");
}

TEST(MxParseAddresses, NoAddressIsPermanent) {
  const auto nodata = parse_address_answers("mx.test", failed(ARES_ENODATA), response("mx.test", 28, {}));
  EXPECT_EQ(nodata.status, DnsStatus::permanent);
  EXPECT_EQ(nodata.error, "no A or AAAA records for mx.test");
  const auto nxdomain = parse_address_answers("nowhere.test", failed(ARES_ENODATA), failed(ARES_ENOTFOUND));
  EXPECT_EQ(nxdomain.status, DnsStatus::permanent);
  EXPECT_EQ(nxdomain.error, "NXDOMAIN for nowhere.test");
}

TEST(MxParseAddresses, OneFamilyFailingForNowIsTemporary) {
  const auto answer = parse_address_answers("slow.test", failed(ARES_ENODATA), failed(ARES_ETIMEOUT));
  EXPECT_EQ(answer.status, DnsStatus::temporary);
  EXPECT_EQ(answer.error, "DNS timeout for slow.test");
}

}  // namespace
}  // namespace mailpipe::mta
