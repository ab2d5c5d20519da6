#pragma once
// Who may submit (RFC 6409): only authenticated users, over TLS, and only
// as themselves. Passwords come from a Dovecot-format passwd-file; hashing
// runs on a small thread pool so a slow SHA512-CRYPT never stalls the
// event loop.
#include <asio.hpp>
#include <memory>

#include "common/auth/passwd_file.hpp"
#include "common/smtp/policy.hpp"

namespace mailpipe::msa {

class SubmissionPolicy final : public smtp::Policy {
 public:
  SubmissionPolicy(std::shared_ptr<const auth::PasswdFile> users, asio::thread_pool& hashing);
  // SIGHUP: checks from now on use these; a check in flight keeps its own.
  void set_users(std::shared_ptr<const auth::PasswdFile> users) { users_ = std::move(users); }
  std::size_t users() const { return users_->size(); }

  bool offers_auth() const override { return true; }
  bool requires_auth() const override { return true; }
  asio::awaitable<bool> verify_password(std::string user, std::string password) override;
  std::optional<smtp::Reply> check_sender(const smtp::SessionInfo& session,
                                          const smtp::Address& from) const override;
  std::optional<smtp::Reply> check_recipient(const smtp::SessionInfo& session,
                                             const smtp::Address& to) const override;

 private:
  std::shared_ptr<const auth::PasswdFile> users_;
  asio::thread_pool& hashing_;
};

}  // namespace mailpipe::msa
