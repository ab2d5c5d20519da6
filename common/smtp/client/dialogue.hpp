#pragma once
// The client's half of the SMTP (RFC 5321) and LMTP (RFC 2033) dialogue,
// one strict state machine for the relay, the LMTP client and mpmail.
// Each step expects exactly its reply:
//
//   greeting 220 · EHLO/LHLO 250 · STARTTLS 220 · MAIL 2xx · RCPT 2xx
//   DATA 354 · after the final dot 2xx (LMTP: one per accepted recipient)
//
// 4xx and 5xx are the server's refusal at that step. Anything else (a 250
// to DATA, a 354 to the dot, a 3xx to RCPT) is a protocol error, and so
// is input nobody asked for: a reply waiting before a command is sent, one
// sent while the message is still being written, more replies after the
// dot than it asked for, or one waiting in a cached connection. After a protocol error the connection is done: the
// caller closes it, never reuses it, and reports the recipients it has no
// valid answer for as transient failures (451 4.4.2), so the mail stays
// queued. A reply is an acceptance only at the step that asked for it
// (DESIGN rule 1).
#include <asio.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/smtp/client/channel.hpp"
#include "common/smtp/client/ehlo.hpp"

namespace mailpipe::smtp::client {

enum class Step { greeting, hello, starttls, mail, rcpt, data, final_dot, rset };

// How a step's reply reads: the one the step expects, the server's
// refusal (4xx, 5xx), or no valid answer at all.
enum class Verdict { accepted, refused, protocol_error };
Verdict judge(Step step, const Reply& reply);
const char* step_name(Step step);

struct ClientTimeouts {
  std::chrono::milliseconds command{300000};  // RFC 5321 4.5.3.2: 5 min
  std::chrono::milliseconds data{600000};     // each 64 KiB, and the final reply (4.5.3.2.6)
};

// Sends `line` and reads its reply, after checking that nothing unasked
// is waiting; nullopt with the channel's error set.
asio::awaitable<std::optional<Reply>> send_command(ClientChannel& channel, const std::string& line,
                                                   std::chrono::milliseconds timeout);

// Greeting and EHLO (HELO when EHLO is refused with 5xx, RFC 5321 3.2),
// or LHLO for LMTP.
struct OpenRequest {
  std::string hello_name;
  bool lmtp = false;
  ClientTimeouts timeouts;
};
struct Opened {
  std::optional<ServerExtensions> extensions;  // set when the session is open
  std::optional<Reply> refusal;                // the server's refusal, else see the channel's error()
  std::string greeting_name;                   // the name in the 220
  Step stopped_at = Step::greeting;            // the step that failed, when not open
};
asio::awaitable<Opened> open_session(ClientChannel& channel, const OpenRequest& request);

// STARTTLS, the handshake and EHLO again (RFC 3207 4.2: forget what the
// server said before). The same shape as open_session's result.
asio::awaitable<Opened> upgrade_to_tls(ClientChannel& channel, const OpenRequest& request, asio::ssl::context& context,
                                       const std::string& server_name, bool verify);

struct Transaction {
  std::string mail_command;                 // from mail_from_command()
  std::vector<std::string> rcpt_commands;   // from rcpt_to_command(), one per recipient
  const std::string* message = nullptr;     // CRLF line ends, not dot-stuffed
  bool pipelining = false;                  // RFC 2920: MAIL, RCPT... and DATA in one write
  bool lmtp = false;                        // RFC 2033 4.2: one final reply per accepted recipient
  // mpmail: when some recipient is refused, RSET instead of DATA.
  bool all_recipients_or_none = false;
  ClientTimeouts timeouts;
};

struct TransactionResult {
  std::optional<Reply> mail;
  std::vector<std::optional<Reply>> rcpt;   // one per recipient; nullopt: no answer
  std::optional<Reply> data;                // the 354 or the refusal of DATA
  std::vector<std::optional<Reply>> final;  // one per recipient: the reply after the dot that is theirs
  bool abandoned = false;                   // all_recipients_or_none sent RSET
  bool message_sent = false;                // the message and its final dot were written
  // The connection broke or the server broke the protocol (the channel's
  // error() says how): the recipients without a final answer have none.
  bool broken = false;
  std::optional<Step> broken_at;
  // Clean for another MAIL (RFC 5321 4.1.4): every step answered as asked
  // and nothing unasked waiting.
  bool reusable = false;

  // The reply that decides recipient i: their RCPT refusal, MAIL's or
  // DATA's refusal, or the reply after the dot. nullopt when the server
  // gave none (broken).
  std::optional<Reply> decisive(std::size_t i) const;
  std::size_t accepted_recipients() const;
};

asio::awaitable<TransactionResult> run_transaction(ClientChannel& channel, const Transaction& transaction);

// QUIT as a courtesy, within `bound`; its answer changes nothing.
asio::awaitable<void> say_quit(ClientChannel& channel, std::chrono::milliseconds bound);

}  // namespace mailpipe::smtp::client
