#include "common/mime/rfc2231.hpp"

#include <gtest/gtest.h>

namespace mailpipe::mime {
namespace {

// Reads segments back the way a header parser hands them over.
RawParameters as_read(const std::vector<std::string>& segments) {
  RawParameters raw;
  for (const std::string& segment : segments) {
    const std::size_t eq = segment.find('=');
    std::string value = segment.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"') {
      std::string unquoted;
      for (std::size_t i = 1; i + 1 < value.size(); ++i) {
        if (value[i] == '\\') ++i;
        unquoted += value[i];
      }
      value = unquoted;
    }
    raw.emplace_back(segment.substr(0, eq), value);
  }
  return raw;
}

TEST(Rfc2231, ShortAsciiNamesStayPlain) {
  EXPECT_EQ(encode_parameter("filename", "report.pdf"), std::vector<std::string>{"filename=report.pdf"});
  EXPECT_EQ(encode_parameter("filename", "my report (1).pdf"),
            std::vector<std::string>{"filename=\"my report (1).pdf\""});
  EXPECT_EQ(encode_parameter("filename", "a\"b\\c"), std::vector<std::string>{"filename=\"a\\\"b\\\\c\""});
}

TEST(Rfc2231, NonAsciiNamesUseUtf8PercentEncoding) {
  EXPECT_EQ(encode_parameter("filename", "Grüße.pdf"),
            std::vector<std::string>{"filename*=utf-8''Gr%C3%BC%C3%9Fe.pdf"});
  // Control bytes cannot be quoted: they are percent-encoded too.
  EXPECT_EQ(encode_parameter("filename", "a\r\nb"), std::vector<std::string>{"filename*=utf-8''a%0D%0Ab"});
}

TEST(Rfc2231, LongNamesAreContinuedWithoutSplittingEscapesOrCharacters) {
  std::string name;
  for (int i = 0; i < 30; ++i) name += "Überweisung ";
  name += ".pdf";
  const auto segments = encode_parameter("filename", name);
  ASSERT_GT(segments.size(), 1u);
  EXPECT_TRUE(segments[0].starts_with("filename*0*=utf-8''"));
  EXPECT_TRUE(segments[1].starts_with("filename*1*="));
  for (const auto& segment : segments) {
    EXPECT_LE(segment.size() + 2, 78u) << segment;  // " segment;" on a line of its own
    // No segment ends inside %XX, and no UTF-8 sequence is cut: each decodes alone.
    const std::string value = segment.substr(segment.find('=') + 1);
    const std::size_t percent = value.rfind('%');
    if (percent != std::string::npos) {
      EXPECT_LE(percent + 3, value.size()) << segment;
    }
  }
  EXPECT_EQ(decode_parameters(as_read(segments)).at("filename"), name);

  const std::string ascii(150, 'n');
  const auto plain = encode_parameter("filename", ascii + " x.txt");
  ASSERT_GT(plain.size(), 1u);
  EXPECT_TRUE(plain[0].starts_with("filename*0=\""));
  EXPECT_EQ(decode_parameters(as_read(plain)).at("filename"), ascii + " x.txt");
}

TEST(Rfc2231, DecodesTheRfcExamples) {
  // RFC 2231 3 and 4.
  RawParameters raw = {{"url*0", "ftp://"}, {"url*1", "cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar"}};
  EXPECT_EQ(decode_parameters(raw).at("url"), "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar");
  raw = {{"title*", "us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A"}};
  EXPECT_EQ(decode_parameters(raw).at("title"), "This is ***fun***");
  raw = {{"title*0*", "us-ascii'en'This%20is%20even%20more%20"},
         {"title*1*", "%2A%2A%2Afun%2A%2A%2A%20"},
         {"title*2", "isn't it!"}};
  EXPECT_EQ(decode_parameters(raw).at("title"), "This is even more ***fun*** isn't it!");
  raw = {{"filename*", "iso-8859-1''%E9t%E9.txt"}};
  EXPECT_EQ(decode_parameters(raw).at("filename"), "été.txt");
}

TEST(Rfc2231, ExtendedFormWinsAndBrokenFormsAreTolerated) {
  RawParameters raw = {{"filename", "fallback.pdf"}, {"filename*", "utf-8''r%C3%A9el.pdf"}};
  EXPECT_EQ(decode_parameters(raw).at("filename"), "réel.pdf");
  raw = {{"filename", "=?UTF-8?B?w7xiZXIucGRm?="}};  // RFC 2047 in a parameter: common in the wild
  EXPECT_EQ(decode_parameters(raw).at("filename"), "über.pdf");
  raw = {{"name*0", "a"}, {"name*2", "c"}};  // gap: the value ends at it
  EXPECT_EQ(decode_parameters(raw).at("name"), "a");
  raw = {{"name*1", "only second"}};
  EXPECT_EQ(decode_parameters(raw).count("name"), 0u);
  raw = {{"name*", "no-quotes%41"}, {"x*99999999999", "huge"}, {"y*-1", "neg"}, {"z*%", "%zz%"}};
  const auto decoded = decode_parameters(raw);
  EXPECT_EQ(decoded.at("name"), "no-quotesA");
  EXPECT_EQ(decoded.count("x"), 0u);
}

}  // namespace
}  // namespace mailpipe::mime
