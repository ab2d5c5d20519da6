#pragma once
// The boundary of a multipart message (RFC 2046 5.1.1): it must not occur
// in any encapsulated part. mpmail's prefix "=_mpmail_" and the bounce
// builder's "=_mailpipe_bounce_" hold "=_", which already keeps them out of
// quoted-printable and base64 text ("=_" is neither a QP escape nor
// base64); the parts are still searched, as a 7bit or 8bit part may hold
// anything, and a new candidate is drawn until none contains it.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mailpipe::mime {

// The first `prefix` + next_token() (cut to RFC 2046's 70 characters) that
// no part holds. mpmail draws random tokens (random_hex; tests pass their
// own), the bounce builder counts. Throws std::runtime_error after
// `max_attempts` collisions, which only a broken generator can cause.
std::string choose_boundary(const std::vector<std::string_view>& parts, std::string_view prefix,
                            const std::function<std::string()>& next_token, std::size_t max_attempts = 100);

}  // namespace mailpipe::mime
