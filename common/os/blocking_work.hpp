#pragma once
// Blocking file work (fsync, unlink, rename) off the event loop. An fsync
// takes milliseconds; on the loop it stalls every session and delivery of
// the process, and the flushes of concurrent messages go to the device one
// after the other. On these threads they overlap, and the device merges
// them into fewer cache flushes: a group commit without a journal.
//
//   std::optional<IoError> error = co_await work.run([&] { return spool.commit(id, msg); });
//
// The coroutine resumes on its own executor (the event loop), so nothing
// but the function itself runs on a worker: it must only touch what it
// owns or what nobody changes meanwhile (captured by value, or kept alive
// and untouched by the awaiting coroutine), and may log (log lines are one
// write(2) each).
#include <asio.hpp>
#include <exception>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "common/log/log.hpp"

namespace mailpipe {

class BlockingWork final {
 public:
  // Enough threads for the concurrent sessions' commits to overlap.
  static constexpr std::size_t default_threads = 16;

  explicit BlockingWork(std::size_t threads = default_threads) : pool_(threads) {}
  BlockingWork(const BlockingWork&) = delete;
  BlockingWork& operator=(const BlockingWork&) = delete;
  // Waits for work already running; what has not started never runs (its
  // caller was never answered, so nothing was promised). Call it when the
  // event loop has returned, before the objects the work uses go: the
  // destructor may come too late for them.
  void finish() {
    pool_.stop();
    pool_.join();
  }
  ~BlockingWork() { finish(); }

  // Runs `function` on a worker; nobody waits for it. For work that only
  // prepares (a spare file), whose loss at a stop costs nothing. An
  // exception from it is logged, never the end of the process.
  template <typename Function>
  void post(Function function) {
    asio::post(pool_, [function = std::move(function)]() mutable {
      try {
        function();
      } catch (const std::exception& e) {
        log::error("background_work_failed").kv("error", e.what());
      }
    });
  }

  template <typename Function, typename Result = std::invoke_result_t<Function&>>
  asio::awaitable<Result> run(Function function) {
    // One co_await per statement: GCC 12 miscompiles `co_return co_await`.
    Result result = co_await asio::co_spawn(
        pool_, [function = std::move(function)]() mutable -> asio::awaitable<Result> { co_return function(); },
        asio::use_awaitable);
    co_return result;
  }

 private:
  asio::thread_pool pool_;
};

// Declared after the objects a BlockingWork's jobs use: finishes the work
// before they are destroyed, however the scope ends (an exception from
// io.run() included).
class FinishBlockingWork final {
 public:
  explicit FinishBlockingWork(BlockingWork& work) : work_(work) {}
  FinishBlockingWork(const FinishBlockingWork&) = delete;
  FinishBlockingWork& operator=(const FinishBlockingWork&) = delete;
  ~FinishBlockingWork() { work_.finish(); }

 private:
  BlockingWork& work_;
};

// On `work`'s threads, or right here when there is none (unit tests).
template <typename Function, typename Result = std::invoke_result_t<Function&>>
asio::awaitable<Result> run_blocking(BlockingWork* work, Function function) {
  if (work == nullptr) co_return function();
  Result result = co_await work->run(std::move(function));
  co_return result;
}

}  // namespace mailpipe
