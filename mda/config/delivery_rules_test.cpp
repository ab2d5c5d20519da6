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

// Pairs of (rule, address) for rule_matches, or (earlier, later) for
// match_shadows, that all give the same answer.
using Pairs = std::initializer_list<std::pair<const char*, const char*>>;

void expect_rule_matches(bool expected, Pairs cases) {
  for (const auto& [rule, address] : cases) {
    EXPECT_EQ(rule_matches(rule, address), expected) << rule << " for " << address;
  }
}

TEST(DeliveryRules, DomainRuleTakesTheWholeDomainButNotSubdomainsOrLookalikes) {
  // The domain is after the last '@' (a quoted local part may hold one).
  expect_rule_matches(true, {{"@example.test", "anyone@example.test"}, {"@example.test", "\"a@b\"@example.test"}});
  expect_rule_matches(false, {
                                 {"@example.test", "anyone@sub.example.test"},
                                 {"@example.test", "anyone@badexample.test"},
                                 {"@example.test", "example.test"},
                                 {"@b", "\"x@b\"@example.test"},
                             });
}

TEST(DeliveryRules, ExactRuleIsOneAddressCaseInsensitively) {
  expect_rule_matches(true, {{"bob@example.test", "Bob@Example.TEST"}, {"@Example.Test", "bob@example.test"}});
  expect_rule_matches(false, {
                                 {"bob@example.test", "bob+tag@example.test"},
                                 {"bob@example.test", "xbob@example.test"},
                                 {"bob@example.test", "bob@example.test.evil"},
                             });
}

TEST(DeliveryRules, StarMatchesEveryone) {
  expect_rule_matches(true, {{"*", "bob@example.test"}, {"*", "postmaster"}});
}

TEST(DeliveryRules, PatternProblems) {
  for (const char* good : {"*", "@example.test", "bob@example.test"}) {
    EXPECT_EQ(match_pattern_problem(good), "") << good;
  }
  for (const char* bad : {"", "example.test", "bob@", "*@example.test", "bob@*.test", "bob @example.test"}) {
    EXPECT_NE(match_pattern_problem(bad), "") << bad;
  }
}

TEST(DeliveryRules, ShadowedRulesAreFound) {
  const Pairs shadowed = {
      {"*", "@example.test"},
      {"@example.test", "bob@example.test"},
      {"@example.test", "@Example.test"},
      {"bob@example.test", "BOB@example.test"},
  };
  const Pairs not_shadowed = {
      {"bob@example.test", "@example.test"},
      {"@example.test", "*"},
      {"@example.test", "bob@other.test"},
  };
  for (const auto& [earlier, later] : shadowed) {
    EXPECT_TRUE(match_shadows(earlier, later)) << earlier << " before " << later;
  }
  for (const auto& [earlier, later] : not_shadowed) {
    EXPECT_FALSE(match_shadows(earlier, later)) << earlier << " before " << later;
  }
}

}  // namespace
}  // namespace mailpipe::mda
