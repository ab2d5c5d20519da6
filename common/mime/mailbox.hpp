#pragma once
// A mailbox as the user writes it on the command line ("Jörg Müller
// <joerg@example.test>", "<bob@example.test>", "bob@example.test",
// "\"Doe, Jane\" <jane@example.test>") and as it goes into a header.
//
// The address is checked for syntax only (RFC 5322 addr-spec, UTF-8 as
// RFC 6532 allows); its length is the server's to judge (RFC 5321
// 4.5.3.1 asks clients not to impose limits of their own).
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/mime/header_folding.hpp"

namespace mailpipe::mime {

struct Mailbox {
  std::string display_name;  // UTF-8, may be empty
  std::string address;       // local@domain
};

// Returns the mailbox or what is wrong with `text`.
std::variant<Mailbox, std::string> parse_mailbox(std::string_view text);

bool valid_address(std::string_view address);
// "example.test" of "joerg@example.test".
std::string_view address_domain(std::string_view address);

// Header tokens for the mailbox: the display name as atoms, a quoted
// string or RFC 2047 encoded-words, then "<address>"; only the address
// when there is no name.
std::vector<HeaderToken> mailbox_tokens(const Mailbox& mailbox);

}  // namespace mailpipe::mime
