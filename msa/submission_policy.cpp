#include "msa/submission_policy.hpp"

#include <openssl/crypto.h>

#include "common/smtp/replies.hpp"

namespace mailpipe::msa {

SubmissionPolicy::SubmissionPolicy(std::shared_ptr<const auth::PasswdFile> users, asio::thread_pool& hashing,
                                   std::shared_ptr<smtp::ClientLimits> clients)
    : users_(std::move(users)), hashing_(hashing), clients_(std::move(clients)) {}

bool SubmissionPolicy::auth_locked_out(const std::string& client_address) const {
  return clients_->auth_locked_out(client_address, smtp::ClientLimits::Clock::now());
}

void SubmissionPolicy::auth_failed(const std::string& client_address) {
  clients_->auth_failed(client_address, smtp::ClientLimits::Clock::now());
}

void SubmissionPolicy::auth_succeeded(const std::string& client_address) { clients_->auth_succeeded(client_address); }

std::chrono::milliseconds SubmissionPolicy::auth_failure_delay() const { return clients_->auth_failure_delay(); }

asio::awaitable<bool> SubmissionPolicy::verify_password(std::string user, std::string password) {
  // Hash on the pool, answer on the session's own executor.
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(bool)>(
      [this](auto handler, std::string user, std::string password) {
        auto session_executor = asio::get_associated_executor(handler);
        // The hashing thread gets its own reference: a reload may swap
        // users_ on the event loop meanwhile.
        asio::post(hashing_, [users = users_, handler = std::move(handler), session_executor,
                              user = std::move(user), password = std::move(password)]() mutable {
          const bool ok = users->verify(user, password);
          OPENSSL_cleanse(password.data(), password.size());
          asio::post(session_executor, [handler = std::move(handler), ok]() mutable { handler(ok); });
        });
      },
      asio::use_awaitable, std::move(user), std::move(password));
}

std::optional<smtp::Reply> SubmissionPolicy::check_sender(const smtp::SessionInfo& session,
                                                          const smtp::Address& from) const {
  if (session.authenticated_user.empty()) return smtp::replies::auth_required();
  // RFC 6409 6.1: the MSA may check the sender against the authenticated
  // identity; we insist, so a stolen password cannot spoof other users.
  // The null sender is for bounces, which users do not send.
  if (from.empty() || !smtp::same_mailbox(from, session.authenticated_user)) {
    return smtp::replies::sender_not_owned();
  }
  return std::nullopt;
}

std::optional<smtp::Reply> SubmissionPolicy::check_recipient(const smtp::SessionInfo& session,
                                                             const smtp::Address&) const {
  if (session.authenticated_user.empty()) return smtp::replies::auth_required();
  return std::nullopt;  // an authenticated user may send anywhere
}

}  // namespace mailpipe::msa
