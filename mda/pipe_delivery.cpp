#include "mda/pipe_delivery.hpp"

#include <pwd.h>
#include <signal.h>
#include <sysexits.h>
#include <unistd.h>

#include <cstring>

#include "mda/maildir_delivery.hpp"
#include "mda/config/pipe_command.hpp"

namespace mailpipe::mda {
namespace {

const char* sysexit_name(int code) {
  switch (code) {
    case EX_USAGE: return "EX_USAGE";
    case EX_DATAERR: return "EX_DATAERR";
    case EX_NOINPUT: return "EX_NOINPUT";
    case EX_NOUSER: return "EX_NOUSER";
    case EX_NOHOST: return "EX_NOHOST";
    case EX_UNAVAILABLE: return "EX_UNAVAILABLE";
    case EX_SOFTWARE: return "EX_SOFTWARE";
    case EX_OSERR: return "EX_OSERR";
    case EX_OSFILE: return "EX_OSFILE";
    case EX_CANTCREAT: return "EX_CANTCREAT";
    case EX_IOERR: return "EX_IOERR";
    case EX_TEMPFAIL: return "EX_TEMPFAIL";
    case EX_PROTOCOL: return "EX_PROTOCOL";
    case EX_NOPERM: return "EX_NOPERM";
    case EX_CONFIG: return "EX_CONFIG";
    default: return nullptr;
  }
}

// The exit codes that mean "not now, but later" (sysexits.h).
bool transient_exit(int code) {
  return code == EX_TEMPFAIL || code == EX_OSERR || code == EX_IOERR || code == EX_CANTCREAT;
}

// The first non-empty line, printable, bounded: a status text is one line.
std::string first_line(std::string_view output) {
  std::size_t start = 0;
  while (start < output.size() && (output[start] == '\n' || output[start] == '\r')) ++start;
  std::string line;
  for (std::size_t i = start; i < output.size() && line.size() < 200; ++i) {
    const char c = output[i];
    if (c == '\n' || c == '\r') break;
    const auto byte = static_cast<unsigned char>(c);
    line += (byte < 0x20 || byte == 0x7f) ? '?' : c;
  }
  return line;
}

v1::RecipientResult result(const std::string& address, v1::Outcome outcome, uint32_t code, const char* enhanced,
                           std::string text) {
  v1::RecipientResult out;
  out.set_address(address);
  out.set_outcome(outcome);
  out.mutable_status()->set_code(code);
  out.mutable_status()->set_enhanced(enhanced);
  out.mutable_status()->set_text(std::move(text));
  return out;
}

// A fixed environment: nothing of the MDA's own leaks into the command.
std::vector<std::string> child_environment(const std::optional<ChildUser>& user) {
  std::vector<std::string> env{"PATH=/usr/local/bin:/usr/bin:/bin"};
  std::string name, home = "/";
  if (user) {
    name = user->name;
    home = user->home;
  } else if (const passwd* self = ::getpwuid(::geteuid())) {
    name = self->pw_name;
    if (self->pw_dir && self->pw_dir[0] == '/') home = self->pw_dir;
  }
  env.push_back("HOME=" + home);
  if (!name.empty()) {
    env.push_back("USER=" + name);
    env.push_back("LOGNAME=" + name);
  }
  return env;
}

}  // namespace

v1::RecipientResult pipe_result(const std::string& address, const std::string& program, const ChildResult& run,
                                std::chrono::milliseconds timeout) {
  using End = ChildResult::End;
  switch (run.end) {
    case End::not_started:
      return result(address, v1::TEMPFAIL, 451, "4.3.0", "Cannot run " + program + ": " + first_line(run.error));
    case End::timed_out:
      return result(address, v1::TEMPFAIL, 451, "4.3.0",
                    program + " did not finish within " + std::to_string(timeout.count()) + " ms and was killed");
    case End::signaled: {
      const char* name = run.signal > 0 ? sigabbrev_np(run.signal) : nullptr;
      return result(address, v1::TEMPFAIL, 451, "4.3.0",
                    program + " was killed by signal " + std::to_string(run.signal) +
                        (name ? std::string(" (SIG") + name + ")" : "") + (run.error.empty() ? "" : ": " + run.error));
    }
    case End::exited:
      break;
  }
  if (run.exit_code == 0) return result(address, v1::DELIVERED, 250, "2.0.0", "Delivered by " + program);
  std::string text = program + " exited with " + std::to_string(run.exit_code);
  if (const char* name = sysexit_name(run.exit_code)) text += std::string(" (") + name + ")";
  const std::string said = first_line(run.err);
  if (!said.empty()) text += ": " + said;
  if (transient_exit(run.exit_code)) return result(address, v1::TEMPFAIL, 451, "4.3.0", std::move(text));
  return result(address, v1::PERMFAIL, 550, "5.3.0", std::move(text));
}

asio::awaitable<PipeOutcome> deliver_by_pipe(const PipeTarget& target, const v1::Deliver& request,
                                             const std::string& recipient) {
  const ExpandedCommand expanded =
      expand_command(target.command, PlaceholderValues::of(recipient, request.envelope()));
  PipeOutcome outcome;
  if (expanded.refusal) {
    outcome.result = result(recipient, v1::PERMFAIL, expanded.refusal->code(), expanded.refusal->enhanced().c_str(),
                            expanded.refusal->text());
    co_return outcome;
  }
  ChildSpec spec;
  spec.argv = expanded.argv;
  spec.env = child_environment(target.user);
  spec.input = maildir_content(request.envelope().mail_from(), recipient, request.message());
  spec.user = target.user;
  spec.timeout = target.timeout;
  outcome.run = co_await run_child(spec);
  outcome.result = pipe_result(recipient, spec.argv.front(), *outcome.run, target.timeout);
  co_return outcome;
}

}  // namespace mailpipe::mda
