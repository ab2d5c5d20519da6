#include "mta/inbound_policy.hpp"

#include "common/log/log.hpp"
#include "common/smtp/replies.hpp"

namespace mailpipe::mta {

InboundPolicy::InboundPolicy(const RecipientResolver& resolver, const v1::MxConfig& config) : resolver_(resolver) {
  set_relay_domains(config);
}

void InboundPolicy::set_relay_domains(const v1::MxConfig& config) {
  relay_domains_.clear();
  for (const auto& domain : config.relay_domain()) relay_domains_.insert(smtp::lowercase_ascii(domain));
}

std::optional<smtp::Reply> InboundPolicy::check_sender(const smtp::SessionInfo&, const smtp::Address&) const {
  // Any syntactically valid reverse-path, the null sender included (RFC
  // 5321 4.5.5: bounces must be accepted).
  return std::nullopt;
}

std::optional<smtp::Reply> InboundPolicy::check_recipient(const smtp::SessionInfo& session,
                                                          const smtp::Address& to) const {
  const Resolution resolution = resolver_.resolve(to.str());
  switch (resolution.kind) {
    case Resolution::Kind::deliver: return std::nullopt;
    case Resolution::Kind::remote:
      if (relay_domains_.contains(smtp::lowercase_ascii(to.domain))) return std::nullopt;
      return smtp::replies::relay_denied();
    case Resolution::Kind::unknown_user: return smtp::replies::unknown_user();
    case Resolution::Kind::loop:
      log::error("alias_loop").kv("to", to.str()).kv("client", session.client_address)
          .kv("reason", "the aliases file loops for this address: fix aliases_file");
      return smtp::replies::alias_loop();
    case Resolution::Kind::too_many:
      log::error("alias_expansion_too_large").kv("to", to.str()).kv("client", session.client_address)
          .kv("reason", "beyond alias_expansion_limit or alias_recursion_limit: fix aliases_file or the limits");
      return smtp::replies::alias_expansion_too_large();
  }
  return smtp::replies::unknown_user();
}

}  // namespace mailpipe::mta
