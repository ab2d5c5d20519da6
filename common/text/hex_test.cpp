#include "common/text/hex.hpp"

#include <gtest/gtest.h>

namespace mailpipe {
namespace {

TEST(Hex, EscapesInUppercase) {
  std::string out;
  append_hex_escape(out, "=", 0xAB);
  append_hex_escape(out, "\\x", 0x05);
  EXPECT_EQ(out, "=AB\\x05");
}

TEST(Hex, ReadsTwoDigitsOfEitherCase) {
  EXPECT_EQ(hex_byte_at("=3d", 1), 0x3D);
  EXPECT_EQ(hex_byte_at("%C3", 1), 0xC3);
  EXPECT_FALSE(hex_byte_at("=3", 1));   // one digit, then the end
  EXPECT_FALSE(hex_byte_at("=G1", 1));
  EXPECT_FALSE(hex_byte_at("=1", 2));
}

TEST(Hex, DecodesOnlyWholeEscapes) {
  EXPECT_EQ(decode_hex_escapes("a%20b%2", '%'), "a b%2");
  EXPECT_EQ(decode_hex_escapes("=C3=BC=ZZ", '='), "\xC3\xBC=ZZ");
}

}  // namespace
}  // namespace mailpipe
