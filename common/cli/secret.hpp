#pragma once
// A password while a command-line program holds it: a fixed buffer that
// never reallocates (a growing std::string would leave copies in freed
// memory) and is wiped with OPENSSL_cleanse when it goes, as the MSA does
// with AUTH secrets (common/smtp/session_auth.cpp). Where it comes from is
// the program's business (mua/submit/password_input.hpp, ctl/password_input.hpp);
// never argv, where every user on the host can read it in ps.
#include <array>
#include <cstddef>
#include <string_view>

namespace mailpipe::cli {

// OPENSSL_cleanse and CRYPTO_memcmp, kept out of this header.
void wipe_bytes(char* bytes, std::size_t size);
bool same_bytes(const char* a, const char* b, std::size_t size);  // constant time

// At most `MaxSize` bytes; each program picks its limit.
template <std::size_t MaxSize>
class Secret final {
 public:
  static constexpr std::size_t max_size = MaxSize;

  Secret() = default;
  ~Secret() { wipe(); }
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;

  // False when full: the password is too long.
  bool push_back(char c) {
    if (size_ >= max_size) return false;
    buffer_[size_++] = c;
    return true;
  }
  void pop_back() {
    if (size_ > 0) buffer_[--size_] = '\0';
  }
  void wipe() {
    wipe_bytes(buffer_.data(), buffer_.size());
    size_ = 0;
  }

  std::string_view view() const { return {buffer_.data(), size_}; }
  const char* c_str() const { return buffer_.data(); }  // NUL-terminated
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Constant time for equal sizes.
  bool same_as(const Secret& other) const {
    return size_ == other.size_ && same_bytes(buffer_.data(), other.buffer_.data(), size_);
  }

 private:
  std::array<char, max_size + 1> buffer_{};
  std::size_t size_ = 0;
};

}  // namespace mailpipe::cli
