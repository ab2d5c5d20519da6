#include "common/smtp/client/dialogue.hpp"

#include "common/smtp/client/commands.hpp"

namespace mailpipe::smtp::client {
namespace {

bool refusal(const Reply& reply) { return reply.code >= 400 && reply.code < 600; }

// 421: the server is closing the connection (RFC 5321 3.8), whatever step.
bool closing(const std::optional<Reply>& reply) { return reply && reply->code == 421; }

std::string first_word(const std::string& text) { return text.substr(0, text.find_first_of(" \n")); }

// Reads the reply of `step` and judges it; a reply the step does not
// allow becomes the channel's protocol error. nullopt: no valid reply.
asio::awaitable<std::optional<Reply>> read_step(ClientChannel& channel, Step step, std::chrono::milliseconds timeout) {
  std::optional<Reply> reply = co_await channel.read_reply(timeout);
  if (!reply) co_return std::nullopt;
  if (judge(step, *reply) == Verdict::protocol_error) {
    channel.fail(ChannelFailure::protocol, "unexpected reply " + std::to_string(reply->code) + " to " +
                                               step_name(step) + ": \"" + reply->text.substr(0, 80) + "\"");
    co_return std::nullopt;
  }
  co_return reply;
}

asio::awaitable<std::optional<Reply>> step_command(ClientChannel& channel, Step step, const std::string& line,
                                                   std::chrono::milliseconds timeout) {
  if (channel.unasked_input()) {
    channel.fail(ChannelFailure::protocol, std::string("the server sent a reply nobody asked for, before ") +
                                               step_name(step));
    co_return std::nullopt;
  }
  const bool written = co_await channel.write(line, timeout);
  if (!written) co_return std::nullopt;
  std::optional<Reply> reply = co_await read_step(channel, step, timeout);
  co_return reply;
}

// Fills `opened` (no class-type coroutine parameter by value: GCC 12
// destroyed such copies twice).
asio::awaitable<void> hello(ClientChannel& channel, const OpenRequest& request, Opened& opened) {
  const auto timeout = request.timeouts.command;
  opened.stopped_at = Step::hello;
  std::optional<Reply> reply =
      co_await step_command(channel, Step::hello, (request.lmtp ? "LHLO " : "EHLO ") + request.hello_name + "\r\n", timeout);
  // RFC 5321 3.2: an old server that does not know EHLO still knows HELO.
  if (reply && reply->permanent() && !request.lmtp) {
    reply = co_await step_command(channel, Step::hello, "HELO " + request.hello_name + "\r\n", timeout);
  }
  if (!reply) co_return;
  if (refusal(*reply)) {
    opened.refusal = std::move(*reply);
    co_return;
  }
  opened.extensions = parse_ehlo(*reply);
}

}  // namespace

Verdict judge(Step step, const Reply& reply) {
  if (refusal(reply)) return Verdict::refused;
  switch (step) {
    case Step::greeting:
    case Step::starttls:
      return reply.code == 220 ? Verdict::accepted : Verdict::protocol_error;
    case Step::hello:
      return reply.code == 250 ? Verdict::accepted : Verdict::protocol_error;
    case Step::data:
      return reply.code == 354 ? Verdict::accepted : Verdict::protocol_error;
    case Step::mail:
    case Step::rcpt:
    case Step::final_dot:
    case Step::rset:
      return reply.success() ? Verdict::accepted : Verdict::protocol_error;
  }
  return Verdict::protocol_error;
}

const char* step_name(Step step) {
  switch (step) {
    case Step::greeting: return "the greeting";
    case Step::hello: return "EHLO";
    case Step::starttls: return "STARTTLS";
    case Step::mail: return "MAIL FROM";
    case Step::rcpt: return "RCPT TO";
    case Step::data: return "DATA";
    case Step::final_dot: return "the end of data";
    case Step::rset: return "RSET";
  }
  return "?";
}

asio::awaitable<std::optional<Reply>> send_command(ClientChannel& channel, const std::string& line,
                                                   std::chrono::milliseconds timeout) {
  if (channel.unasked_input()) {
    channel.fail(ChannelFailure::protocol, "the server sent a reply nobody asked for");
    co_return std::nullopt;
  }
  const bool written = co_await channel.write(line, timeout);
  if (!written) co_return std::nullopt;
  std::optional<Reply> reply = co_await channel.read_reply(timeout);
  co_return reply;
}

asio::awaitable<Opened> open_session(ClientChannel& channel, const OpenRequest& request) {
  Opened opened;
  std::optional<Reply> greeting = co_await read_step(channel, Step::greeting, request.timeouts.command);
  if (!greeting) co_return opened;
  if (refusal(*greeting)) {
    opened.refusal = std::move(*greeting);
    co_return opened;
  }
  opened.greeting_name = first_word(greeting->text);
  co_await hello(channel, request, opened);
  co_return opened;
}

asio::awaitable<Opened> upgrade_to_tls(ClientChannel& channel, const OpenRequest& request, asio::ssl::context& context,
                                       const std::string& server_name, bool verify) {
  Opened opened;
  opened.stopped_at = Step::starttls;
  std::optional<Reply> ready = co_await step_command(channel, Step::starttls, "STARTTLS\r\n", request.timeouts.command);
  if (!ready) co_return opened;
  if (refusal(*ready)) {
    opened.refusal = std::move(*ready);
    co_return opened;
  }
  const bool secured = co_await channel.start_tls(context, server_name, verify, request.timeouts.command);
  if (!secured) co_return opened;
  co_await hello(channel, request, opened);
  co_return opened;
}

std::optional<Reply> TransactionResult::decisive(std::size_t i) const {
  if (mail && refusal(*mail)) return mail;
  if (i < rcpt.size() && rcpt[i] && refusal(*rcpt[i])) return rcpt[i];
  if (i >= rcpt.size() || !rcpt[i]) return std::nullopt;
  if (data && refusal(*data)) return data;
  if (i < final.size() && final[i]) return final[i];
  return std::nullopt;
}

std::size_t TransactionResult::accepted_recipients() const {
  std::size_t accepted = 0;
  for (const auto& reply : rcpt) accepted += reply && reply->success();
  return accepted;
}

namespace {

// The envelope: MAIL, RCPT... and, when pipelined, DATA in the same write.
// False when the transaction goes no further (refused or broken).
asio::awaitable<bool> send_envelope(ClientChannel& channel, const Transaction& t, TransactionResult& result,
                                    Step& at) {
  const auto timeout = t.timeouts.command;
  const bool pipeline_data = t.pipelining && !t.all_recipients_or_none;
  if (t.pipelining) {
    if (channel.unasked_input()) {
      channel.fail(ChannelFailure::protocol, "the server sent a reply nobody asked for, before MAIL FROM");
      co_return false;
    }
    std::string batch = t.mail_command;
    for (const auto& rcpt : t.rcpt_commands) batch += rcpt;
    if (pipeline_data) batch += "DATA\r\n";
    const bool written = co_await channel.write(batch, timeout);
    if (!written) co_return false;
    // RFC 2920 3.1: the replies come in the order of the commands.
    result.mail = co_await read_step(channel, Step::mail, timeout);
    if (!result.mail) co_return false;
    at = Step::rcpt;
    for (auto& reply : result.rcpt) {
      reply = co_await read_step(channel, Step::rcpt, timeout);
      if (!reply) co_return false;
    }
    if (pipeline_data) {
      at = Step::data;
      result.data = co_await read_step(channel, Step::data, timeout);
      if (!result.data) co_return false;
    }
  } else {
    result.mail = co_await step_command(channel, Step::mail, t.mail_command, timeout);
    if (!result.mail || refusal(*result.mail)) co_return false;
    at = Step::rcpt;
    for (std::size_t i = 0; i < t.rcpt_commands.size(); ++i) {
      result.rcpt[i] = co_await step_command(channel, Step::rcpt, t.rcpt_commands[i], timeout);
      if (!result.rcpt[i]) co_return false;
    }
  }
  co_return !refusal(*result.mail);
}

// After the 354: the message, the final dot and its reply or replies.
asio::awaitable<void> send_message(ClientChannel& channel, const Transaction& t, TransactionResult& result) {
  // Unasked input here would be read as the answer to the dot.
  if (channel.unasked_input()) {
    channel.fail(ChannelFailure::protocol, "the server sent more than its 354 to DATA");
    co_return;
  }
  const bool sent = co_await channel.write_data(dot_stuff(*t.message), t.timeouts.data);
  if (!sent) co_return;
  result.message_sent = true;
  for (std::size_t i = 0; i < result.rcpt.size(); ++i) {
    if (!result.rcpt[i] || !result.rcpt[i]->success()) continue;
    // RFC 2033 4.2: LMTP answers once per accepted recipient, in RCPT
    // order; SMTP once for all of them.
    if (t.lmtp || !result.final[i]) {
      std::optional<Reply> reply = co_await read_step(channel, Step::final_dot, t.timeouts.data);
      if (!reply) co_return;
      if (t.lmtp) {
        result.final[i] = std::move(reply);
        continue;
      }
      for (std::size_t k = i; k < result.rcpt.size(); ++k) {
        if (result.rcpt[k] && result.rcpt[k]->success()) result.final[k] = reply;
      }
    }
  }
  // More replies than the dot asked for, already here: the replies are
  // shifted, and which one answered whom cannot be known. None counts.
  if (channel.unasked_input()) {
    channel.fail(ChannelFailure::protocol, "the server sent more replies than asked for after the end of data");
    for (auto& reply : result.final) reply.reset();
  }
}

}  // namespace

asio::awaitable<TransactionResult> run_transaction(ClientChannel& channel, const Transaction& t) {
  TransactionResult result;
  result.rcpt.resize(t.rcpt_commands.size());
  result.final.resize(t.rcpt_commands.size());
  auto finish = [&](bool clean) {
    result.broken = channel.error().kind != ChannelFailure::none;
    result.reusable = clean && !result.broken && !closing(result.mail) && !closing(result.data) &&
                      !channel.unasked_input();
    for (const auto& reply : result.final) result.reusable = result.reusable && !closing(reply);
    for (const auto& reply : result.rcpt) result.reusable = result.reusable && !closing(reply);
    return result;
  };
  auto broken_at = [&](Step step) {
    if (channel.error().kind != ChannelFailure::none && !result.broken_at) result.broken_at = step;
  };

  Step at = Step::mail;
  const bool envelope_sent = co_await send_envelope(channel, t, result, at);
  if (!envelope_sent) {
    broken_at(at);
    // MAIL refused: the transaction never began, the connection is clean
    // (unless a pipelined DATA got its 354 anyway: the server now reads data).
    co_return finish(result.mail && refusal(*result.mail) && !(result.data && !refusal(*result.data)));
  }
  const std::size_t accepted = result.accepted_recipients();
  if (t.all_recipients_or_none && accepted < t.rcpt_commands.size()) {
    // RFC 5321 4.1.1.5: abandon the transaction.
    result.abandoned = true;
    const std::optional<Reply> reset = co_await step_command(channel, Step::rset, "RSET\r\n", t.timeouts.command);
    broken_at(Step::rset);
    co_return finish(reset.has_value());
  }
  if (!result.data) {
    if (accepted == 0) co_return finish(false);  // the transaction is open; not worth an RSET
    result.data = co_await step_command(channel, Step::data, "DATA\r\n", t.timeouts.command);
    if (!result.data) {
      broken_at(Step::data);
      co_return finish(false);
    }
  }
  if (refusal(*result.data)) co_return finish(true);
  if (accepted == 0) {
    // A server that said 354 with no recipient (RFC 2920 3.1): an empty
    // message ends the data; the connection is not worth keeping.
    co_await channel.write(".\r\n", t.timeouts.command);
    co_return finish(false);
  }
  co_await send_message(channel, t, result);
  broken_at(Step::final_dot);
  co_return finish(true);
}

asio::awaitable<void> say_quit(ClientChannel& channel, std::chrono::milliseconds bound) {
  if (channel.error().kind != ChannelFailure::none) co_return;
  const bool written = co_await channel.write("QUIT\r\n", bound);
  if (written) co_await channel.read_reply(bound);
}

}  // namespace mailpipe::smtp::client
