#include "common/mime/boundary.hpp"

#include <gtest/gtest.h>

#include "common/mime/random_token.hpp"

namespace mailpipe::mime {
namespace {

TEST(Boundary, DrawsAgainWhenAPartHoldsTheBoundary) {
  int calls = 0;
  auto tokens = [&] { return std::string(++calls == 1 ? "aaaa" : "bbbb"); };
  const std::string part = "text\r\n--=_mpmail_aaaa\r\nforged part\r\n";
  EXPECT_EQ(choose_boundary({part}, "=_mpmail_", tokens), "=_mpmail_bbbb");
  EXPECT_EQ(calls, 2);
}

TEST(Boundary, RandomBoundariesAreValidAndDiffer) {
  const std::string first = choose_boundary({}, "=_mpmail_", [] { return random_hex(16); });
  const std::string second = choose_boundary({}, "=_mpmail_", [] { return random_hex(16); });
  EXPECT_NE(first, second);
  EXPECT_LE(first.size(), 70u);  // RFC 2046 5.1.1
  EXPECT_NE(first.find("=_"), std::string::npos);
}

TEST(Boundary, GivesUpOnlyWithABrokenGenerator) {
  EXPECT_THROW(choose_boundary({"=_mpmail_same"}, "=_mpmail_", [] { return std::string("same"); }), std::runtime_error);
}

}  // namespace
}  // namespace mailpipe::mime
