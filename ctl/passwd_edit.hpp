#pragma once
// Edits the text of a Dovecot passwd-file (format in
// common/auth/passwd_file.hpp) one user at a time, keeping every other
// line byte for byte: comments, blank lines, CRLF endings, the extra
// uid:gid:... fields of the user being changed. Pure text in, text out;
// PasswdFileUpdate does the locking and the durable write.
#include <string>
#include <string_view>

namespace mailpipe::ctl {

// `user` is lowercase, as stored (PasswdFile compares lowercased names).
// `secret` is the whole password field, "{CRYPT}$y$...".
// Each throws Failure(Exit::failed) saying what to do: add of a user who
// is there, passwd or del of one who is not, a user on two lines.
std::string add_user(std::string_view text, std::string_view user, std::string_view secret);
std::string set_password(std::string_view text, std::string_view user, std::string_view secret);
std::string remove_user(std::string_view text, std::string_view user);

bool has_user(std::string_view text, std::string_view user);

}  // namespace mailpipe::ctl
