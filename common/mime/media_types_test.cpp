#include "common/mime/media_types.hpp"

#include <gtest/gtest.h>

namespace mailpipe::mime {
namespace {

TEST(MediaTypes, TableByExtensionCaseInsensitive) {
  const std::pair<const char*, const char*> table[] = {
      {"notes.txt", "text/plain"},      {"page.HTML", "text/html"},    {"a.b.pdf", "application/pdf"},
      {"p.png", "image/png"},           {"p.jpg", "image/jpeg"},       {"p.JPEG", "image/jpeg"},
      {"p.gif", "image/gif"},           {"x.zip", "application/zip"},  {"x.tar.gz", "application/gzip"},
      {"x.tar", "application/x-tar"},   {"d.json", "application/json"}, {"d.xml", "application/xml"},
      {"d.csv", "text/csv"},            {"invite.ics", "text/calendar"}, {"fwd.eml", "message/rfc822"}};
  for (const auto& [filename, type] : table) EXPECT_EQ(media_type_for_filename(filename), type) << filename;
}

TEST(MediaTypes, UnknownIsOctetStream) {
  for (const char* name : {"data.bin", "noextension", "trailingdot.", ".hidden", "übung.docx"}) {
    EXPECT_EQ(media_type_for_filename(name), "application/octet-stream") << name;
  }
}

TEST(MediaTypes, RecognisesGivenTypes) {
  for (const char* type : {"application/pdf", "application/vnd.oasis.opendocument.text"}) {
    EXPECT_TRUE(is_media_type(type)) << type;
  }
  for (const char* text : {"pdf", "text/", "/plain", "text/plain; charset=x", "text/pl\r\nain"}) {
    EXPECT_FALSE(is_media_type(text)) << text;
  }
}

}  // namespace
}  // namespace mailpipe::mime
