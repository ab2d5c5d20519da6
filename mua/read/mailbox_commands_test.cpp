#include "mua/read/mailbox_commands.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/mime/random_token.hpp"
#include "mua/compose/outgoing_mail.hpp"
#include "mua/read/test_maildir.hpp"

namespace mailpipe::mua {
namespace {

namespace fs = std::filesystem;

class MailboxCommands : public MaildirTest {};

std::string composed() {
  MailRequest request;
  request.from = {"Jörg Müller", "joerg@example.test"};
  request.to = {{"", "demo@example.test"}};
  request.subject = "Grüße aus Köln — ☕";
  request.body = "Hallo \x1b[2J Welt\n";
  request.attachments = {{"../évil.bin", "application/octet-stream", std::string("\x00\x01", 2)}};
  request.now = 1700000000;
  std::string message = prepare_mail(request, [] { return mime::random_hex(16); }).message;
  // As the MDA stores it: LF line ends.
  std::string lf;
  for (char c : message) {
    if (c != '\r') lf += c;
  }
  return lf;
}

TEST_F(MailboxCommands, ListShowsDecodedSenderAndSubjectNewestLast) {
  put_message("cur/1.old.host:2,S", "From: old@example.test\nSubject: older\nDate: Mon, 13 Nov 2023 10:00:00 +0000\n\nx\n", 100);
  put_message("new/2.new.host", composed(), 200);
  std::ostringstream out;
  EXPECT_EQ(list_messages(dir_.path(), out), Exit::ok);
  const std::string text = out.str();
  const std::size_t second_line = text.find('\n') + 1;
  EXPECT_TRUE(text.starts_with("   1   ")) << text;
  EXPECT_NE(text.find("old@example.test"), std::string::npos);
  EXPECT_EQ(text.substr(second_line, 7), "   2 N ");
  EXPECT_NE(text.find("Jörg Müller", second_line), std::string::npos) << text;
  EXPECT_NE(text.find("Grüße aus Köln — ☕", second_line), std::string::npos) << text;
}

TEST_F(MailboxCommands, ReadShowsDecodesSavesAndMarksSeen) {
  put_message("new/2.new.host", composed(), 200);
  ReadOptions options{dir_.path(), 1, dir_.path() + "/saved"};
  std::ostringstream out;
  std::ostringstream notes;
  EXPECT_EQ(read_message(options, out, notes), Exit::ok);
  const std::string text = out.str();
  EXPECT_NE(text.find("From:    Jörg Müller <joerg@example.test>\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Subject: Grüße aus Köln — ☕\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Hallo \uFFFD[2J Welt\n"), std::string::npos) << text;  // no escape reaches the terminal
  EXPECT_NE(text.find("[attachment 1] ../évil.bin  application/octet-stream  2 bytes\n"), std::string::npos) << text;
  EXPECT_TRUE(fs::exists(dir_.path() + "/saved/évil.bin"));
  EXPECT_EQ(fs::file_size(dir_.path() + "/saved/évil.bin"), 2u);
  EXPECT_TRUE(fs::exists(dir_.path() + "/cur/2.new.host:2,S"));
  EXPECT_TRUE(notes.str().empty()) << notes.str();

  // Again: the same number, the file already seen, a second copy saved beside the first.
  std::ostringstream again;
  EXPECT_EQ(read_message(options, again, notes), Exit::ok);
  EXPECT_TRUE(fs::exists(dir_.path() + "/saved/évil-1.bin"));
  EXPECT_TRUE(fs::exists(dir_.path() + "/cur/2.new.host:2,S"));
}

TEST_F(MailboxCommands, NoSuchMessage) {
  ReadOptions options{dir_.path(), 3, std::nullopt};
  std::ostringstream out;
  EXPECT_THROW(read_message(options, out, out), Failure);
}

}  // namespace
}  // namespace mailpipe::mua
