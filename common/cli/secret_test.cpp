#include "common/cli/secret.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mailpipe::cli {
namespace {

TEST(SecretTest, WipeClearsTheBytes) {
  Secret<511> secret;
  for (char c : std::string("hunter2")) secret.push_back(c);
  const char* bytes = secret.c_str();
  secret.wipe();
  EXPECT_EQ(std::string(bytes, 7), std::string(7, '\0'));
}

}  // namespace
}  // namespace mailpipe::cli
