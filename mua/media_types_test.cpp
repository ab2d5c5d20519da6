#include "mua/media_types.hpp"

#include <gtest/gtest.h>

namespace mailpipe::mua {
namespace {

TEST(MediaTypes, TableByExtensionCaseInsensitive) {
  EXPECT_EQ(media_type_for_filename("notes.txt"), "text/plain");
  EXPECT_EQ(media_type_for_filename("page.HTML"), "text/html");
  EXPECT_EQ(media_type_for_filename("a.b.pdf"), "application/pdf");
  EXPECT_EQ(media_type_for_filename("p.png"), "image/png");
  EXPECT_EQ(media_type_for_filename("p.jpg"), "image/jpeg");
  EXPECT_EQ(media_type_for_filename("p.JPEG"), "image/jpeg");
  EXPECT_EQ(media_type_for_filename("p.gif"), "image/gif");
  EXPECT_EQ(media_type_for_filename("x.zip"), "application/zip");
  EXPECT_EQ(media_type_for_filename("x.tar.gz"), "application/gzip");
  EXPECT_EQ(media_type_for_filename("x.tar"), "application/x-tar");
  EXPECT_EQ(media_type_for_filename("d.json"), "application/json");
  EXPECT_EQ(media_type_for_filename("d.xml"), "application/xml");
  EXPECT_EQ(media_type_for_filename("d.csv"), "text/csv");
  EXPECT_EQ(media_type_for_filename("invite.ics"), "text/calendar");
  EXPECT_EQ(media_type_for_filename("fwd.eml"), "message/rfc822");
}

TEST(MediaTypes, UnknownIsOctetStream) {
  for (const char* name : {"data.bin", "noextension", "trailingdot.", ".hidden", "übung.docx"}) {
    EXPECT_EQ(media_type_for_filename(name), "application/octet-stream") << name;
  }
}

TEST(MediaTypes, RecognisesGivenTypes) {
  EXPECT_TRUE(is_media_type("application/pdf"));
  EXPECT_TRUE(is_media_type("application/vnd.oasis.opendocument.text"));
  EXPECT_FALSE(is_media_type("pdf"));
  EXPECT_FALSE(is_media_type("text/"));
  EXPECT_FALSE(is_media_type("/plain"));
  EXPECT_FALSE(is_media_type("text/plain; charset=x"));
  EXPECT_FALSE(is_media_type("text/pl\r\nain"));
}

}  // namespace
}  // namespace mailpipe::mua
