#pragma once
// How queue contents look to the operator: a mailq-like listing, one
// message in full (`queue show`), and the same as JSON for scripts.
// Times are local time, as mailq shows them. Every string that came from
// the queue (addresses, a remote server's error) is made safe for a
// terminal or escaped for JSON.
#include <string>
#include <vector>

#include "mailpipe.pb.h"

namespace mailpipe::ctl {

// One MTA's answer to `queue list`.
struct MtaQueue {
  std::string mta;  // the MTA's name (AdminReply.mta)
  std::vector<v1::QueuedMessage> messages;
};

// mailq-like: per message "ID[!*] size arrival sender", then each
// recipient on an indented line with its state, attempts, next attempt
// and last error; a heading per MTA when there are several; then
// "-- N messages in M MTAs, K bytes". Messages in arrival order.
std::string format_queue(const std::vector<MtaQueue>& queues);

// Every field of one message, one per line.
std::string format_message(const std::string& mta, const v1::QueuedMessage& message);

// A JSON array of every message, each with an "mta" field; one message
// per line.
std::string queue_json(const std::vector<MtaQueue>& queues);
// One message as a JSON object.
std::string message_json(const std::string& mta, const v1::QueuedMessage& message);

// "2024-01-02 03:04:05" in local time; "-" for 0.
std::string local_time(int64_t unix_ms);

}  // namespace mailpipe::ctl
