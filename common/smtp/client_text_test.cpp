#include "common/smtp/client_text.hpp"

#include <gtest/gtest.h>

namespace mailpipe::smtp {
namespace {

// Gathered from the mta's, the mda's and mpmail's tests of their copies.
TEST(DotStuff, DoublesLeadingDotsAndEndsWithTheMarker) {
  EXPECT_EQ(dot_stuff("a\r\n.b\r\n..\r\n"), "a\r\n..b\r\n...\r\n.\r\n");
  EXPECT_EQ(dot_stuff(".first\r\n"), "..first\r\n.\r\n");
  EXPECT_EQ(dot_stuff(".a\r\nb\r\n..c\r\n"), "..a\r\nb\r\n...c\r\n.\r\n");
  EXPECT_EQ(dot_stuff("no final newline"), "no final newline\r\n.\r\n");
  EXPECT_EQ(dot_stuff(""), ".\r\n");
  EXPECT_EQ(dot_stuff("a\n.b\r\n"), "a\n.b\r\n.\r\n");  // only CRLF starts a line
}

TEST(SplitEnhanced, OnlyWhenItMatchesTheClass) {
  Reply reply{550, "", "5.1.1 User unknown"};
  split_enhanced(reply);
  EXPECT_EQ(reply.enhanced, "5.1.1");
  EXPECT_EQ(reply.text, "User unknown");
  Reply mismatch{550, "", "2.1.1 odd"};
  split_enhanced(mismatch);
  EXPECT_EQ(mismatch.enhanced, "");
}

}  // namespace
}  // namespace mailpipe::smtp
