#include "mda/config/delivery_rules.hpp"

#include <gtest/gtest.h>

namespace mailpipe::mda {
namespace {

google::protobuf::RepeatedPtrField<v1::DeliveryRule> rules(std::initializer_list<const char*> matches) {
  google::protobuf::RepeatedPtrField<v1::DeliveryRule> out;
  for (const char* match : matches) out.Add()->set_match(match);
  return out;
}

int index_of(const google::protobuf::RepeatedPtrField<v1::DeliveryRule>& all, const char* address) {
  return find_rule(all, address);
}

TEST(DeliveryRules, FirstMatchWinsInFileOrder) {
  const auto all = rules({"bob@example.test", "@example.test", "*"});
  EXPECT_EQ(index_of(all, "bob@example.test"), 0);
  EXPECT_EQ(index_of(all, "alice@example.test"), 1);
  EXPECT_EQ(index_of(all, "bob@other.test"), 2);
  // A catch-all first takes everyone, the exact rule after it never.
  const auto reversed = rules({"*", "bob@example.test"});
  EXPECT_EQ(index_of(reversed, "bob@example.test"), 0);
}

TEST(DeliveryRules, NoMatchMeansMaildir) {
  const auto all = rules({"bob@example.test", "@lmtp.test"});
  EXPECT_EQ(index_of(all, "alice@example.test"), -1);
  EXPECT_EQ(find_rule(rules({}), "bob@example.test"), -1);
}

TEST(DeliveryRules, DomainRuleTakesTheWholeDomainButNotSubdomainsOrLookalikes) {
  EXPECT_TRUE(rule_matches("@example.test", "anyone@example.test"));
  EXPECT_FALSE(rule_matches("@example.test", "anyone@sub.example.test"));
  EXPECT_FALSE(rule_matches("@example.test", "anyone@badexample.test"));
  EXPECT_FALSE(rule_matches("@example.test", "example.test"));
  // The domain is after the last '@' (a quoted local part may hold one).
  EXPECT_TRUE(rule_matches("@example.test", "\"a@b\"@example.test"));
  EXPECT_FALSE(rule_matches("@b", "\"x@b\"@example.test"));
}

TEST(DeliveryRules, ExactRuleIsOneAddressCaseInsensitively) {
  EXPECT_TRUE(rule_matches("bob@example.test", "Bob@Example.TEST"));
  EXPECT_TRUE(rule_matches("@Example.Test", "bob@example.test"));
  EXPECT_FALSE(rule_matches("bob@example.test", "bob+tag@example.test"));
  EXPECT_FALSE(rule_matches("bob@example.test", "xbob@example.test"));
  EXPECT_FALSE(rule_matches("bob@example.test", "bob@example.test.evil"));
}

TEST(DeliveryRules, StarMatchesEveryone) {
  EXPECT_TRUE(rule_matches("*", "bob@example.test"));
  EXPECT_TRUE(rule_matches("*", "postmaster"));
}

TEST(DeliveryRules, PatternProblems) {
  EXPECT_EQ(match_pattern_problem("*"), "");
  EXPECT_EQ(match_pattern_problem("@example.test"), "");
  EXPECT_EQ(match_pattern_problem("bob@example.test"), "");
  EXPECT_NE(match_pattern_problem(""), "");
  EXPECT_NE(match_pattern_problem("example.test"), "");
  EXPECT_NE(match_pattern_problem("bob@"), "");
  EXPECT_NE(match_pattern_problem("*@example.test"), "");
  EXPECT_NE(match_pattern_problem("bob@*.test"), "");
  EXPECT_NE(match_pattern_problem("bob @example.test"), "");
}

TEST(DeliveryRules, ShadowedRulesAreFound) {
  EXPECT_TRUE(match_shadows("*", "@example.test"));
  EXPECT_TRUE(match_shadows("@example.test", "bob@example.test"));
  EXPECT_TRUE(match_shadows("@example.test", "@Example.test"));
  EXPECT_TRUE(match_shadows("bob@example.test", "BOB@example.test"));
  EXPECT_FALSE(match_shadows("bob@example.test", "@example.test"));
  EXPECT_FALSE(match_shadows("@example.test", "*"));
  EXPECT_FALSE(match_shadows("@example.test", "bob@other.test"));
}

}  // namespace
}  // namespace mailpipe::mda
