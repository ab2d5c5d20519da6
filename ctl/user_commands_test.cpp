#include "ctl/user_commands.hpp"

#include <gtest/gtest.h>

namespace mailpipe::ctl {
namespace {

bool refused(std::string_view address) {
  try {
    user_name_for(address);
  } catch (const Failure& failure) {
    return failure.exit() == Exit::failed;
  }
  return false;
}

TEST(UserName, StoredLowercase) {
  EXPECT_EQ(user_name_for("Carol@Example.TEST"), "carol@example.test");
  EXPECT_EQ(user_name_for("a.b+tag@example.test"), "a.b+tag@example.test");
}

TEST(UserName, RefusesWhatThePasswdFileCannotHold) {
  EXPECT_TRUE(refused("carol"));                         // no domain
  EXPECT_TRUE(refused("postmaster"));
  EXPECT_TRUE(refused("carol@"));
  EXPECT_TRUE(refused("@example.test"));
  EXPECT_TRUE(refused("a:b@example.test"));             // field separator
  EXPECT_TRUE(refused("\"a:b\"@example.test"));
  EXPECT_TRUE(refused("\"a b\"@example.test"));         // space
  EXPECT_TRUE(refused("a\x1b@example.test"));           // control byte
  EXPECT_TRUE(refused("#a@example.test"));              // would be a comment
  EXPECT_TRUE(refused("a@b@example.test"));
  EXPECT_TRUE(refused("<a@example.test>"));
  EXPECT_TRUE(refused(std::string(65, 'a') + "@example.test"));
  EXPECT_TRUE(refused(""));
}

}  // namespace
}  // namespace mailpipe::ctl
