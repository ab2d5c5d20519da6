#include "common/mail/queue_id.hpp"

#include <chrono>
#include <cstdint>
#include <random>

namespace mailpipe {
namespace {

// Crockford's base32: no I, L, O, U, so ids read aloud without confusion.
constexpr char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

}  // namespace

std::string new_queue_id() {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  uint64_t ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  std::string id(18, '0');
  for (int i = 9; i >= 0; --i) {
    id[static_cast<std::size_t>(i)] = alphabet[ms & 31];
    ms >>= 5;
  }
  uint64_t random = generator();
  for (std::size_t i = 10; i < 18; ++i) {
    id[i] = alphabet[random & 31];
    random >>= 5;
  }
  return id;
}

bool is_valid_queue_id(std::string_view id) {
  if (id.size() < 8 || id.size() > 40) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) return false;
  }
  return true;
}

}  // namespace mailpipe
