#include "ctl/queue_commands.hpp"

#include <ostream>

#include "common/cli/terminal_text.hpp"
#include "common/mail/queue_id.hpp"
#include "ctl/admin_client.hpp"
#include "ctl/queue_format.hpp"

namespace mailpipe::ctl {
namespace {

std::string status_text(const v1::Status& status) {
  std::string text = std::to_string(status.code());
  if (!status.enhanced().empty()) text += " " + status.enhanced();
  if (!status.text().empty()) text += " " + status.text();
  return cli::for_terminal(text);
}

void check_queue_id(const std::string& id) {
  if (!is_valid_queue_id(id)) {
    throw Failure(Exit::failed, "\"" + cli::for_terminal(id) +
                                    "\" is not a queue id: ids are 8 to 40 characters of 0-9 and A-Z, "
                                    "as `mailpipectl queue list` shows them (without the ! or * after them)");
  }
}

// Reports the MTAs that did not answer; true when there was one.
bool report_unreachable(const std::vector<MtaAnswer>& answers, std::ostream& err) {
  bool any = false;
  for (const MtaAnswer& answer : answers) {
    if (answer.reply) continue;
    err << "mailpipectl: " << answer.problem << "\n";
    any = true;
  }
  return any;
}

const char* past_tense(v1::QueueAction action) {
  switch (action) {
    case v1::QUEUE_FLUSH: return "flushed (due now)";
    case v1::QUEUE_HOLD: return "held";
    case v1::QUEUE_RELEASE: return "released (due now)";
    case v1::QUEUE_DELETE: return "deleted";
    default: return "done";
  }
}

v1::AdminRequest request_for(v1::QueueAction action, const std::string& queue_id) {
  v1::AdminRequest request;
  request.set_action(action);
  request.set_queue_id(queue_id);
  return request;
}

// Answers to a request about one message: 250 from one MTA is the
// message; 550 from all of them is "no such message".
struct OneMessage {
  const MtaAnswer* found = nullptr;
  bool unreachable = false;
  std::vector<const MtaAnswer*> refused;  // neither 250 nor 550: busy, spool error
};

OneMessage sort_answers(const std::vector<MtaAnswer>& answers) {
  OneMessage result;
  for (const MtaAnswer& answer : answers) {
    if (!answer.reply) {
      result.unreachable = true;
    } else if (answer.reply->status().code() == 250) {
      if (result.found == nullptr) result.found = &answer;
    } else if (answer.reply->status().code() != 550) {
      result.refused.push_back(&answer);
    }
  }
  return result;
}

// Neither done nor found: says why, and the exit status.
Exit not_done(const OneMessage& result, const std::string& queue_id, std::size_t asked, std::ostream& err) {
  for (const MtaAnswer* answer : result.refused) {
    err << "mailpipectl: " << cli::for_terminal(answer->name()) << " refused: " << status_text(answer->reply->status())
        << "\n";
  }
  if (!result.refused.empty()) return Exit::failed;
  if (result.unreachable) {
    err << "mailpipectl: " << queue_id << " is not in the queue of any MTA that answered; "
        << "it may be in one that did not\n";
    return Exit::unreachable;
  }
  err << "mailpipectl: no such message " << queue_id << " in " << (asked == 1 ? "the MTA's queue" : "any MTA's queue")
      << " (delivered or deleted already?); `mailpipectl queue list` shows what is queued\n";
  return Exit::failed;
}

}  // namespace

Exit queue_list(const Settings& settings, bool json, std::ostream& out, std::ostream& err) {
  const auto answers = ask_every_mta(settings.mta_endpoints(), request_for(v1::QUEUE_LIST, ""), settings.timeout());
  std::vector<MtaQueue> queues;
  Exit exit = Exit::ok;
  for (const MtaAnswer& answer : answers) {
    if (!answer.reply) continue;
    if (answer.reply->status().code() != 250) {
      err << "mailpipectl: " << cli::for_terminal(answer.name()) << " refused: " << status_text(answer.reply->status())
          << "\n";
      exit = Exit::failed;
      continue;
    }
    queues.push_back({answer.name(), {answer.reply->messages().begin(), answer.reply->messages().end()}});
  }
  if (report_unreachable(answers, err)) exit = Exit::unreachable;
  out << (json ? queue_json(queues) : format_queue(queues));
  return exit;
}

Exit queue_show(const Settings& settings, const std::string& queue_id, bool json, std::ostream& out,
                std::ostream& err) {
  check_queue_id(queue_id);
  const auto answers =
      ask_every_mta(settings.mta_endpoints(), request_for(v1::QUEUE_SHOW, queue_id), settings.timeout());
  report_unreachable(answers, err);
  const OneMessage result = sort_answers(answers);
  if (result.found == nullptr || result.found->reply->messages_size() == 0) {
    return not_done(result, queue_id, answers.size(), err);
  }
  const auto& message = result.found->reply->messages(0);
  out << (json ? message_json(result.found->name(), message) + "\n" : format_message(result.found->name(), message));
  return Exit::ok;
}

Exit queue_action(const Settings& settings, v1::QueueAction action, const std::string& queue_id, std::ostream& out,
                  std::ostream& err) {
  if (!queue_id.empty() || action != v1::QUEUE_FLUSH) check_queue_id(queue_id);
  const auto answers = ask_every_mta(settings.mta_endpoints(), request_for(action, queue_id), settings.timeout());
  const bool unreachable = report_unreachable(answers, err);

  if (queue_id.empty()) {
    // Flush of everything: every MTA must do it.
    Exit exit = unreachable ? Exit::unreachable : Exit::ok;
    for (const MtaAnswer& answer : answers) {
      if (!answer.reply) continue;
      if (answer.reply->status().code() == 250) {
        out << "every message flushed (due now) by " << cli::for_terminal(answer.name()) << "\n";
      } else {
        err << "mailpipectl: " << cli::for_terminal(answer.name()) << " refused: " << status_text(answer.reply->status())
            << "\n";
        if (exit == Exit::ok) exit = Exit::failed;
      }
    }
    return exit;
  }

  const OneMessage result = sort_answers(answers);
  if (result.found == nullptr) return not_done(result, queue_id, answers.size(), err);
  out << queue_id << ": " << past_tense(action) << " by " << cli::for_terminal(result.found->name()) << "\n";
  return Exit::ok;
}

}  // namespace mailpipe::ctl
