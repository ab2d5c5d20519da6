#include "common/mime/base64_lines.hpp"

#include <gtest/gtest.h>

#include <random>

#include "common/text/base64.hpp"

namespace mailpipe::mime {
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

}  // namespace
}  // namespace mailpipe::mime
