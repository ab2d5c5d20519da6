#pragma once
// The aliases file (MtaConfig.aliases_file): exact aliases, virtual alias
// domains and catch-alls, loaded once at start-up so a mistake stops the
// MTA with "path:line: what is wrong" instead of losing mail later. The
// format is Postfix's virtual(5) and aliases(5), without what lets a file
// run code or write files:
//
//   # a comment ('#' first on the line, after optional whitespace)
//   sales@example.test: alice@example.test, bob@example.test
//   info@example.test: alice@example.test
//       , carol@other.test    # indented: more targets for the entry above
//   @example.org: admin@example.test   # catch-all for a whole domain
//   @old.test: @new.test               # any local part, kept, at new.test
//
// An entry is "lhs: targets"; lhs is local@domain or @domain; targets are
// separated by commas and/or whitespace, at least one per entry (on the
// entry's line or its continuation lines). A target is local@domain, or
// @domain: the local part of the address being expanded, at that domain.
// A token starting with '#' starts a comment to the end of the line (so a
// local part cannot start with '#' here). Blank and comment lines are
// skipped and do not end an entry, as in Postfix. LF or CRLF line ends;
// lines up to 4096 bytes.
//
// Addresses are checked with smtp::parse_path (UTF-8 allowed, RFC 6531),
// must have a domain, and must be dot-atoms at a domain name: no quoted
// local parts, no address literals. Keys are stored ASCII-lowercased;
// targets keep the case of their local part (RFC 5321 2.4: only the
// receiving host may fold it) and have their domain lowercased.
// Sendmail's "|command", "/file" and ":include:" targets are refused:
// delivery is the MDA's job, and an aliases file should not run programs.
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace mailpipe::mta {

struct AliasTarget {
  std::string local;   // empty for "@domain" (keep the local part of the address being expanded)
  std::string domain;  // lowercased
  std::string str() const;  // "local@domain" or "@domain"
};

class AliasMap final {
 public:
  AliasMap() = default;  // empty map
  // Throws std::runtime_error "path: cannot read aliases file: strerror",
  // or a parse error as parse() does.
  static AliasMap load(const std::string& path);
  // Throws std::runtime_error "origin:line: what is wrong".
  static AliasMap parse(std::string_view text, std::string_view origin);

  // Exact entry for "local@domain", in any case. nullptr if none.
  const std::vector<AliasTarget>* find(std::string_view address) const;
  // "@domain" entry. nullptr if none.
  const std::vector<AliasTarget>* find_catch_all(std::string_view domain) const;
  // True when some key (exact or catch-all) is in this domain: such a
  // domain is one we accept mail for ("virtual alias domain").
  bool has_domain(std::string_view domain) const;
  std::size_t size() const { return entries_.size(); }

  // Every entry as (key, targets, line number), for start-up checks.
  struct Entry {
    std::string key;  // "local@domain" or "@domain", lowercased
    std::vector<AliasTarget> targets;
    unsigned line = 0;
  };
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;                          // in file order
  std::unordered_map<std::string, std::size_t> index_;  // key -> entries_ position
  std::unordered_set<std::string> domains_;             // domains of the keys
};

}  // namespace mailpipe::mta
