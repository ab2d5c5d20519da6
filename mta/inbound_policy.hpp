#pragma once
// Who may send us what on the inbound MX (port 25): anyone may send, no
// AUTH, but only to our own addresses and to relay domains. Every refusal
// is decided at RCPT time, before DATA, so we never accept mail and then
// bounce it to a forged sender (backscatter):
//   unknown user in one of our domains    550 5.1.1
//   any other domain (open relay attempt) 554 5.7.1, logged
//   the aliases file loops / expands too far for the address
//                                         451 4.4.6 / 451 4.3.0: a local
//                                         configuration error, so the
//                                         sender keeps the mail until fixed
#include <set>
#include <string>

#include "common/smtp/policy.hpp"
#include "mta/recipient_resolver.hpp"

namespace mailpipe::mta {

class InboundPolicy final : public smtp::Policy {
 public:
  InboundPolicy(const RecipientResolver& resolver, const v1::MxConfig& config);
  void set_relay_domains(const v1::MxConfig& config);  // SIGHUP

  bool offers_auth() const override { return false; }
  asio::awaitable<bool> verify_password(std::string, std::string) override { co_return false; }
  std::optional<smtp::Reply> check_sender(const smtp::SessionInfo& session,
                                          const smtp::Address& from) const override;
  std::optional<smtp::Reply> check_recipient(const smtp::SessionInfo& session,
                                             const smtp::Address& to) const override;

 private:
  const RecipientResolver& resolver_;
  std::set<std::string> relay_domains_;  // lowercased
};

}  // namespace mailpipe::mta
