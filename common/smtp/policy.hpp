#pragma once
// What the SMTP session asks of the server it runs in. The session knows the
// grammar (RFC 5321); a Policy decides who may do what (submission on
// 587/465, inbound MX on 25), and a MessageSink takes accepted messages.
// The MSA and the MX share the session and differ only in these.
#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/smtp/address.hpp"
#include "common/smtp/command.hpp"
#include "common/smtp/reply.hpp"

namespace mailpipe::smtp {

// What the session knows about its client so far.
struct SessionInfo {
  std::string client_address;  // IP as text
  std::string helo;            // as given in HELO/EHLO
  bool esmtp = false;          // EHLO rather than HELO
  bool tls = false;
  std::string tls_version;     // "TLSv1.3"
  std::string tls_cipher;
  std::string authenticated_user;  // empty until AUTH succeeds
};

struct TransactionRecipient {
  Address address;
  RcptParameters parameters;
};

// One mail transaction (RFC 5321 3.3), from MAIL to the end of DATA.
struct Transaction {
  std::string queue_id;  // chosen at MAIL so every log line of the mail has it
  Address from;
  MailParameters parameters;
  std::vector<TransactionRecipient> recipients;
  int64_t started_unix_ms = 0;
  unsigned failed_commands = 0;  // refused since MAIL: bad or refused RCPTs
};

class Policy {
 public:
  virtual ~Policy() = default;
  // Offer AUTH (only ever after TLS). Whether MAIL needs it is check_sender's.
  virtual bool offers_auth() const = 0;
  // Checks credentials; runs slow password hashing off the event loop.
  virtual asio::awaitable<bool> verify_password(std::string user, std::string password) = 0;
  // Password guessing across sessions, per client address (the MSA counts
  // it in its ClientLimits): a locked-out address gets 454 4.7.0 without a
  // check; each failure is counted and waits auth_failure_delay() before
  // its 535. Without AUTH there is nothing to count.
  virtual bool auth_locked_out(const std::string& client_address) const { return false; }
  virtual void auth_failed(const std::string& client_address) {}
  virtual void auth_succeeded(const std::string& client_address) {}
  virtual std::chrono::milliseconds auth_failure_delay() const { return std::chrono::milliseconds(0); }
  // nullopt: accepted. Otherwise the refusal to send.
  virtual std::optional<Reply> check_sender(const SessionInfo& session, const Address& from) const = 0;
  virtual std::optional<Reply> check_recipient(const SessionInfo& session, const Address& to) const = 0;
};

class MessageSink {
 public:
  virtual ~MessageSink() = default;
  // `message` is dot-unstuffed with CRLF line ends. The reply goes to the
  // client as is: 250 only once the message is durable (DESIGN rule 1).
  virtual asio::awaitable<Reply> accept(const SessionInfo& session, const Transaction& transaction,
                                        std::string message) = 0;
};

}  // namespace mailpipe::smtp
