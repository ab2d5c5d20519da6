#include "ctl/passwd_edit.hpp"

#include <vector>

#include "common/smtp/address.hpp"
#include "ctl/exit_status.hpp"

namespace mailpipe::ctl {
namespace {

// Where one user's line is: [begin, end) without its "\n", and the
// password field inside it.
struct UserLine {
  std::size_t begin = 0;
  std::size_t end = 0;         // before "\r\n" or "\n" (or the end of the text)
  std::size_t next = 0;        // start of the following line
  std::size_t secret_begin = 0;
  std::size_t secret_end = 0;  // before ":uid..." extras, or the line's end
  std::size_t number = 0;      // 1-based, for messages
};

// The same lines PasswdFile reads as users: not blank, not a comment.
std::vector<UserLine> lines_of(std::string_view text, std::string_view user) {
  std::vector<UserLine> found;
  std::size_t pos = 0;
  std::size_t number = 0;
  while (pos < text.size()) {
    std::size_t newline = text.find('\n', pos);
    const std::size_t next = newline == std::string_view::npos ? text.size() : newline + 1;
    std::size_t end = newline == std::string_view::npos ? text.size() : newline;
    if (end > pos && text[end - 1] == '\r') --end;
    ++number;
    const std::string_view line = text.substr(pos, end - pos);
    const std::size_t first = line.find_first_not_of(" \t");
    const std::size_t colon = line.find(':');
    if (first != std::string_view::npos && line[first] != '#' && colon != std::string_view::npos &&
        smtp::lowercase_ascii(line.substr(0, colon)) == user) {
      const std::size_t extras = line.find(':', colon + 1);
      found.push_back({pos, end, next, pos + colon + 1, extras == std::string_view::npos ? end : pos + extras, number});
    }
    pos = next;
  }
  return found;
}

UserLine the_line(std::string_view text, std::string_view user) {
  const auto found = lines_of(text, user);
  if (found.empty()) {
    throw Failure(Exit::failed, "no user " + std::string(user) + " in the passwd-file; "
                                "`mailpipectl user add " + std::string(user) + "` adds one");
  }
  if (found.size() > 1) {
    throw Failure(Exit::failed, std::string(user) + " is on lines " + std::to_string(found[0].number) + " and " +
                                    std::to_string(found[1].number) +
                                    " of the passwd-file; the MSA refuses such a file: remove one by hand");
  }
  return found[0];
}

}  // namespace

bool has_user(std::string_view text, std::string_view user) { return !lines_of(text, user).empty(); }

std::string add_user(std::string_view text, std::string_view user, std::string_view secret) {
  if (has_user(text, user)) {
    throw Failure(Exit::failed, std::string(user) + " is already in the passwd-file; "
                                "`mailpipectl user passwd " + std::string(user) + "` changes the password");
  }
  std::string out(text);
  if (!out.empty() && out.back() != '\n') out += '\n';  // a last line without its newline
  out += std::string(user) + ":" + std::string(secret) + "\n";
  return out;
}

std::string set_password(std::string_view text, std::string_view user, std::string_view secret) {
  const UserLine line = the_line(text, user);
  std::string out(text.substr(0, line.secret_begin));
  out += secret;
  out += text.substr(line.secret_end);
  return out;
}

std::string remove_user(std::string_view text, std::string_view user) {
  const UserLine line = the_line(text, user);
  std::string out(text.substr(0, line.begin));
  out += text.substr(line.next);
  return out;
}

}  // namespace mailpipe::ctl
