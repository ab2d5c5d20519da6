#include "common/text/split.hpp"

#include <gtest/gtest.h>

namespace mailpipe {
namespace {

using Pieces = std::vector<std::string_view>;

TEST(Split, PiecesBetweenSeparators) {
  EXPECT_EQ(split_at("", ' '), Pieces{});
  EXPECT_EQ(split_at("a b", ' '), (Pieces{"a", "b"}));
  EXPECT_EQ(split_at("a  b ", ' '), (Pieces{"a", "", "b"}));
  EXPECT_EQ(split_at(" ", ' '), Pieces{""});
  EXPECT_EQ(split_at("a\r\nb\r\n", "\r\n"), (Pieces{"a", "b"}));
  EXPECT_EQ(split_at("a\r\n\r\nb", "\r\n"), (Pieces{"a", "", "b"}));
}

TEST(Split, LinesEndInLfOrCrlf) {
  EXPECT_EQ(text_lines("one\r\ntwo\nthree"), (Pieces{"one", "two", "three"}));
  EXPECT_EQ(text_lines("one\n\n"), (Pieces{"one", ""}));
  EXPECT_EQ(text_lines("\r\n"), Pieces{""});
  EXPECT_EQ(text_lines("bare\rcr\n"), Pieces{"bare\rcr"});
}

}  // namespace
}  // namespace mailpipe
