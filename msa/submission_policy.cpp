#include "msa/submission_policy.hpp"

#include "common/smtp/replies.hpp"

namespace mailpipe::msa {

SubmissionPolicy::SubmissionPolicy(const auth::PasswdFile& users, asio::thread_pool& hashing)
    : users_(users), hashing_(hashing) {}

asio::awaitable<bool> SubmissionPolicy::verify_password(std::string user, std::string password) {
  const auth::PasswdFile& users = users_;
  co_return co_await asio::co_spawn(
      hashing_,
      [&users, user = std::move(user), password = std::move(password)]() -> asio::awaitable<bool> {
        co_return users.verify(user, password);
      },
      asio::use_awaitable);
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
