#include "mta/intake.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/temp_dir.hpp"

namespace mailpipe::mta {
namespace {

namespace fs = std::filesystem;

// The queue is never started here: nothing is delivered.
class NoCourier final : public Courier {
 public:
  asio::awaitable<std::map<std::string, v1::RecipientResult>> deliver(const std::string&, uint32_t,
                                                                      const v1::Envelope&,
                                                                      const std::vector<std::string>&,
                                                                      const std::string&) override {
    co_return std::map<std::string, v1::RecipientResult>{};
  }
};

std::string with_received(int count) {
  std::string message;
  for (int i = 0; i < count; ++i) message += "Received: from hop" + std::to_string(i) + "\r\n\tby x; date\r\n";
  return message + "Subject: loop?\r\n\r\nbody\r\n";
}

class IntakeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(spool_.open()); }

  v1::SubmitReply submit(const std::string& message) {
    v1::Submit request;
    request.mutable_envelope()->set_mail_from("a@remote.test");
    request.mutable_envelope()->add_recipients()->set_address("b@example.test");
    request.set_message(message);
    v1::SubmitReply reply;
    asio::co_spawn(io_, intake_.submit(std::move(request)), [&](std::exception_ptr error, v1::SubmitReply got) {
      if (error) std::rethrow_exception(error);
      reply = std::move(got);
    });
    io_.run();
    io_.restart();
    return reply;
  }

  std::size_t spooled_messages() const {
    std::size_t n = 0;
    for (const auto& entry : fs::directory_iterator(spool_.dir())) n += entry.path().extension() == ".msg";
    return n;
  }

  test_support::TempDir temp_{"intake"};
  Spool spool_{temp_.path() + "/spool"};
  v1::MtaConfig config_;
  asio::io_context io_;
  NoCourier local_;
  NoCourier remote_;
  RecipientResolver resolver_{config_, nullptr, nullptr};
  QueueRunner queue_{io_, spool_, local_, remote_, resolver_, config_};
  Intake intake_{spool_, queue_, resolver_, 50};
};

TEST_F(IntakeTest, RefusesMoreReceivedHeadersThanTheLimitAndQueuesNothing) {
  const v1::SubmitReply reply = submit(with_received(51));
  EXPECT_EQ(reply.status().code(), 554u);
  EXPECT_EQ(reply.status().enhanced(), "5.4.6");
  EXPECT_NE(reply.status().text().find("Too many hops"), std::string::npos) << reply.status().text();
  EXPECT_FALSE(reply.queue_id().empty());  // for the log lines of the front end
  EXPECT_EQ(queue_.size(), 0u);
  EXPECT_EQ(spooled_messages(), 0u);
}

TEST_F(IntakeTest, QueuesAMessageWithAsManyReceivedHeadersAsTheLimit) {
  const v1::SubmitReply reply = submit(with_received(50));
  EXPECT_EQ(reply.status().code(), 250u) << reply.status().text();
  EXPECT_EQ(queue_.size(), 1u);
  EXPECT_EQ(spooled_messages(), 1u);
}

TEST_F(IntakeTest, ReceivedInTheBodyDoesNotCountAsAHop) {
  std::string message = "Subject: a forwarded loop report\r\n\r\n";
  for (int i = 0; i < 60; ++i) message += "Received: from quoted.example\r\n";
  EXPECT_EQ(submit(message).status().code(), 250u);
  EXPECT_EQ(queue_.size(), 1u);
}

}  // namespace
}  // namespace mailpipe::mta
