#include "mua/submit/server_address.hpp"

#include <gtest/gtest.h>

namespace mailpipe::mua {
namespace {

TEST(ServerAddress, HostPortAndDefaults) {
  auto a = parse_server_address("mail.example.test", submission_port);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->str(), "mail.example.test:587");
  a = parse_server_address("localhost:2465", submissions_port);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "localhost");
  EXPECT_EQ(a->port, 2465);
  a = parse_server_address("[::1]:2587", submission_port);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->str(), "[::1]:2587");
  a = parse_server_address("[2001:db8::1]", submissions_port);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->port, 465);
}

TEST(ServerAddress, RefusesNonsense) {
  for (const char* bad : {"", ":587", "host:", "host:0", "host:65536", "host:5x", "::1", "[::1", "[host]:1",
                          "a b:1", "user@host:1"}) {
    EXPECT_FALSE(parse_server_address(bad, 587)) << bad;
  }
}

}  // namespace
}  // namespace mailpipe::mua
