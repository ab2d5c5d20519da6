// Fuzz target: the SMTP command parser, smtp::parse_command (RFC 5321
// 4.1.1 and the ESMTP parameters we take), and decode_xtext (RFC 3461 4).
//
// Input: one command line as the line reader hands it over (without CRLF).
// It is parsed twice, inside and outside an SMTPUTF8 transaction.
// Checks, besides the sanitizers:
//  - a refusal is a 4xx/5xx reply whose wire form is printable ASCII lines
//    ending in CRLF, so client bytes can never inject a line or a control
//    byte into what we send back;
//  - an accepted HELO/EHLO name is 1..255 octets with no space or control;
//  - an accepted MAIL/RCPT path obeys RFC 5321 4.5.3.1 (local part 64,
//    domain 255) and is ASCII unless SMTPUTF8 allows UTF-8, which must be
//    valid; ENVID is printable ASCII of at most 100 octets;
//  - decode_xtext never grows its input, and a text with no "+" decodes to
//    itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "common/smtp/command.hpp"
#include "tests/fuzz/check.hpp"

namespace {

using namespace mailpipe::smtp;

bool ascii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

void check_reply(const Reply& reply) {
  FUZZ_CHECK(reply.code >= 400 && reply.code <= 599, "a refused command gets a 4xx or 5xx code");
  const std::string wire = reply.wire();
  FUZZ_CHECK(wire.size() >= 2 && wire.ends_with("\r\n"), "a reply ends with CRLF");
  for (std::size_t i = 0; i < wire.size(); ++i) {
    const auto byte = static_cast<unsigned char>(wire[i]);
    if (byte == '\r') {
      FUZZ_CHECK(i + 1 < wire.size() && wire[i + 1] == '\n', "a CR in a reply only before its LF");
    } else if (byte == '\n') {
      FUZZ_CHECK(i > 0 && wire[i - 1] == '\r', "an LF in a reply only after its CR");
    } else {
      FUZZ_CHECK(byte >= 0x20 && byte < 0x7f, "a reply carries printable ASCII only");
    }
  }
}

void check_path(const Address& path, bool utf8_allowed) {
  FUZZ_CHECK(path.local.size() <= 64, "local part at most 64 octets (RFC 5321 4.5.3.1.1)");
  FUZZ_CHECK(path.domain.size() <= 255, "domain at most 255 octets (RFC 5321 4.5.3.1.2)");
  if (!utf8_allowed) {
    FUZZ_CHECK(ascii(path.local) && ascii(path.domain), "a path is ASCII without SMTPUTF8");
  }
  FUZZ_CHECK(valid_utf8(path.local) && valid_utf8(path.domain), "a path is valid UTF-8");
}

void check_command(std::string_view line, bool smtputf8) {
  const auto parsed = parse_command(line, smtputf8);
  if (const auto* refused = std::get_if<CommandError>(&parsed)) {
    check_reply(refused->reply);
    return;
  }
  const Command& command = std::get<Command>(parsed);
  switch (command.verb) {
    case Verb::helo:
    case Verb::ehlo:
      FUZZ_CHECK(!command.argument.empty() && command.argument.size() <= 255, "HELO name 1..255 octets");
      for (char c : command.argument) {
        const auto byte = static_cast<unsigned char>(c);
        FUZZ_CHECK(byte > 0x20 && byte != 0x7f, "HELO name without space or control bytes");
      }
      break;
    case Verb::mail:
      check_path(command.path, command.mail.smtputf8);
      FUZZ_CHECK(command.mail.envid.size() <= 100, "ENVID at most 100 octets (RFC 3461 4.4)");
      for (char c : command.mail.envid) {
        const auto byte = static_cast<unsigned char>(c);
        FUZZ_CHECK(byte >= 33 && byte <= 126, "ENVID is printable ASCII (RFC 3461 4.4)");
      }
      break;
    case Verb::rcpt:
      FUZZ_CHECK(!command.path.empty(), "RCPT never has the null path");
      check_path(command.path, smtputf8);
      break;
    default:
      break;
  }
}

void check_xtext(std::string_view text) {
  const auto decoded = decode_xtext(text);
  if (!decoded) return;
  FUZZ_CHECK(decoded->size() <= text.size(), "xtext decoding never grows the text");
  if (text.find('+') == std::string_view::npos) {
    FUZZ_CHECK(*decoded == text, "xtext without '+' decodes to itself");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  check_command(line, false);
  check_command(line, true);
  check_xtext(line);
  return 0;
}
