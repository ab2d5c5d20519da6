#include "common/mime/message_date.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace mailpipe::mime {
namespace {

TEST(MessageDate, WritesRfc5322) {
  EXPECT_TRUE(std::regex_match(rfc5322_date(1'800'000'000),
                               std::regex(R"([A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4})")));
  EXPECT_EQ(parse_message_date(rfc5322_date(1'800'000'000)), 1'800'000'000);
}

TEST(MessageDate, Rfc5322Forms) {
  EXPECT_EQ(parse_message_date("Thu, 01 Jan 1970 00:00:00 +0000"), 0);
  EXPECT_EQ(parse_message_date("Tue, 14 Nov 2023 22:13:20 +0000"), 1700000000);
  EXPECT_EQ(parse_message_date("Tue, 14 Nov 2023 23:13:20 +0100"), 1700000000);
  EXPECT_EQ(parse_message_date("14 Nov 2023 17:13:20 -0500"), 1700000000);
  EXPECT_EQ(parse_message_date("Tue, 14 Nov 2023 22:13:20 +0000 (UTC)"), 1700000000);
  EXPECT_EQ(parse_message_date("  Tue,\r\n 14 Nov 2023 22:13:20 +0000"), 1700000000);
}

TEST(MessageDate, ObsoleteForms) {
  EXPECT_EQ(parse_message_date("Tue, 14 Nov 23 22:13:20 GMT"), 1700000000);   // two-digit year
  EXPECT_EQ(parse_message_date("Tue, 14 Nov 2023 17:13:20 EST"), 1700000000);
  EXPECT_EQ(parse_message_date("Tue, 14 Nov 2023 22:13 +0000"), 1700000000 - 20);  // no seconds
  EXPECT_EQ(parse_message_date("14 nov 2023 22:13:20"), 1700000000);  // no zone: as UTC
  EXPECT_EQ(parse_message_date("Fri, 1 Jan 99 00:00:00 +0000"), 915148800);
}

TEST(MessageDate, GarbageIsNotADate) {
  for (const char* bad : {"", "yesterday", "Tue, 14 Foo 2023 22:13:20 +0000", "32 Nov 2023 22:13:20 +0000",
                          "14 Nov 2023 25:13:20 +0000", "14 Nov 2023 22:13:20 +01x0", "14 Nov",
                          "99999 Nov 99999 99999:99999"}) {
    EXPECT_FALSE(parse_message_date(bad)) << bad;
  }
}

}  // namespace
}  // namespace mailpipe::mime
