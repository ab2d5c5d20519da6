#include "common/auth/passwd_file.hpp"

#include <crypt.h>
#include <openssl/crypto.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace mailpipe::auth {
namespace {

// Verified against when the user does not exist, so that an unknown user
// takes as long as a wrong password ("demo" hashed with SHA512-CRYPT).
constexpr const char* dummy_hash =
    "$6$mailpipedummy$lB52EO7xtvZcp9qntEqonw0Flm7evKyuKzSZVXqVHfFeAf1cxjMPoiKM8QZedoDMqY5SAdPervZhsctz68a1j/";

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
  if (result == nullptr || result[0] == '*') return false;
  return equal_secret(result, hash);
}

}  // namespace

PasswdFile PasswdFile::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot read passwd-file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

PasswdFile PasswdFile::parse(std::string_view text, std::string_view origin) {
  PasswdFile file;
  std::size_t line_number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;

    auto fail = [&](const std::string& what) {
      throw std::runtime_error(std::string(origin) + ":" + std::to_string(line_number) + ": " + what);
    };
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) fail("expected user:{SCHEME}password");
    const std::string user = lowercase(line.substr(0, colon));
    std::string_view secret = line.substr(colon + 1);
    secret = secret.substr(0, secret.find(':'));  // drop uid:gid:... extras
    if (!secret.starts_with('{')) fail("password must start with {SCHEME}");
    const std::size_t close = secret.find('}');
    if (close == std::string_view::npos) fail("unterminated {SCHEME}");
    const std::string scheme = lowercase(secret.substr(1, close - 1));
    const std::string_view value = secret.substr(close + 1);
    Entry entry;
    if (scheme == "plain") {
      entry.plain = true;
    } else if (scheme == "sha512-crypt" || scheme == "sha256-crypt" || scheme == "blf-crypt" ||
               scheme == "yescrypt" || scheme == "crypt" || scheme == "md5-crypt") {
      if (!value.starts_with('$')) fail("{" + scheme + "} needs a crypt(3) hash starting with '$'");
    } else {
      fail("unsupported password scheme {" + scheme + "}");
    }
    if (value.empty()) fail("empty password");
    entry.secret = std::string(value);
    if (!file.users_.emplace(user, std::move(entry)).second) fail("duplicate user " + user);
  }
  return file;
}

bool PasswdFile::has_user(std::string_view user) const { return users_.contains(lowercase(user)); }

bool PasswdFile::verify(std::string_view user, std::string_view password) const {
  const auto it = users_.find(lowercase(user));
  if (it == users_.end()) {
    crypt_matches(dummy_hash, password);  // same cost as a real check
    return false;
  }
  if (it->second.plain) return equal_secret(it->second.secret, password);
  return crypt_matches(it->second.secret, password);
}

}  // namespace mailpipe::auth
