#pragma once
// The MTA's durable queue: one directory per MTA. Each message is
//   <qid>.msg    serialized SpoolMessage (envelope + body), written once
//   <qid>.state  serialized SpoolState (per-recipient progress), rewritten
//                after each attempt; missing = all pending, never tried
// both through write_file_durably, so a message that was acknowledged
// survives a crash (DESIGN rule 1). Files that cannot be parsed are moved
// to corrupt/ for an operator, never deleted.
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/os/durable_file.hpp"
#include "common/os/spare_files.hpp"
#include "spool.pb.h"

namespace mailpipe::mta {

struct SpooledMessage {
  std::string queue_id;
  v1::SpoolMessage message;
  v1::SpoolState state;
};

class Spool final {
 public:
  explicit Spool(std::string dir);

  // Creates the spool directory (and corrupt/) when missing.
  std::optional<IoError> open();
  // Idempotent: a message already spooled under this id is kept as is (a
  // front end resubmitting after a lost acknowledgement).
  // `already_spooled` (optional) says which of the two happened.
  std::optional<IoError> commit(const std::string& queue_id, const v1::SpoolMessage& message,
                                bool* already_spooled = nullptr);
  std::optional<IoError> save_state(const std::string& queue_id, const v1::SpoolState& state);
  // Removes .state then .msg: a crash in between leaves a message that is
  // delivered again (duplicate), never a state without its message.
  // `durable`: the directory is fsync'd after each unlink, so the removal
  // survives a crash (an operator's delete); without, a crash may bring
  // the message back (delivered again: for a message that was delivered),
  // and the .msg file becomes a spare for a later commit when there is
  // room (SpareFiles::recycle) instead of being unlinked.
  std::optional<IoError> remove(const std::string& queue_id, bool durable = true);
  std::variant<SpooledMessage, IoError> load(const std::string& queue_id) const;
  // At start-up: removes leftover temporary files and orphan states, moves
  // messages that do not parse to corrupt/, skips (and logs) files whose
  // name is not "<valid queue id>.msg", returns the rest sorted by queue id.
  // Every method refuses a queue id that fails is_valid_queue_id (EINVAL).
  std::vector<SpooledMessage> recover();

  // Moves <qid>.msg to corrupt/ (never deletes it: an operator may still
  // recover the mail) and drops its state, with a log line.
  void quarantine(const std::string& queue_id, const std::string& reason);

  // Makes spare temporary files for commit() (see common/os/spare_files.hpp);
  // blocking, for a worker. Call it only after recover(), which removes
  // every temporary file it finds.
  void refill_spares() { spares_->refill(); }
  bool spares_low() const { return spares_->low(); }

  // Bytes of <qid>.msg; 0 when it cannot be read.
  uint64_t message_size(const std::string& queue_id) const;

  const std::string& dir() const { return dir_; }

 private:

  std::string dir_;
  // Spares for commit(): the 250 waits for those writes. A pointer, so a
  // Spool stays movable.
  std::unique_ptr<SpareFiles> spares_;
};

// Every envelope recipient pending, due at `now_unix_ms`.
v1::SpoolState initial_state(const v1::SpoolMessage& message, int64_t now_unix_ms);

}  // namespace mailpipe::mta
