#pragma once
// Dropping root (Postfix's mail_owner, OpenSMTPD's _smtpd): a process
// started as root binds its ports and reads its keys, then becomes the
// configured unprivileged user for good, so a bug in code that parses
// network input cannot act as root. The MDA becomes the mailbox owner, so
// the Maildirs it writes belong to the user Dovecot reads them as.
//
// Config: `user` in each process config (MsaConfig, MtaConfig, MdaConfig).
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace mailpipe {

struct RunAs {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;  // the user's primary group
};

// nullopt when `user` is empty. Throws std::runtime_error when the user
// does not exist or is root.
std::optional<RunAs> resolve_run_as(const std::string& user);

// Makes `path` (and with `recursive` everything below it) belong to the
// user, when we are root; data written by an earlier run as root stays
// usable. Throws std::runtime_error naming the path.
void give_to(const std::string& path, const RunAs& user, bool recursive);

// setgroups, setgid, setuid, then checks that root cannot be regained.
// Throws std::runtime_error on any failure (never go on half-dropped),
// e.g. when not started as root nor as that user.
void drop_privileges(const RunAs& user);

// One warning line when running as root without a `user` to drop to.
void warn_if_root(std::string_view process_name);

}  // namespace mailpipe
