#include "msa/mta_submitter.hpp"

#include <random>

#include "common/log/log.hpp"
#include "common/smtp/envelope.hpp"
#include "common/smtp/replies.hpp"
#include "common/mail/trace_headers.hpp"

namespace mailpipe::msa {
namespace {

std::string random_token() {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  static constexpr char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string token(12, '0');
  for (char& c : token) c = alphabet[generator() % (sizeof alphabet - 1)];
  return token;
}

}  // namespace

MtaSubmitter::MtaSubmitter(MtaPool& mtas, std::string hostname, std::chrono::milliseconds submit_timeout)
    : mtas_(mtas), hostname_(std::move(hostname)), submit_timeout_(submit_timeout) {}

asio::awaitable<smtp::Reply> MtaSubmitter::accept(const smtp::SessionInfo& session,
                                                  const smtp::Transaction& transaction, std::string message) {
  mail::TraceInfo trace{session.helo,     session.client_address, session.tls_version, session.tls_cipher,
                        hostname_,        transaction.queue_id,   std::time(nullptr)};
  trace.protocol = mail::received_protocol(session.esmtp, session.tls, !session.authenticated_user.empty(),
                                           transaction.parameters.smtputf8);
  v1::Frame request;
  auto* submit = request.mutable_submit();
  *submit->mutable_envelope() = smtp::to_envelope(session, transaction);
  submit->set_message(mail::add_trace_headers(message, trace, random_token()));
  const std::size_t size = submit->message().size();

  const auto started = std::chrono::steady_clock::now();
  MtaPool::Answer pooled = co_await mtas_.submit(request, submit_timeout_);
  std::optional<v1::Frame>& answer = pooled.frame;
  const auto waited_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started).count();

  smtp::Reply reply;
  if (!answer) {
    reply = smtp::replies::queue_unavailable();
  } else if (answer->has_submit_reply()) {
    reply = smtp::Reply::from_status(answer->submit_reply().status());
  } else if (answer->has_error()) {
    reply = smtp::Reply::from_status(answer->error().status());
  } else {
    reply = smtp::replies::queue_unavailable();
  }

  auto line = reply.success() ? log::info("submitted") : log::warning("submit_failed");
  line.kv("queue_id", transaction.queue_id)
      .kv("from", transaction.from.str())
      .kv("nrcpt", transaction.recipients.size())
      .kv("size", size)
      .kv("user", session.authenticated_user)
      .kv("client", session.client_address)
      .kv("code", reply.code)
      .kv("dsn", reply.enhanced)
      .kv("mta", pooled.mta).kv("mta_tries", pooled.tried).kv("mta_ms", waited_ms);
  if (!answer) line.kv("reason", "no answer from any MTA within submit_timeout_ms");
  co_return reply;
}

}  // namespace mailpipe::msa
