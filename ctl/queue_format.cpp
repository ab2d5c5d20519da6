#include "ctl/queue_format.hpp"

#include <algorithm>
#include <ctime>

#include "common/cli/terminal_text.hpp"
#include "ctl/json.hpp"

namespace mailpipe::ctl {
namespace {

// Column widths of the listing: a queue id is 18 characters today (up to
// 40 are valid; a longer one just pushes the line right).
constexpr std::size_t id_column = 20;
constexpr std::size_t size_column = 9;
constexpr std::size_t state_column = 10;  // "delivered" and a space

std::string pad_right(std::string text, std::size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

std::string pad_left(std::string text, std::size_t width) {
  if (text.size() < width) text.insert(0, width - text.size(), ' ');
  return text;
}

std::string plural(uint64_t count, const char* one, const char* many) {
  return std::to_string(count) + " " + (count == 1 ? one : many);
}

std::string sender(const v1::QueuedMessage& message) {
  return message.mail_from().empty() ? "<>" : cli::for_terminal(message.mail_from());
}

std::string status_text(const v1::Status& status) {
  std::string text = std::to_string(status.code());
  if (!status.enhanced().empty()) text += " " + status.enhanced();
  if (!status.text().empty()) text += " " + status.text();
  return cli::for_terminal(text);
}

// "pending   bob@example.test, 2 attempts, next 2024-01-02 03:05:00 (451 4.4.1 ...)"
std::string recipient_line(const v1::QueuedMessage& message, const v1::QueuedRecipient& recipient) {
  std::string line =
      "  " + pad_right(cli::for_terminal(recipient.state()), state_column) + cli::for_terminal(recipient.address());
  line += ", " + plural(recipient.attempts(), "attempt", "attempts");
  if (recipient.state() == "pending") {
    if (message.held()) {
      line += ", held";
    } else if (recipient.next_attempt_unix_ms() != 0) {
      line += ", next " + local_time(recipient.next_attempt_unix_ms());
    }
  }
  if (recipient.last_status().code() != 0) line += " (" + status_text(recipient.last_status()) + ")";
  return line + "\n";
}

std::vector<const v1::QueuedMessage*> in_arrival_order(const std::vector<v1::QueuedMessage>& messages) {
  std::vector<const v1::QueuedMessage*> sorted;
  for (const auto& message : messages) sorted.push_back(&message);
  std::sort(sorted.begin(), sorted.end(), [](const v1::QueuedMessage* a, const v1::QueuedMessage* b) {
    if (a->received_unix_ms() != b->received_unix_ms()) return a->received_unix_ms() < b->received_unix_ms();
    return a->queue_id() < b->queue_id();
  });
  return sorted;
}

std::string flags(const v1::QueuedMessage& message) {
  // mailq's marks: '!' held, '*' being delivered now.
  return std::string(message.held() ? "!" : "") + (message.in_delivery() ? "*" : "");
}

std::string yes_no(bool value) { return value ? "yes" : "no"; }

std::string json_bool(bool value) { return value ? "true" : "false"; }

}  // namespace

std::string local_time(int64_t unix_ms) {
  if (unix_ms == 0) return "-";
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm parts{};
  if (::localtime_r(&seconds, &parts) == nullptr) return std::to_string(unix_ms);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S", &parts);
  return buffer;
}

std::string format_queue(const std::vector<MtaQueue>& queues) {
  std::string out;
  uint64_t messages = 0;
  uint64_t bytes = 0;
  for (const MtaQueue& queue : queues) messages += queue.messages.size();
  if (messages > 0) {
    out += pad_right("-Queue ID-", id_column) + pad_left("--Size--", size_column) +
           " ----Arrival Time---  -Sender/Recipient-------\n";
  }
  for (const MtaQueue& queue : queues) {
    if (queues.size() > 1)
      out += "MTA " + cli::for_terminal(queue.mta) + ": " + plural(queue.messages.size(), "message", "messages") + "\n";
    for (const v1::QueuedMessage* message : in_arrival_order(queue.messages)) {
      bytes += message->size();
      out += pad_right(cli::for_terminal(message->queue_id()) + flags(*message), id_column - 1) + " " +
             pad_left(std::to_string(message->size()), size_column) + " " + local_time(message->received_unix_ms()) +
             "  " + sender(*message) + "\n";
      for (const auto& recipient : message->recipients()) out += recipient_line(*message, recipient);
    }
  }
  out += "-- " + plural(messages, "message", "messages") + " in " + plural(queues.size(), "MTA", "MTAs") + ", " +
         plural(bytes, "byte", "bytes") + "\n";
  return out;
}

std::string format_message(const std::string& mta, const v1::QueuedMessage& message) {
  std::string out;
  out += "queue id: " + cli::for_terminal(message.queue_id()) + "\n";
  out += "mta: " + cli::for_terminal(mta) + "\n";
  out += "size: " + plural(message.size(), "byte", "bytes") + "\n";
  out += "arrival: " + local_time(message.received_unix_ms()) + "\n";
  out += "sender: " + sender(message) + "\n";
  out += "held: " + yes_no(message.held()) + "\n";
  out += "attempt running: " + yes_no(message.in_delivery()) + "\n";
  for (const auto& recipient : message.recipients()) {
    out += "recipient: " + cli::for_terminal(recipient.address()) + "\n";
    out += "  state: " + cli::for_terminal(recipient.state()) + "\n";
    out += "  attempts: " + std::to_string(recipient.attempts()) + "\n";
    if (recipient.state() == "pending") out += "  next attempt: " + local_time(recipient.next_attempt_unix_ms()) + "\n";
    if (recipient.last_status().code() != 0) out += "  last status: " + status_text(recipient.last_status()) + "\n";
    if (!recipient.last_remote_mta().empty())
      out += "  last relay: " + cli::for_terminal(recipient.last_remote_mta()) + "\n";
  }
  return out;
}

std::string message_json(const std::string& mta, const v1::QueuedMessage& message) {
  std::string out = "{\"mta\":" + json_string(mta) + ",\"queue_id\":" + json_string(message.queue_id()) +
                    ",\"size\":" + std::to_string(message.size()) +
                    ",\"received_unix_ms\":" + std::to_string(message.received_unix_ms()) +
                    ",\"sender\":" + json_string(message.mail_from()) + ",\"held\":" + json_bool(message.held()) +
                    ",\"in_delivery\":" + json_bool(message.in_delivery()) + ",\"recipients\":[";
  for (int i = 0; i < message.recipients_size(); ++i) {
    const auto& recipient = message.recipients(i);
    if (i > 0) out += ",";
    out += "{\"address\":" + json_string(recipient.address()) + ",\"state\":" + json_string(recipient.state()) +
           ",\"attempts\":" + std::to_string(recipient.attempts()) +
           ",\"next_attempt_unix_ms\":" + std::to_string(recipient.next_attempt_unix_ms()) + ",\"last_status\":";
    const auto& status = recipient.last_status();
    if (status.code() == 0) {
      out += "null";
    } else {
      out += "{\"code\":" + std::to_string(status.code()) + ",\"enhanced\":" + json_string(status.enhanced()) +
             ",\"text\":" + json_string(status.text()) + "}";
    }
    out += ",\"last_remote_mta\":" + json_string(recipient.last_remote_mta()) + "}";
  }
  return out + "]}";
}

std::string queue_json(const std::vector<MtaQueue>& queues) {
  std::string out = "[";
  bool first = true;
  for (const MtaQueue& queue : queues) {
    for (const v1::QueuedMessage* message : in_arrival_order(queue.messages)) {
      out += first ? "\n" : ",\n";
      out += message_json(queue.mta, *message);
      first = false;
    }
  }
  return out + (first ? "]\n" : "\n]\n");
}

}  // namespace mailpipe::ctl
