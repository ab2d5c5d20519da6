#include "mta/mx_receiver.hpp"

#include <ctime>

#include "common/log/log.hpp"
#include "common/mail/trace_headers.hpp"
#include "common/smtp/envelope.hpp"

namespace mailpipe::mta {

MxReceiver::MxReceiver(Intake& intake, std::string hostname) : intake_(intake), hostname_(std::move(hostname)) {}

asio::awaitable<smtp::Reply> MxReceiver::accept(const smtp::SessionInfo& session,
                                                const smtp::Transaction& transaction, std::string message) {
  mail::TraceInfo trace{session.helo, session.client_address, session.tls_version, session.tls_cipher,
                        hostname_,    transaction.queue_id,   std::time(nullptr)};
  trace.protocol = mail::received_protocol(session.esmtp, session.tls, false, transaction.parameters.smtputf8);

  v1::Submit submit;
  *submit.mutable_envelope() = smtp::to_envelope(session, transaction);
  std::string stored = mail::received_header(trace);
  stored.reserve(stored.size() + message.size());
  stored += message;
  submit.set_message(std::move(stored));
  const std::size_t size = submit.message().size();

  const v1::SubmitReply answer = co_await intake_.submit(std::move(submit));
  const smtp::Reply reply = smtp::Reply::from_status(answer.status());
  auto line = reply.success() ? log::info("received") : log::warning("receive_failed");
  line.kv("queue_id", answer.queue_id()).kv("from", transaction.from.str())
      .kv("nrcpt", transaction.recipients.size()).kv("size", size).kv("client", session.client_address)
      .kv("helo", session.helo).kv("tls", session.tls ? session.tls_version : "none")
      .kv("code", reply.code).kv("dsn", reply.enhanced);
  co_return reply;
}

}  // namespace mailpipe::mta
