#pragma once
// MIME parameter values (RFC 2045 5.1) beyond short ASCII: RFC 2231
// charset and continuations, e.g. for an attachment's file name:
//   filename*=utf-8''Gr%C3%BC%C3%9Fe.pdf
//   filename*0*=utf-8''...; filename*1*=...
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailpipe::mime {

// The parameter as one or more "name=value" segments (no ";"), each short
// enough to stand on a folded header line of its own. Short printable
// ASCII is name=token or name="quoted"; anything else is RFC 2231 4
// (utf-8''pct-encoded), split per RFC 2231 3 without cutting a %XX or a
// UTF-8 character.
std::vector<std::string> encode_parameter(std::string_view name, std::string_view value);

// Parameters as read from a header: names lowercased, values unquoted.
using RawParameters = std::vector<std::pair<std::string, std::string>>;

// Joins continuations (name*0, name*1* ...), decodes RFC 2231 charsets and
// percent-escapes and RFC 2047 words in plain values (a common mailer
// habit), and returns UTF-8 values by parameter name. RFC 2231 forms win
// over a plain value of the same name.
std::map<std::string, std::string> decode_parameters(const RawParameters& raw);

}  // namespace mailpipe::mime
