#include "common/mime/boundary.hpp"

#include <algorithm>
#include <stdexcept>

namespace mailpipe::mime {

std::string choose_boundary(const std::vector<std::string_view>& parts, std::string_view prefix,
                            const std::function<std::string()>& next_token, std::size_t max_attempts) {
  for (std::size_t attempt = 0; attempt < max_attempts; ++attempt) {
    // RFC 2046 5.1.1: 1 to 70 characters from bchars; "=_.-" are all bchars.
    std::string boundary = std::string(prefix) + next_token();
    if (boundary.size() > 70) boundary.resize(70);
    // A part collides if it holds the boundary anywhere: searching for
    // the boundary itself also covers "--boundary" at a line start.
    const bool collides = std::any_of(parts.begin(), parts.end(), [&](std::string_view part) {
      return part.find(boundary) != std::string_view::npos;
    });
    if (!collides) return boundary;
  }
  throw std::runtime_error("cannot find a MIME boundary that occurs in no part");
}

}  // namespace mailpipe::mime
