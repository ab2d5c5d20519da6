#pragma once
// For unit tests of parsers and loaders that throw std::runtime_error on
// bad input (aliases, passwd files, config): the message they give, and a
// table of inputs each with the message it must give.
#include <gtest/gtest.h>

#include <initializer_list>
#include <stdexcept>
#include <string>

namespace mailpipe::test_support {

// The what() of the std::runtime_error `run` throws; "accepted" when it
// returns.
template <class Run>
std::string error_text(Run&& run) {
  try {
    run();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "accepted";
}

struct ErrorCase {
  std::string input;
  std::string error;
};

// Checks error_of(input) == error for each case.
template <class ErrorOf>
void expect_errors(ErrorOf&& error_of, std::initializer_list<ErrorCase> cases) {
  for (const auto& [input, error] : cases) EXPECT_EQ(error_of(input), error) << input;
}

}  // namespace mailpipe::test_support
