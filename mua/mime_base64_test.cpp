#include "mua/mime_base64.hpp"

#include <gtest/gtest.h>

#include <random>

namespace mailpipe::mua {
namespace {

TEST(MimeBase64, LinesOf76WithCrlf) {
  std::string data(1000, '\0');
  std::mt19937 random(7);
  for (char& c : data) c = static_cast<char>(random());
  const std::string encoded = base64_lines(data);
  std::size_t pos = 0;
  while (pos < encoded.size()) {
    const std::size_t end = encoded.find("\r\n", pos);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - pos, 76u);
    if (end + 2 < encoded.size()) {
      EXPECT_EQ(end - pos, 76u);
    }
    pos = end + 2;
  }
  EXPECT_EQ(base64_decode_lenient(encoded), data);
  EXPECT_EQ(base64_lines(""), "");
  EXPECT_EQ(base64_lines("foo"), "Zm9v\r\n");
}

TEST(MimeBase64, LenientDecoding) {
  EXPECT_EQ(base64_decode_lenient("Zm9v\nYmFy"), "foobar");
  EXPECT_EQ(base64_decode_lenient("Zm9vYg"), "foob");     // no padding
  EXPECT_EQ(base64_decode_lenient("Zm9vYmE"), "fooba");
  EXPECT_EQ(base64_decode_lenient("Zm9v!!Yg==junk"), "foob");  // stops at padding, skips junk
  EXPECT_EQ(base64_decode_lenient("Z"), "");
  EXPECT_EQ(base64_decode_lenient(""), "");
}

}  // namespace
}  // namespace mailpipe::mua
