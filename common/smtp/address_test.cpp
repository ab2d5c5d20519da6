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

TEST(Address, SourceRouteIsValidatedThenDropped) {
  EXPECT_EQ(ok("<@relay.test:bob@example.test>").str(), "bob@example.test");
  for (const char* text : {"<@:bob@x.test>", "<@relay.test,:bob@x.test>", "<@relay.test,relay2.test:bob@x.test>",
                           "<@-relay.test:bob@x.test>", "<@relay.test:>", "<@relay.test>", "<@[1.2.3.4]:bob@x.test>"}) {
    EXPECT_EQ(bad(text), AddressError::syntax) << text;
  }
}

TEST(Address, DotStringAcceptsAllAtext) {
  EXPECT_EQ(ok("<!#$%&'*+-/=?^_`{|}~.x@x.test>").local, "!#$%&'*+-/=?^_`{|}~.x");
  EXPECT_EQ(ok("<a@localhost>").domain, "localhost");
  EXPECT_EQ(ok("<a@1.2.3.4.example>").domain, "1.2.3.4.example");
}

TEST(Address, RejectsSpecialsAndControlBytesInDotString) {
  for (const char* text : {"<a(b@x.test>", "<a)b@x.test>", "<a,b@x.test>", "<a;b@x.test>", "<a:b@x.test>",
                           "<a\\b@x.test>", "<a[b@x.test>", "<a\tb@x.test>", "<a\x7f@x.test>", "<a\"b@x.test>"}) {
    EXPECT_EQ(bad(text), AddressError::syntax) << text;
  }
  EXPECT_EQ(bad(std::string("<a\0b@x.test>", 13)), AddressError::syntax);
}

TEST(Address, QuotedStringRules) {
  EXPECT_EQ(ok("<\"a\\\"b\"@x.test>").local, "\"a\\\"b\"");  // escaped quote
  EXPECT_EQ(ok("<\"\"@x.test>").local, "\"\"");                  // empty quoted string
  EXPECT_EQ(ok("<\"a.b..c\"@x.test>").local, "\"a.b..c\"");      // dots are free inside quotes
  for (const char* text : {"<\"a\"b@x.test>", "<a\"b\"@x.test>", "<\"a\\\"@x.test>", "<\"a\tb\"@x.test>",
                           "<\"a\"\"b\"@x.test>", "<\"@x.test>"}) {
    EXPECT_EQ(bad(text), AddressError::syntax) << text;
  }
}

TEST(Address, DomainLabelRules) {
  ok("<a@" + std::string(63, 'l') + ".test>");
  EXPECT_EQ(bad("<a@" + std::string(64, 'l') + ".test>"), AddressError::syntax);
  for (const char* text : {"<a@.x.test>", "<a@x.test.>", "<a@x test>", "<a@x@y.test>", "<a@x..y>", "<a@->"}) {
    EXPECT_EQ(bad(text), AddressError::syntax) << text;
  }
}

TEST(Address, Ipv6LiteralsAreChecked) {
  EXPECT_EQ(ok("<a@[IPv6:2001:db8::1]>").domain, "[IPv6:2001:db8::1]");
  EXPECT_EQ(ok("<a@[ipv6:::ffff:192.0.2.1]>").domain, "[ipv6:::ffff:192.0.2.1]");
  for (const char* text : {"<a@[IPv6:]>", "<a@[IPv6:1:2:3:4:5:6:7:8:9]>", "<a@[IPv6:12345::1]>", "<a@[IPv6:g::1]>",
                           "<a@[IPv6:1::2::3]>", "<a@[::1]>", "<a@[x:y]>", "<a@[]>", "<a@[1.2.3.4>", "<a@1.2.3.4]>",
                           "<a@[1.2.3.4.5]>", "<a@[1.2.3.-4]>", "<a@[1..2.3]>"}) {
    EXPECT_EQ(bad(text), AddressError::syntax) << text;
  }
}

TEST(Address, WholePathIsAtMost256OctetsWithBrackets) {
  // 64 + "@" + 189 + "<>" = 256: the longest path.
  std::string domain = std::string(63, 'd') + "." + std::string(63, 'e') + "." + std::string(61, 'f');
  ASSERT_EQ(domain.size(), 189u);
  const std::string longest = "<" + std::string(64, 'a') + "@" + domain + ">";
  ASSERT_EQ(longest.size(), 256u);
  ok(longest);
  EXPECT_EQ(bad("<" + std::string(64, 'a') + "@" + domain + "g>"), AddressError::too_long);
  // Overlong input is refused before it is scanned at all.
  EXPECT_EQ(bad("<" + std::string(100000, 'a') + ">"), AddressError::too_long);
}

TEST(Address, Utf8InDomainAndQuotedLocalWithSmtputf8) {
  EXPECT_EQ(ok("<\"j\xC3\xB6rg s\"@b\xC3\xBC" "cher.test>", true).domain, "b\xC3\xBC" "cher.test");
  EXPECT_EQ(bad("<a@b\xC3\xBC" "cher.test>"), AddressError::non_ascii_without_smtputf8);
  EXPECT_EQ(bad("<a@-\xC3\xBC.test>", true), AddressError::syntax);
  // A U-label may exceed 63 octets in UTF-8 (its A-label is what DNS limits).
  std::string label;
  for (int i = 0; i < 40; ++i) label += "\xC3\xBC";
  EXPECT_EQ(ok("<a@" + label + ".test>", true).domain, label + ".test");
}

TEST(Address, Utf8ValidatorEdgeCases) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("\xF0\x9F\x93\xA7"));        // U+1F4E7, 4 octets
  EXPECT_TRUE(valid_utf8("\xEF\xBF\xBF"));            // U+FFFF
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));       // beyond U+10FFFF
  EXPECT_FALSE(valid_utf8("\xE0\x80\xAF"));           // overlong 3 octets
  EXPECT_FALSE(valid_utf8("\xF0\x80\x80\xAF"));       // overlong 4 octets
  EXPECT_FALSE(valid_utf8("\x80"));                   // lone continuation
  EXPECT_FALSE(valid_utf8("\xF8\x88\x80\x80\x80"));   // 5-octet form
  EXPECT_FALSE(valid_utf8("\xC3"));                   // truncated
}

TEST(Address, StrOfNullAndDomainlessPaths) {
  EXPECT_EQ(Address{}.str(), "");
  EXPECT_EQ((Address{"postmaster", ""}.str()), "postmaster");
  EXPECT_FALSE((Address{"postmaster", ""}.empty()));
}

TEST(Address, LowercaseAsciiLeavesOtherBytes) {
  EXPECT_EQ(lowercase_ascii("AbC@X.TEST"), "abc@x.test");
  EXPECT_EQ(lowercase_ascii("J\xC3\x96RG"), "j\xC3\x96rg");  // non-ASCII untouched
}

TEST(Address, SameMailboxIgnoresCase) {
  EXPECT_TRUE(same_mailbox(ok("<Demo@Example.Test>"), "demo@example.test"));
  EXPECT_FALSE(same_mailbox(ok("<demo2@example.test>"), "demo@example.test"));
  EXPECT_FALSE(same_mailbox(Address{}, ""));
  EXPECT_FALSE(same_mailbox(ok("<demo@example.test.evil>"), "demo@example.test"));
  EXPECT_FALSE(same_mailbox(ok("<demo@example.test>"), "demo@example.tes"));
}

}  // namespace
}  // namespace mailpipe::smtp
