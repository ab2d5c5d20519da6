#pragma once
// Unpredictable tokens for Message-IDs and MIME boundaries, from OpenSSL's
// CSPRNG: a guessable boundary lets a sender of an attachment forge the
// parts around it; a guessable Message-ID invites forged replies.
#include <cstddef>
#include <string>

namespace mailpipe::mime {

// `bytes` random bytes as lowercase hex (2 * bytes characters). Throws
// std::runtime_error when the CSPRNG fails.
std::string random_hex(std::size_t bytes);

}  // namespace mailpipe::mime
