#include "common/mime/rfc2231.hpp"

#include <cstring>
#include <optional>

#include "common/mime/charset.hpp"
#include "common/mime/encoded_words.hpp"
#include "common/text/hex.hpp"
#include "common/text/utf8_strings.hpp"

namespace mailpipe::mime {
namespace {

// A segment stands alone on a folded line: " segment;" within 78.
constexpr std::size_t max_segment = 72;
// Continuations read from a message: more would be hostile, not a name.
constexpr int max_continuations = 64;

bool is_tspecial(char c) { return c != 0 && std::strchr("()<>@,;:\\\"/[]?=", c) != nullptr; }

// RFC 2231 7 attribute-char.
bool is_attribute_char(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte > 0x20 && byte < 0x7F && c != '*' && c != '\'' && c != '%' && !is_tspecial(c);
}

bool printable_ascii(std::string_view value) {
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7F) return false;
  }
  return true;
}

bool is_token(std::string_view value) {
  if (value.empty()) return false;
  for (char c : value) {
    if (c == ' ' || is_tspecial(c)) return false;
  }
  return true;
}

std::string quoted(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string percent_encoded(std::string_view bytes) {
  std::string out;
  for (char c : bytes) {
    if (is_attribute_char(c)) {
      out += c;
    } else {
      append_hex_escape(out, "%", static_cast<unsigned char>(c));
    }
  }
  return out;
}

// Splits `value` at character boundaries into pieces whose encoded form
// (by `encode`) fits in the room each segment leaves.
template <typename Encode>
std::vector<std::string> split_encoded(std::string_view value, std::size_t first_room, std::size_t room,
                                       Encode encode) {
  std::vector<std::string> pieces;
  std::string current;
  std::size_t limit = first_room;
  for (std::size_t pos = 0; pos < value.size();) {
    const std::size_t length = utf8_char_at(value, pos).length;
    const std::string piece = encode(value.substr(pos, length));
    if (!current.empty() && current.size() + piece.size() > limit) {
      pieces.push_back(std::move(current));
      current.clear();
      limit = room;
    }
    current += piece;
    pos += length;
  }
  pieces.push_back(std::move(current));
  return pieces;
}

std::string percent_decoded(std::string_view text) { return decode_hex_escapes(text, '%'); }

struct Parameter {
  std::optional<std::string> plain;
  std::optional<std::string> extended;         // name*=
  std::map<int, std::pair<bool, std::string>> sections;  // name*N[*]= : extended?, value
};

// "charset'language'rest" -> charset, rest. Without the two quotes the
// whole is the rest (a sloppy writer) and the charset is unknown.
std::pair<std::string, std::string_view> split_charset(std::string_view value) {
  const std::size_t first = value.find('\'');
  const std::size_t second = first == std::string_view::npos ? first : value.find('\'', first + 1);
  if (second == std::string_view::npos) return {"", value};
  return {std::string(value.substr(0, first)), value.substr(second + 1)};
}

std::string decode_bytes(std::string_view bytes, const std::string& charset) {
  return charset.empty() ? replace_invalid_utf8(bytes) : to_utf8_or_guess(bytes, charset);
}

}  // namespace

std::vector<std::string> encode_parameter(std::string_view name, std::string_view value) {
  const std::string prefix(name);
  if (printable_ascii(value)) {
    const std::string simple = prefix + "=" + (is_token(value) ? std::string(value) : quoted(value));
    if (simple.size() <= max_segment) return {simple};
    // RFC 2231 3: long ASCII as quoted continuations, no charset needed.
    std::vector<std::string> segments;
    const auto pieces = split_encoded(value, max_segment - prefix.size() - 6, max_segment - prefix.size() - 6,
                                      [](std::string_view c) { return quoted(c).substr(1, quoted(c).size() - 2); });
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      segments.push_back(prefix + "*" + std::to_string(i) + "=\"" + pieces[i] + "\"");
    }
    return segments;
  }
  const std::string single = prefix + "*=utf-8''" + percent_encoded(value);
  if (single.size() <= max_segment) return {single};
  const std::size_t first_room = max_segment - prefix.size() - 13;  // name*00*=utf-8''
  const std::size_t room = max_segment - prefix.size() - 6;         // name*00*=
  const auto pieces = split_encoded(value, first_room, room, percent_encoded);
  std::vector<std::string> segments;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    segments.push_back(prefix + "*" + std::to_string(i) + "*=" + (i == 0 ? "utf-8''" : "") + pieces[i]);
  }
  return segments;
}

std::map<std::string, std::string> decode_parameters(const RawParameters& raw) {
  std::map<std::string, Parameter> grouped;
  for (const auto& [name, value] : raw) {
    const std::size_t star = name.find('*');
    if (star == std::string::npos) {
      auto& plain = grouped[name].plain;
      if (!plain) plain = value;  // the first of duplicates wins
      continue;
    }
    Parameter& parameter = grouped[name.substr(0, star)];
    const std::string_view rest = std::string_view(name).substr(star + 1);
    if (rest.empty()) {
      if (!parameter.extended) parameter.extended = value;
      continue;
    }
    const bool extended = rest.back() == '*';
    const std::string_view digits = extended ? rest.substr(0, rest.size() - 1) : rest;
    if (digits.empty() || digits.size() > 2 || (digits.size() > 1 && digits[0] == '0')) continue;
    int index = 0;
    bool numeric = true;
    for (char c : digits) {
      if (c < '0' || c > '9') numeric = false;
      index = index * 10 + (c - '0');
    }
    if (!numeric || index >= max_continuations) continue;
    parameter.sections.try_emplace(index, extended, value);
  }

  std::map<std::string, std::string> decoded;
  for (const auto& [name, parameter] : grouped) {
    if (!parameter.sections.empty() && parameter.sections.begin()->first == 0) {
      std::string charset;
      std::string bytes;
      int expected = 0;
      for (const auto& [index, section] : parameter.sections) {
        if (index != expected++) break;  // a gap ends the value (RFC 2231 3)
        const auto& [extended, value] = section;
        if (!extended) {
          bytes += value;
        } else if (index == 0) {
          auto [first_charset, rest] = split_charset(value);
          charset = first_charset;
          bytes += percent_decoded(rest);
        } else {
          bytes += percent_decoded(value);
        }
      }
      decoded[name] = decode_bytes(bytes, charset);
    } else if (parameter.extended) {
      auto [charset, rest] = split_charset(*parameter.extended);
      decoded[name] = decode_bytes(percent_decoded(rest), charset);
    } else if (parameter.plain) {
      decoded[name] = decode_encoded_words(*parameter.plain);
    }
  }
  return decoded;
}

}  // namespace mailpipe::mime
