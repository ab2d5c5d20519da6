#include "common/auth/base64.hpp"

#include <gtest/gtest.h>

namespace mailpipe::auth {
namespace {

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), plain);
  }
}

TEST(Base64, BinaryRoundTrip) {
  const std::string data("\0demo@example.test\0demo", 23);
  EXPECT_EQ(base64_decode(base64_encode(data)), data);
}

TEST(Base64, StrictDecoding) {
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zm9v\r\n", "Zm 9v", "Zm9v!A==", "Zg==Zg==", "=Zg="}) {
    EXPECT_FALSE(base64_decode(bad)) << bad;
  }
}

}  // namespace
}  // namespace mailpipe::auth
