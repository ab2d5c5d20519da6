#pragma once
// The password while mpmail holds it: a fixed buffer that never
// reallocates (a growing std::string leaves copies in freed memory),
// wiped with OPENSSL_cleanse when it goes. It comes from the first line
// of --password-file or from the terminal with echo off; never from argv
// (every user on the host can read that in ps) and never printed.
#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace mailpipe::mua {

class Secret final {
 public:
  static constexpr std::size_t max_size = 1023;

  Secret() = default;
  ~Secret() { wipe(); }
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;

  bool push_back(char c);  // false when full
  void pop_back();
  void wipe();

  std::string_view view() const { return {buffer_.data(), size_}; }
  bool empty() const { return size_ == 0; }

 private:
  std::array<char, max_size + 1> buffer_{};
  std::size_t size_ = 0;
};

// The first line of `path` (a final CR dropped). Throws Failure
// (Exit::usage) when the file cannot be read or the line is empty, too
// long or holds a NUL.
void read_password_file(const std::string& path, Secret& password);

// Asks on the controlling terminal (/dev/tty, so the body may still come
// from stdin) with echo off, restored on return and on SIGINT/SIGTERM.
// Throws Failure (Exit::usage) when there is no terminal.
void read_password_from_terminal(std::string_view user, Secret& password);

}  // namespace mailpipe::mua
