#include "mda/maildir_delivery.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/durable_file.hpp"

namespace mailpipe::mda {
namespace {

namespace fs = std::filesystem;

class MaildirDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/mailpipe-mda-XXXXXX";
    root_ = mkdtemp(pattern);
  }
  void TearDown() override { fs::remove_all(root_); }

  v1::Deliver request(std::initializer_list<const char*> recipients) {
    v1::Deliver deliver;
    deliver.set_delivery_id("QUEUEID01.1");
    deliver.mutable_envelope()->set_queue_id("QUEUEID01");
    deliver.mutable_envelope()->set_mail_from("alice@example.test");
    for (const char* address : recipients) deliver.add_recipients()->set_address(address);
    deliver.set_message("Subject: hi\r\n\r\nline one\r\nline two\r\n");
    return deliver;
  }

  std::vector<std::string> files_in(const std::string& dir) {
    std::vector<std::string> contents;
    if (!fs::exists(dir)) return contents;
    for (const auto& entry : fs::directory_iterator(dir)) {
      contents.push_back(std::get<std::string>(read_file(entry.path().string())));
    }
    return contents;
  }

  std::string root_;
};

TEST(MaildirContent, AddsReturnPathDeliveredToAndUsesLf) {
  EXPECT_EQ(maildir_content("a@x", "b@y", "S: 1\r\n\r\nbody\r\n"),
            "Return-Path: <a@x>\nDelivered-To: b@y\nS: 1\n\nbody\n");
}

TEST(MaildirContent, NullSenderIsEmptyAngles) {
  EXPECT_TRUE(maildir_content("", "b@y", "x\r\n").starts_with("Return-Path: <>\n"));
}

TEST_F(MaildirDeliveryTest, DeliversOneFilePerRecipient) {
  MaildirDelivery delivery({root_, "mda.test"});
  const auto reply = delivery.deliver(request({"bob@example.test", "Carol@Example.TEST"}));
  ASSERT_EQ(reply.results_size(), 2);
  EXPECT_EQ(reply.delivery_id(), "QUEUEID01.1");
  for (const auto& result : reply.results()) {
    EXPECT_EQ(result.outcome(), v1::DELIVERED) << result.status().text();
    EXPECT_EQ(result.status().enhanced(), "2.0.0");
  }
  const auto bob = files_in(root_ + "/example.test/bob/new");
  ASSERT_EQ(bob.size(), 1u);
  EXPECT_EQ(bob[0],
            "Return-Path: <alice@example.test>\nDelivered-To: bob@example.test\n"
            "Subject: hi\n\nline one\nline two\n");
  // Mailbox paths are case-folded; Delivered-To keeps the address as given.
  const auto carol = files_in(root_ + "/example.test/carol/new");
  ASSERT_EQ(carol.size(), 1u);
  EXPECT_NE(carol[0].find("Delivered-To: Carol@Example.TEST\n"), std::string::npos);
}

TEST_F(MaildirDeliveryTest, RefusesNamesThatWouldEscapeMailRoot) {
  MaildirDelivery delivery({root_, "mda.test"});
  const auto reply = delivery.deliver(request({"../x@example.test", "a/b@example.test", "bob@..", ".hidden@example.test"}));
  ASSERT_EQ(reply.results_size(), 4);
  for (const auto& result : reply.results()) {
    EXPECT_EQ(result.outcome(), v1::PERMFAIL);
    EXPECT_EQ(result.status().code(), 550u);
    EXPECT_EQ(result.status().enhanced(), "5.1.3");
  }
  EXPECT_TRUE(fs::is_empty(root_));
}

TEST_F(MaildirDeliveryTest, UnwritableRootIsTemporary) {
  MaildirDelivery delivery({root_ + "/file", "mda.test"});
  ASSERT_FALSE(write_file_durably(root_, "file", "not a directory"));
  const auto reply = delivery.deliver(request({"bob@example.test"}));
  ASSERT_EQ(reply.results_size(), 1);
  EXPECT_EQ(reply.results(0).outcome(), v1::TEMPFAIL);
  EXPECT_EQ(reply.results(0).status().code(), 451u);
}

}  // namespace
}  // namespace mailpipe::mda
