#include "mta/spool.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace mailpipe::mta {
namespace {

namespace fs = std::filesystem;

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/mailpipe-spool-XXXXXX";
    dir_ = mkdtemp(pattern);
    spool_ = Spool(dir_ + "/spool");
    ASSERT_FALSE(spool_.open());
  }
  void TearDown() override { fs::remove_all(dir_); }

  static v1::SpoolMessage message(const std::string& body) {
    v1::SpoolMessage m;
    m.mutable_envelope()->set_mail_from("a@example.test");
    m.mutable_envelope()->add_recipients()->set_address("b@example.test");
    m.mutable_envelope()->add_recipients()->set_address("c@example.test");
    m.mutable_envelope()->set_received_unix_ms(1000);
    m.set_message(body);
    return m;
  }

  std::string dir_;
  Spool spool_{""};
};

TEST_F(SpoolTest, CommitThenLoadRoundTrips) {
  ASSERT_FALSE(spool_.commit("AAAAAAAA01", message("hello\r\n")));
  auto loaded = spool_.load("AAAAAAAA01");
  ASSERT_TRUE(std::holds_alternative<SpooledMessage>(loaded));
  const auto& spooled = std::get<SpooledMessage>(loaded);
  EXPECT_EQ(spooled.message.message(), "hello\r\n");
  ASSERT_EQ(spooled.state.recipients_size(), 2);  // no state file: all pending
  EXPECT_EQ(spooled.state.recipients(0).state(), v1::RECIPIENT_PENDING);
  EXPECT_EQ(spooled.state.recipients(0).next_attempt_unix_ms(), 1000);
}

TEST_F(SpoolTest, CommitIsIdempotent) {
  ASSERT_FALSE(spool_.commit("AAAAAAAA01", message("first")));
  ASSERT_FALSE(spool_.commit("AAAAAAAA01", message("second")));
  EXPECT_EQ(std::get<SpooledMessage>(spool_.load("AAAAAAAA01")).message.message(), "first");
}

TEST_F(SpoolTest, SavedStateSurvivesReload) {
  ASSERT_FALSE(spool_.commit("AAAAAAAA01", message("x")));
  v1::SpoolState state = initial_state(message("x"), 5);
  state.mutable_recipients(0)->set_state(v1::RECIPIENT_DELIVERED);
  state.mutable_recipients(1)->set_attempts(3);
  state.mutable_recipients(1)->set_next_attempt_unix_ms(99);
  ASSERT_FALSE(spool_.save_state("AAAAAAAA01", state));
  const auto loaded = std::get<SpooledMessage>(spool_.load("AAAAAAAA01"));
  EXPECT_EQ(loaded.state.recipients(0).state(), v1::RECIPIENT_DELIVERED);
  EXPECT_EQ(loaded.state.recipients(1).attempts(), 3u);
  EXPECT_EQ(loaded.state.recipients(1).next_attempt_unix_ms(), 99);
}

TEST_F(SpoolTest, RemoveDeletesBothFiles) {
  ASSERT_FALSE(spool_.commit("AAAAAAAA01", message("x")));
  ASSERT_FALSE(spool_.save_state("AAAAAAAA01", initial_state(message("x"), 1)));
  ASSERT_FALSE(spool_.remove("AAAAAAAA01"));
  EXPECT_FALSE(fs::exists(spool_.dir() + "/AAAAAAAA01.msg"));
  EXPECT_FALSE(fs::exists(spool_.dir() + "/AAAAAAAA01.state"));
  EXPECT_TRUE(std::holds_alternative<IoError>(spool_.load("AAAAAAAA01")));
}

TEST_F(SpoolTest, RecoverReturnsMessagesSortedAndCleansUp) {
  ASSERT_FALSE(spool_.commit("BBBBBBBB02", message("b")));
  ASSERT_FALSE(spool_.commit("AAAAAAAA01", message("a")));
  ASSERT_FALSE(write_file_durably(spool_.dir(), ".tmp-CCCCCCCC03.msg-1-1", "half written"));
  ASSERT_FALSE(write_file_durably(spool_.dir(), "DDDDDDDD04.state", "orphan"));
  ASSERT_FALSE(write_file_durably(spool_.dir(), "not-a-queue-id.msg", "ignored"));
  const auto recovered = spool_.recover();
  ASSERT_EQ(recovered.size(), 2u);
  EXPECT_EQ(recovered[0].queue_id, "AAAAAAAA01");
  EXPECT_EQ(recovered[1].queue_id, "BBBBBBBB02");
  EXPECT_FALSE(fs::exists(spool_.dir() + "/.tmp-CCCCCCCC03.msg-1-1"));
  EXPECT_FALSE(fs::exists(spool_.dir() + "/DDDDDDDD04.state"));
  EXPECT_TRUE(fs::exists(spool_.dir() + "/not-a-queue-id.msg"));  // not ours: left alone
}

TEST_F(SpoolTest, RecoverQuarantinesCorruptMessage) {
  ASSERT_FALSE(write_file_durably(spool_.dir(), "EEEEEEEE05.msg", "\xff\xff\xff garbage"));
  const auto recovered = spool_.recover();
  EXPECT_TRUE(recovered.empty());
  EXPECT_FALSE(fs::exists(spool_.dir() + "/EEEEEEEE05.msg"));
  EXPECT_TRUE(fs::exists(spool_.dir() + "/corrupt/EEEEEEEE05.msg"));
}

TEST_F(SpoolTest, CorruptStateRestartsRecipientsInsteadOfLosingThem) {
  ASSERT_FALSE(spool_.commit("AAAAAAAA01", message("x")));
  ASSERT_FALSE(write_file_durably(spool_.dir(), "AAAAAAAA01.state", "\xff\xff\xff"));
  const auto recovered = spool_.recover();
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].state.recipients_size(), 2);
}

}  // namespace
}  // namespace mailpipe::mta
