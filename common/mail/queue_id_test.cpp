#include "common/mail/queue_id.hpp"

#include <gtest/gtest.h>

#include <set>
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

}  // namespace
}  // namespace mailpipe
