#include "mta/recipient_resolver.hpp"

#include <algorithm>

#include "common/smtp/address.hpp"

namespace mailpipe::mta {

struct RecipientResolver::Walk {
  std::vector<std::string> path;  // alias keys being expanded, outermost first
  std::vector<std::string> mailboxes;
  std::set<std::string> seen;     // lowercased mailboxes, for duplicates
  std::vector<std::string> unknown_targets;
  bool unknown = false;  // the address itself names nobody
  bool remote = false;   // the address itself is not ours
  bool loop = false;
  bool too_many = false;

  void add(std::string mailbox) {
    if (seen.insert(smtp::lowercase_ascii(mailbox)).second) mailboxes.push_back(std::move(mailbox));
  }
};

namespace {

struct Parts {
  std::string local;
  std::string domain;  // lowercased
};

// The domain follows the last '@' (a quoted local part may hold one).
Parts split(std::string_view address) {
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) return {std::string(address), ""};
  return {std::string(address.substr(0, at)), smtp::lowercase_ascii(address.substr(at + 1))};
}

}  // namespace

RecipientResolver::RecipientResolver(const v1::MtaConfig& config, std::shared_ptr<const auth::PasswdFile> users,
                                     std::shared_ptr<const AliasMap> aliases) {
  for (const auto& domain : config.local_domain()) local_domains_.insert(smtp::lowercase_ascii(domain));
  if (config.local_domain_size() > 0) first_local_domain_ = smtp::lowercase_ascii(config.local_domain(0));
  replace(config, std::move(users), std::move(aliases));
}

void RecipientResolver::replace(const v1::MtaConfig& config, std::shared_ptr<const auth::PasswdFile> users,
                                std::shared_ptr<const AliasMap> aliases) {
  users_ = std::move(users);
  aliases_ = aliases ? std::move(aliases) : std::make_shared<const AliasMap>();
  delimiter_ = config.recipient_delimiter();
  expansion_limit_ = config.alias_expansion_limit();
  recursion_limit_ = config.alias_recursion_limit();
}

bool RecipientResolver::is_local_domain(std::string_view domain) const {
  return local_domains_.contains(smtp::lowercase_ascii(domain));
}

bool RecipientResolver::is_mailbox(std::string_view address) const {
  const Parts parts = split(address);
  if (!local_domains_.contains(parts.domain)) return false;
  return users_ == nullptr || users_->has_user(smtp::lowercase_ascii(parts.local) + "@" + parts.domain);
}

Resolution RecipientResolver::resolve(std::string_view address) const {
  std::string full(address);
  if (full.find('@') == std::string::npos) {
    // RFC 5321 4.1.1.3: <Postmaster> without a domain is ours to accept.
    if (smtp::lowercase_ascii(full) != "postmaster" || first_local_domain_.empty()) return {};
    full = "postmaster@" + first_local_domain_;
  }
  Walk walk;
  expand(full, 0, false, walk);

  Resolution out;
  out.unknown_targets = std::move(walk.unknown_targets);
  if (walk.loop) {
    out.kind = Resolution::Kind::loop;
  } else if (walk.too_many) {
    out.kind = Resolution::Kind::too_many;
  } else if (walk.unknown || walk.mailboxes.empty()) {
    out.kind = Resolution::Kind::unknown_user;
  } else {
    out.kind = walk.remote ? Resolution::Kind::remote : Resolution::Kind::deliver;
    out.mailboxes = std::move(walk.mailboxes);
  }
  return out;
}

void RecipientResolver::expand(const std::string& address, unsigned depth, bool skip_aliases, Walk& walk) const {
  if (depth > recursion_limit_ || walk.mailboxes.size() >= expansion_limit_) {
    walk.too_many = true;
    return;
  }
  const Parts parts = split(address);
  const bool local = local_domains_.contains(parts.domain);
  if (!local && !aliases_->has_domain(parts.domain)) {
    walk.add(parts.local + "@" + parts.domain);
    if (depth == 0) walk.remote = true;
    return;
  }

  const std::string local_part = smtp::lowercase_ascii(parts.local);
  const std::string key = local_part + "@" + parts.domain;
  const bool has_users = users_ != nullptr;
  // Follows the targets of the alias `alias_key`; "@domain" targets keep
  // the local part of the address being expanded.
  auto follow = [&](const std::vector<AliasTarget>& targets, const std::string& alias_key) {
    walk.path.push_back(alias_key);
    for (const auto& target : targets) {
      const std::string next = (target.local.empty() ? parts.local : target.local) + "@" + target.domain;
      const std::string next_key = smtp::lowercase_ascii(next);
      if (next_key == alias_key) {
        expand(next, depth + 1, true, walk);  // "a: a, b" keeps a copy for a
      } else if (std::find(walk.path.begin(), walk.path.end(), next_key) != walk.path.end()) {
        walk.loop = true;
      } else {
        expand(next, depth + 1, false, walk);
      }
      if (walk.loop || walk.too_many) break;
    }
    walk.path.pop_back();
  };

  if (!skip_aliases) {
    if (const auto* targets = aliases_->find(key)) return follow(*targets, key);
  }
  if (local && has_users && users_->has_user(key)) return walk.add(key);

  // Plus-addressing: "alice+news" is alice's, unless alice+news exists.
  const std::size_t tag = delimiter_.empty() ? std::string::npos : local_part.find_first_of(delimiter_);
  const std::string base_key =
      tag == std::string::npos || tag == 0 ? key : local_part.substr(0, tag) + "@" + parts.domain;
  if (base_key != key) {
    if (!skip_aliases) {
      if (const auto* targets = aliases_->find(base_key)) return follow(*targets, base_key);
    }
    if (local && has_users && users_->has_user(base_key)) return walk.add(base_key);
  }

  if (!skip_aliases) {
    if (const auto* targets = aliases_->find_catch_all(parts.domain)) return follow(*targets, key);
  }
  if (local && !has_users) return walk.add(base_key);

  if (depth == 0) {
    walk.unknown = true;
  } else {
    walk.unknown_targets.push_back(address);
  }
}

}  // namespace mailpipe::mta
