#include "common/smtp/envelope.hpp"

namespace mailpipe::smtp {

v1::Envelope to_envelope(const SessionInfo& session, const Transaction& transaction) {
  v1::Envelope envelope;
  envelope.set_queue_id(transaction.queue_id);
  envelope.set_mail_from(transaction.from.str());
  for (const auto& recipient : transaction.recipients) {
    auto* out = envelope.add_recipients();
    out->set_address(recipient.address.str());
    out->set_notify(recipient.parameters.notify);
    out->set_orcpt(recipient.parameters.orcpt);
  }
  envelope.set_client_address(session.client_address);
  envelope.set_helo_name(session.helo);
  envelope.set_authenticated_user(session.authenticated_user);
  envelope.set_body_type(transaction.parameters.body);
  envelope.set_smtputf8(transaction.parameters.smtputf8);
  envelope.set_received_unix_ms(transaction.started_unix_ms);
  envelope.set_dsn_envid(transaction.parameters.envid);
  envelope.set_dsn_ret_full(transaction.parameters.ret_full.value_or(false));
  return envelope;
}

}  // namespace mailpipe::smtp
