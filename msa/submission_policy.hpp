#pragma once
// Who may submit (RFC 6409): only authenticated users, over TLS, and only
// as themselves. Passwords come from a Dovecot-format passwd-file; hashing
// runs on a small thread pool so a slow SHA512-CRYPT never stalls the
// event loop.
#include <asio.hpp>

#include "common/auth/passwd_file.hpp"
#include "common/smtp/policy.hpp"

namespace mailpipe::msa {

class SubmissionPolicy final : public smtp::Policy {
 public:
  SubmissionPolicy(const auth::PasswdFile& users, asio::thread_pool& hashing);

  bool offers_auth() const override { return true; }
  bool requires_auth() const override { return true; }
  asio::awaitable<bool> verify_password(std::string user, std::string password) override;
  std::optional<smtp::Reply> check_sender(const smtp::SessionInfo& session,
                                          const smtp::Address& from) const override;
  std::optional<smtp::Reply> check_recipient(const smtp::SessionInfo& session,
                                             const smtp::Address& to) const override;

 private:
  const auth::PasswdFile& users_;
  asio::thread_pool& hashing_;
};

}  // namespace mailpipe::msa
