#include "mua/cli/command_line.hpp"

#include <gtest/gtest.h>

#include "mua/cli/exit_status.hpp"

namespace mailpipe::mua {
namespace {

Exit usage_exit(const std::vector<std::string>& args) {
  return cli::exit_status_of<Exit>([&] { parse_command_line(args); });
}

TEST(CommandLine, SendWithEveryOption) {
  const Invocation i = parse_command_line(
      {"send", "--from", "Jörg <j@example.test>", "--to", "a@example.test", "--to=b@example.test", "--cc", "c@x.test",
       "--bcc", "d@x.test", "--subject", "Grüße", "--body-file", "body.txt", "--attach", "a.pdf", "--attach",
       "b.bin:image/png", "--server", "localhost:2465", "--tls", "--ca-file", "ca.pem", "--user", "j@example.test",
       "--password-file", "pw", "--timeout", "5", "--partial"});
  EXPECT_EQ(i.command, Command::send);
  EXPECT_EQ(i.send.to, (std::vector<std::string>{"a@example.test", "b@example.test"}));
  EXPECT_EQ(i.send.attach.size(), 2u);
  EXPECT_TRUE(i.send.implicit_tls);
  EXPECT_EQ(i.send.timeout_seconds, 5u);
  EXPECT_TRUE(i.send.partial);
  EXPECT_EQ(i.send.password_file, "pw");
}

TEST(CommandLine, PasswordIsNeverAnOption) {
  EXPECT_EQ(usage_exit({"send", "--from", "a@b.test", "--to", "a@b.test", "--server", "x", "--password", "demo"}),
            Exit::usage);
  EXPECT_EQ(usage_exit({"send", "--from", "a@b.test", "--to", "a@b.test", "--server", "x", "--password=demo"}),
            Exit::usage);
}

TEST(CommandLine, UsageErrors) {
  EXPECT_EQ(usage_exit({"send", "--to", "a@b.test", "--dry-run"}), Exit::usage);  // no --from
  EXPECT_EQ(usage_exit({"send", "--from", "a@b.test", "--dry-run"}), Exit::usage);  // no recipient
  EXPECT_EQ(usage_exit({"send", "--from", "a@b.test", "--to", "a@b.test"}), Exit::usage);  // no server
  EXPECT_EQ(usage_exit({"send", "--from", "a@b.test", "--to", "a@b.test", "--dry-run", "--timeout", "0"}), Exit::usage);
  EXPECT_EQ(usage_exit({"send", "--from", "a@b.test", "--to", "a@b.test", "--dry-run", "--insecure", "--ca-file", "x"}),
            Exit::usage);
  EXPECT_EQ(usage_exit({"send", "--from"}), Exit::usage);
  EXPECT_EQ(usage_exit({"send", "--bogus"}), Exit::usage);
  EXPECT_EQ(usage_exit({"fetch"}), Exit::usage);
  EXPECT_EQ(usage_exit({"list"}), Exit::usage);
  EXPECT_EQ(usage_exit({"read", "--maildir", "m"}), Exit::usage);
  EXPECT_EQ(usage_exit({"read", "--maildir", "m", "0"}), Exit::usage);
  EXPECT_EQ(usage_exit({"read", "--maildir", "m", "x1"}), Exit::usage);
}

TEST(CommandLine, ListAndRead) {
  Invocation i = parse_command_line({"list", "--maildir", "/m"});
  EXPECT_EQ(i.command, Command::list);
  EXPECT_EQ(i.maildir, "/m");
  i = parse_command_line({"read", "--maildir", "/m", "3", "--save-attachments", "/out"});
  EXPECT_EQ(i.command, Command::read);
  EXPECT_EQ(i.number, 3u);
  EXPECT_EQ(i.save_attachments, "/out");
  EXPECT_EQ(parse_command_line({}).command, Command::help);
  EXPECT_EQ(parse_command_line({"--help"}).command, Command::help);
}

TEST(CommandLine, HelpSaysInsecureIsForTests) {
  EXPECT_NE(usage_text().find("--insecure               do not verify the certificate: for tests only"),
            std::string_view::npos);
}

}  // namespace
}  // namespace mailpipe::mua
