#include "mua/ehlo_extensions.hpp"

#include <gtest/gtest.h>

namespace mailpipe::mua {
namespace {

TEST(EhloExtensions, ReadsWhatSubmissionNeeds) {
  const EhloExtensions ext =
      parse_ehlo({250, "", "mail.example.test\nPIPELINING\nSIZE 26214400\n8BITMIME\nsmtputf8\nAUTH plain LOGIN\nSTARTTLS"});
  EXPECT_TRUE(ext.starttls);
  EXPECT_TRUE(ext.eightbit);
  EXPECT_TRUE(ext.smtputf8);
  EXPECT_EQ(ext.size, 26214400u);
  EXPECT_TRUE(ext.auth);
  EXPECT_EQ(ext.auth_mechanisms, (std::set<std::string>{"PLAIN", "LOGIN"}));
}

TEST(EhloExtensions, OldAuthFormAndNothingOffered) {
  EXPECT_EQ(parse_ehlo({250, "", "x\nAUTH=LOGIN"}).auth_mechanisms, std::set<std::string>{"LOGIN"});
  const EhloExtensions none = parse_ehlo({250, "", "x"});
  EXPECT_FALSE(none.starttls || none.auth || none.eightbit || none.smtputf8 || none.size);
  // The greeting line is the server's name, not a keyword.
  EXPECT_FALSE(parse_ehlo({250, "", "STARTTLS"}).starttls);
}

}  // namespace
}  // namespace mailpipe::mua
