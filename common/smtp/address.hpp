#pragma once
// Mailbox addresses as RFC 5321 4.1.2 defines them, parsed at the edge so
// nothing behind it handles a raw string from the network. Limits from
// RFC 5321 4.5.3.1: local part 64 octets, domain 255, path 256.
#include <string>
#include <string_view>
#include <variant>

namespace mailpipe::smtp {

struct Address {
  std::string local;   // dot-string, or quoted-string kept with its quotes
  std::string domain;  // as given (case kept), or an address literal "[...]";
                       // empty only for RCPT TO:<Postmaster> (RFC 5321 4.1.1.3)
  bool empty() const { return local.empty() && domain.empty(); }  // null path "<>"
  // "local@domain"; "" for the null path, "postmaster" without a domain.
  std::string str() const {
    if (domain.empty()) return local;
    return local + "@" + domain;
  }
};

enum class AddressError { syntax, too_long, non_ascii_without_smtputf8 };

// `text` is a whole path with its angle brackets: "<bob@example.test>";
// at most 256 octets with them (RFC 5321 4.5.3.1.3).
// Source routes ("<@a,@b:bob@c>") are accepted and dropped (RFC 5321 4.1.2).
// allow_utf8: SMTPUTF8 was given (RFC 6531), so UTF-8 is allowed.
// allow_null: "<>" is acceptable (reverse-path only).
std::variant<Address, AddressError> parse_path(std::string_view text, bool allow_utf8, bool allow_null);

std::string lowercase_ascii(std::string_view text);

// True when `address` is the mailbox `user` ("local@domain"), compared
// case-insensitively as our users are stored lowercased.
bool same_mailbox(const Address& address, std::string_view user);

// Valid UTF-8 (no overlongs, no surrogates).
bool valid_utf8(std::string_view text);

}  // namespace mailpipe::smtp
