#include "ctl/terminal_text.hpp"

#include <gtest/gtest.h>

namespace mailpipe::ctl {
namespace {

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
}  // namespace mailpipe::ctl
