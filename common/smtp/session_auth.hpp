#pragma once
// The AUTH exchange (RFC 4954) with the PLAIN (RFC 4616) and LOGIN
// mechanisms, apart from the session that runs it: it sees only what it
// needs of the session (AuthExchange::Io) and asks the Policy for the
// password check and the per-address lockout. Passwords live only in local
// strings that are wiped after use and are never logged.
#include <asio.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "common/smtp/policy.hpp"
#include "common/smtp/reply.hpp"

namespace mailpipe::smtp {

class AuthExchange final {
 public:
  // What the exchange needs of its session.
  class Io {
   public:
    virtual ~Io() = default;
    // Sends the 334 challenge and reads the client's response line: the
    // line, or the reply that refuses it; nullopt when the client is gone.
    virtual asio::awaitable<std::optional<std::variant<std::string, Reply>>> read_response(std::string_view challenge) = 0;
    virtual void reply(const Reply& reply) = 0;
    // Counts a refusal; true when the session has had too many errors (the
    // 421 is queued by the callee).
    virtual bool too_many_errors(const Reply& reply) = 0;
    virtual bool closing() const = 0;
  };

  AuthExchange(Io& io, Policy& policy, const SessionInfo& session, unsigned max_failures, unsigned& failures)
      : io_(io), policy_(policy), session_(session), max_failures_(max_failures), failures_(failures) {}

  struct Result {
    bool go_on = true;               // false: the session must end
    std::string authenticated_user;  // lowercased; empty when not authenticated
  };
  // `mechanism_and_response` is the AUTH argument ("PLAIN dGVzdA=="); it
  // is wiped.
  asio::awaitable<Result> run(std::string mechanism_and_response);

 private:
  asio::awaitable<Result> plain(std::optional<std::string> initial);
  asio::awaitable<Result> login(std::optional<std::string> initial);
  asio::awaitable<Result> finish(std::string user, std::string password);
  Result refuse(const Reply& reply);

  Io& io_;
  Policy& policy_;
  const SessionInfo& session_;
  unsigned max_failures_;
  unsigned& failures_;
};

}  // namespace mailpipe::smtp
