// Fuzz target: the path parser, smtp::parse_path (RFC 5321 4.1.2, address
// literals 4.1.3, limits 4.5.3.1, UTF-8 per RFC 6531), and valid_utf8.
//
// Input: the text of a path with its angle brackets, as MAIL FROM: and
// RCPT TO: carry it ("<bob@example.test>"). It is parsed with each of the
// four flag combinations. Checks, besides the sanitizers:
//  - valid_utf8 agrees with an independent decoder written from the table
//    of well-formed byte sequences (Unicode 15, table 3-7): no overlongs,
//    no surrogates, nothing past U+10FFFF;
//  - a path accepted is at most 256 octets, its local part 64 and domain
//    255; without allow_utf8 it is ASCII, with it valid UTF-8; "<>" only
//    with allow_null;
//  - the flags only widen: what parses without UTF-8 or without the null
//    path parses the same with them;
//  - an accepted path printed back ("<local@domain>") parses again to the
//    same address, so what we store and relay means what the client said.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "common/smtp/address.hpp"
#include "tests/fuzz/check.hpp"

namespace {

using namespace mailpipe::smtp;

bool in(unsigned char byte, unsigned char low, unsigned char high) { return byte >= low && byte <= high; }

// Unicode table 3-7, row by row.
bool reference_utf8(std::string_view text) {
  const auto at = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  std::size_t i = 0;
  while (i < text.size()) {
    const unsigned char b0 = at(i);
    std::size_t length;
    unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
    if (b0 <= 0x7F) {
      length = 1;
    } else if (in(b0, 0xC2, 0xDF)) {
      length = 2;
    } else if (b0 == 0xE0) {
      length = 3, low = 0xA0;
    } else if (in(b0, 0xE1, 0xEC) || in(b0, 0xEE, 0xEF)) {
      length = 3;
    } else if (b0 == 0xED) {
      length = 3, high = 0x9F;
    } else if (b0 == 0xF0) {
      length = 4, low = 0x90;
    } else if (in(b0, 0xF1, 0xF3)) {
      length = 4;
    } else if (b0 == 0xF4) {
      length = 4, high = 0x8F;
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    if (length > 1 && !in(at(i + 1), low, high)) return false;
    for (std::size_t k = 2; k < length; ++k) {
      if (!in(at(i + k), 0x80, 0xBF)) return false;
    }
    i += length;
  }
  return true;
}

bool ascii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

bool same(const Address& a, const Address& b) { return a.local == b.local && a.domain == b.domain; }

const Address* accepted(const std::variant<Address, AddressError>& parsed) { return std::get_if<Address>(&parsed); }

void check_address(std::string_view text, const Address& address, bool utf8, bool null) {
  FUZZ_CHECK(text.size() <= 256, "a path is at most 256 octets (RFC 5321 4.5.3.1.3)");
  FUZZ_CHECK(address.local.size() <= 64, "local part at most 64 octets");
  FUZZ_CHECK(address.domain.size() <= 255, "domain at most 255 octets");
  if (address.empty()) {
    FUZZ_CHECK(null, "the null path only where allowed");
    FUZZ_CHECK(text == "<>", "the null path is \"<>\"");
    return;
  }
  FUZZ_CHECK(!address.local.empty() && !address.domain.empty(), "a mailbox has a local part and a domain");
  if (utf8) {
    FUZZ_CHECK(reference_utf8(address.local) && reference_utf8(address.domain), "UTF-8 paths are valid UTF-8");
  } else {
    FUZZ_CHECK(ascii(address.local) && ascii(address.domain), "ASCII paths without SMTPUTF8");
  }
  const std::string printed = "<" + address.local + "@" + address.domain + ">";
  const auto again = parse_path(printed, utf8, null);
  FUZZ_CHECK(accepted(again) != nullptr, "a path printed back parses again");
  FUZZ_CHECK(same(*accepted(again), address), "a path printed back parses to the same address");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  FUZZ_CHECK(valid_utf8(text) == reference_utf8(text), "valid_utf8 agrees with Unicode table 3-7");

  std::variant<Address, AddressError> parsed[2][2];
  for (int utf8 = 0; utf8 < 2; ++utf8) {
    for (int null = 0; null < 2; ++null) {
      parsed[utf8][null] = parse_path(text, utf8 != 0, null != 0);
      if (const Address* address = accepted(parsed[utf8][null])) check_address(text, *address, utf8 != 0, null != 0);
    }
  }
  for (int utf8 = 0; utf8 < 2; ++utf8) {
    for (int null = 0; null < 2; ++null) {
      const Address* narrow = accepted(parsed[utf8][null]);
      if (narrow == nullptr) continue;
      const Address* wide_utf8 = accepted(parsed[1][null]);
      const Address* wide_null = accepted(parsed[utf8][1]);
      FUZZ_CHECK(wide_utf8 && same(*narrow, *wide_utf8), "allowing UTF-8 only widens what parses");
      FUZZ_CHECK(wide_null && same(*narrow, *wide_null), "allowing <> only widens what parses");
    }
  }
  return 0;
}
