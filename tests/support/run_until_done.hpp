#pragma once
// Runs one coroutine on `io` until it has its result, within `bound`, for
// unit tests whose loop is never out of work (c-ares keeps its UDP socket
// watched, so io.run() would not return). nullopt: no result in time, or
// the coroutine threw.
#include <asio.hpp>
#include <chrono>
#include <exception>
#include <optional>

namespace mailpipe::test_support {

// Starts `work` on `io`; its result lands in `result` (left empty if it
// throws). For tests that act while it runs: run_until_set() then waits.
template <class T>
void spawn_into(asio::io_context& io, asio::awaitable<T> work, std::optional<T>& result) {
  asio::co_spawn(io, std::move(work), [&result](std::exception_ptr error, T value) {
    if (!error) result = std::move(value);
  });
}

// Runs `io` until `result` is set or `bound` has passed.
template <class T>
void run_until_set(asio::io_context& io, const std::optional<T>& result, std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!result && std::chrono::steady_clock::now() < deadline) {
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds(50));
  }
}

template <class T>
std::optional<T> run_until_done(asio::io_context& io, asio::awaitable<T> work,
                                std::chrono::seconds bound = std::chrono::seconds(10)) {
  std::optional<T> result;
  spawn_into(io, std::move(work), result);
  run_until_set(io, result, bound);
  return result;
}

}  // namespace mailpipe::test_support
