#include "common/auth/passwd_file.hpp"

#include <crypt.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "common/log/log.hpp"
#include "common/text/split.hpp"

namespace mailpipe::auth {
namespace {

// Verified against when the user does not exist (or the password cannot
// be one), so that an unknown user takes as long as a wrong password:
// "demo" hashed with SHA512-CRYPT, default 5000 rounds.
constexpr const char* dummy_hash =
    "$6$mailpipedummy$lB52EO7xtvZcp9qntEqonw0Flm7evKyuKzSZVXqVHfFeAf1cxjMPoiKM8QZedoDMqY5SAdPervZhsctz68a1j/";

// Schemes whose value is a crypt(3) string that libxcrypt verifies.
constexpr std::array<std::string_view, 6> crypt_schemes = {"sha512-crypt", "sha256-crypt", "blf-crypt",
                                                           "yescrypt",     "crypt",        "md5-crypt"};

constexpr std::size_t max_shown_scheme = 32;

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool equal_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool crypt_matches(const std::string& hash, std::string_view password) {
  // struct crypt_data is ~32 KiB: heap, and one per call (thread-safe).
  auto data = std::make_unique<crypt_data>();
  const std::string pw(password);
  const char* result = crypt_rn(pw.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  // crypt_rn fails with NULL or a string starting with '*'.
  const bool ok = result != nullptr && result[0] != '*' && equal_secret(result, hash);
  explicit_bzero(data.get(), sizeof(crypt_data));  // it held the password
  return ok;
}

// A user name as it reaches logs and Maildir paths: no spaces, no
// control bytes (Dovecot's passwd-file has no quoting either).
bool valid_user(std::string_view user) {
  if (user.empty()) return false;
  for (char c : user) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return false;
  }
  return true;
}

// The scheme as shown in an error: bounded and printable, in case a
// password was typed where the scheme belongs.
std::string shown_scheme(std::string_view scheme) {
  std::string out;
  for (char c : scheme.substr(0, max_shown_scheme)) {
    const auto byte = static_cast<unsigned char>(c);
    out += byte > 0x20 && byte < 0x7f ? c : '?';
  }
  return scheme.size() > max_shown_scheme ? out + "..." : out;
}

std::string read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(path + ": cannot open passwd-file: " + std::strerror(errno));
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    throw std::runtime_error(path + ": passwd-file is not a regular file");
  }
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      throw std::runtime_error(path + ": cannot read passwd-file: " + std::strerror(error));
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

}  // namespace

PasswdFile PasswdFile::load(const std::string& path) { return parse(read_file(path), path); }

PasswdFile PasswdFile::parse(std::string_view text, std::string_view origin) {
  PasswdFile file;
  std::size_t line_number = 0;
  for (const std::string_view line : text_lines(text)) {
    ++line_number;
    const std::size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;

    auto fail = [&](const std::string& what) {
      throw std::runtime_error(std::string(origin) + ":" + std::to_string(line_number) + ": " + what);
    };
    if (line.find('\0') != std::string_view::npos) fail("NUL byte in line");
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) fail("expected user:{SCHEME}password");
    const std::string_view user_field = line.substr(0, colon);
    if (!valid_user(user_field)) fail("user name with a space or control byte");
    const std::string user = lowercase(user_field);
    std::string_view secret = line.substr(colon + 1);
    secret = secret.substr(0, secret.find(':'));  // drop uid:gid:... extras

    Entry entry;
    if (secret.starts_with('$')) {
      // No {SCHEME}: Dovecot's default_pass_scheme is CRYPT.
    } else if (!secret.starts_with('{')) {
      fail("password must start with {SCHEME}");
    } else {
      const std::size_t close = secret.find('}');
      if (close == std::string_view::npos) fail("unterminated {SCHEME}");
      const std::string scheme = lowercase(secret.substr(1, close - 1));
      secret.remove_prefix(close + 1);
      if (scheme == "plain") {
        entry.plain = true;
      } else if (std::find(crypt_schemes.begin(), crypt_schemes.end(), scheme) != crypt_schemes.end()) {
        if (!secret.starts_with('$')) fail("{" + shown_scheme(scheme) + "} needs a crypt(3) hash starting with '$'");
      } else {
        fail("unsupported password scheme {" + shown_scheme(scheme) + "}");
      }
    }
    if (secret.empty()) fail("empty password");
    entry.secret = std::string(secret);
    if (!entry.plain) {
      // A mistyped hash would lock the user out without a word: refuse it
      // at start-up. (Checks the format; the digest itself cannot be.)
      const int check = crypt_checksalt(entry.secret.c_str());
      if (check == CRYPT_SALT_INVALID || check == CRYPT_SALT_METHOD_DISABLED) {
        fail("malformed or unsupported crypt(3) hash");
      }
      if (check == CRYPT_SALT_METHOD_LEGACY) {
        log::warning("weak_password_hash").kv("file", origin).kv("line", line_number).kv("user", user);
      }
    }
    if (!file.users_.emplace(user, std::move(entry)).second) fail("duplicate user " + user);
  }
  return file;
}

bool PasswdFile::has_user(std::string_view user) const { return users_.contains(lowercase(user)); }

bool PasswdFile::verify(std::string_view user, std::string_view password) const {
  const auto it = users_.find(lowercase(user));
  // crypt_rn reads a C string: "demo\0junk" (AUTH LOGIN can carry a NUL)
  // would be checked as "demo". Longer than libxcrypt takes is no password.
  const bool usable = password.find('\0') == std::string_view::npos && password.size() < CRYPT_MAX_PASSPHRASE_SIZE;
  if (it == users_.end() || !usable) {
    crypt_matches(dummy_hash, usable ? password : std::string_view());  // same cost as a real check
    return false;
  }
  if (it->second.plain) return equal_secret(it->second.secret, password);
  return crypt_matches(it->second.secret, password);
}

}  // namespace mailpipe::auth
