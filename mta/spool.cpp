#include "mta/spool.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "common/log.hpp"
#include "common/mail/queue_id.hpp"

namespace mailpipe::mta {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view message_suffix = ".msg";
constexpr std::string_view state_suffix = ".state";

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

Spool::Spool(std::string dir) : dir_(std::move(dir)) {}

std::optional<IoError> Spool::open() {
  if (auto error = make_directories(dir_, 0700)) return error;
  return make_directories(dir_ + "/corrupt", 0700);
}

std::optional<IoError> Spool::commit(const std::string& queue_id, const v1::SpoolMessage& message) {
  const std::string name = queue_id + std::string(message_suffix);
  if (exists(dir_ + "/" + name)) return std::nullopt;
  return write_file_durably(dir_, name, message.SerializeAsString());
}

std::optional<IoError> Spool::save_state(const std::string& queue_id, const v1::SpoolState& state) {
  return write_file_durably(dir_, queue_id + std::string(state_suffix), state.SerializeAsString());
}

std::optional<IoError> Spool::remove(const std::string& queue_id) {
  if (auto error = remove_file_durably(dir_, queue_id + std::string(state_suffix))) return error;
  return remove_file_durably(dir_, queue_id + std::string(message_suffix));
}

std::variant<SpooledMessage, IoError> Spool::load(const std::string& queue_id) const {
  SpooledMessage loaded;
  loaded.queue_id = queue_id;
  const std::string message_path = dir_ + "/" + queue_id + std::string(message_suffix);
  auto bytes = read_file(message_path);
  if (auto* error = std::get_if<IoError>(&bytes)) return *error;
  if (!loaded.message.ParseFromString(std::get<std::string>(bytes))) {
    return IoError{EBADMSG, "parse " + message_path + ": not a SpoolMessage"};
  }
  const std::string state_path = dir_ + "/" + queue_id + std::string(state_suffix);
  auto state_bytes = read_file(state_path);
  if (auto* error = std::get_if<IoError>(&state_bytes)) {
    if (error->err != ENOENT) return *error;
    loaded.state = initial_state(loaded.message, loaded.message.envelope().received_unix_ms());
  } else if (!loaded.state.ParseFromString(std::get<std::string>(state_bytes))) {
    // The message is intact; only its progress is lost. Start over: a
    // duplicate delivery is better than a lost message.
    log::error("spool_state_corrupt").kv("queue_id", queue_id).kv("path", state_path);
    loaded.state = initial_state(loaded.message, loaded.message.envelope().received_unix_ms());
  }
  return loaded;
}

std::vector<SpooledMessage> Spool::recover() {
  std::vector<std::string> message_ids;
  std::vector<std::string> state_ids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    if (name.starts_with(".tmp-")) {
      // A write that crashed before its rename: it was never acknowledged.
      log::info("spool_temp_removed").kv("file", name);
      remove_file_durably(dir_, name);
    } else if (name.ends_with(message_suffix) && is_valid_queue_id(name.substr(0, name.size() - message_suffix.size()))) {
      message_ids.push_back(name.substr(0, name.size() - message_suffix.size()));
    } else if (name.ends_with(state_suffix) && is_valid_queue_id(name.substr(0, name.size() - state_suffix.size()))) {
      state_ids.push_back(name.substr(0, name.size() - state_suffix.size()));
    }
  }
  if (ec) log::error("spool_scan_failed").kv("spool", dir_).kv("error", ec.message());
  std::sort(message_ids.begin(), message_ids.end());

  for (const auto& queue_id : state_ids) {
    if (!std::binary_search(message_ids.begin(), message_ids.end(), queue_id)) {
      log::warning("spool_orphan_state_removed").kv("queue_id", queue_id);
      remove_file_durably(dir_, queue_id + std::string(state_suffix));
    }
  }

  std::vector<SpooledMessage> recovered;
  for (const auto& queue_id : message_ids) {
    auto loaded = load(queue_id);
    if (auto* error = std::get_if<IoError>(&loaded)) {
      const std::string name = queue_id + std::string(message_suffix);
      log::error("spool_message_quarantined").kv("queue_id", queue_id).kv("error", error->what)
          .kv("moved_to", dir_ + "/corrupt/" + name);
      std::rename((dir_ + "/" + name).c_str(), (dir_ + "/corrupt/" + name).c_str());
      remove_file_durably(dir_, queue_id + std::string(state_suffix));
      fsync_directory(dir_ + "/corrupt");
      fsync_directory(dir_);
      continue;
    }
    recovered.push_back(std::move(std::get<SpooledMessage>(loaded)));
  }
  return recovered;
}

v1::SpoolState initial_state(const v1::SpoolMessage& message, int64_t now_unix_ms) {
  v1::SpoolState state;
  for (const auto& recipient : message.envelope().recipients()) {
    auto* progress = state.add_recipients();
    progress->set_address(recipient.address());
    progress->set_state(v1::RECIPIENT_PENDING);
    progress->set_next_attempt_unix_ms(now_unix_ms);
  }
  return state;
}

}  // namespace mailpipe::mta
