#include "mda/maildir_delivery.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/os/durable_file.hpp"
#include "tests/support/temp_dir.hpp"

namespace mailpipe::mda {
namespace {

namespace fs = std::filesystem;

class MaildirDeliveryTest : public ::testing::Test {
 protected:
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

  const test_support::TempDir dir_{"mda"};
  const std::string root_ = dir_.path();
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

TEST(MaildirContent, OnlyCrlfBecomesLf) {
  // A lone CR is not a line end (RFC 5321 2.3.8); it is kept as it came.
  EXPECT_EQ(maildir_content("a@x", "b@y", "A: 1\r\n\r\nx\ry\r\nlast"),
            "Return-Path: <a@x>\nDelivered-To: b@y\nA: 1\n\nx\ry\nlast");
}

TEST(MaildirContent, SenderCannotInjectHeaders) {
  const std::string content = maildir_content("a@x>\r\nX-Evil: 1", "b@y", "\r\n");
  EXPECT_EQ(content.find("\nX-Evil"), std::string::npos) << content;
  EXPECT_TRUE(content.starts_with("Return-Path: <a@x>??X-Evil: 1>\n")) << content;
}

TEST(MaildirWriteError, DiskOrQuotaFullIs452WithMailSystemFull) {
  for (int err : {ENOSPC, EDQUOT}) {
    const v1::Status status = status_for_write_error(IoError{err, "write /m/tmp/x: No space left on device"});
    EXPECT_EQ(status.code(), 452u);
    EXPECT_EQ(status.enhanced(), "4.3.1");
    EXPECT_NE(status.text().find("No space left on device"), std::string::npos);
  }
}

TEST(MaildirWriteError, OtherErrorsAre451WithTheErrorText) {
  const v1::Status status = status_for_write_error(IoError{EIO, "fsync /m/new: Input/output error"});
  EXPECT_EQ(status.code(), 451u);
  EXPECT_EQ(status.enhanced(), "4.3.0");
  EXPECT_NE(status.text().find("fsync /m/new: Input/output error"), std::string::npos);
}

TEST_F(MaildirDeliveryTest, CreatesTheMaildirWhenMissing) {
  MaildirDelivery delivery({root_ + "/mail", "mda.test"});
  const auto reply = delivery.deliver(request({"new.user+tag@example.test"}));
  ASSERT_EQ(reply.results_size(), 1);
  EXPECT_EQ(reply.results(0).outcome(), v1::DELIVERED) << reply.results(0).status().text();
  for (const char* sub : {"tmp", "new", "cur"}) {
    EXPECT_TRUE(fs::is_directory(root_ + "/mail/example.test/new.user+tag/" + sub)) << sub;
  }
  EXPECT_TRUE(fs::is_empty(root_ + "/mail/example.test/new.user+tag/tmp"));
}

TEST_F(MaildirDeliveryTest, FoldsCaseOfDomainAndLocalPartInThePath) {
  MaildirDelivery delivery({root_, "mda.test"});
  ASSERT_EQ(delivery.deliver(request({"BOB@EXAMPLE.Test"})).results(0).outcome(), v1::DELIVERED);
  ASSERT_EQ(delivery.deliver(request({"bob@example.test"})).results(0).outcome(), v1::DELIVERED);
  EXPECT_EQ(files_in(root_ + "/example.test/bob/new").size(), 2u);
  EXPECT_EQ(std::distance(fs::directory_iterator(root_), fs::directory_iterator()), 1);
}

TEST_F(MaildirDeliveryTest, StatusNamesTheFileInNew) {
  MaildirDelivery delivery({root_, "mda.test"});
  const auto reply = delivery.deliver(request({"bob@example.test"}));
  const std::string& text = reply.results(0).status().text();
  ASSERT_TRUE(text.starts_with("Delivered to Maildir as ")) << text;
  const std::string name = text.substr(std::string("Delivered to Maildir as ").size());
  EXPECT_TRUE(name.ends_with(".mda.test")) << name;
  EXPECT_TRUE(fs::exists(root_ + "/example.test/bob/new/" + name));
}

TEST_F(MaildirDeliveryTest, NullSenderGetsEmptyReturnPath) {
  MaildirDelivery delivery({root_, "mda.test"});
  v1::Deliver bounce = request({"bob@example.test"});
  bounce.mutable_envelope()->set_mail_from("");
  ASSERT_EQ(delivery.deliver(bounce).results(0).outcome(), v1::DELIVERED);
  const auto files = files_in(root_ + "/example.test/bob/new");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_TRUE(files[0].starts_with("Return-Path: <>\nDelivered-To: bob@example.test\n")) << files[0];
}

TEST_F(MaildirDeliveryTest, RefusesMalformedAndControlByteAddresses) {
  MaildirDelivery delivery({root_, "mda.test"});
  v1::Deliver deliver = request({});
  for (std::string address : {std::string(""), std::string("bob"), std::string("bob@"), std::string("@example.test"),
                              std::string("a\r\nb@example.test"), std::string("bob@exa/mple.test"),
                              std::string("x\0y@example.test", 16), std::string("bob@."), std::string("caf\xc3\xa9@example.test"),
                              std::string("a b@example.test"), std::string("bob@example.test/..")}) {
    deliver.add_recipients()->set_address(address);
  }
  const auto reply = delivery.deliver(deliver);
  ASSERT_EQ(reply.results_size(), deliver.recipients_size());
  for (const auto& result : reply.results()) {
    EXPECT_EQ(result.outcome(), v1::PERMFAIL) << result.address();
    EXPECT_EQ(result.status().code(), 550u);
    EXPECT_EQ(result.status().enhanced(), "5.1.3");
    EXPECT_EQ(result.status().text().find_first_of(std::string("\r\n\0", 3)), std::string::npos);
  }
  EXPECT_TRUE(fs::is_empty(root_));
}

TEST_F(MaildirDeliveryTest, OneBadRecipientDoesNotStopTheOthers) {
  MaildirDelivery delivery({root_, "mda.test"});
  const auto reply = delivery.deliver(request({"bob@example.test", "../x@example.test", "carol@example.test"}));
  ASSERT_EQ(reply.results_size(), 3);
  EXPECT_EQ(reply.results(0).outcome(), v1::DELIVERED);
  EXPECT_EQ(reply.results(1).outcome(), v1::PERMFAIL);
  EXPECT_EQ(reply.results(1).address(), "../x@example.test");
  EXPECT_EQ(reply.results(2).outcome(), v1::DELIVERED);
}

}  // namespace
}  // namespace mailpipe::mda
