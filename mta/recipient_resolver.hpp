#pragma once
// Where mail for one recipient address goes: the MTA's answer to "whose
// is this address?", shared by the inbound MX (RCPT time, so unknown users
// are refused before DATA and we never bounce to forged senders) and the
// intake (every message, so aliases work for local senders too).
//
// For an address in one of our domains, in this order (Postfix virtual(5)
// precedence, except that a catch-all never hides an existing user):
//   1. an exact alias                     sales@example.test: a@..., b@...
//   2. a local user (passwd-file)         alice@example.test
//   3. the same two without "+tag"        alice+news@example.test
//   4. the domain's catch-all alias       @example.test: postmaster@...
// Alias targets are resolved again (aliases of aliases) up to a depth; a
// target naming the alias itself ("a: a, b") is final, any other cycle is a
// loop. Addresses outside our domains are "remote": delivered as they are.
//
// Our domains: local_domain (mailboxes via the MDA) and the domains that
// appear on the left of the aliases file (virtual alias domains).
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/auth/passwd_file.hpp"
#include "config.pb.h"
#include "mta/alias_map.hpp"

namespace mailpipe::mta {

struct Resolution {
  enum class Kind {
    deliver,       // to `mailboxes` (local mailboxes and/or forwards)
    remote,        // not one of our domains; `mailboxes` holds the address
    unknown_user,  // one of our domains, but nobody there by that name
    loop,          // the aliases file loops for this address
    too_many,      // expansion beyond alias_expansion_limit or the depth limit
  };
  Kind kind = Kind::unknown_user;
  std::vector<std::string> mailboxes;  // final addresses, no duplicates
  // Alias targets in our domains that name nobody: left out of `mailboxes`
  // (the other targets still get the mail), for the caller to log.
  std::vector<std::string> unknown_targets;
};

class RecipientResolver final {
 public:
  // `users` may be null: then any local part of a local domain is a mailbox.
  RecipientResolver(const v1::MtaConfig& config, std::shared_ptr<const auth::PasswdFile> users,
                    std::shared_ptr<const AliasMap> aliases);

  // SIGHUP: new users, aliases, delimiter and limits (local_domain needs a
  // restart: the queue routes by it too). Everything runs on the MTA's one
  // event loop thread, so no resolve() is in progress meanwhile.
  void replace(const v1::MtaConfig& config, std::shared_ptr<const auth::PasswdFile> users,
               std::shared_ptr<const AliasMap> aliases);

  // `address` is "local@domain" as parsed by smtp::parse_path, or a bare
  // "postmaster" (RFC 5321 4.1.1.3), which means postmaster@ our first
  // local domain.
  Resolution resolve(std::string_view address) const;

  bool is_local_domain(std::string_view domain) const;
  // A final mailbox of a local domain: a user (any local part when there is
  // no passwd-file). Aliases are expanded already when the queue asks.
  bool is_mailbox(std::string_view address) const;

 private:
  struct Walk;
  void expand(const std::string& address, unsigned depth, bool skip_aliases, Walk& walk) const;

  std::set<std::string> local_domains_;
  std::string first_local_domain_;
  std::shared_ptr<const auth::PasswdFile> users_;
  std::shared_ptr<const AliasMap> aliases_;
  std::string delimiter_;
  std::size_t expansion_limit_;
  unsigned recursion_limit_;
};

}  // namespace mailpipe::mta
