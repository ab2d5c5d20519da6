#pragma once
// Hashes a new password for the passwd-file with libxcrypt. yescrypt by
// default (Debian's own default for /etc/shadow since 11), written
// "{CRYPT}$y$..." because Dovecot hands {CRYPT} values to crypt(3) and so
// verifies any scheme libxcrypt knows; SHA512-CRYPT for older readers.
// The salt comes from the kernel (crypt_gensalt with no random bytes
// given uses getentropy).
#include <optional>
#include <string>
#include <string_view>

#include "ctl/password_input.hpp"

namespace mailpipe::ctl {

enum class HashScheme { yescrypt, sha512_crypt };

// "yescrypt", "sha512-crypt" (case-insensitive); nullopt for others.
std::optional<HashScheme> hash_scheme_named(std::string_view name);

// The passwd-file value: "{CRYPT}$y$..." or "{SHA512-CRYPT}$6$...".
// Throws Failure when libxcrypt cannot hash (no entropy, scheme disabled).
std::string hash_password(const Secret& password, HashScheme scheme);

}  // namespace mailpipe::ctl
