#include "mta/alias_map.hpp"

#include <cstring>
#include <stdexcept>
#include <variant>

#include "common/os/durable_file.hpp"
#include "common/smtp/address.hpp"
#include "common/text/split.hpp"

namespace mailpipe::mta {
namespace {

// A longer line is a mistake (a lost newline, a binary file), and the
// bound keeps every token in an error message small.
constexpr std::size_t max_line = 4096;
// Tokens are quoted in errors up to this many bytes.
constexpr std::size_t max_shown = 64;

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// A token as shown in an error: quoted, bounded, without control bytes
// (the file may hold anything, and the message reaches a terminal/log).
std::string quoted(std::string_view token) {
  std::string out = "\"";
  for (char c : token.substr(0, max_shown)) {
    const auto byte = static_cast<unsigned char>(c);
    out += byte < 0x20 || byte == 0x7f ? '?' : c;
  }
  return out + (token.size() > max_shown ? "...\"" : "\"");
}

// Cuts the line at the first token starting with '#'. Tokens are split by
// whitespace and commas; ':' ends the lhs, so "a@x:# note" has no targets.
std::string_view strip_comment(std::string_view line) {
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '#' && (i == 0 || is_space(line[i - 1]) || line[i - 1] == ',' || line[i - 1] == ':')) {
      return line.substr(0, i);
    }
  }
  return line;
}

// Sendmail's delivery to a program, a file or an included list, quoted or
// not: local delivery is the MDA's alone.
bool is_sendmail_delivery(std::string_view token) {
  if (token.size() > 1 && token.front() == '"') token.remove_prefix(1);
  return token.starts_with('|') || token.starts_with('/') || smtp::lowercase_ascii(token).starts_with(":include:");
}

std::string describe(smtp::AddressError error) {
  switch (error) {
    case smtp::AddressError::too_long: return "too long (RFC 5321 4.5.3.1: local part 64, domain 255 octets)";
    case smtp::AddressError::non_ascii_without_smtputf8: return "not valid UTF-8";
    case smtp::AddressError::syntax: break;
  }
  return "not a valid address";
}

// Reads lines in order and builds the entries; the first error throws.
class Parser final {
 public:
  explicit Parser(std::string_view origin) : origin_(origin) {}

  void read_line(std::string_view line, unsigned number) {
    line_ = number;
    if (line.size() > max_line) fail("line longer than " + std::to_string(max_line) + " bytes");
    line = strip_comment(line);
    if (trim(line).empty()) return;  // blank or comment: does not end an entry
    if (is_space(line.front())) {
      if (entries.empty()) fail("continuation line (starts with whitespace) with no entry before it");
      add_targets(line);
      return;
    }
    finish();
    start_entry(line);
  }

  // The last entry read must have got its targets.
  void finish() const {
    if (!entries.empty() && entries.back().targets.empty()) {
      fail_at(entries.back().line, "no targets for " + entries.back().key);
    }
  }

  std::vector<AliasMap::Entry> entries;
  std::unordered_map<std::string, std::size_t> index;

 private:
  [[noreturn]] void fail_at(unsigned line, const std::string& what) const {
    throw std::runtime_error(std::string(origin_) + ":" + std::to_string(line) + ": " + what);
  }
  [[noreturn]] void fail(const std::string& what) const { fail_at(line_, what); }

  void start_entry(std::string_view line) {
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) fail("missing ':' after the alias in " + quoted(trim(line)));
    const std::string_view lhs = trim(line.substr(0, colon));
    if (lhs.empty()) fail("empty alias before ':'");
    const AliasTarget parsed = address(lhs, "alias");
    const std::string key = smtp::lowercase_ascii(parsed.str());
    if (const auto it = index.find(key); it != index.end()) {
      fail(key + " already defined at line " + std::to_string(entries[it->second].line));
    }
    index.emplace(key, entries.size());
    entries.push_back({key, {}, line_});
    add_targets(line.substr(colon + 1));
  }

  void add_targets(std::string_view list) {
    std::size_t pos = 0;
    while (pos < list.size()) {
      const std::size_t start = list.find_first_not_of(" \t,", pos);
      if (start == std::string_view::npos) break;
      std::size_t end = list.find_first_of(" \t,", start);
      if (end == std::string_view::npos) end = list.size();
      const std::string_view token = list.substr(start, end - start);
      if (is_sendmail_delivery(token)) {
        fail(quoted(token) + ": pipes, files and :include: are not supported in aliases");
      }
      entries.back().targets.push_back(address(token, "target"));
      pos = end;
    }
  }

  // Checks "local@domain" or "@domain" (as "x@domain") with the SMTP
  // parser, so that an alias can be written exactly when it can be mailed.
  AliasTarget address(std::string_view token, const std::string& role) const {
    const std::size_t at = token.rfind('@');
    if (at == std::string_view::npos) fail(role + " " + quoted(token) + " has no @domain");
    const bool domain_only = at == 0;
    const std::string checked = (domain_only ? "<x" : "<") + std::string(token) + ">";
    const auto parsed = smtp::parse_path(checked, /*allow_utf8=*/true, /*allow_null=*/false);
    if (const auto* error = std::get_if<smtp::AddressError>(&parsed)) {
      fail("bad " + role + " " + quoted(token) + ": " + describe(*error));
    }
    const auto& address = std::get<smtp::Address>(parsed);
    // Quoted strings could hold the separators; literals name no domain
    // that could be ours or be looked up in the DNS.
    if (address.local.starts_with('"')) fail("bad " + role + " " + quoted(token) + ": quoted local part not supported");
    if (address.domain.starts_with('[')) fail("bad " + role + " " + quoted(token) + ": address literal not supported");
    return {domain_only ? std::string() : address.local, smtp::lowercase_ascii(address.domain)};
  }

  std::string_view origin_;
  unsigned line_ = 0;
};

}  // namespace

std::string AliasTarget::str() const { return local + "@" + domain; }

AliasMap AliasMap::load(const std::string& path) {
  auto text = read_file(path);
  if (const auto* error = std::get_if<IoError>(&text)) {
    throw std::runtime_error(path + ": cannot read aliases file: " + std::strerror(error->err));
  }
  return parse(std::get<std::string>(text), path);
}

AliasMap AliasMap::parse(std::string_view text, std::string_view origin) {
  // A byte order mark from a Windows editor would become part of the
  // first key (UTF-8 is allowed) and silently never match.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  Parser parser(origin);
  unsigned number = 0;
  for (const std::string_view line : text_lines(text)) parser.read_line(line, ++number);
  parser.finish();

  AliasMap map;
  map.entries_ = std::move(parser.entries);
  map.index_ = std::move(parser.index);
  for (const auto& entry : map.entries_) map.domains_.insert(entry.key.substr(entry.key.rfind('@') + 1));
  return map;
}

const std::vector<AliasTarget>* AliasMap::find(std::string_view address) const {
  if (address.empty() || address.front() == '@') return nullptr;  // "@domain" is find_catch_all's
  const auto it = index_.find(smtp::lowercase_ascii(address));
  return it == index_.end() ? nullptr : &entries_[it->second].targets;
}

const std::vector<AliasTarget>* AliasMap::find_catch_all(std::string_view domain) const {
  const auto it = index_.find("@" + smtp::lowercase_ascii(domain));
  return it == index_.end() ? nullptr : &entries_[it->second].targets;
}

bool AliasMap::has_domain(std::string_view domain) const { return domains_.contains(smtp::lowercase_ascii(domain)); }

}  // namespace mailpipe::mta
