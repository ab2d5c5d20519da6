#pragma once
// The outline of main() for a command-line program (mpmail, mailpipectl):
// parse the arguments, run the command, turn the way it ended into the
// program's exit status. A bad command line gets the usage text after the
// message; a failing command gets only its message, which says what to do
// itself (the whole usage text would bury that).
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/cli/failure.hpp"

namespace mailpipe::cli {

// `parse` turns the arguments into an invocation or throws Failure<Exit>;
// `run` carries it out and returns its Exit; `usage_text` is the help,
// printed to stdout (status ok) for an invocation whose help() is true.
// Messages go to stderr as "program: message".
template <typename Parse, typename Run, typename Usage>
int run_program(std::string_view program, int argc, char** argv, Parse parse, Run run, Usage usage_text) {
  using Invocation = std::invoke_result_t<Parse, const std::vector<std::string>&>;
  using Exit = std::invoke_result_t<Run, const Invocation&>;
  Invocation invocation;
  try {
    invocation = parse(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const Failure<Exit>& failure) {
    std::cerr << program << ": " << failure.what() << "\n\n" << usage_text();
    return static_cast<int>(failure.exit());
  }
  if (invocation.help()) {
    std::cout << usage_text();
    return static_cast<int>(Exit::ok);
  }
  Exit exit = Exit::failed;
  try {
    exit = run(invocation);
  } catch (const Failure<Exit>& failure) {
    std::cerr << program << ": " << failure.what() << "\n";
    exit = failure.exit();
  } catch (const std::exception& error) {
    std::cerr << program << ": " << error.what() << "\n";
    exit = Exit::failed;
  }
  std::cout.flush();
  return static_cast<int>(exit);
}

}  // namespace mailpipe::cli
