#include "ctl/secret.hpp"

#include <openssl/crypto.h>

namespace mailpipe::ctl {

bool Secret::push_back(char c) {
  if (size_ >= max_size) return false;
  buffer_[size_++] = c;
  return true;
}

void Secret::pop_back() {
  if (size_ > 0) buffer_[--size_] = '\0';
}

void Secret::wipe() {
  OPENSSL_cleanse(buffer_.data(), buffer_.size());
  size_ = 0;
}

bool Secret::same_as(const Secret& other) const {
  return size_ == other.size_ && CRYPTO_memcmp(buffer_.data(), other.buffer_.data(), size_) == 0;
}

}  // namespace mailpipe::ctl
