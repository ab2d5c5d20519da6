#include "mua/read/maildir_flags.hpp"

#include <gtest/gtest.h>

namespace mailpipe::mua {
namespace {

TEST(MaildirFlags, NewMessageGetsInfoWithSeen) {
  EXPECT_EQ(with_flag("1700000000.M1P2Q3R4.host", 'S'), "1700000000.M1P2Q3R4.host:2,S");
}

TEST(MaildirFlags, ExistingFlagsAreKeptSortedAndUnique) {
  EXPECT_EQ(with_flag("u:2,T", 'S'), "u:2,ST");
  EXPECT_EQ(with_flag("u:2,RF", 'S'), "u:2,FRS");
  EXPECT_EQ(with_flag("u:2,S", 'S'), "u:2,S");
  EXPECT_EQ(with_flag("u:2,", 'S'), "u:2,S");
  EXPECT_EQ(with_flag("u:2,Sa", 'S'), "u:2,Sa");  // Dovecot keywords (lowercase) sort after
  EXPECT_EQ(with_flag("u:2,DPa", 'S'), "u:2,DPSa");
}

TEST(MaildirFlags, ExperimentalInfoIsLeftAlone) {
  EXPECT_EQ(with_flag("u:1,something", 'S'), "u:1,something");
}

TEST(MaildirFlags, ReadsFlagsAndUniquePart) {
  EXPECT_TRUE(has_flag("u:2,FS", 'S'));
  EXPECT_FALSE(has_flag("u:2,F", 'S'));
  EXPECT_FALSE(has_flag("u", 'S'));
  EXPECT_FALSE(has_flag("u:1,S", 'S'));
  EXPECT_EQ(unique_part("u:2,S"), "u");
  EXPECT_EQ(unique_part("u"), "u");
}

}  // namespace
}  // namespace mailpipe::mua
