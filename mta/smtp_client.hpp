#pragma once
// The outbound relay (RFC 5321 client side): one mail transaction with one
// remote host, over the common client core (common/smtp/client: the strict
// dialogue, the bounded reply parser, the stream). What is the relay's own
// is here: the TLS policy of the destination (none, may, encrypt, verify),
// PIPELINING batches, SIZE and SMTPUTF8 checks before sending, the DSN
// parameters (RFC 3461), loop detection (a server that greets with our
// own name is ourselves) and the connection cache. It never decides
// retries: each outcome says permanent or transient and the queue decides.
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config.pb.h"
#include "mailpipe.pb.h"

namespace mailpipe::mta {

struct OutboundMessage {
  std::string queue_id;
  v1::Envelope envelope;            // mail_from, body type, SMTPUTF8
  std::vector<std::string> recipients;
  const std::string* message = nullptr;  // CRLF line ends, not dot-stuffed
  // No step of the delivery ends later (outbound.job_timeout_ms).
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

struct HostAttempt {
  // True when this host never got to answer for the recipients (connect,
  // greeting, EHLO or TLS failed): the caller tries the next MX.
  bool try_next_host = false;
  // The server named itself with one of our names: mail to it would come
  // back to us (RFC 5321 5.1; Postfix "loops back to myself").
  bool loops_back = false;
  std::string error;  // why, when try_next_host or loops_back
  // One per recipient when neither.
  std::map<std::string, v1::RecipientResult> results;
  bool tls = false;  // the transaction ran over TLS
};

class SmtpClient final {
 public:
  // `verify_context` checks certificates (policy verify); `opportunistic`
  // accepts any (policies may and encrypt).
  SmtpClient(asio::io_context& io, const v1::OutboundConfig& config, std::string helo_name,
             asio::ssl::context& verify_context, asio::ssl::context& opportunistic_context);
  ~SmtpClient();

  // Names that are ours (the MTA's hostname, the HELO name): a server
  // greeting with one of them is this MTA. helo_name always counts.
  void set_own_names(std::vector<std::string> names);

  // Reuses an idle connection to the same host (and TLS policy) when one
  // is cached, else opens one.
  asio::awaitable<HostAttempt> deliver(asio::ip::tcp::endpoint endpoint, std::string mx_name, v1::TlsPolicy tls,
                                       const OutboundMessage& message);

 private:
  struct Session;
  struct TransactionOutcome;
  // Connect, greeting, EHLO, STARTTLS, each step over by `deadline` at
  // the latest. nullptr with `failed` filled in: try the next host (or,
  // loops_back, stop).
  asio::awaitable<std::unique_ptr<Session>> open_session(asio::ip::tcp::endpoint endpoint, const std::string& mx_name,
                                                         v1::TlsPolicy tls,
                                                         const std::chrono::steady_clock::time_point& deadline,
                                                         HostAttempt& failed);
  asio::awaitable<TransactionOutcome> transaction(Session& session, const OutboundMessage& message);
  bool is_own_name(const std::string& name) const;
  void park(const std::string& key, std::unique_ptr<Session> session);
  std::unique_ptr<Session> take_parked(const std::string& key);
  asio::awaitable<void> expire_parked(std::string key, Session* session);
  asio::awaitable<void> quit(std::unique_ptr<Session> session);

  std::multimap<std::string, std::unique_ptr<Session>> parked_;
  asio::io_context& io_;
  const v1::OutboundConfig& config_;
  std::string helo_name_;
  std::vector<std::string> own_names_;  // lowercased
  asio::ssl::context& verify_context_;
  asio::ssl::context& opportunistic_context_;
};

}  // namespace mailpipe::mta
