#include "common/smtp/session_auth.hpp"

#include <openssl/crypto.h>

#include "common/auth/base64.hpp"
#include "common/auth/sasl.hpp"
#include "common/log/log.hpp"
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

// One base64 response as its text; a reply when it is not usable.
std::variant<std::string, Reply> decode(const std::string& response) {
  if (response == "*") return replies::auth_cancelled();
  if (response == "=") return std::string();  // RFC 4954 4: empty initial response
  auto decoded = auth::base64_decode(response);
  if (!decoded) return replies::auth_bad_base64();
  return std::move(*decoded);
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  asio::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace

// The session's side of the exchange.
class SessionAuthIo final : public AuthExchange::Io {
 public:
  explicit SessionAuthIo(Session& session) : session_(session) {}

  asio::awaitable<std::optional<std::variant<std::string, Reply>>> read_response(std::string_view challenge) override {
    session_.queue_reply(replies::auth_challenge(challenge));
    session_.reader_.set_max_line(max_auth_line);
    auto line = co_await session_.read_line();
    session_.reader_.set_max_line(session_.settings_.limits.max_command_line());
    if (!line) co_return std::nullopt;
    switch (line->status) {
      case LineReader::Status::complete: co_return std::move(line->line);
      case LineReader::Status::too_long: co_return replies::auth_line_too_long();  // RFC 4954 4
      default: co_return replies::auth_bad_base64();  // bare CR/LF or NUL: not base64
    }
  }
  void reply(const Reply& reply) override { session_.queue_reply(reply); }
  bool too_many_errors(const Reply& reply) override {
    if (!session_.count_error(reply)) return false;
    session_.queue_reply(replies::too_many_errors());
    return true;
  }
  bool closing() const override { return session_.closing_; }

 private:
  Session& session_;
};

asio::awaitable<bool> Session::authenticate(std::string mechanism_and_response) {
  SessionAuthIo io(*this);
  AuthExchange exchange(io, policy_, info_, settings_.limits.max_auth_failures(), auth_failures_);
  const AuthExchange::Result result = co_await exchange.run(std::move(mechanism_and_response));
  if (!result.authenticated_user.empty()) info_.authenticated_user = result.authenticated_user;
  co_return result.go_on;
}

AuthExchange::Result AuthExchange::refuse(const Reply& reply) {
  io_.reply(reply);
  io_.too_many_errors(reply);
  return {!io_.closing(), {}};
}

asio::awaitable<AuthExchange::Result> AuthExchange::run(std::string mechanism_and_response) {
  const std::size_t space = mechanism_and_response.find(' ');
  const std::string mechanism = upper_ascii(mechanism_and_response.substr(0, space));
  std::optional<std::string> initial;
  if (space != std::string::npos) initial = mechanism_and_response.substr(space + 1);
  wipe(mechanism_and_response);
  if (mechanism == "PLAIN") {
    const Result result = co_await plain(std::move(initial));
    co_return result;
  }
  if (mechanism == "LOGIN") {
    const Result result = co_await login(std::move(initial));
    co_return result;
  }
  co_return refuse(replies::auth_mechanism_unknown());
}

asio::awaitable<AuthExchange::Result> AuthExchange::plain(std::optional<std::string> initial) {
  std::optional<std::variant<std::string, Reply>> read;
  if (initial) read = std::move(*initial); else read = co_await io_.read_response("");
  if (!read) co_return Result{false, {}};
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
    const Result result = co_await finish(credentials->authcid, std::string());
    co_return result;
  }
  const Result result = co_await finish(std::move(credentials->authcid), std::move(credentials->password));
  co_return result;
}

asio::awaitable<AuthExchange::Result> AuthExchange::login(std::optional<std::string> initial) {
  std::optional<std::variant<std::string, Reply>> user_response;
  if (initial) user_response = std::move(*initial);
  else user_response = co_await io_.read_response(login_username_challenge);
  if (!user_response) co_return Result{false, {}};
  if (auto* reply = std::get_if<Reply>(&*user_response)) co_return refuse(*reply);
  auto user = decode(std::get<std::string>(*user_response));
  if (auto* reply = std::get_if<Reply>(&user)) co_return refuse(*reply);
  auto password_response = co_await io_.read_response(login_password_challenge);
  if (!password_response) co_return Result{false, {}};
  if (auto* reply = std::get_if<Reply>(&*password_response)) co_return refuse(*reply);
  auto password = decode(std::get<std::string>(*password_response));
  wipe(std::get<std::string>(*password_response));
  if (auto* reply = std::get_if<Reply>(&password)) co_return refuse(*reply);
  const Result result =
      co_await finish(std::move(std::get<std::string>(user)), std::move(std::get<std::string>(password)));
  co_return result;
}

asio::awaitable<AuthExchange::Result> AuthExchange::finish(std::string user, std::string password) {
  const std::string& client = session_.client_address;
  if (policy_.auth_locked_out(client)) {
    // Not even checked: a locked-out guesser learns nothing, and costs
    // us no hashing.
    wipe(password);
    log::warning("auth_locked_out").kv("client", client);
    io_.reply(replies::auth_locked_out());
    co_return Result{!io_.too_many_errors(replies::auth_locked_out()), {}};
  }
  const bool ok = !password.empty() && co_await policy_.verify_password(user, password);
  wipe(password);
  if (ok) {
    policy_.auth_succeeded(client);
    Result result{true, lowercase_ascii(user)};
    log::info("auth_ok").kv("client", client).kv("user", result.authenticated_user);
    io_.reply(replies::auth_succeeded());
    co_return result;
  }
  ++failures_;
  // The name is not logged: a user who typed the password into the name
  // field would find it in the log.
  log::warning("auth_failed").kv("client", client).kv("failures", failures_);
  policy_.auth_failed(client);
  if (const auto delay = policy_.auth_failure_delay(); delay.count() > 0) co_await sleep_for(delay);
  io_.reply(replies::auth_failed());
  if (failures_ >= max_failures_) {
    io_.reply(replies::auth_too_many_failures());
    co_return Result{false, {}};
  }
  co_return Result{!io_.too_many_errors(replies::auth_failed()), {}};
}

}  // namespace mailpipe::smtp
