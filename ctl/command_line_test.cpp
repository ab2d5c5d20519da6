#include "ctl/command_line.hpp"

#include <gtest/gtest.h>

#include "ctl/exit_status.hpp"

namespace mailpipe::ctl {
namespace {

Exit exit_of(const std::vector<std::string>& args) {
  return cli::exit_status_of<Exit>([&] { parse_command_line(args); });
}

TEST(CommandLine, OptionsBeforeAndAfterTheCommand) {
  const auto in = parse_command_line({"--mta", "ipc:///a.sock", "queue", "list", "--json", "--mta=ipc:///b.sock"});
  EXPECT_EQ(in.command, Command::queue_list);
  EXPECT_TRUE(in.json);
  EXPECT_EQ(in.mta_endpoints, (std::vector<std::string>{"ipc:///a.sock", "ipc:///b.sock"}));
}

TEST(CommandLine, VerbsTakeTheirArgument) {
  EXPECT_EQ(parse_command_line({"queue", "hold", "01KA3ZK8F2X7Q2M4PA"}).argument, "01KA3ZK8F2X7Q2M4PA");
  EXPECT_EQ(parse_command_line({"queue", "flush"}).command, Command::queue_flush);
  EXPECT_EQ(parse_command_line({"queue", "flush"}).argument, "");
  const auto check = parse_command_line({"check", "x.conf", "--kind", "mta"});
  EXPECT_EQ(check.command, Command::check);
  EXPECT_EQ(check.kind, "mta");
  const auto add = parse_command_line({"user", "add", "--password-stdin", "--scheme", "sha512-crypt", "a@b.test"});
  EXPECT_EQ(add.command, Command::user_add);
  EXPECT_TRUE(add.password_stdin);
  EXPECT_EQ(add.argument, "a@b.test");
}

TEST(CommandLine, DoubleDashEndsOptions) {
  EXPECT_EQ(parse_command_line({"user", "del", "--", "-odd@b.test"}).argument, "-odd@b.test");
}

TEST(CommandLine, UsageErrors) {
  EXPECT_EQ(exit_of({}), Exit::usage);
  EXPECT_EQ(exit_of({"queue"}), Exit::usage);
  EXPECT_EQ(exit_of({"queue", "lsit"}), Exit::usage);
  EXPECT_EQ(exit_of({"queue", "show"}), Exit::usage);
  EXPECT_EQ(exit_of({"queue", "hold", "A", "B"}), Exit::usage);
  EXPECT_EQ(exit_of({"queue", "list", "--frobnicate"}), Exit::usage);
  EXPECT_EQ(exit_of({"--config"}), Exit::usage);
  EXPECT_EQ(exit_of({"check"}), Exit::usage);
}

TEST(CommandLine, OptionsOnlyWhereTheyMeanSomething) {
  EXPECT_EQ(exit_of({"queue", "hold", "ABCDEFGH", "--json"}), Exit::usage);
  EXPECT_EQ(exit_of({"user", "del", "a@b.test", "--mta", "ipc:///a"}), Exit::usage);
  EXPECT_EQ(exit_of({"user", "del", "a@b.test", "--password-stdin"}), Exit::usage);
  EXPECT_EQ(exit_of({"queue", "list", "--kind", "mta"}), Exit::usage);
  EXPECT_EQ(exit_of({"--json=yes", "queue", "list"}), Exit::usage);
}

TEST(CommandLine, NeverTakesAPasswordFromArgv) {
  EXPECT_EQ(exit_of({"user", "add", "a@b.test", "--password", "hunter2"}), Exit::usage);
  EXPECT_EQ(exit_of({"user", "add", "a@b.test", "--password=hunter2"}), Exit::usage);
}

TEST(CommandLine, Help) {
  EXPECT_EQ(parse_command_line({"--help"}).command, Command::help);
  EXPECT_EQ(parse_command_line({"help"}).command, Command::help);
  EXPECT_NE(usage_text().find("queue list"), std::string_view::npos);
}

}  // namespace
}  // namespace mailpipe::ctl
