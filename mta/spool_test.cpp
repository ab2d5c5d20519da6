#include "mta/spool.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace mailpipe::mta {
namespace {

namespace fs = std::filesystem;

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(spool_.open()); }

  static v1::SpoolMessage message(const std::string& body) {
    v1::SpoolMessage m;
    m.mutable_envelope()->set_mail_from("a@example.test");
    m.mutable_envelope()->add_recipients()->set_address("b@example.test");
    m.mutable_envelope()->add_recipients()->set_address("c@example.test");
    m.mutable_envelope()->set_received_unix_ms(1000);
    m.set_message(body);
    return m;
  }

  test_support::TempDir temp_{"spool"};
  const std::string& dir_ = temp_.path();
  Spool spool_{dir_ + "/spool"};
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

TEST_F(SpoolTest, CommitsUseSparesAndRecoverRemovesThoseOfACrashedProcess) {
  spool_.refill_spares();
  std::size_t spares = 0;
  for (const auto& entry : fs::directory_iterator(spool_.dir())) {
    spares += entry.path().filename().string().starts_with(".tmp-spare-") ? 1 : 0;
  }
  ASSERT_GT(spares, 1u);
  ASSERT_FALSE(spool_.commit("AAAAAAAA01", message("a")));
  std::size_t left = 0;
  for (const auto& entry : fs::directory_iterator(spool_.dir())) {
    left += entry.path().filename().string().starts_with(".tmp-spare-") ? 1 : 0;
  }
  EXPECT_EQ(left, spares - 1);  // the commit took one

  // A delivered message's file becomes a spare again (no inode freed).
  ASSERT_FALSE(spool_.remove("AAAAAAAA01", false));
  EXPECT_FALSE(fs::exists(spool_.dir() + "/AAAAAAAA01.msg"));
  std::size_t after_remove = 0;
  for (const auto& entry : fs::directory_iterator(spool_.dir())) {
    after_remove += entry.path().filename().string().starts_with(".tmp-spare-") ? 1 : 0;
  }
  EXPECT_EQ(after_remove, spares);
  ASSERT_FALSE(spool_.commit("BBBBBBBB02", message("bb")));  // makes the recycling durable
  ASSERT_FALSE(spool_.commit("AAAAAAAA01", message("")));
  EXPECT_EQ(std::get<SpooledMessage>(spool_.load("AAAAAAAA01")).message.message(), "");
  ASSERT_FALSE(spool_.remove("BBBBBBBB02", false));

  // As after a SIGKILL: another Spool object over the same directory.
  Spool restarted(spool_.dir());
  const auto recovered = restarted.recover();
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].queue_id, "AAAAAAAA01");
  for (const auto& entry : fs::directory_iterator(spool_.dir())) {
    EXPECT_FALSE(entry.path().filename().string().starts_with(".tmp-")) << entry.path();
  }
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

TEST_F(SpoolTest, OpenCreatesSpoolAndCorruptDirectories) {
  Spool spool(dir_ + "/deep/new/spool");
  ASSERT_FALSE(spool.open());
  EXPECT_TRUE(fs::is_directory(dir_ + "/deep/new/spool/corrupt"));
  EXPECT_FALSE(spool.open());  // again: nothing to do
}

TEST_F(SpoolTest, InitialStateHasEveryRecipientPendingAndDueNow) {
  const v1::SpoolState state = initial_state(message("x"), 1234);
  ASSERT_EQ(state.recipients_size(), 2);
  EXPECT_EQ(state.recipients(0).address(), "b@example.test");
  EXPECT_EQ(state.recipients(1).address(), "c@example.test");
  for (const auto& progress : state.recipients()) {
    EXPECT_EQ(progress.state(), v1::RECIPIENT_PENDING);
    EXPECT_EQ(progress.attempts(), 0u);
    EXPECT_EQ(progress.next_attempt_unix_ms(), 1234);
  }
}

TEST_F(SpoolTest, RefusesInvalidQueueIds) {
  for (const char* id : {"../../etc/x", "short", "lowercase01", "AAAA/AAAA", ""}) {
    auto error = spool_.commit(id, message("x"));
    ASSERT_TRUE(error) << id;
    EXPECT_EQ(error->err, EINVAL);
    EXPECT_TRUE(spool_.save_state(id, v1::SpoolState()));
    EXPECT_TRUE(spool_.remove(id));
    EXPECT_TRUE(std::holds_alternative<IoError>(spool_.load(id)));
  }
  EXPECT_FALSE(fs::exists(dir_ + "/x.msg"));
  EXPECT_TRUE(fs::is_empty(spool_.dir() + "/corrupt"));
}

TEST_F(SpoolTest, CommitWritesOnlyTheMessageFile) {
  ASSERT_FALSE(spool_.commit("AAAAAAAA01", message("x")));
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(spool_.dir())) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"AAAAAAAA01.msg", "corrupt"}));
}

TEST_F(SpoolTest, RemoveOfUnknownIdIsFine) {
  EXPECT_FALSE(spool_.remove("ZZZZZZZZ99"));
}

TEST_F(SpoolTest, RecoverKeepsSavedProgress) {
  ASSERT_FALSE(spool_.commit("AAAAAAAA01", message("x")));
  v1::SpoolState state = initial_state(message("x"), 5);
  state.mutable_recipients(0)->set_state(v1::RECIPIENT_DELIVERED);
  state.mutable_recipients(1)->set_attempts(2);
  state.mutable_recipients(1)->mutable_last_status()->set_enhanced("4.4.1");
  ASSERT_FALSE(spool_.save_state("AAAAAAAA01", state));
  // A state rewrite that crashed before its rename must not win.
  ASSERT_FALSE(write_file_durably(spool_.dir(), ".tmp-AAAAAAAA01.state-7-3", "partial"));
  const auto recovered = Spool(spool_.dir()).recover();  // a fresh process
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].message.message(), "x");
  EXPECT_EQ(recovered[0].state.recipients(0).state(), v1::RECIPIENT_DELIVERED);
  EXPECT_EQ(recovered[0].state.recipients(1).attempts(), 2u);
  EXPECT_EQ(recovered[0].state.recipients(1).last_status().enhanced(), "4.4.1");
  EXPECT_FALSE(fs::exists(spool_.dir() + "/.tmp-AAAAAAAA01.state-7-3"));
}

TEST_F(SpoolTest, RecoverQuarantinesEmptyMessageAndItsState) {
  ASSERT_FALSE(write_file_durably(spool_.dir(), "FFFFFFFF06.msg", ""));
  ASSERT_FALSE(write_file_durably(spool_.dir(), "FFFFFFFF06.state", ""));
  EXPECT_TRUE(spool_.recover().empty());
  EXPECT_TRUE(fs::exists(spool_.dir() + "/corrupt/FFFFFFFF06.msg"));
  EXPECT_FALSE(fs::exists(spool_.dir() + "/FFFFFFFF06.msg"));
  EXPECT_FALSE(fs::exists(spool_.dir() + "/FFFFFFFF06.state"));
}

TEST_F(SpoolTest, RecoverIgnoresNamesThatAreNotQueueIds) {
  ASSERT_FALSE(spool_.commit("AAAAAAAA01", message("a")));
  for (const char* name : {"aaaaaaaa02.msg", "SHORT.msg", "AAAAAAAA03.msg.bak", "README", "AAAA-AAAA04.state"}) {
    ASSERT_FALSE(write_file_durably(spool_.dir(), name, "junk")) << name;
  }
  const auto recovered = spool_.recover();
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].queue_id, "AAAAAAAA01");
  for (const char* name : {"aaaaaaaa02.msg", "SHORT.msg", "AAAAAAAA03.msg.bak", "README", "AAAA-AAAA04.state"}) {
    EXPECT_TRUE(fs::exists(spool_.dir() + "/" + name)) << name;  // not ours: left alone
  }
  EXPECT_TRUE(fs::is_empty(spool_.dir() + "/corrupt"));
}

TEST_F(SpoolTest, RecoverOfEmptySpoolIsEmpty) {
  EXPECT_TRUE(spool_.recover().empty());
}

}  // namespace
}  // namespace mailpipe::mta
