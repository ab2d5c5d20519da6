#pragma once
// SASL PLAIN (RFC 4616): message = [authzid] NUL authcid NUL passwd.
#include <optional>
#include <string>
#include <string_view>

namespace mailpipe::auth {

struct PlainCredentials {
  std::string authzid;  // empty: act as authcid
  std::string authcid;
  std::string password;
};

// nullopt unless exactly two NULs, non-empty authcid and password, each
// part at most 255 octets (RFC 4616 2).
std::optional<PlainCredentials> decode_plain(std::string_view message);

}  // namespace mailpipe::auth
