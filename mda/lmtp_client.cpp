#include "mda/lmtp_client.hpp"

#include "common/smtp/client/commands.hpp"
#include "common/smtp/client/dialogue.hpp"
#include "common/smtp/client/outcome.hpp"
#include "common/smtp/client/stream_channel.hpp"

namespace mailpipe::mda {
namespace {

// QUIT is a courtesy once every recipient has its answer.
constexpr std::chrono::seconds quit_bound{2};

smtp::client::MailParameters mail_parameters(const LmtpMessage& message, const smtp::client::ServerExtensions& ext) {
  const v1::Envelope& envelope = *message.envelope;
  smtp::client::MailParameters parameters;
  if (ext.size) parameters.size = message.message->size();                                 // RFC 1870
  parameters.eightbit = ext.eightbit && envelope.body_type() == v1::BODY_8BITMIME;         // RFC 6152
  parameters.smtputf8 = ext.smtputf8 && envelope.smtputf8();                               // RFC 6531
  return parameters;
}

// Whoever the server did not answer for is kept by the MTA for a later
// try: 4.4.2 when the server broke the protocol, else 4.4.1 (no answer).
v1::RecipientResult unanswered(const std::string& address, const LmtpTarget& target, const smtp::client::ChannelError& error) {
  const std::string why = error.kind == smtp::client::ChannelFailure::none          ? "no reply"
                          : error.kind == smtp::client::ChannelFailure::unreachable ? "cannot connect: " + error.text
                                                                            : error.text;
  const bool protocol = error.kind == smtp::client::ChannelFailure::protocol;
  return smtp::client::recipient_result(address, smtp::Reply{451, protocol ? "4.4.2" : "4.4.1", "LMTP server " + target.server + ": " + why});
}

// Connect, LHLO and the transaction; fills `results` for the recipients
// in `sent` that the server answered.
asio::awaitable<void> run_session(smtp::client::StreamChannel& channel, const LmtpTarget& target, const std::string& lhlo_name,
                                  const LmtpMessage& message, smtp::client::Transaction& t, const std::vector<std::size_t>& sent,
                                  std::vector<std::optional<v1::RecipientResult>>& results) {
  const std::vector<std::string>& recipients = message.recipients;
  const smtp::client::ClientTimeouts timeouts{target.timeout, target.timeout};
  const bool connected = co_await channel.connect(target.endpoint, target.timeout);
  if (!connected) co_return;
  const smtp::client::OpenRequest request{lhlo_name, true, timeouts};
  const smtp::client::Opened opened = co_await smtp::client::open_session(channel, request);
  if (opened.refusal) {
    for (std::size_t i : sent) {
      smtp::Reply refusal = *opened.refusal;
      refusal.text = "LMTP server " + target.server + " refused the session: " + refusal.text;
      results[i] = smtp::client::recipient_result(recipients[i], refusal);
    }
    co_return;
  }
  if (!opened.extensions) co_return;
  t.mail_command = *smtp::client::mail_from_command(message.envelope->mail_from(), mail_parameters(message, *opened.extensions));
  t.message = message.message;
  t.lmtp = true;
  t.timeouts = timeouts;
  const smtp::client::TransactionResult result = co_await smtp::client::run_transaction(channel, t);
  for (std::size_t k = 0; k < sent.size(); ++k) {
    const std::optional<smtp::Reply> reply = result.decisive(k);
    if (reply) results[sent[k]] = smtp::client::recipient_result(recipients[sent[k]], *reply);
  }
  co_await smtp::client::say_quit(channel, quit_bound);
}

}  // namespace

asio::awaitable<std::vector<v1::RecipientResult>> deliver_by_lmtp(const LmtpTarget& target,
                                                                  const std::string& lhlo_name,
                                                                  const LmtpMessage& message) {
  const std::vector<std::string>& recipients = message.recipients;
  std::vector<std::optional<v1::RecipientResult>> results(recipients.size());
  smtp::client::StreamChannel channel(co_await asio::this_coro::executor);
  // The whole session has one deadline (the rule's timeout_ms), so no
  // peer can hold a delivery longer.
  channel.set_session_deadline(smtp::client::StreamChannel::Clock::now() + target.timeout);

  // A Deliver comes from the MTA, but an address with CR or LF must still
  // never become a second LMTP command.
  smtp::client::Transaction t;
  std::vector<std::size_t> sent;  // index in recipients of each RCPT sent
  const std::optional<std::string> mail = smtp::client::mail_from_command(message.envelope->mail_from(), {});
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    if (!mail) {
      results[i] = smtp::client::recipient_result(recipients[i], {550, "5.1.7", "Sender address not allowed in an LMTP command"});
      continue;
    }
    const std::optional<std::string> rcpt = smtp::client::rcpt_to_command(recipients[i], {});
    if (!rcpt) {
      results[i] = smtp::client::recipient_result(recipients[i], {550, "5.1.3", "Recipient address not allowed in an LMTP command"});
      continue;
    }
    t.rcpt_commands.push_back(*rcpt);
    sent.push_back(i);
  }

  if (!sent.empty()) co_await run_session(channel, target, lhlo_name, message, t, sent, results);
  std::vector<v1::RecipientResult> out;
  for (std::size_t i = 0; i < results.size(); ++i) {
    out.push_back(results[i] ? *results[i] : unanswered(recipients[i], target, channel.error()));
  }
  co_return out;
}

}  // namespace mailpipe::mda
