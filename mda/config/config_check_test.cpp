#include "mda/config/config_check.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace mailpipe::mda {
namespace {

// Parses and validates `text` as an MDA config; "" when it is fine, else
// the error ("path:line:col: ...").
std::string check(const std::string& text) {
  const std::string path = "/tmp/mailpipe-mda-config-" + std::to_string(::getpid()) + ".conf";
  std::ofstream(path) << text;
  std::string error;
  try {
    v1::MdaConfig config;
    validate(config, ConfigFile::parse(path, config));
  } catch (const ConfigError& e) {
    error = e.what();
  }
  ::unlink(path.c_str());
  if (!error.empty()) error.replace(0, path.size(), "mda.conf");
  return error;
}

const std::string base = "endpoint: \"tcp://127.0.0.1:2601\"\nmail_root: \"/var/mail\"\n";

TEST(MdaConfigCheck, RulesOfEveryMethodAreAccepted) {
  EXPECT_EQ(check(base + R"(
delivery { match: "bob@example.test" method: PIPE command: ["/usr/bin/procmail", "-d", "{user}"] timeout_ms: 20000 }
delivery { match: "@example.test" method: LMTP server: "unix:/run/dovecot/lmtp" }
delivery { match: "@other.test" method: LMTP server: "[::1]:24" }
delivery { match: "@plain.test" method: MAILDIR }
delivery { match: "*" method: LMTP server: "127.0.0.1:24" }
)"), "");
}

TEST(MdaConfigCheck, ErrorsPointAtTheRule) {
  const std::string text = base + "delivery { match: \"@a.test\" method: LMTP server: \"unix:/x\" }\n"
                                  "delivery { match: \"@b.test\" method: LMTP }\n";
  EXPECT_EQ(check(text), "mda.conf:4:1: delivery: rule 2: method LMTP needs server (\"unix:/run/dovecot/lmtp\", \"127.0.0.1:24\")");
}

TEST(MdaConfigCheck, BadRulesAreRefused) {
  auto error_of = [](const std::string& rule) { return check(base + "delivery { " + rule + " }\n"); };
  EXPECT_NE(error_of(R"(method: LMTP server: "unix:/x")").find("missing required key match"), std::string::npos);
  EXPECT_NE(error_of(R"(match: "example.test" method: LMTP server: "unix:/x")").find("match \"example.test\""), std::string::npos);
  EXPECT_NE(error_of(R"(match: "*" method: LMTP server: "localhost:24")").find("not a numeric IP address"), std::string::npos);
  EXPECT_NE(error_of(R"(match: "*" method: PIPE)").find("needs command"), std::string::npos);
  EXPECT_NE(error_of(R"(match: "*" method: PIPE command: "procmail")").find("absolute path"), std::string::npos);
  EXPECT_NE(error_of(R"(match: "*" method: PIPE command: ["/bin/x", "{rcpt}"])").find("unknown placeholder {rcpt}"), std::string::npos);
  EXPECT_NE(error_of(R"(match: "*" method: PIPE command: ["/home/{user}/bin/x"])").find("program path"), std::string::npos);
  EXPECT_NE(error_of(R"(match: "*" method: PIPE command: "/bin/x" timeout_ms: 0)").find("timeout_ms"), std::string::npos);
  EXPECT_NE(error_of(R"(match: "*" method: MAILDIR server: "unix:/x")").find("server is for method LMTP only"), std::string::npos);
  EXPECT_NE(error_of(R"(match: "*" method: LMTP server: "unix:/x" command: "/bin/x")").find("PIPE only"), std::string::npos);
  EXPECT_NE(error_of(R"(match: "*" method: LMTP server: "unix:/x" user: "nobody")").find("PIPE only"), std::string::npos);
  EXPECT_NE(error_of(R"(match: "*" method: SMTP)").find("SMTP"), std::string::npos);  // no such method
}

TEST(MdaConfigCheck, RuleNeverReachedIsAnError) {
  const std::string text = base + "delivery { match: \"@example.test\" method: LMTP server: \"unix:/x\" }\n"
                                  "delivery { match: \"bob@example.test\" method: PIPE command: \"/bin/x\" }\n";
  EXPECT_EQ(check(text), "mda.conf:4:1: delivery: rule 2: never used: rule 1 (match \"@example.test\") takes every address it matches");
}

TEST(MdaConfigCheck, PipeUserNeedsTheMdaToKeepRoot) {
  const std::string text = base + "user: \"vmail\"\n"
                                  "delivery { match: \"*\" method: PIPE command: \"/bin/x\" user: \"bob\" }\n";
  EXPECT_NE(check(text).find("needs the MDA to keep root"), std::string::npos);
  EXPECT_EQ(check(base + "user: \"vmail\"\ndelivery { match: \"*\" method: PIPE command: \"/bin/x\" user: \"vmail\" }\n"), "");
}

TEST(MdaConfigCheck, MailRootIsOptionalOnlyWhenNoAddressCanReachAMaildir) {
  const std::string endpoint = "endpoint: \"tcp://127.0.0.1:2601\"\n";
  EXPECT_EQ(check(endpoint + "delivery { match: \"*\" method: LMTP server: \"unix:/x\" }\n"), "");
  EXPECT_NE(check(endpoint + "delivery { match: \"@a.test\" method: LMTP server: \"unix:/x\" }\n").find("mail_root"),
            std::string::npos);
  EXPECT_NE(check(endpoint + "delivery { match: \"b@a.test\" method: MAILDIR }\n"
                             "delivery { match: \"*\" method: LMTP server: \"unix:/x\" }\n").find("mail_root"),
            std::string::npos);
}

}  // namespace
}  // namespace mailpipe::mda
