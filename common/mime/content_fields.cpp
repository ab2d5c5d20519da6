#include "common/mime/content_fields.hpp"

#include <cstring>

#include "common/mime/rfc2231.hpp"
#include "common/smtp/address.hpp"

namespace mailpipe::mime {
namespace {

// More parameters than this is an attack on the parser, not a header.
constexpr std::size_t max_parameters = 100;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_tspecial(char c) { return c != 0 && std::strchr("()<>@,;:\\\"/[]?=", c) != nullptr; }

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  bool done() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  void advance() { ++pos_; }

  // White space and RFC 5322 comments, nested, bounded by the text.
  void skip_space() {
    while (!done()) {
      if (is_space(peek())) {
        advance();
      } else if (peek() == '(') {
        int depth = 0;
        while (!done()) {
          const char c = peek();
          advance();
          if (c == '\\') {
            if (!done()) advance();
          } else if (c == '(') {
            ++depth;
          } else if (c == ')' && --depth == 0) {
            break;
          }
        }
      } else {
        return;
      }
    }
  }

  // A parameter name (up to "=" or a tspecial; "*" is kept for RFC 2231)
  // or an unquoted value (up to white space or ";").
  std::string token(bool for_value) {
    std::string out;
    while (!done()) {
      const char c = peek();
      if (is_space(c) || c == ';' || (!for_value && (c == '=' || (is_tspecial(c) && c != '/' && c != '*')))) break;
      if (for_value && c == '"') break;
      out += c;
      advance();
    }
    return out;
  }

  std::string quoted() {
    std::string out;
    advance();  // the opening quote
    while (!done()) {
      const char c = peek();
      advance();
      if (c == '"') break;
      if (c == '\\' && !done()) {
        out += peek();
        advance();
        continue;
      }
      if (c != '\r' && c != '\n') out += c;
    }
    return out;
  }

  // To the next ";" outside quotes, or the end.
  void skip_to_semicolon() {
    while (!done() && peek() != ';') {
      if (peek() == '"') {
        quoted();
      } else {
        advance();
      }
    }
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

ContentField parse_content_field(std::string_view raw) {
  ContentField field;
  Scanner scan(raw);
  scan.skip_space();
  std::string value;
  while (!scan.done() && scan.peek() != ';') {
    const char c = scan.peek();
    if (c == '(') {
      scan.skip_space();
      continue;
    }
    if (!is_space(c)) value += c;
    scan.advance();
  }
  field.value = smtp::lowercase_ascii(value);
  RawParameters parameters;
  // At a ";" (or the end) each time round.
  while (!scan.done() && parameters.size() < max_parameters) {
    scan.advance();  // ";"
    scan.skip_space();
    std::string name = smtp::lowercase_ascii(scan.token(false));
    scan.skip_space();
    if (!name.empty() && !scan.done() && scan.peek() == '=') {
      scan.advance();
      scan.skip_space();
      std::string param_value = !scan.done() && scan.peek() == '"' ? scan.quoted() : scan.token(true);
      parameters.emplace_back(std::move(name), std::move(param_value));
    }
    // Anything else up to the next ";" is junk.
    scan.skip_to_semicolon();
  }
  field.params = decode_parameters(parameters);
  return field;
}

}  // namespace mailpipe::mime
