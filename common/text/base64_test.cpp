#include "common/text/base64.hpp"

#include <gtest/gtest.h>

namespace mailpipe {
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

TEST(Base64, RejectsNonZeroPadBits) {
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_FALSE(base64_decode("Zh=="));
  EXPECT_EQ(base64_decode("Zm8="), "fo");
  EXPECT_FALSE(base64_decode("Zm9="));
}

TEST(Base64, RejectsUrlSafeAlphabetAndOddBytes) {
  EXPECT_EQ(base64_decode("+/+/"), std::string("\xFB\xFF\xBF", 3));
  for (const char* bad : {"-_-_", "Zm9v\n", " Zm9v", "Zm9v ", "Zm9v\t", "====", "Zm==Zm9v", "Z=9v"}) {
    EXPECT_FALSE(base64_decode(bad)) << bad;
  }
  EXPECT_FALSE(base64_decode(std::string("Zm9\0", 4)));
  EXPECT_FALSE(base64_decode("Zm9\xC3"));
}

TEST(Base64, EmptyAndEqualsSign) {
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_FALSE(base64_decode("="));  // RFC 4954 "=" is the session's business
  EXPECT_EQ(base64_encode(""), "");
}

TEST(Base64, AllByteValuesRoundTrip) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t length = 0; length <= all.size(); length += 37) {
    const std::string data = all.substr(0, length);
    const std::string encoded = base64_encode(data);
    EXPECT_EQ(encoded.size() % 4, 0u);
    EXPECT_EQ(base64_decode(encoded), data);
  }
  EXPECT_EQ(base64_encode(std::string("\0demo\0demo", 10)), "AGRlbW8AZGVtbw==");
}

TEST(Base64, LenientDecodingForMime) {
  EXPECT_EQ(base64_decode_lenient("Zm9v\nYmFy"), "foobar");
  EXPECT_EQ(base64_decode_lenient("Zm9vYg"), "foob");     // no padding
  EXPECT_EQ(base64_decode_lenient("Zm9vYmE"), "fooba");
  EXPECT_EQ(base64_decode_lenient("Zm9v!!Yg==junk"), "foob");  // stops at padding, skips junk
  EXPECT_EQ(base64_decode_lenient("Z"), "");
  EXPECT_EQ(base64_decode_lenient(""), "");
}

}  // namespace
}  // namespace mailpipe
