#pragma once
// The argv of a PIPE rule's command for one recipient: placeholders in the
// arguments are replaced by envelope values, and the result is exec'd
// directly (no shell, so no quoting and no word splitting).
//
//   {recipient}  the recipient address as the MTA gave it
//   {user}       its local part (before the last '@')
//   {domain}     its domain
//   {sender}     the envelope sender, "" for the null sender (a bounce)
//   {queue_id}   the message's queue id
//   {{ and }}    a literal brace
//
// Security: a value from the envelope must never become an option of the
// command (`procmail -d {user}` with a user "-oxyz"), so a value starting
// with '-' refuses the recipient; a control byte (NUL would cut an
// argument) refuses it too.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailpipe.pb.h"

namespace mailpipe::mda {

struct PlaceholderValues {
  std::string recipient;
  std::string user;
  std::string domain;
  std::string sender;
  std::string queue_id;

  static PlaceholderValues of(const std::string& recipient, const v1::Envelope& envelope);
};

// Why `argument` (of a configured command) is not a valid template, or "".
std::string template_problem(std::string_view argument);

struct ExpandedCommand {
  std::vector<std::string> argv;  // when `refusal` is unset
  std::optional<v1::Status> refusal;  // PERMFAIL 550 5.1.3 (5.1.7 for the sender)
};

// `command` must have passed template_problem() for every argument.
ExpandedCommand expand_command(const std::vector<std::string>& command, const PlaceholderValues& values);

}  // namespace mailpipe::mda
