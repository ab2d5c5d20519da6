#include "ctl/queue_format.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

namespace mailpipe::ctl {
namespace {

// Golden output needs one timezone, whatever the machine's.
class QueueFormat : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* tz = std::getenv("TZ")) saved_tz_ = tz;
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
  void TearDown() override {
    if (saved_tz_) {
      ::setenv("TZ", saved_tz_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }
  std::optional<std::string> saved_tz_;
};

v1::QueuedRecipient recipient(const std::string& address, const std::string& state, uint32_t attempts,
                              int64_t next_ms, uint32_t code = 0, const std::string& enhanced = "",
                              const std::string& text = "") {
  v1::QueuedRecipient r;
  r.set_address(address);
  r.set_state(state);
  r.set_attempts(attempts);
  r.set_next_attempt_unix_ms(next_ms);
  if (code != 0) {
    r.mutable_last_status()->set_code(code);
    r.mutable_last_status()->set_enhanced(enhanced);
    r.mutable_last_status()->set_text(text);
  }
  return r;
}

// A deferred message with one delivered recipient, a held bounce (null
// sender) and one in delivery that arrived first.
std::vector<MtaQueue> sample() {
  v1::QueuedMessage deferred;
  deferred.set_queue_id("01HKB3J2Q5ABCDEFGH");
  deferred.set_size(1234);
  deferred.set_received_unix_ms(1704164645000);  // 2024-01-02 03:04:05 UTC
  deferred.set_mail_from("demo@example.test");
  *deferred.add_recipients() = recipient("bob@remote.test", "pending", 2, 1704164945000, 451, "4.4.1",
                                         "mx.remote.test: connection refused");
  *deferred.add_recipients() = recipient("carol@example.test", "delivered", 1, 0, 250, "2.0.0", "Ok");

  v1::QueuedMessage held;
  held.set_queue_id("01HKB3K000HELDHELD");
  held.set_size(567);
  held.set_received_unix_ms(1704168000000);  // 04:00:00
  held.set_held(true);
  *held.add_recipients() = recipient("gone@remote.test", "pending", 0, 1704168000000);

  v1::QueuedMessage running;
  running.set_queue_id("01HKB3H000RUNNING0");
  running.set_size(89);
  running.set_received_unix_ms(1704164460000);  // 03:01:00
  running.set_mail_from("bob@example.test");
  running.set_in_delivery(true);
  *running.add_recipients() = recipient("x@remote.test", "bounced", 1, 0, 550, "5.1.1", "No such user");
  return {{"mta1.test", {deferred, held, running}}};
}

TEST_F(QueueFormat, ListsLikeMailq) {
  EXPECT_EQ(format_queue(sample()),
            "-Queue ID-           --Size-- ----Arrival Time---  -Sender/Recipient-------\n"
            "01HKB3H000RUNNING0*        89 2024-01-02 03:01:00  bob@example.test\n"
            "  bounced   x@remote.test, 1 attempt (550 5.1.1 No such user)\n"
            "01HKB3J2Q5ABCDEFGH       1234 2024-01-02 03:04:05  demo@example.test\n"
            "  pending   bob@remote.test, 2 attempts, next 2024-01-02 03:09:05 (451 4.4.1 mx.remote.test: connection refused)\n"
            "  delivered carol@example.test, 1 attempt (250 2.0.0 Ok)\n"
            "01HKB3K000HELDHELD!       567 2024-01-02 04:00:00  <>\n"
            "  pending   gone@remote.test, 0 attempts, held\n"
            "-- 3 messages in 1 MTA, 1890 bytes\n");
}

TEST_F(QueueFormat, HeadsEachMtaWhenThereAreSeveral) {
  auto queues = sample();
  queues[0].messages.resize(1);
  queues.push_back({"mta2.test", {}});
  EXPECT_EQ(format_queue(queues),
            "-Queue ID-           --Size-- ----Arrival Time---  -Sender/Recipient-------\n"
            "MTA mta1.test: 1 message\n"
            "01HKB3J2Q5ABCDEFGH       1234 2024-01-02 03:04:05  demo@example.test\n"
            "  pending   bob@remote.test, 2 attempts, next 2024-01-02 03:09:05 (451 4.4.1 mx.remote.test: connection refused)\n"
            "  delivered carol@example.test, 1 attempt (250 2.0.0 Ok)\n"
            "MTA mta2.test: 0 messages\n"
            "-- 1 message in 2 MTAs, 1234 bytes\n");
}

TEST_F(QueueFormat, EmptyQueueIsOneLine) {
  EXPECT_EQ(format_queue({{"mta1.test", {}}}), "-- 0 messages in 1 MTA, 0 bytes\n");
}

TEST_F(QueueFormat, NeutralisesEscapeSequencesFromRemoteServers) {
  auto queues = sample();
  queues[0].messages[0].mutable_recipients(0)->mutable_last_status()->set_text("\x1b]0;pwned\x07");
  const std::string text = format_queue(queues);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_NE(text.find("(451 4.4.1 \\x1B]0;pwned\\x07)"), std::string::npos) << text;
}

TEST_F(QueueFormat, ShowsOneMessageFieldByField) {
  auto message = sample()[0].messages[0];
  message.mutable_recipients(0)->set_last_remote_mta("mx.remote.test");
  EXPECT_EQ(format_message("mta1.test", message),
            "queue id: 01HKB3J2Q5ABCDEFGH\n"
            "mta: mta1.test\n"
            "size: 1234 bytes\n"
            "arrival: 2024-01-02 03:04:05\n"
            "sender: demo@example.test\n"
            "held: no\n"
            "attempt running: no\n"
            "recipient: bob@remote.test\n"
            "  state: pending\n"
            "  attempts: 2\n"
            "  next attempt: 2024-01-02 03:09:05\n"
            "  last status: 451 4.4.1 mx.remote.test: connection refused\n"
            "  last relay: mx.remote.test\n"
            "recipient: carol@example.test\n"
            "  state: delivered\n"
            "  attempts: 1\n"
            "  last status: 250 2.0.0 Ok\n");
}

TEST_F(QueueFormat, JsonArrayWithTheMtaOfEachMessage) {
  auto queues = sample();
  queues[0].messages.erase(queues[0].messages.begin());
  queues[0].messages[1].set_mail_from("b\"o\\b@example.test");
  EXPECT_EQ(queue_json(queues),
            "[\n"
            "{\"mta\":\"mta1.test\",\"queue_id\":\"01HKB3H000RUNNING0\",\"size\":89,\"received_unix_ms\":1704164460000,"
            "\"sender\":\"b\\\"o\\\\b@example.test\",\"held\":false,\"in_delivery\":true,\"recipients\":["
            "{\"address\":\"x@remote.test\",\"state\":\"bounced\",\"attempts\":1,\"next_attempt_unix_ms\":0,"
            "\"last_status\":{\"code\":550,\"enhanced\":\"5.1.1\",\"text\":\"No such user\"},\"last_remote_mta\":\"\"}]},\n"
            "{\"mta\":\"mta1.test\",\"queue_id\":\"01HKB3K000HELDHELD\",\"size\":567,\"received_unix_ms\":1704168000000,"
            "\"sender\":\"\",\"held\":true,\"in_delivery\":false,\"recipients\":["
            "{\"address\":\"gone@remote.test\",\"state\":\"pending\",\"attempts\":0,\"next_attempt_unix_ms\":1704168000000,"
            "\"last_status\":null,\"last_remote_mta\":\"\"}]}\n"
            "]\n");
  EXPECT_EQ(queue_json({{"mta1.test", {}}}), "[]\n");
}

TEST_F(QueueFormat, LocalTime) {
  EXPECT_EQ(local_time(0), "-");
  EXPECT_EQ(local_time(1704164645999), "2024-01-02 03:04:05");
}

}  // namespace
}  // namespace mailpipe::ctl
