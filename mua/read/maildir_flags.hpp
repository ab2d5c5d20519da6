#pragma once
// Maildir file names and their flags, by DJB's spec
// (https://cr.yp.to/proto/maildir.html) as Dovecot and mutt use it: a
// message in cur/ is "unique:2,FLAGS", the flags one letter each, each
// once, in ASCII order (so "FRS", never "SR"). A name whose info is not
// "2," (experimental semantics, "1,...") is left alone.
#include <string>
#include <string_view>

namespace mailpipe::mua {

// The name with `flag` added: "u" -> "u:2,S", "u:2,FR" -> "u:2,FRS",
// "u:2,S" -> "u:2,S". Other flags are kept, sorted, without repeats.
std::string with_flag(std::string_view name, char flag);

bool has_flag(std::string_view name, char flag);

// The name without its info: "u:2,S" -> "u".
std::string_view unique_part(std::string_view name);

}  // namespace mailpipe::mua
