#pragma once
// The outbound SMTP client (RFC 5321 client side): one mail transaction
// with one remote host. EHLO (HELO fallback), STARTTLS by policy, SIZE,
// 8BITMIME, SMTPUTF8 and PIPELINING as offered, several recipients in one
// transaction, and an outcome per recipient. It never decides retries:
// each outcome says permanent or transient and the queue decides.
#include <asio.hpp>
#include <asio/ssl.hpp>
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
};

struct HostAttempt {
  // True when this host never got to answer for the recipients (connect,
  // greeting, EHLO or TLS failed): the caller tries the next MX.
  bool try_next_host = false;
  std::string error;  // why, when try_next_host
  // One per recipient when !try_next_host.
  std::map<std::string, v1::RecipientResult> results;
  bool tls = false;  // the transaction ran over TLS
};

class SmtpClientConnection;

// What the server's EHLO reply offered.
struct ServerExtensions {
  bool starttls = false;
  bool pipelining = false;
  bool eightbit = false;
  bool smtputf8 = false;
  bool dsn = false;
  uint64_t size = 0;  // 0: not advertised or no limit
};

class SmtpClient final {
 public:
  // `verify_context` checks certificates (policy verify); `opportunistic`
  // accepts any (policies may and encrypt).
  SmtpClient(asio::io_context& io, const v1::OutboundConfig& config, std::string helo_name,
             asio::ssl::context& verify_context, asio::ssl::context& opportunistic_context);

  // Reuses an idle connection to the same host (and TLS policy) when one
  // is cached, else opens one.
  asio::awaitable<HostAttempt> deliver(asio::ip::tcp::endpoint endpoint, std::string mx_name, v1::TlsPolicy tls,
                                       const OutboundMessage& message);
  ~SmtpClient();

 private:
  struct Session;
  struct TransactionOutcome;
  // Connect, greeting, EHLO, STARTTLS. nullptr with `error` set: try the next host.
  asio::awaitable<std::unique_ptr<Session>> open_session(asio::ip::tcp::endpoint endpoint, const std::string& mx_name,
                                                         v1::TlsPolicy tls, std::string& error);
  asio::awaitable<TransactionOutcome> transaction(Session& session, const OutboundMessage& message);
  void park(const std::string& key, std::unique_ptr<Session> session);
  std::unique_ptr<Session> take_parked(const std::string& key);
  asio::awaitable<void> expire_parked(std::string key, Session* session);
  asio::awaitable<void> quit(std::unique_ptr<Session> session);

  std::multimap<std::string, std::unique_ptr<Session>> parked_;
  asio::io_context& io_;
  const v1::OutboundConfig& config_;
  std::string helo_name_;
  asio::ssl::context& verify_context_;
  asio::ssl::context& opportunistic_context_;
};


}  // namespace mailpipe::mta
