#pragma once
// `mpmail list` and `mpmail read`: a Maildir for its owner on a terminal.
// Everything shown from a message passes common/cli/terminal_text.hpp first.
#include <cstddef>
#include <optional>
#include <ostream>
#include <string>

#include "mua/cli/exit_status.hpp"

namespace mailpipe::mua {

// A message file bigger than this is read only this far (and says so):
// the MSA takes 25 MiB by default, so this is room for any real mail.
constexpr std::size_t max_read_bytes = 64 * 1024 * 1024;

struct ReadOptions {
  std::string maildir;
  std::size_t number = 0;  // 1-based, as `list` shows
  std::optional<std::string> save_attachments;  // directory
};

// One line per message in new/ and cur/, oldest first: number, N when not
// yet seen, date, sender, subject, size.
Exit list_messages(const std::string& maildir, std::ostream& out);

// Shows message `number`, saves its attachments when asked, then marks it
// seen. `notes` gets what was broken in the message.
Exit read_message(const ReadOptions& options, std::ostream& out, std::ostream& notes);

}  // namespace mailpipe::mua
