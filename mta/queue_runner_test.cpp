#include "mta/queue_runner.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/os/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace mailpipe::mta {
namespace {

namespace fs = std::filesystem;

// Records the body of every attempt; defers the first, delivers the rest.
class RecordingCourier final : public Courier {
 public:
  asio::awaitable<std::map<std::string, v1::RecipientResult>> deliver(
      const std::string&, uint32_t attempt, const v1::Envelope&, const std::vector<std::string>& recipients,
      const std::string& message) override {
    bodies.push_back(message);
    std::map<std::string, v1::RecipientResult> results;
    for (const auto& address : recipients) {
      v1::RecipientResult& result = results[address];
      result.set_address(address);
      result.set_outcome(attempt == 1 ? v1::TEMPFAIL : v1::DELIVERED);
      result.mutable_status()->set_code(attempt == 1 ? 451 : 250);
      result.mutable_status()->set_enhanced(attempt == 1 ? "4.3.0" : "2.0.0");
    }
    co_return results;
  }
  std::vector<std::string> bodies;
};

class QueueRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(spool_.open());
    config_.add_local_domain("example.test");
    config_.mutable_retry()->set_first_retry_ms(1);
    config_.mutable_retry()->set_max_retry_ms(1);
  }

  static v1::SpoolMessage message(const std::string& body) {
    v1::SpoolMessage m;
    m.mutable_envelope()->set_mail_from("a@remote.test");
    m.mutable_envelope()->add_recipients()->set_address("b@example.test");
    m.mutable_envelope()->set_received_unix_ms(unix_ms_now());
    m.set_message(body);
    return m;
  }

  // Runs the queue until the message is gone (delivered) or 5 s passed.
  void run_until_empty(QueueRunner& queue) {
    queue.start();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (queue.size() > 0 && std::chrono::steady_clock::now() < deadline) io_.run_for(std::chrono::milliseconds(10));
    queue.stop();
    io_.run_for(std::chrono::milliseconds(10));
  }

  test_support::TempDir temp_{"queue"};
  const std::string& dir_ = temp_.path();
  Spool spool_{dir_ + "/spool"};
  v1::MtaConfig config_;
  asio::io_context io_;
  RecordingCourier local_;
  RecordingCourier remote_;
};

TEST_F(QueueRunnerTest, FirstAttemptUsesTheCommittedMessageRetriesReadTheSpool) {
  RecipientResolver resolver(config_, nullptr, nullptr);
  QueueRunner queue(io_, spool_, local_, remote_, resolver, config_);
  const v1::SpoolMessage on_disk = message("from the spool\r\n");
  ASSERT_FALSE(spool_.commit("AAAAAAAA01", on_disk));
  // What intake hands over is what it committed; a different body here
  // shows which of the two each attempt used.
  auto committed = std::make_shared<v1::SpoolMessage>(message("from memory\r\n"));
  queue.add("AAAAAAAA01", on_disk.envelope(), initial_state(on_disk, unix_ms_now()), committed);

  run_until_empty(queue);

  ASSERT_EQ(local_.bodies.size(), 2u);
  EXPECT_EQ(local_.bodies[0], "from memory\r\n");   // no read of the file
  EXPECT_EQ(local_.bodies[1], "from the spool\r\n");  // a retry reads it
  EXPECT_FALSE(fs::exists(dir_ + "/spool/AAAAAAAA01.msg"));  // delivered, removed
}

TEST_F(QueueRunnerTest, WithoutACommittedMessageEveryAttemptReadsTheSpool) {
  RecipientResolver resolver(config_, nullptr, nullptr);
  QueueRunner queue(io_, spool_, local_, remote_, resolver, config_);
  const v1::SpoolMessage on_disk = message("from the spool\r\n");
  ASSERT_FALSE(spool_.commit("AAAAAAAA02", on_disk));
  queue.add("AAAAAAAA02", on_disk.envelope(), initial_state(on_disk, unix_ms_now()));

  run_until_empty(queue);

  ASSERT_EQ(local_.bodies.size(), 2u);
  EXPECT_EQ(local_.bodies[0], "from the spool\r\n");
  EXPECT_EQ(local_.bodies[1], "from the spool\r\n");
}

}  // namespace
}  // namespace mailpipe::mta
