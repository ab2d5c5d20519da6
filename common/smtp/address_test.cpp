#include "common/smtp/address.hpp"

#include <gtest/gtest.h>

namespace mailpipe::smtp {
namespace {

Address ok(std::string_view text, bool utf8 = false, bool null = false) {
  auto parsed = parse_path(text, utf8, null);
  EXPECT_TRUE(std::holds_alternative<Address>(parsed)) << text;
  return std::holds_alternative<Address>(parsed) ? std::get<Address>(parsed) : Address{};
}

AddressError bad(std::string_view text, bool utf8 = false, bool null = false) {
  auto parsed = parse_path(text, utf8, null);
  EXPECT_TRUE(std::holds_alternative<AddressError>(parsed)) << text;
  return std::holds_alternative<AddressError>(parsed) ? std::get<AddressError>(parsed) : AddressError::syntax;
}

TEST(Address, ParsesPlainMailbox) {
  const Address a = ok("<Bob.Smith+tag@Example.TEST>");
  EXPECT_EQ(a.local, "Bob.Smith+tag");
  EXPECT_EQ(a.domain, "Example.TEST");
  EXPECT_EQ(a.str(), "Bob.Smith+tag@Example.TEST");
}

TEST(Address, NullPathOnlyWhereAllowed) {
  EXPECT_TRUE(ok("<>", false, true).empty());
  EXPECT_EQ(bad("<>", false, false), AddressError::syntax);
}

TEST(Address, DropsSourceRoute) { EXPECT_EQ(ok("<@relay.test,@b.test:bob@example.test>").str(), "bob@example.test"); }

TEST(Address, QuotedLocalPartKeepsQuotes) {
  EXPECT_EQ(ok("<\"john doe\"@example.test>").local, "\"john doe\"");
  EXPECT_EQ(ok("<\"a@b\"@example.test>").domain, "example.test");
}

TEST(Address, AddressLiterals) {
  EXPECT_EQ(ok("<bob@[127.0.0.1]>").domain, "[127.0.0.1]");
  EXPECT_EQ(ok("<bob@[IPv6:::1]>").domain, "[IPv6:::1]");
  bad("<bob@[300.0.0.1]>");
  bad("<bob@[1.2.3]>");
}

TEST(Address, RejectsBadSyntax) {
  for (const char* text : {"bob@example.test", "<bob>", "<@example.test>", "<bob@>", "<.bob@x.test>", "<bob.@x.test>",
                           "<bo..b@x.test>", "<bob@-x.test>", "<bob@x-.test>", "<bob@x..test>", "<bo b@x.test>",
                           "<bob@x.test", "<bob@x_y.test>", "<bob@x.test>>", "<\"unterminated@x.test>"}) {
    EXPECT_EQ(bad(text), AddressError::syntax) << text;
  }
}

TEST(Address, EnforcesRfc5321Lengths) {
  EXPECT_EQ(bad("<" + std::string(65, 'a') + "@x.test>"), AddressError::too_long);
  ok("<" + std::string(64, 'a') + "@x.test>");
  std::string domain;
  for (int i = 0; i < 5; ++i) domain += std::string(60, 'd') + ".";
  domain += "test";
  EXPECT_EQ(bad("<a@" + domain + ">"), AddressError::too_long);
}

TEST(Address, NonAsciiNeedsSmtputf8) {
  EXPECT_EQ(bad("<jörg@example.test>"), AddressError::non_ascii_without_smtputf8);
  EXPECT_EQ(ok("<jörg@bücher.test>", true).local, "jörg");
}

TEST(Address, InvalidUtf8IsRefusedEvenWithSmtputf8) {
  EXPECT_EQ(bad("<j\xC3@example.test>", true), AddressError::syntax);
  EXPECT_EQ(bad("<j\xC0\xAF@example.test>", true), AddressError::syntax);  // overlong '/'
  EXPECT_EQ(bad("<j\xED\xA0\x80@example.test>", true), AddressError::syntax);  // surrogate
}

TEST(Address, SameMailboxIgnoresCase) {
  EXPECT_TRUE(same_mailbox(ok("<Demo@Example.Test>"), "demo@example.test"));
  EXPECT_FALSE(same_mailbox(ok("<demo2@example.test>"), "demo@example.test"));
  EXPECT_FALSE(same_mailbox(Address{}, ""));
}

}  // namespace
}  // namespace mailpipe::smtp
