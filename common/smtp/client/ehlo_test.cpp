#include "common/smtp/client/ehlo.hpp"

#include <gtest/gtest.h>

namespace mailpipe::smtp::client {
namespace {

TEST(ServerExtensions, ReadsWhatTheClientsNeed) {
  const ServerExtensions ext = parse_ehlo(
      {250, "", "mail.example.test Hello\nPIPELINING\nSIZE 26214400\n8BITMIME\nsmtputf8\nDSN\nAUTH plain LOGIN\nSTARTTLS"});
  EXPECT_EQ(ext.server_name, "mail.example.test");
  EXPECT_TRUE(ext.starttls);
  EXPECT_TRUE(ext.pipelining);
  EXPECT_TRUE(ext.eightbit);
  EXPECT_TRUE(ext.smtputf8);
  EXPECT_TRUE(ext.dsn);
  EXPECT_EQ(ext.size, 26214400u);
  EXPECT_TRUE(ext.auth);
  EXPECT_EQ(ext.auth_mechanisms, (std::set<std::string>{"PLAIN", "LOGIN"}));
}

TEST(ServerExtensions, OldAuthFormAndNothingOffered) {
  EXPECT_EQ(parse_ehlo({250, "", "x\nAUTH=LOGIN"}).auth_mechanisms, std::set<std::string>{"LOGIN"});
  const ServerExtensions none = parse_ehlo({250, "", "x"});
  EXPECT_FALSE(none.starttls || none.auth || none.eightbit || none.smtputf8 || none.size || none.pipelining);
  // The greeting line is the server's name, not a keyword.
  EXPECT_FALSE(parse_ehlo({250, "", "STARTTLS"}).starttls);
}

TEST(ServerExtensions, SizeThatIsNoNumberIsNoLimit) {
  EXPECT_EQ(parse_ehlo({250, "", "x\nSIZE 12abc"}).size, 0u);
  EXPECT_EQ(parse_ehlo({250, "", "x\nSIZE"}).size, 0u);
  EXPECT_EQ(parse_ehlo({250, "", "x\nSIZE 0"}).size, 0u);
}

}  // namespace
}  // namespace mailpipe::smtp::client
