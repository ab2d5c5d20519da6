#include "ctl/passwd_edit.hpp"

#include <gtest/gtest.h>

#include "ctl/exit_status.hpp"

namespace mailpipe::ctl {
namespace {

const std::string sample =
    "# mail users\n"
    "\n"
    "demo@example.test:{SHA512-CRYPT}$6$salt$hash::::::userdb_quota_rule=*:storage=1G\n"
    "  # indented comment: bob@example.test:{PLAIN}x\n"
    "Bob@Example.test:{PLAIN}bobpass\r\n"
    "carol@example.test:{PLAIN}c";  // no final newline

Exit exit_of(const std::function<void()>& edit) { return cli::exit_status_of<Exit>(edit); }

TEST(PasswdEdit, AddAppendsAndKeepsEverythingElse) {
  EXPECT_EQ(add_user(sample, "dave@example.test", "{CRYPT}$y$x"), sample + "\ndave@example.test:{CRYPT}$y$x\n");
  EXPECT_EQ(add_user("", "dave@example.test", "{CRYPT}$y$x"), "dave@example.test:{CRYPT}$y$x\n");
  EXPECT_EQ(add_user("a@b.test:{PLAIN}a\n", "dave@example.test", "S"), "a@b.test:{PLAIN}a\ndave@example.test:S\n");
}

TEST(PasswdEdit, AddRefusesAUserWhoIsThereInAnyCase) {
  EXPECT_EQ(exit_of([] { add_user(sample, "bob@example.test", "S"); }), Exit::failed);
  EXPECT_EQ(exit_of([] { add_user(sample, "demo@example.test", "S"); }), Exit::failed);
}

TEST(PasswdEdit, CommentsAreNotUsers) {
  EXPECT_FALSE(has_user("# bob@example.test:{PLAIN}x\n", "bob@example.test"));
  EXPECT_FALSE(has_user("  # bob@example.test:{PLAIN}x\n", "# bob@example.test"));
  EXPECT_TRUE(has_user(sample, "bob@example.test"));
}

TEST(PasswdEdit, PasswdReplacesOnlyThePasswordField) {
  EXPECT_EQ(set_password(sample, "demo@example.test", "{CRYPT}$y$new"),
            "# mail users\n"
            "\n"
            "demo@example.test:{CRYPT}$y$new::::::userdb_quota_rule=*:storage=1G\n"
            "  # indented comment: bob@example.test:{PLAIN}x\n"
            "Bob@Example.test:{PLAIN}bobpass\r\n"
            "carol@example.test:{PLAIN}c");
  // The name keeps the case it was written in; CRLF stays.
  EXPECT_EQ(set_password(sample, "bob@example.test", "N"),
            "# mail users\n"
            "\n"
            "demo@example.test:{SHA512-CRYPT}$6$salt$hash::::::userdb_quota_rule=*:storage=1G\n"
            "  # indented comment: bob@example.test:{PLAIN}x\n"
            "Bob@Example.test:N\r\n"
            "carol@example.test:{PLAIN}c");
  EXPECT_EQ(set_password(sample, "carol@example.test", "N"), sample.substr(0, sample.size() - 8) + "N");
}

TEST(PasswdEdit, DelRemovesTheWholeLineOnly) {
  EXPECT_EQ(remove_user(sample, "bob@example.test"),
            "# mail users\n"
            "\n"
            "demo@example.test:{SHA512-CRYPT}$6$salt$hash::::::userdb_quota_rule=*:storage=1G\n"
            "  # indented comment: bob@example.test:{PLAIN}x\n"
            "carol@example.test:{PLAIN}c");
  EXPECT_EQ(remove_user(sample, "carol@example.test"),
            "# mail users\n"
            "\n"
            "demo@example.test:{SHA512-CRYPT}$6$salt$hash::::::userdb_quota_rule=*:storage=1G\n"
            "  # indented comment: bob@example.test:{PLAIN}x\n"
            "Bob@Example.test:{PLAIN}bobpass\r\n");
}

TEST(PasswdEdit, PasswdAndDelRefuseAMissingUser) {
  EXPECT_EQ(exit_of([] { set_password(sample, "nobody@example.test", "S"); }), Exit::failed);
  EXPECT_EQ(exit_of([] { remove_user(sample, "nobody@example.test"); }), Exit::failed);
  EXPECT_EQ(exit_of([] { remove_user("", "nobody@example.test"); }), Exit::failed);
}

TEST(PasswdEdit, RefusesToGuessBetweenTwoLinesOfOneUser) {
  const std::string twice = "a@b.test:{PLAIN}1\nA@B.test:{PLAIN}2\n";
  EXPECT_EQ(exit_of([&] { remove_user(twice, "a@b.test"); }), Exit::failed);
  EXPECT_EQ(exit_of([&] { set_password(twice, "a@b.test", "S"); }), Exit::failed);
}

}  // namespace
}  // namespace mailpipe::ctl
