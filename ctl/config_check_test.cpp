#include "ctl/config_check.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "common/config/config.hpp"
#include "tests/support/temp_dir.hpp"

namespace mailpipe::ctl {
namespace {

TEST(ConfigKind, InferredFromTheFileName) {
  EXPECT_EQ(infer_config_kind("/etc/mailpipe/msa.conf"), ConfigKind::msa);
  EXPECT_EQ(infer_config_kind("mta-2.conf"), ConfigKind::mta);
  EXPECT_EQ(infer_config_kind("var/etc/mda.conf"), ConfigKind::mda);
  EXPECT_EQ(infer_config_kind("/etc/mailpipe/mailpipectl.conf"), ConfigKind::ctl);
  EXPECT_EQ(infer_config_kind("mailpipectl-test.conf"), ConfigKind::ctl);
}

TEST(ConfigKind, UnknownNamesNeedKind) {
  EXPECT_EQ(infer_config_kind("/etc/mailpipe/main.conf"), std::nullopt);
  EXPECT_EQ(infer_config_kind("msa.conf.in"), std::nullopt);
  EXPECT_EQ(infer_config_kind("/etc/msa.conf.d/x"), std::nullopt);
  EXPECT_EQ(infer_config_kind("/srv/mta/local.conf"), std::nullopt);  // the directory does not count
}

TEST(ConfigKind, NamedOnTheCommandLine) {
  EXPECT_EQ(config_kind_named("mta"), ConfigKind::mta);
  EXPECT_EQ(config_kind_named("ctl"), ConfigKind::ctl);
  EXPECT_EQ(config_kind_named("MTA"), std::nullopt);
  EXPECT_EQ(config_kind_name(ConfigKind::mda), "mda");
}

class CheckConfig : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  const test_support::TempDir dir_{"ctl-check"};
};

TEST_F(CheckConfig, AcceptsAGoodCtlConfig) {
  EXPECT_NO_THROW(check_config(write("mailpipectl.conf", "mta_admin_endpoint: \"ipc:///run/m.sock\"\n"),
                               ConfigKind::ctl));
}

TEST_F(CheckConfig, ATypoIsAnErrorWithLineAndColumn) {
  const std::string path = write("mailpipectl.conf", "timeout_ms: 100\nmta_admin_endpiont: \"x\"\n");
  try {
    check_config(path, ConfigKind::ctl);
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":2:1"), std::string::npos) << e.what();
  }
}

TEST_F(CheckConfig, UsesTheProcessChecks) {
  // Parses as an MdaConfig but lacks what the MDA needs.
  EXPECT_THROW(check_config(write("mda.conf", "hostname: \"x\"\n"), ConfigKind::mda), ConfigError);
  EXPECT_THROW(check_config(write("mailpipectl.conf", "mta_admin_endpoint: \"/run/m.sock\"\n"), ConfigKind::ctl),
               ConfigError);
  EXPECT_THROW(check_config(write("mailpipectl.conf", "timeout_ms: 0\n"), ConfigKind::ctl), ConfigError);
}

}  // namespace
}  // namespace mailpipe::ctl
