#pragma once
// Who may submit (RFC 6409): only authenticated users, over TLS, and only
// as themselves. Passwords come from a Dovecot-format passwd-file; hashing
// runs on a small thread pool so a slow SHA512-CRYPT never stalls the
// event loop.
#include <asio.hpp>
#include <memory>

#include "common/auth/passwd_file.hpp"
#include "common/smtp/client_limits.hpp"
#include "common/smtp/policy.hpp"

namespace mailpipe::msa {

class SubmissionPolicy final : public smtp::Policy {
 public:
  // `clients` counts wrong passwords per client address, shared by both
  // submission ports.
  SubmissionPolicy(std::shared_ptr<const auth::PasswdFile> users, asio::thread_pool& hashing,
                   std::shared_ptr<smtp::ClientLimits> clients);
  // SIGHUP: checks from now on use these; a check in flight keeps its own.
  void set_users(std::shared_ptr<const auth::PasswdFile> users) { users_ = std::move(users); }
  std::size_t users() const { return users_->size(); }

  bool offers_auth() const override { return true; }
  asio::awaitable<bool> verify_password(std::string user, std::string password) override;
  bool auth_locked_out(const std::string& client_address) const override;
  void auth_failed(const std::string& client_address) override;
  void auth_succeeded(const std::string& client_address) override;
  std::chrono::milliseconds auth_failure_delay() const override;
  std::optional<smtp::Reply> check_sender(const smtp::SessionInfo& session,
                                          const smtp::Address& from) const override;
  std::optional<smtp::Reply> check_recipient(const smtp::SessionInfo& session,
                                             const smtp::Address& to) const override;

 private:
  std::shared_ptr<const auth::PasswdFile> users_;
  asio::thread_pool& hashing_;
  std::shared_ptr<smtp::ClientLimits> clients_;
};

}  // namespace mailpipe::msa
