#include "mua/compose/input_files.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "mua/cli/exit_status.hpp"
#include "mua/submit/password_input.hpp"
#include "tests/support/temp_dir.hpp"

namespace mailpipe::mua {
namespace {

TEST(AttachmentSpec, TypeAfterTheLastColonOnlyWhenItIsOne) {
  AttachmentSpec spec = parse_attachment_spec("report.pdf");
  EXPECT_EQ(spec.path, "report.pdf");
  EXPECT_FALSE(spec.media_type);
  spec = parse_attachment_spec("data.bin:Application/X-Custom");
  EXPECT_EQ(spec.path, "data.bin");
  EXPECT_EQ(spec.media_type, "application/x-custom");
  spec = parse_attachment_spec("notes 10:30.txt");
  EXPECT_EQ(spec.path, "notes 10:30.txt");
  EXPECT_FALSE(spec.media_type);
  EXPECT_THROW(parse_attachment_spec("x:multipart/mixed"), Failure);
  EXPECT_THROW(parse_attachment_spec(":text/plain"), Failure);
}

TEST(AttachmentSpec, LoadsNameTypeAndBytes) {
  const test_support::TempDir dir{"mpmail"};
  const std::string path = dir.path() + "/Grüße.PNG";
  std::ofstream(path, std::ios::binary) << std::string("\x89PNG\0\1", 6);
  const Attachment attachment = load_attachment(parse_attachment_spec(path));
  EXPECT_EQ(attachment.filename, "Grüße.PNG");
  EXPECT_EQ(attachment.media_type, "image/png");
  EXPECT_EQ(attachment.data, std::string("\x89PNG\0\1", 6));
  EXPECT_THROW(load_attachment(parse_attachment_spec(dir.path() + "/missing")), Failure);
  EXPECT_THROW(load_attachment(parse_attachment_spec(dir.path())), Failure);
}

TEST(PasswordFile, FirstLineOnlyAndNeverEmpty) {
  const test_support::TempDir dir{"mpmail"};
  const std::string path = dir.path() + "/pw";
  std::ofstream(path) << "s3cret pass\r\nsecond line\n";
  Secret password;
  read_password_file(path, password);
  EXPECT_EQ(password.view(), "s3cret pass");
  std::ofstream(path, std::ios::trunc) << "\nx\n";
  EXPECT_THROW(read_password_file(path, password), Failure);
  std::ofstream(path, std::ios::trunc) << "no newline";
  read_password_file(path, password);
  EXPECT_EQ(password.view(), "no newline");
  EXPECT_THROW(read_password_file(dir.path() + "/missing", password), Failure);
}

TEST(InputStream, IsBounded) {
  std::istringstream small("hello");
  EXPECT_EQ(read_input_stream(small, "stdin"), "hello");
}

}  // namespace
}  // namespace mailpipe::mua
