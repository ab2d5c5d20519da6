#include "ctl/keygen_command.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/transport/curve.hpp"
#include "ctl/command_line.hpp"
#include "tests/support/temp_dir.hpp"

namespace mailpipe::ctl {
namespace {

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

mode_t mode_of(const std::filesystem::path& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 07777;
}

TEST(Keygen, WritesAPairTheProcessesReadAndItsPublicKey) {
  const test_support::TempDir temp("mailpipectl-keygen");
  const std::filesystem::path dir = temp.path();
  const std::string name = (dir / "mta1").string();
  std::ostringstream out;
  EXPECT_EQ(keygen(name, out), Exit::ok);
  // The .key is what LinkSecurity.key_file loads.
  const transport::CurveKeyPair pair = transport::load_curve_key_pair(name + ".key");
  EXPECT_TRUE(transport::valid_curve_key(pair.secret_key));
  EXPECT_NE(pair.public_key, pair.secret_key);
  EXPECT_EQ(read(name + ".pub"), pair.public_key + "\n");
  EXPECT_EQ(mode_of(name + ".key"), 0600u);
  EXPECT_EQ(mode_of(name + ".pub"), 0644u);
  EXPECT_NE(out.str().find(pair.public_key), std::string::npos);
  EXPECT_EQ(out.str().find(pair.secret_key), std::string::npos);  // never on the terminal
}

TEST(Keygen, TwoPairsDiffer) {
  const test_support::TempDir temp("mailpipectl-keygen");
  const std::filesystem::path dir = temp.path();
  std::ostringstream out;
  keygen((dir / "a").string(), out);
  keygen((dir / "b").string(), out);
  EXPECT_NE(read(dir / "a.pub"), read(dir / "b.pub"));
}

TEST(Keygen, NeverReplacesAKeyAndLeavesNoHalfPair) {
  const test_support::TempDir temp("mailpipectl-keygen");
  const std::filesystem::path dir = temp.path();
  const std::string name = (dir / "mda").string();
  std::ostringstream out;
  keygen(name, out);
  const std::string before = read(name + ".key");
  EXPECT_THROW(keygen(name, out), Failure);
  EXPECT_EQ(read(name + ".key"), before);
  // A stray .pub alone: refused before a .key is written.
  std::ofstream(dir / "other.pub") << "x\n";
  EXPECT_THROW(keygen((dir / "other").string(), out), Failure);
  EXPECT_FALSE(std::filesystem::exists(dir / "other.key"));
}

TEST(Keygen, CommandLineTakesOneName) {
  EXPECT_EQ(parse_command_line({"keygen", "mta1"}).command, Command::keygen);
  EXPECT_EQ(parse_command_line({"keygen", "mta1"}).argument, "mta1");
  EXPECT_THROW(parse_command_line({"keygen"}), Failure);
  EXPECT_THROW(parse_command_line({"keygen", "a", "b"}), Failure);
  std::ostringstream out;
  EXPECT_THROW(keygen("mta1.key", out), Failure);
}

}  // namespace
}  // namespace mailpipe::ctl
