#include "mta/spool.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "common/log/log.hpp"
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

// Queue ids reach us from other processes and become file names.
std::optional<IoError> check_id(const std::string& dir, const std::string& queue_id) {
  if (is_valid_queue_id(queue_id)) return std::nullopt;
  return IoError{EINVAL, "spool " + dir + ": invalid queue id"};
}

// ".tmp-<qid>.msg-<pid>-<n>" -> "<qid>", so even this log line carries it.
std::string queue_id_of_temp(const std::string& name) {
  const std::string rest = name.substr(5);
  const std::size_t dot = rest.find('.');
  const std::string id = rest.substr(0, dot);
  return is_valid_queue_id(id) ? id : "";
}

// A message's bytes in a buffer nobody zero-fills first (SerializeAsString
// does: a megabyte of memset per spooled mail).
struct Serialized {
  std::unique_ptr<char[]> bytes;
  std::size_t size = 0;
  std::string_view view() const { return {bytes.get(), size}; }
};
Serialized serialize(const google::protobuf::MessageLite& message) {
  Serialized out{nullptr, message.ByteSizeLong()};
  out.bytes = std::make_unique_for_overwrite<char[]>(out.size);
  message.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(out.bytes.get()));
  return out;
}

}  // namespace

// Made ahead: a burst of commits at once (BlockingWork has 16 threads)
// mostly finds one. Kept: delivered files waiting for the next commits.
constexpr std::size_t spares_made_ahead = 8;
constexpr std::size_t spares_kept = 64;

Spool::Spool(std::string dir)
    : dir_(std::move(dir)), spares_(std::make_unique<SpareFiles>(dir_, spares_made_ahead, spares_kept)) {}

std::optional<IoError> Spool::open() {
  if (auto error = make_directories(dir_, 0700)) return error;
  return make_directories(dir_ + "/corrupt", 0700);
}

std::optional<IoError> Spool::commit(const std::string& queue_id, const v1::SpoolMessage& message,
                                    bool* already_spooled) {
  if (auto error = check_id(dir_, queue_id)) return error;
  const std::string name = queue_id + std::string(message_suffix);
  // A resubmission after a lost acknowledgement: keep the first copy. The
  // first commit may have renamed the file and then failed to fsync the
  // directory, so sync it before saying the message is durable.
  const bool already = exists(dir_ + "/" + name);
  if (already_spooled != nullptr) *already_spooled = already;
  if (already) return fsync_directory(dir_);
  return write_file_durably(dir_, name, serialize(message).view(), spares_.get());
}

std::optional<IoError> Spool::save_state(const std::string& queue_id, const v1::SpoolState& state) {
  if (auto error = check_id(dir_, queue_id)) return error;
  return write_file_durably(dir_, queue_id + std::string(state_suffix), state.SerializeAsString());
}

std::optional<IoError> Spool::remove(const std::string& queue_id, bool durable) {
  if (auto error = check_id(dir_, queue_id)) return error;
  for (std::string_view suffix : {state_suffix, message_suffix}) {
    const std::string name = queue_id + std::string(suffix);
    if (durable) {
      if (auto error = remove_file_durably(dir_, name)) return error;
    } else if (suffix == message_suffix && spares_->recycle(dir_ + "/" + name)) {
      // Kept as a spare for a later commit: no inode freed and allocated.
    } else if (::unlink((dir_ + "/" + name).c_str()) != 0 && errno != ENOENT) {
      const int err = errno;
      return io_error("unlink", dir_ + "/" + name, err);
    }
  }
  return std::nullopt;
}

std::variant<SpooledMessage, IoError> Spool::load(const std::string& queue_id) const {
  if (auto error = check_id(dir_, queue_id)) return *error;
  SpooledMessage loaded;
  loaded.queue_id = queue_id;
  const std::string message_path = dir_ + "/" + queue_id + std::string(message_suffix);
  auto bytes = read_file(message_path);
  if (auto* error = std::get_if<IoError>(&bytes)) return *error;
  // Any byte string, even an empty one, may parse as some SpoolMessage; one
  // without recipients (say, a file emptied by a crash on a file system
  // that lost its data) was never written by commit().
  if (!loaded.message.ParseFromString(std::get<std::string>(bytes)) ||
      loaded.message.envelope().recipients_size() == 0) {
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
  std::size_t spares_removed = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    if (name.starts_with(".tmp-spare-")) {
      // Made ahead for commits by a process that did not stop cleanly.
      ++spares_removed;
      if (::unlink(entry.path().c_str()) != 0) {
        log::error("spool_temp_remove_failed").kv("queue_id", "").kv("file", name).kv("error", std::strerror(errno));
      }
    } else if (name.starts_with(".tmp-")) {
      // A write that crashed before its rename: it was never acknowledged.
      log::info("spool_temp_removed").kv("queue_id", queue_id_of_temp(name)).kv("file", name);
      if (auto error = remove_file_durably(dir_, name)) {
        log::error("spool_temp_remove_failed").kv("queue_id", queue_id_of_temp(name)).kv("error", error->what);
      }
    } else if (name.ends_with(message_suffix) && is_valid_queue_id(name.substr(0, name.size() - message_suffix.size()))) {
      message_ids.push_back(name.substr(0, name.size() - message_suffix.size()));
    } else if (name.ends_with(state_suffix) && is_valid_queue_id(name.substr(0, name.size() - state_suffix.size()))) {
      state_ids.push_back(name.substr(0, name.size() - state_suffix.size()));
    } else {
      // Not a name we write: never trust it as a queue id, never delete it.
      log::warning("spool_file_ignored").kv("queue_id", "").kv("file", name);
    }
  }
  if (ec) log::error("spool_scan_failed").kv("spool", dir_).kv("error", ec.message());
  if (spares_removed > 0) log::info("spool_spares_removed").kv("queue_id", "").kv("count", spares_removed);
  std::sort(message_ids.begin(), message_ids.end());

  for (const auto& queue_id : state_ids) {
    if (!std::binary_search(message_ids.begin(), message_ids.end(), queue_id)) {
      // Nothing writes a state before its message and remove() deletes the
      // state first, so an orphan is debris (a .msg deleted by hand).
      log::warning("spool_orphan_state_removed").kv("queue_id", queue_id);
      if (auto error = remove_file_durably(dir_, queue_id + std::string(state_suffix))) {
        log::error("spool_orphan_state_remove_failed").kv("queue_id", queue_id).kv("error", error->what);
      }
    }
  }

  std::vector<SpooledMessage> recovered;
  for (const auto& queue_id : message_ids) {
    auto loaded = load(queue_id);
    if (auto* error = std::get_if<IoError>(&loaded)) {
      if (error->err == EBADMSG) {
        quarantine(queue_id, error->what);
      } else {
        // Unreadable now (EIO, EACCES ...) is not proof of corruption:
        // leave the file where it is for the next start or an operator.
        log::error("spool_message_unreadable").kv("queue_id", queue_id).kv("error", error->what);
      }
      continue;
    }
    recovered.push_back(std::move(std::get<SpooledMessage>(loaded)));
  }
  return recovered;
}

void Spool::quarantine(const std::string& queue_id, const std::string& reason) {
  const std::string name = queue_id + std::string(message_suffix);
  const std::string from = dir_ + "/" + name;
  const std::string to = dir_ + "/corrupt/" + name;
  // Moved, never deleted: an operator may still recover the mail by hand.
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    log::error("spool_quarantine_failed").kv("queue_id", queue_id).kv("error", io_error("rename", to, errno).what);
    return;
  }
  log::error("spool_message_quarantined").kv("queue_id", queue_id).kv("error", reason).kv("moved_to", to);
  fsync_directory(dir_ + "/corrupt");
  remove_file_durably(dir_, queue_id + std::string(state_suffix));
  fsync_directory(dir_);
}

uint64_t Spool::message_size(const std::string& queue_id) const {
  if (check_id(dir_, queue_id)) return 0;
  struct stat st {};
  if (::stat((dir_ + "/" + queue_id + std::string(message_suffix)).c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_size);
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
