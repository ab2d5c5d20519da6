#pragma once
// A password while mailpipectl holds it: a fixed buffer that never
// reallocates (a growing std::string would leave copies in freed memory)
// and is wiped with OPENSSL_cleanse when it goes, as the MSA does with
// AUTH secrets (common/smtp/session_auth.cpp).
#include <array>
#include <cstddef>
#include <string_view>

namespace mailpipe::ctl {

class Secret final {
 public:
  // libxcrypt takes passphrases shorter than CRYPT_MAX_PASSPHRASE_SIZE (512).
  static constexpr std::size_t max_size = 511;

  Secret() = default;
  ~Secret() { wipe(); }
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;

  // False when full: the password is too long.
  bool push_back(char c);
  void pop_back();
  void wipe();

  std::string_view view() const { return {buffer_.data(), size_}; }
  const char* c_str() const { return buffer_.data(); }  // NUL-terminated
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Constant time for equal sizes.
  bool same_as(const Secret& other) const;

 private:
  std::array<char, max_size + 1> buffer_{};
  std::size_t size_ = 0;
};

}  // namespace mailpipe::ctl
