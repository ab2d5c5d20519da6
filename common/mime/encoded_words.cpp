#include "common/mime/encoded_words.hpp"

#include <algorithm>
#include <optional>

#include "common/mime/charset.hpp"
#include "common/smtp/address.hpp"
#include "common/text/base64.hpp"
#include "common/text/hex.hpp"
#include "common/text/utf8_strings.hpp"

namespace mailpipe::mime {
namespace {

constexpr std::string_view q_prefix = "=?utf-8?q?";
constexpr std::string_view b_prefix = "=?utf-8?b?";
constexpr std::size_t word_overhead = 12;  // "=?utf-8?q?" and "?="

// RFC 2047 5(3): in a phrase, Q may show only letters, digits and
// "!*+-/" as themselves; space is "_".
bool q_literal(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '!' || c == '*' ||
         c == '+' || c == '-' || c == '/';
}

std::size_t q_length(std::string_view bytes) {
  std::size_t n = 0;
  for (char c : bytes) n += (q_literal(c) || c == ' ') ? 1 : 3;
  return n;
}

std::size_t b_length(std::size_t bytes) { return (bytes + 2) / 3 * 4; }

void append_q(std::string& out, std::string_view bytes) {
  for (char c : bytes) {
    if (q_literal(c)) {
      out += c;
    } else if (c == ' ') {
      out += '_';
    } else {
      append_hex_escape(out, "=", static_cast<unsigned char>(c));
    }
  }
}

// RFC 2047 4.2: "_" is a space, "=XX" a byte. "_" is no hex digit, so
// turning it into a space first changes no escape ("=5F" is still "_").
std::string decode_q(std::string_view text) {
  std::string spaced(text);
  std::replace(spaced.begin(), spaced.end(), '_', ' ');
  return decode_hex_escapes(spaced, '=');
}

struct Word {
  std::string charset;  // as given, language suffix (RFC 2231 5) removed
  std::string bytes;    // decoded, still in that charset
  std::size_t end = 0;  // just past "?="
};

// An encoded-word starting at value[pos] ("=?"), or nullopt.
std::optional<Word> parse_word(std::string_view value, std::size_t pos) {
  const std::size_t charset_end = value.find('?', pos + 2);
  if (charset_end == std::string_view::npos || charset_end == pos + 2) return std::nullopt;
  if (charset_end + 3 >= value.size() || value[charset_end + 2] != '?') return std::nullopt;
  const char encoding = value[charset_end + 1];
  const std::size_t text_start = charset_end + 3;
  const std::size_t text_end = value.find("?=", text_start);
  if (text_end == std::string_view::npos) return std::nullopt;
  std::string_view charset = value.substr(pos + 2, charset_end - pos - 2);
  const std::string_view text = value.substr(text_start, text_end - text_start);
  for (char c : charset) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return std::nullopt;
  }
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return std::nullopt;
  }
  if (const std::size_t star = charset.find('*'); star != std::string_view::npos) charset = charset.substr(0, star);
  if (charset.empty()) return std::nullopt;
  Word word;
  word.charset = std::string(charset);
  word.end = text_end + 2;
  if (encoding == 'B' || encoding == 'b') {
    word.bytes = base64_decode_lenient(text);
  } else if (encoding == 'Q' || encoding == 'q') {
    word.bytes = decode_q(text);
  } else {
    return std::nullopt;
  }
  return word;
}

bool only_white_space(std::string_view text) {
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

}  // namespace

bool needs_encoded_words(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x7F || (byte < 0x20 && c != '\t')) return true;
  }
  return text.find("=?") != std::string_view::npos;
}

std::vector<std::string> encode_words(std::string_view text, std::size_t first_limit) {
  std::vector<std::string> words;
  if (text.empty()) return words;
  // Q stays readable in the raw header: it wins unless B is clearly shorter.
  const bool use_q = q_length(text) <= b_length(text.size()) * 5 / 4;
  std::size_t limit = first_limit < word_overhead + 4 ? word_overhead + 4 : first_limit;
  std::size_t pos = 0;
  while (pos < text.size()) {
    // As many whole characters as fit in this word.
    std::size_t end = pos;
    while (end < text.size()) {
      const std::size_t next = end + utf8_char_at(text, end).length;
      const std::string_view chunk = text.substr(pos, next - pos);
      const std::size_t length = word_overhead + (use_q ? q_length(chunk) : b_length(chunk.size()));
      if (length > limit && end > pos) break;
      end = next;
      if (length > limit) break;  // one character longer than a word: cannot happen above 16
    }
    const std::string_view chunk = text.substr(pos, end - pos);
    std::string word(use_q ? q_prefix : b_prefix);
    if (use_q) {
      append_q(word, chunk);
    } else {
      word += base64_encode(chunk);
    }
    word += "?=";
    words.push_back(std::move(word));
    pos = end;
    limit = max_encoded_word;
  }
  return words;
}

std::string decode_encoded_words(std::string_view value) {
  std::string out;
  // Bytes of adjacent encoded-words in one charset, not yet converted.
  std::string pending;
  std::string pending_charset;
  auto flush = [&] {
    if (pending_charset.empty()) return;
    if (auto text = to_utf8(pending, pending_charset)) {
      out += *text;
    } else {
      out += replace_invalid_utf8(pending);  // unknown charset: ASCII still reads right
    }
    pending.clear();
    pending_charset.clear();
  };
  std::size_t pos = 0;
  std::size_t plain_start = 0;
  bool after_word = false;
  while (pos < value.size()) {
    const std::size_t start = value.find("=?", pos);
    if (start == std::string_view::npos) break;
    const std::optional<Word> word = parse_word(value, start);
    if (!word) {
      pos = start + 2;
      continue;
    }
    const std::string_view between = value.substr(plain_start, start - plain_start);
    // RFC 2047 6.2: white space between two encoded-words is not text.
    if (!(after_word && only_white_space(between))) {
      flush();
      out += replace_invalid_utf8(between);
    }
    if (!pending_charset.empty() && smtp::lowercase_ascii(pending_charset) != smtp::lowercase_ascii(word->charset)) {
      flush();
    }
    pending_charset = word->charset;
    pending += word->bytes;
    pos = plain_start = word->end;
    after_word = true;
  }
  flush();
  out += replace_invalid_utf8(value.substr(plain_start));
  return out;
}

}  // namespace mailpipe::mime
