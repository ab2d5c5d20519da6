#pragma once
// One Maildir (https://cr.yp.to/proto/maildir.html): a message is written
// to tmp/ under a unique name, fsync'd, then moved into new/ and new/ is
// fsync'd; only then does it count as delivered. Readers (Dovecot, mutt)
// never see a partial file.
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "common/os/durable_file.hpp"

namespace mailpipe::mda {

class Maildir final {
 public:
  explicit Maildir(std::string path);

  // Creates <path>/{tmp,new,cur} (mode 0700) when missing, durably.
  std::optional<IoError> create_if_missing();
  // Returns the file name in new/. The name uses this host's name.
  std::variant<std::string, IoError> deliver(std::string_view content);
  // Same, with a unique name the caller made (unique_name(hostname)).
  // ENOSPC/EDQUOT and every other failure come back as IoError with errno;
  // nothing is left in tmp/ or new/ after a failure.
  std::variant<std::string, IoError> deliver_as(std::string_view content, const std::string& name);

  // "<seconds>.M<usec>P<pid>Q<counter>R<random>.<host>"; '/' and ':' in the
  // host name become \057 and \072, as the spec asks.
  static std::string unique_name(std::string_view hostname);

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace mailpipe::mda
