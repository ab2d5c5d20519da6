// Fuzz target: what AUTH decodes from the client, auth::base64_decode
// (RFC 4648 4, strict) and auth::decode_plain (SASL PLAIN, RFC 4616).
//
// Input: a client's response line, as AUTH PLAIN <initial-response> or the
// line after a 334 carries it. Checks, besides the sanitizers:
//  - base64 is canonical: a text that decodes encodes back to itself (one
//    text decodes one way only), and any bytes encoded decode back;
//  - decode_plain accepts exactly "[authzid] NUL authcid NUL passwd" with a
//    non-empty authcid and password, each part at most 255 octets, and its
//    parts put back together give the message again; this is checked both
//    on the raw input and on its base64 decoding, as the session calls it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/auth/base64.hpp"
#include "common/auth/sasl.hpp"
#include "tests/fuzz/check.hpp"

namespace {

using namespace mailpipe::auth;

void check_plain(std::string_view message) {
  const auto credentials = decode_plain(message);
  std::size_t nuls = 0;
  for (char c : message) nuls += c == '\0';
  if (!credentials) {
    if (nuls != 2) return;
    const std::size_t first = message.find('\0'), second = message.find('\0', first + 1);
    const std::size_t authcid = second - first - 1, password = message.size() - second - 1;
    FUZZ_CHECK(authcid == 0 || password == 0 || first > 255 || authcid > 255 || password > 255,
               "a well-formed PLAIN message is accepted");
    return;
  }
  FUZZ_CHECK(nuls == 2, "PLAIN has exactly two NULs");
  FUZZ_CHECK(!credentials->authcid.empty() && !credentials->password.empty(), "authcid and password are given");
  FUZZ_CHECK(credentials->authzid.size() <= 255 && credentials->authcid.size() <= 255 &&
                 credentials->password.size() <= 255,
             "each PLAIN part is at most 255 octets (RFC 4616 2)");
  const std::string joined =
      credentials->authzid + '\0' + credentials->authcid + '\0' + credentials->password;
  FUZZ_CHECK(joined == message, "the PLAIN parts are the message, split at its NULs");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const auto decoded = base64_decode(input);
  if (decoded) {
    FUZZ_CHECK(decoded->size() == input.size() / 4 * 3 - (input.ends_with("==") ? 2 : input.ends_with("=") ? 1 : 0),
               "base64 decodes 4 characters to 3 bytes, less the padding");
    FUZZ_CHECK(base64_encode(*decoded) == input, "base64 is canonical: decoded text encodes back to itself");
    check_plain(*decoded);
  }
  const std::string encoded = base64_encode(input);
  FUZZ_CHECK(encoded.size() == (input.size() + 2) / 3 * 4, "base64 output length");
  const auto round_trip = base64_decode(encoded);
  FUZZ_CHECK(round_trip && *round_trip == input, "encoded bytes decode back");

  check_plain(input);
  return 0;
}
