// The AUTH exchange of a Session (RFC 4954) with the PLAIN (RFC 4616) and
// LOGIN mechanisms. Passwords live only in local strings that are wiped
// after use and are never logged.
#include <openssl/crypto.h>

#include "common/auth/base64.hpp"
#include "common/auth/sasl.hpp"
#include "common/log.hpp"
#include "common/smtp/replies.hpp"
#include "common/smtp/session.hpp"

namespace mailpipe::smtp {
namespace {

// RFC 4954 4: a server must accept AUTH response lines of 12288 octets.
constexpr std::size_t max_auth_line = 12288 + 2;

// base64("Username:") and base64("Password:"), what every LOGIN client expects.
constexpr std::string_view login_username_challenge = "VXNlcm5hbWU6";
constexpr std::string_view login_password_challenge = "UGFzc3dvcmQ6";

void wipe(std::string& secret) {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

std::string upper_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

}  // namespace

Session::Outcome Session::on_auth_command(const Command& command) {
  if (!policy_.offers_auth()) return {replies::not_implemented()};
  if (!connection_.tls_active()) return {replies::tls_required()};
  if (info_.helo.empty()) return {replies::bad_sequence("Send EHLO first")};
  if (!info_.authenticated_user.empty()) return {replies::already_authenticated()};
  // RFC 4954 4: AUTH is not permitted during a mail transaction.
  if (transaction_) return {replies::bad_sequence("AUTH not permitted during a mail transaction")};
  return {};  // code 0: go on with the exchange
}

// Reads one client response to a 334 challenge. nullopt: the client is gone.
// A "*" line comes back as "*" for the caller to treat as a cancel; a line
// that cannot be a response comes back as the reply that refuses it.
asio::awaitable<std::optional<std::variant<std::string, Reply>>> Session::read_auth_response(
    std::string_view challenge) {
  queue_reply(replies::auth_challenge(challenge));
  reader_.set_max_line(max_auth_line);
  auto line = co_await read_line();
  reader_.set_max_line(settings_.limits.max_command_line());
  if (!line) co_return std::nullopt;
  switch (line->status) {
    case LineReader::Status::complete: co_return std::move(line->line);
    case LineReader::Status::too_long: co_return replies::auth_line_too_long();  // RFC 4954 4
    default: co_return replies::auth_bad_base64();  // bare CR/LF or NUL: not base64
  }
}

asio::awaitable<bool> Session::authenticate(std::string mechanism_and_response) {
  const std::size_t space = mechanism_and_response.find(' ');
  const std::string mechanism = upper_ascii(mechanism_and_response.substr(0, space));
  std::optional<std::string> initial;
  if (space != std::string::npos) initial = mechanism_and_response.substr(space + 1);
  wipe(mechanism_and_response);

  // Turns one base64 response into its text; a reply when it is not usable.
  auto decode = [](const std::string& response) -> std::variant<std::string, Reply> {
    if (response == "*") return replies::auth_cancelled();
    if (response == "=") return std::string();  // RFC 4954 4: empty initial response
    auto decoded = auth::base64_decode(response);
    if (!decoded) return replies::auth_bad_base64();
    return std::move(*decoded);
  };
  auto refuse = [this](const Reply& reply) {
    queue_reply(reply);
    if (count_error(reply)) queue_reply(replies::too_many_errors());
    return !closing_;
  };

  if (mechanism == "PLAIN") {
    std::optional<std::variant<std::string, Reply>> read;
    if (initial) read = std::move(*initial); else read = co_await read_auth_response("");
    if (!read) co_return false;
    if (auto* reply = std::get_if<Reply>(&*read)) co_return refuse(*reply);
    std::string& response = std::get<std::string>(*read);
    auto decoded = decode(response);
    wipe(response);
    if (auto* reply = std::get_if<Reply>(&decoded)) co_return refuse(*reply);
    auto credentials = auth::decode_plain(std::get<std::string>(decoded));
    wipe(std::get<std::string>(decoded));
    if (!credentials) co_return refuse(replies::syntax_error("malformed PLAIN response (RFC 4616)"));
    // We do not let one user act for another.
    if (!credentials->authzid.empty() && credentials->authzid != credentials->authcid) {
      wipe(credentials->password);
      co_return co_await finish_auth(credentials->authcid, std::string());
    }
    co_return co_await finish_auth(std::move(credentials->authcid), std::move(credentials->password));
  }

  if (mechanism == "LOGIN") {
    std::optional<std::variant<std::string, Reply>> user_response;
    if (initial) user_response = std::move(*initial);
    else user_response = co_await read_auth_response(login_username_challenge);
    if (!user_response) co_return false;
    if (auto* reply = std::get_if<Reply>(&*user_response)) co_return refuse(*reply);
    auto user = decode(std::get<std::string>(*user_response));
    if (auto* reply = std::get_if<Reply>(&user)) co_return refuse(*reply);
    auto password_response = co_await read_auth_response(login_password_challenge);
    if (!password_response) co_return false;
    if (auto* reply = std::get_if<Reply>(&*password_response)) co_return refuse(*reply);
    auto password = decode(std::get<std::string>(*password_response));
    wipe(std::get<std::string>(*password_response));
    if (auto* reply = std::get_if<Reply>(&password)) co_return refuse(*reply);
    co_return co_await finish_auth(std::move(std::get<std::string>(user)),
                                   std::move(std::get<std::string>(password)));
  }

  co_return refuse(replies::auth_mechanism_unknown());
}

asio::awaitable<bool> Session::finish_auth(std::string user, std::string password) {
  const auto now = ClientLimits::Clock::now();
  if (clients_ && clients_->auth_locked_out(info_.client_address, now)) {
    // Not even checked: a locked-out guesser learns nothing, and costs
    // us no hashing.
    wipe(password);
    log::warning("auth_locked_out").kv("client", info_.client_address);
    queue_reply(replies::auth_locked_out());
    if (count_error(replies::auth_locked_out())) {
      queue_reply(replies::too_many_errors());
      co_return false;
    }
    co_return true;
  }
  const bool ok = !password.empty() && co_await policy_.verify_password(user, password);
  wipe(password);
  if (ok) {
    if (clients_) clients_->auth_succeeded(info_.client_address);
    info_.authenticated_user = lowercase_ascii(user);
    log::info("auth_ok").kv("client", info_.client_address).kv("user", info_.authenticated_user);
    queue_reply(replies::auth_succeeded());
    co_return true;
  }
  ++auth_failures_;
  // The name is not logged: a user who typed the password into the name
  // field would find it in the log.
  log::warning("auth_failed").kv("client", info_.client_address).kv("failures", auth_failures_);
  if (clients_) {
    clients_->auth_failed(info_.client_address, now);
    co_await sleep_for(clients_->auth_failure_delay());
  }
  if (auth_failures_ >= settings_.limits.max_auth_failures()) {
    queue_reply(replies::auth_failed());
    queue_reply(replies::auth_too_many_failures());
    co_return false;
  }
  queue_reply(replies::auth_failed());
  if (count_error(replies::auth_failed())) {
    queue_reply(replies::too_many_errors());
    co_return false;
  }
  co_return true;
}

}  // namespace mailpipe::smtp
