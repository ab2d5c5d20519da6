#include "ctl/user_commands.hpp"

#include <unistd.h>

#include <ostream>
#include <variant>

#include "common/cli/terminal_text.hpp"
#include "common/smtp/address.hpp"
#include "ctl/passwd_edit.hpp"
#include "ctl/passwd_file_update.hpp"
#include "ctl/password_hash.hpp"
#include "ctl/password_input.hpp"

namespace mailpipe::ctl {
namespace {

constexpr const char* reload_hint =
    "reload the msa and mta (systemctl reload on their units, or kill -HUP their pids) to apply\n";

[[noreturn]] void refuse_address(std::string_view address, const std::string& why) {
  throw Failure(Exit::failed, "\"" + cli::for_terminal(address) + "\" cannot be a user: " + why);
}

HashScheme scheme_of(const Invocation& invocation) {
  if (!invocation.scheme) return HashScheme::yescrypt;
  if (auto scheme = hash_scheme_named(*invocation.scheme)) return *scheme;
  throw Failure(Exit::usage, "--scheme " + cli::for_terminal(*invocation.scheme) + ": use yescrypt or sha512-crypt");
}

// The new password's passwd-file value; the password itself is wiped here.
std::string new_secret(const Invocation& invocation) {
  const HashScheme scheme = scheme_of(invocation);
  Secret password;
  if (invocation.password_stdin) {
    read_password_line(STDIN_FILENO, password);
  } else {
    read_password_from_terminal(password);
  }
  return hash_password(password, scheme);  // ~Secret wipes it
}

}  // namespace

std::string user_name_for(std::string_view address) {
  for (char c : address) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) refuse_address(address, "it holds a space or a control byte");
    if (c == ':') refuse_address(address, "':' separates the fields of the passwd-file");
  }
  if (address.starts_with('#')) refuse_address(address, "a line starting with '#' is a comment in the passwd-file");
  const auto parsed = smtp::parse_path("<" + std::string(address) + ">", true, false);
  const auto* mailbox = std::get_if<smtp::Address>(&parsed);
  if (mailbox == nullptr) {
    const bool too_long = std::get<smtp::AddressError>(parsed) == smtp::AddressError::too_long;
    refuse_address(address, too_long ? "longer than RFC 5321 allows (64 octets before @, 254 in all)"
                                     : "not an address (RFC 5321 user@domain.example)");
  }
  if (mailbox->domain.empty()) refuse_address(address, "it needs a domain: user@domain.example");
  return smtp::lowercase_ascii(mailbox->str());
}

Exit run_user_command(const Invocation& invocation, const Settings& settings, std::ostream& out) {
  const std::string user = user_name_for(invocation.argument);
  PasswdFileUpdate update{settings.passwd_file(), invocation.command == Command::user_add, {}};

  switch (invocation.command) {
    case Command::user_add: {
      // Checked before the password is typed, and again under the lock.
      (void)add_user(read_passwd_text(update.path, true), user, "");  // refuses a user already there
      const std::string secret = new_secret(invocation);
      update_passwd_file(update, [&](std::string_view text) { return add_user(text, user, secret); });
      out << "added " << user << " to " << update.path << "\n";
      break;
    }
    case Command::user_passwd: {
      const std::string before = read_passwd_text(update.path, false);
      (void)set_password(before, user, "");  // no such user: say so before asking for a password
      const std::string secret = new_secret(invocation);
      update_passwd_file(update, [&](std::string_view text) { return set_password(text, user, secret); });
      out << "changed the password of " << user << " in " << update.path << "\n";
      break;
    }
    case Command::user_del:
      update_passwd_file(update, [&](std::string_view text) { return remove_user(text, user); });
      out << "removed " << user << " from " << update.path << "\n";
      break;
    default:
      return Exit::usage;
  }
  out << reload_hint;
  return Exit::ok;
}

}  // namespace mailpipe::ctl
