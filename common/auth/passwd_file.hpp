#pragma once
// Users and passwords from a passwd-file in Dovecot's format, so the same
// file can serve Dovecot's IMAP over the Maildirs we write:
//   user@domain:{SCHEME}hash[:uid:gid:gecos:home:shell:extra]
// Schemes: any crypt(3) scheme libxcrypt knows ({SHA512-CRYPT},
// {SHA256-CRYPT}, {BLF-CRYPT}, {YESCRYPT}, {CRYPT}: hashes that start with
// "$"), and {PLAIN} for demos and tests. Unknown users cost the same time
// as known ones, so timing does not reveal who exists.
#include <string>
#include <string_view>
#include <unordered_map>

namespace mailpipe::auth {

class PasswdFile final {
 public:
  // Throws std::runtime_error "path:line: what is wrong" (never the hash).
  static PasswdFile load(const std::string& path);
  static PasswdFile parse(std::string_view text, std::string_view origin);

  bool has_user(std::string_view user) const;
  // Thread-safe: called from the hashing thread pool.
  bool verify(std::string_view user, std::string_view password) const;
  std::size_t size() const { return users_.size(); }

 private:
  struct Entry {
    bool plain = false;
    std::string secret;  // crypt hash, or the plain password
  };
  std::unordered_map<std::string, Entry> users_;  // keys lowercased
};

}  // namespace mailpipe::auth
