#include "common/mime/header_folding.hpp"

#include <gtest/gtest.h>

namespace mailpipe::mime {
namespace {

TEST(HeaderFolding, FoldsBeforeATokenThatPassesTheWidth) {
  EXPECT_EQ(fold_header("Subject", {{"a", true}, {"b", true}}), "Subject: a b\r\n");
  const std::string a(40, 'a');
  const std::string b(40, 'b');
  EXPECT_EQ(fold_header("X", {{a, true}, {b, true}}), "X: " + a + "\r\n " + b + "\r\n");
  EXPECT_EQ(fold_header("X", {{a, true}, {b, false}}), "X: " + a + b + "\r\n");  // glued: never folded
}

TEST(HeaderFolding, EmptyTokenKeepsItsSpaceAndNeverFolds) {
  EXPECT_EQ(fold_header("X-Id", {{"", true}}), "X-Id: \r\n");
  EXPECT_EQ(fold_tokens("To: <", {}), "To: <\r\n");
}

TEST(HeaderFolding, StyleSetsIndentAndCutsOverlongTokens) {
  const FoldStyle style{.width = 10, .indent = "  ", .hard_limit = 10};
  EXPECT_EQ(fold_tokens("", {{std::string(25, 'x'), false}}, style), "xxxxxxxxxx\r\n  xxxxxxxx\r\n  xxxxxxx\r\n");
  EXPECT_EQ(fold_tokens("", {{"abc", false}, {"defgh", true}, {"ij", true}}, style), "abc defgh\r\n  ij\r\n");
}

}  // namespace
}  // namespace mailpipe::mime
