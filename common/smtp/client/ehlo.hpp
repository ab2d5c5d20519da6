#pragma once
// What a server's EHLO (or LMTP LHLO) reply offers (RFC 5321 4.1.1.1), one
// parser for the relay, LMTP and mpmail: STARTTLS (RFC 3207), PIPELINING
// (RFC 2920), SIZE (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531),
// DSN (RFC 3461), AUTH and its mechanisms (RFC 4954).
#include <cstdint>
#include <set>
#include <string>

#include "common/smtp/reply.hpp"

namespace mailpipe::smtp::client {

struct ServerExtensions {
  std::string server_name;  // the first word of the first line: the server's own name
  bool starttls = false;
  bool pipelining = false;
  bool eightbit = false;
  bool smtputf8 = false;
  bool dsn = false;
  bool auth = false;
  std::set<std::string> auth_mechanisms;  // uppercased
  uint64_t size = 0;                      // 0: not advertised or no limit
};

// A one-line reply offers nothing but names the server.
ServerExtensions parse_ehlo(const Reply& reply);

}  // namespace mailpipe::smtp::client
