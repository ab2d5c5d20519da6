#include "mua/terminal_text.hpp"

#include <gtest/gtest.h>

namespace mailpipe::mua {
namespace {

TEST(TerminalText, EscapeSequencesNeverReachTheTerminal) {
  EXPECT_EQ(terminal_line("a\x1b]0;pwned\x07 b"), "a ]0;pwned  b");
  EXPECT_EQ(terminal_line("two\r\nlines\ttab"), "two  lines tab");
  EXPECT_EQ(terminal_line("c1 \xC2\x9B" "31m"), "c1  31m");  // U+009B CSI
  EXPECT_EQ(terminal_line("bidi \u202Eabc"), "bidi  abc");
  EXPECT_EQ(terminal_text("line 1\n\tline 2\r\x1b[2J"), "line 1\n\tline 2\uFFFD\uFFFD[2J");
  EXPECT_EQ(terminal_text("bad \xff"), "bad \uFFFD");
  EXPECT_EQ(terminal_line("Grüße ☕"), "Grüße ☕");
}

TEST(TerminalText, FitsColumnsByCharacters) {
  EXPECT_EQ(fit_columns("Grüße", 10, true), "Grüße     ");
  EXPECT_EQ(fit_columns("Grüße", 5, false), "Grüße");
  EXPECT_EQ(fit_columns("Grüße aus Köln", 6, false), "Grüße…");
  EXPECT_EQ(fit_columns("☕☕☕☕", 3, true), "☕☕…");
}

}  // namespace
}  // namespace mailpipe::mua
