#include "common/cli/terminal_text.hpp"

#include <gtest/gtest.h>

namespace mailpipe::cli {
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

TEST(ForTerminal, KeepsPrintableTextAndUtf8) {
  EXPECT_EQ(for_terminal("451 4.3.0 Try again"), "451 4.3.0 Try again");
  EXPECT_EQ(for_terminal("J\xC3\xBCrgen"), "J\xC3\xBCrgen");
}

TEST(ForTerminal, EscapesEscapeSequencesFromARemoteServer) {
  EXPECT_EQ(for_terminal("\x1b]0;owned\x07" "550"), "\\x1B]0;owned\\x07550");
  EXPECT_EQ(for_terminal("a\rb\nc\x7f"), "a\\x0Db\\x0Ac\\x7F");
}

TEST(ForTerminal, EscapesC1ControlsAndInvalidBytes) {
  EXPECT_EQ(for_terminal("\xC2\x9B" "2J"), "\\xC2\\x9B2J");  // CSI as U+009B
  EXPECT_EQ(for_terminal("a\xFF"), "a\\xFF");
}

}  // namespace
}  // namespace mailpipe::cli
