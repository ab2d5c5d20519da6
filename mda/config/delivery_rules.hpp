#pragma once
// Which delivery rule takes a recipient (MdaConfig.delivery): the rules in
// file order, the first whose `match` fits wins. "user@domain" is one
// address, "@domain" every address of that domain (not its subdomains),
// "*" everyone; all case-insensitive (RFC 5321 2.4 lets a host fold its
// own local parts, and the MTA hands us lowercase local users anyway).
#include <string>
#include <string_view>

#include "config.pb.h"

namespace mailpipe::mda {

// The index of the first rule of `rules` that matches `address`, or -1
// (the default Maildir).
int find_rule(const google::protobuf::RepeatedPtrField<v1::DeliveryRule>& rules, std::string_view address);

bool rule_matches(std::string_view match, std::string_view address);

// Why `match` is not a valid pattern, or "" when it is.
std::string match_pattern_problem(std::string_view match);

// True when every address `later` matches is matched by `earlier` already,
// so a rule with `later` after one with `earlier` is never used.
bool match_shadows(std::string_view earlier, std::string_view later);

}  // namespace mailpipe::mda
