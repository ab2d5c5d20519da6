#include "common/mail/queue_id.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <set>
#include <string_view>
#include <thread>

namespace mailpipe {
namespace {

TEST(QueueId, NewIdsAreValidAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    const std::string id = new_queue_id();
    EXPECT_TRUE(is_valid_queue_id(id)) << id;
    EXPECT_TRUE(seen.insert(id).second) << "duplicate " << id;
  }
}

TEST(QueueId, LaterIdsSortAfterEarlierOnes) {
  const std::string first = new_queue_id();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const std::string second = new_queue_id();
  EXPECT_LT(first.substr(0, 10), second.substr(0, 10));
}

TEST(QueueId, RejectsPathTricksAndWrongSizes) {
  EXPECT_FALSE(is_valid_queue_id("../../etc/passwd"));
  EXPECT_FALSE(is_valid_queue_id("ABCDEFG/H"));
  EXPECT_FALSE(is_valid_queue_id("abcdefgh"));  // lowercase
  EXPECT_FALSE(is_valid_queue_id("ABC"));
  EXPECT_FALSE(is_valid_queue_id(std::string(41, 'A')));
  EXPECT_FALSE(is_valid_queue_id(""));
  EXPECT_TRUE(is_valid_queue_id("ABCDEFGH"));
}

TEST(QueueId, TimePrefixEncodesNowInMilliseconds) {
  constexpr std::string_view alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string id = new_queue_id();
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  ASSERT_EQ(id.size(), 18u);
  int64_t decoded = 0;
  for (char c : id.substr(0, 10)) {
    const auto digit = alphabet.find(c);
    ASSERT_NE(digit, std::string_view::npos) << id;
    decoded = decoded * 32 + static_cast<int64_t>(digit);
  }
  EXPECT_GE(decoded, before);
  EXPECT_LE(decoded, after);
}

TEST(QueueId, UsesNoConfusableLetters) {
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(new_queue_id().find_first_of("ILOU"), std::string::npos);
  }
}

TEST(QueueId, RejectsControlAndSeparatorBytes) {
  EXPECT_FALSE(is_valid_queue_id(std::string("ABCDEFGH\0", 9)));
  EXPECT_FALSE(is_valid_queue_id("ABCDEFGH\n"));
  EXPECT_FALSE(is_valid_queue_id("ABCD.EFGH"));
  EXPECT_FALSE(is_valid_queue_id("ABCD EFGH"));
  EXPECT_TRUE(is_valid_queue_id(std::string(40, 'Z')));
}

}  // namespace
}  // namespace mailpipe
