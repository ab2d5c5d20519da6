#include "ctl/password_hash.hpp"

#include <crypt.h>
#include <openssl/crypto.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "common/smtp/address.hpp"
#include "ctl/exit_status.hpp"

namespace mailpipe::ctl {

std::optional<HashScheme> hash_scheme_named(std::string_view name) {
  const std::string lower = smtp::lowercase_ascii(name);
  if (lower == "yescrypt") return HashScheme::yescrypt;
  if (lower == "sha512-crypt") return HashScheme::sha512_crypt;
  return std::nullopt;
}

std::string hash_password(const Secret& password, HashScheme scheme) {
  const char* prefix = scheme == HashScheme::yescrypt ? "$y$" : "$6$";
  // count 0: libxcrypt's default cost for the scheme.
  std::unique_ptr<char, decltype(&std::free)> setting(crypt_gensalt_ra(prefix, 0, nullptr, 0), &std::free);
  if (!setting) {
    throw Failure(Exit::failed, std::string("cannot make a salt for ") + prefix + " hashes: " + std::strerror(errno));
  }
  // struct crypt_data is ~32 KiB: heap; wiped after, it held the password.
  auto data = std::make_unique<crypt_data>();
  const char* result = crypt_rn(password.c_str(), setting.get(), data.get(), sizeof(crypt_data));
  std::string hash = result != nullptr && result[0] != '*' ? result : "";
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  if (hash.empty()) throw Failure(Exit::failed, std::string("libxcrypt could not hash with ") + prefix);
  return (scheme == HashScheme::yescrypt ? "{CRYPT}" : "{SHA512-CRYPT}") + hash;
}

}  // namespace mailpipe::ctl
