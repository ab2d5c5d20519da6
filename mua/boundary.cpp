#include "mua/boundary.hpp"

#include <stdexcept>

namespace mailpipe::mua {

std::string choose_boundary(const std::vector<std::string_view>& parts,
                            const std::function<std::string()>& random_token) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    // RFC 2046 5.1.1: 1 to 70 characters from bchars; "=_.-" are all bchars.
    std::string boundary = "=_mpmail_" + random_token();
    if (boundary.size() > 70) boundary.resize(70);
    // A part collides if it holds the boundary anywhere: searching for
    // the boundary itself also covers "--boundary" at a line start.
    bool collides = false;
    for (std::string_view part : parts) {
      if (part.find(boundary) != std::string_view::npos) {
        collides = true;
        break;
      }
    }
    if (!collides) return boundary;
  }
  throw std::runtime_error("cannot find a MIME boundary that occurs in no part");
}

}  // namespace mailpipe::mua
