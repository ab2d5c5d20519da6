#pragma once
// The boundary of a multipart/mixed message (RFC 2046 5.1.1): it must not
// occur in any encapsulated part. "=_" in it already keeps it out of
// quoted-printable and base64 text ("=_" is neither a QP escape nor
// base64); the parts are still searched, as a 7bit text part may hold
// anything, and a new random boundary is drawn until none contains it.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mailpipe::mua {

// `random_token` makes a fresh random string (random_hex in use; tests
// pass their own). Throws std::runtime_error if 100 draws all collide,
// which only a broken generator can cause.
std::string choose_boundary(const std::vector<std::string_view>& parts,
                            const std::function<std::string()>& random_token);

}  // namespace mailpipe::mua
