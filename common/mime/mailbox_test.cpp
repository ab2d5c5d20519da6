#include "common/mime/mailbox.hpp"

#include <gtest/gtest.h>

namespace mailpipe::mime {
namespace {

Mailbox parsed(std::string_view text) {
  auto result = parse_mailbox(text);
  EXPECT_EQ(result.index(), 0u) << text << ": " << (result.index() == 1 ? std::get<1>(result) : "");
  return result.index() == 0 ? std::get<0>(result) : Mailbox{};
}

TEST(Mailbox, ParsesTheFormsUsersType) {
  Mailbox m = parsed("joerg@example.test");
  EXPECT_EQ(m.address, "joerg@example.test");
  EXPECT_EQ(m.display_name, "");
  m = parsed("<joerg@example.test>");
  EXPECT_EQ(m.address, "joerg@example.test");
  m = parsed("Jörg Müller <joerg@example.test>");
  EXPECT_EQ(m.display_name, "Jörg Müller");
  EXPECT_EQ(m.address, "joerg@example.test");
  m = parsed("  \"Doe, Jane \\\"JD\\\"\" <jane@example.test> ");
  EXPECT_EQ(m.display_name, "Doe, Jane \"JD\"");
  m = parsed("\"quoted local\"@example.test");
  EXPECT_EQ(m.address, "\"quoted local\"@example.test");
  m = parsed("user@[192.0.2.1]");
  EXPECT_EQ(m.address, "user@[192.0.2.1]");
  m = parsed("jörg@bücher.example");  // RFC 6532
  EXPECT_EQ(address_domain(m.address), "bücher.example");
}

TEST(Mailbox, RefusesWhatIsNotAnAddress) {
  for (const char* bad : {"", "joerg", "@example.test", "joerg@", "a b@example.test", "joerg@exa mple.test",
                          ".a@example.test", "a..b@example.test", "a@-x.test", "a@x..test", "Name <>",
                          "Name joerg@example.test>", "a@b\r\nBcc: x@y", "Bad\r\nName <a@example.test>",
                          "\xFF <a@example.test>", "a@\xFF.test"}) {
    EXPECT_EQ(parse_mailbox(bad).index(), 1u) << bad;
  }
}

TEST(Mailbox, LengthIsTheServersToJudge) {
  // RFC 5321 4.5.3.1: a client does not refuse a local part of 65 octets.
  EXPECT_EQ(parse_mailbox(std::string(65, 'x') + "@example.test").index(), 0u);
}

}  // namespace
}  // namespace mailpipe::mime
