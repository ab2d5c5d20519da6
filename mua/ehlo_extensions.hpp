#pragma once
// What a server's EHLO reply offers (RFC 5321 4.1.1.1), as far as
// submission cares: STARTTLS (RFC 3207), AUTH mechanisms (RFC 4954),
// 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), SIZE (RFC 1870).
#include <cstdint>
#include <set>
#include <string>

#include "common/smtp/reply.hpp"

namespace mailpipe::mua {

struct EhloExtensions {
  bool starttls = false;
  bool auth = false;
  std::set<std::string> auth_mechanisms;  // uppercased
  bool eightbit = false;
  bool smtputf8 = false;
  uint64_t size = 0;  // 0: no limit given
};

EhloExtensions parse_ehlo(const smtp::Reply& reply);

}  // namespace mailpipe::mua
