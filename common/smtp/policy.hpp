#pragma once
// What the SMTP session asks of the server it runs in. The session knows the
// grammar (RFC 5321); a Policy decides who may do what (submission on
// 587/465, inbound MX on 25), and a MessageSink takes accepted messages.
// The MSA and the MX share the session and differ only in these.
#include <asio.hpp>
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
  // Offer AUTH (only ever after TLS) and demand it before MAIL.
  virtual bool offers_auth() const = 0;
  virtual bool requires_auth() const = 0;
  // Checks credentials; runs slow password hashing off the event loop.
  virtual asio::awaitable<bool> verify_password(std::string user, std::string password) = 0;
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
