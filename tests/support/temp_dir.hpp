#pragma once
// A fresh directory under /tmp for one unit test, removed with everything
// in it when the object goes.
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace mailpipe::test_support {

class TempDir final {
 public:
  // `name` tells whose directory it is: /tmp/mailpipe-<name>-XXXXXX.
  explicit TempDir(const std::string& name) {
    std::string pattern = "/tmp/mailpipe-" + name + "-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp " + pattern + " failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace mailpipe::test_support
