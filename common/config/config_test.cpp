#include "common/config/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "config.pb.h"

namespace mailpipe {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void TearDown() override { ::unlink(path_.c_str()); }
  std::string write(const std::string& text) {
    std::ofstream(path_) << text;
    return path_;
  }
  std::string error_of(const std::string& text) {
    v1::MtaConfig config;
    try {
      ConfigFile::parse(write(text), config);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }
  std::string path_ = "/tmp/mailpipe-config-test-" + std::to_string(::getpid()) + ".conf";
};

TEST_F(ConfigTest, ParsesAndKeepsDefaults) {
  v1::MtaConfig config;
  ConfigFile::parse(write("spool_dir: \"/var/spool/mailpipe\"\nlocal_domain: \"a.test\"\n"), config);
  EXPECT_EQ(config.spool_dir(), "/var/spool/mailpipe");
  EXPECT_EQ(config.retry().first_retry_ms(), 300000u);  // default from the schema
}

TEST_F(ConfigTest, UnknownKeyNamesFileLineAndColumn) {
  // Protobuf's text parser points at the token after the unknown name.
  EXPECT_EQ(error_of("spool_dir: \"/x\"\n  spool_dri: \"/y\"\n"),
            path_ + ":2:12: Message type \"mailpipe.v1.MtaConfig\" has no field named \"spool_dri\".");
}

TEST_F(ConfigTest, BadValueNamesFileLineAndColumn) {
  const std::string error = error_of("retry {\n  first_retry_ms: -5\n}\n");
  EXPECT_TRUE(error.starts_with(path_ + ":2:")) << error;
}

TEST_F(ConfigTest, MissingFileSaysSo) {
  v1::MtaConfig config;
  EXPECT_THROW(ConfigFile::parse("/nonexistent/mta.conf", config), ConfigError);
}

TEST_F(ConfigTest, WhereAndFailPointAtTheKey) {
  v1::MtaConfig config;
  const ConfigFile file = ConfigFile::parse(write("spool_dir: \"/x\"\nretry {\n  max_retry_ms: 1\n}\n"), config);
  EXPECT_EQ(file.where({"retry", "max_retry_ms"}), path_ + ":3:3");
  EXPECT_EQ(file.where({"hostname"}), path_);
  try {
    file.fail({"retry", "max_retry_ms"}, "too small");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), path_ + ":3:3: retry.max_retry_ms: too small");
  }
}

TEST(ConfigReload, ChangedFieldsNamesWhatDiffersButNotWhatReloads) {
  v1::MtaConfig before;
  before.set_spool_dir("/a");
  before.add_local_domain("example.test");
  before.set_aliases_file("/etc/aliases");
  v1::MtaConfig after = before;
  EXPECT_TRUE(changed_fields(before, after, {}).empty());
  after.set_spool_dir("/b");
  after.set_aliases_file("/etc/other");
  after.mutable_retry()->set_first_retry_ms(1);
  EXPECT_EQ(changed_fields(before, after, {"aliases_file"}), (std::vector<std::string>{"spool_dir", "retry"}));
}

TEST(ConfigReload, CopyFieldSetsOneFieldAndLeavesTheRest) {
  v1::MtaConfig running;
  running.set_spool_dir("/a");
  running.set_passwd_file("/old");
  v1::MtaConfig fresh;
  fresh.set_spool_dir("/b");
  fresh.set_passwd_file("/new");
  copy_field(fresh, running, "passwd_file");
  EXPECT_EQ(running.passwd_file(), "/new");
  EXPECT_EQ(running.spool_dir(), "/a");
  v1::MtaConfig unset;
  copy_field(unset, running, "passwd_file");
  EXPECT_FALSE(running.has_passwd_file());
  EXPECT_THROW(copy_field(fresh, running, "no_such_key"), std::logic_error);
}

}  // namespace
}  // namespace mailpipe
