#pragma once
// FUZZ_CHECK(condition, what): an invariant of the code under test. On a
// violation it prints what broke and aborts, so libFuzzer reports a crash
// and keeps the input (crash-<sha1>), like a sanitizer finding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition, what)                                                              \
  do {                                                                                           \
    if (!(condition)) {                                                                          \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n  %s\n", __FILE__, __LINE__, #condition, \
                   what);                                                                        \
      std::abort();                                                                              \
    }                                                                                            \
  } while (0)

namespace mailpipe::fuzz {

// Piece sizes for reading a stream as a socket may deliver it: 0..16
// bytes (empty reads too), pseudo-random from two bytes of the input, so
// a finding replays exactly.
class ReadSplit final {
 public:
  ReadSplit(uint8_t high, uint8_t low) : state_((uint32_t{high} << 8 | low) * 2654435761u + 1) {
    if (state_ == 0) state_ = 1;  // xorshift never leaves 0
  }
  std::size_t next() {
    state_ ^= state_ << 13, state_ ^= state_ >> 17, state_ ^= state_ << 5;  // xorshift32
    return std::size_t{state_ % 17};
  }

 private:
  uint32_t state_;
};

}  // namespace mailpipe::fuzz
