#pragma once
// Users and passwords from a passwd-file in Dovecot's format, so the same
// file can serve Dovecot's IMAP over the Maildirs we write:
//   user@domain:{SCHEME}hash[:uid:gid:gecos:home:shell:extra]
// Schemes: any crypt(3) scheme libxcrypt knows ({SHA512-CRYPT},
// {SHA256-CRYPT}, {BLF-CRYPT}, {YESCRYPT}, {CRYPT}: hashes that start with
// "$"; a bare "$..." hash without {SCHEME} is {CRYPT}, as in Dovecot), and
// {PLAIN} for demos and tests. Hash formats are checked at load
// (crypt_checksalt), so a typo fails start-up instead of locking a user
// out. Unknown users cost the same time as known ones, so timing does not
// reveal who exists. Passwords never reach an exception or a log line.
#include <string>
#include <string_view>
#include <unordered_map>

namespace mailpipe::auth {

class PasswdFile final {
 public:
  // Throws std::runtime_error "path: what" when the file cannot be read,
  // "path:line: what is wrong" for a bad line (never the hash).
  static PasswdFile load(const std::string& path);
  static PasswdFile parse(std::string_view text, std::string_view origin);

  bool has_user(std::string_view user) const;
  // Thread-safe: called from the hashing thread pool. False for a password
  // holding a NUL or longer than libxcrypt accepts (512 octets).
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
