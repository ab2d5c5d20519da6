#include "mua/submit/submission.hpp"

#include <openssl/crypto.h>

#include "common/auth/base64.hpp"
#include "common/cli/terminal_text.hpp"
#include "common/smtp/client/commands.hpp"
#include "common/smtp/client/dialogue.hpp"

namespace mailpipe::mua {
namespace {

// Clears a string holding a secret before it is freed.
class Wiped final {
 public:
  Wiped() = default;
  explicit Wiped(std::string text) : text_(std::move(text)) {}
  ~Wiped() { OPENSSL_cleanse(text_.data(), text_.size()); }
  Wiped(const Wiped&) = delete;
  Wiped& operator=(const Wiped&) = delete;
  const std::string& str() const { return text_; }

 private:
  std::string text_;
};

// "PREFIXbase64(secret)\r\n" in one allocation, the intermediate wiped;
// the caller wraps the result in Wiped.
std::string secret_line(std::string_view prefix, std::string_view secret) {
  const Wiped encoded(auth::base64_encode(secret));
  std::string line;
  line.reserve(prefix.size() + encoded.str().size() + 2);
  line += prefix;
  line += encoded.str();
  line += "\r\n";
  return line;
}

class Dialogue final {
 public:
  Dialogue(smtp::client::ClientChannel& channel, const SubmissionRequest& request)
      : channel_(channel), request_(request), hello_{request.helo_name, false, {request.timeout, request.timeout}} {}

  asio::awaitable<SubmissionOutcome> run() {
    // Every co_await result gets a name before a test: GCC 12 miscompiles
    // a coroutine whose first statement is `if (co_await ...)`.
    const bool opened = co_await open();
    if (!opened) co_return outcome_;
    if (request_.credentials) {
      const bool logged_in = co_await login();
      if (!logged_in) co_return outcome_;
    }
    co_await send();
    // After a lost or stalled connection QUIT would only wait out another timeout.
    if (outcome_.exit != Exit::unreachable) co_await smtp::client::say_quit(channel_, request_.timeout);
    co_return outcome_;
  }

 private:
  // Returns false after recording the failure.
  bool fail(Exit exit, std::string error) {
    outcome_.exit = exit;
    outcome_.error = std::move(error);
    return false;
  }

  // No valid reply: the connection failed or the server broke the
  // protocol: exit 5, whatever step.
  bool lost(std::string_view during) {
    return fail(Exit::unreachable, "connection to " + request_.server + " failed " + std::string(during) + ": " +
                                       cli::terminal_line(channel_.error().text));
  }

  // The greeting and EHLO (again after STARTTLS): true when open.
  bool check_opened(const smtp::client::Opened& opened) {
    if (opened.extensions) {
      extensions_ = *opened.extensions;
      return true;
    }
    switch (opened.stopped_at) {
      case smtp::client::Step::greeting:
        if (opened.refusal) return fail(Exit::unreachable, request_.server + " turned the connection away: " + describe_reply(*opened.refusal));
        lost("before its greeting");
        // The usual cause: an implicit-TLS port waits for our handshake while we wait for its 220.
        if (request_.starttls) outcome_.error += " (if this is an implicit-TLS port such as 465, add --tls)";
        return false;
      case smtp::client::Step::starttls:
        if (opened.refusal) return fail(Exit::unreachable, request_.server + " refused STARTTLS: " + describe_reply(*opened.refusal));
        if (channel_.error().kind == smtp::client::ChannelFailure::tls) {
          std::string error = cli::terminal_line(channel_.error().text);
          if (request_.verify && error.find("certificate verify failed") != std::string::npos) {
            error += " (--ca-file FILE trusts a private CA)";
          }
          return fail(Exit::unreachable, error);
        }
        return lost("at STARTTLS");
      default:
        if (opened.refusal) return fail(Exit::unreachable, request_.server + " refused EHLO: " + describe_reply(*opened.refusal));
        return lost("at EHLO");
    }
  }

  asio::awaitable<bool> open() {
    const smtp::client::Opened opened = co_await smtp::client::open_session(channel_, hello_);
    if (!check_opened(opened)) co_return false;
    if (request_.starttls) {
      if (!extensions_.starttls) {
        co_return fail(Exit::unreachable, request_.server + " does not offer STARTTLS, and mpmail sends neither "
                                                            "passwords nor mail in clear (port 465 wants --tls)");
      }
      // RFC 3207 4.2: forget what the server said before TLS; ask again.
      const smtp::client::Opened secured =
          co_await smtp::client::upgrade_to_tls(channel_, hello_, *request_.tls, request_.tls_host, request_.verify);
      if (!check_opened(secured)) co_return false;
    }
    if (!channel_.tls_active()) co_return fail(Exit::unreachable, "no TLS with " + request_.server);
    co_return true;
  }

  asio::awaitable<std::optional<smtp::Reply>> command(const std::string& line) {
    std::optional<smtp::Reply> reply = co_await smtp::client::send_command(channel_, line, request_.timeout);
    co_return reply;
  }

  asio::awaitable<bool> login() {
    const Credentials& credentials = *request_.credentials;
    if (!extensions_.auth) co_return fail(Exit::login_refused, request_.server + " does not offer AUTH, so there is no login");
    std::optional<smtp::Reply> reply;
    if (extensions_.auth_mechanisms.contains("PLAIN")) {
      // RFC 4616: authzid (empty) NUL authcid NUL password, as the initial response.
      std::string plain(1, '\0');
      plain.append(credentials.user);
      plain += '\0';
      plain.append(credentials.password);
      const Wiped line(secret_line("AUTH PLAIN ", plain));
      OPENSSL_cleanse(plain.data(), plain.size());
      reply = co_await command(line.str());
    } else if (extensions_.auth_mechanisms.contains("LOGIN")) {
      reply = co_await command("AUTH LOGIN\r\n");
      if (reply && reply->code == 334) reply = co_await command(auth::base64_encode(credentials.user) + "\r\n");
      if (reply && reply->code == 334) {
        const Wiped line(secret_line("", credentials.password));
        reply = co_await command(line.str());
      }
    } else {
      co_return fail(Exit::login_refused, request_.server + " offers no login method mpmail knows (PLAIN, LOGIN)");
    }
    if (!reply) co_return lost("during AUTH");
    if (reply->code != 235) co_return fail(Exit::login_refused, "login refused by the server: " + describe_reply(*reply));
    co_return true;
  }

  // MAIL FROM with the parameters this message needs, or a reason it cannot go.
  std::optional<std::string> mail_command() {
    const OutgoingMail& mail = *request_.mail;
    smtp::client::MailParameters parameters;
    if (extensions_.size) {
      if (mail.message.size() > extensions_.size) {
        fail(Exit::refused, "the message is " + std::to_string(mail.message.size()) + " bytes and " + request_.server +
                                " takes at most " + std::to_string(extensions_.size) + " (SIZE)");
        return std::nullopt;
      }
      parameters.size = mail.message.size();
    }
    if (mail.eight_bit && !extensions_.eightbit) {
      fail(Exit::refused, request_.server + " does not offer 8BITMIME, which this message needs");
      return std::nullopt;
    }
    if (mail.needs_smtputf8 && !extensions_.smtputf8) {
      fail(Exit::refused, request_.server + " does not offer SMTPUTF8, which the non-ASCII addresses need");
      return std::nullopt;
    }
    parameters.eightbit = mail.eight_bit;
    parameters.smtputf8 = mail.needs_smtputf8;
    std::optional<std::string> line = smtp::client::mail_from_command(mail.mail_from, parameters);
    if (!line) fail(Exit::usage, "the sender address cannot be sent in an SMTP command");
    return line;
  }

  asio::awaitable<void> send() {
    smtp::client::Transaction t;
    const std::optional<std::string> mail = mail_command();
    if (!mail) co_return;
    t.mail_command = *mail;
    for (const std::string& recipient : request_.mail->recipients) {
      const std::optional<std::string> line = smtp::client::rcpt_to_command(recipient, {});
      if (!line) {
        fail(Exit::usage,
             "the recipient address <" + cli::terminal_line(recipient) + "> cannot be sent in an SMTP command");
        co_return;
      }
      t.rcpt_commands.push_back(*line);
    }
    t.message = &request_.mail->message;
    t.all_recipients_or_none = !request_.partial;
    t.timeouts = {request_.timeout, request_.timeout};
    const smtp::client::TransactionResult result = co_await smtp::client::run_transaction(channel_, t);
    report(result);
  }

  // The transaction's outcome in the user's words.
  void report(const smtp::client::TransactionResult& result) {
    if (!result.mail) return void(lost("at MAIL FROM"));
    if (!result.mail->success()) {
      return void(fail(Exit::refused, "sender <" + cli::terminal_line(request_.mail->mail_from) +
                                          "> refused by the server: " + describe_reply(*result.mail)));
    }
    const std::vector<std::string>& recipients = request_.mail->recipients;
    for (std::size_t i = 0; i < recipients.size(); ++i) {
      if (!result.rcpt[i]) return void(lost("at RCPT"));
      if (!result.rcpt[i]->success()) {
        outcome_.refused.push_back("recipient <" + cli::terminal_line(recipients[i]) + "> refused by the server: " +
                                   describe_reply(*result.rcpt[i]));
      }
    }
    const std::size_t accepted = result.accepted_recipients();
    if (accepted == 0) return void(fail(Exit::refused, "no recipient accepted: nothing sent"));
    if (result.abandoned) {
      return void(fail(Exit::refused, "nothing sent: " + std::to_string(recipients.size() - accepted) + " of " +
                                          std::to_string(recipients.size()) +
                                          " recipients refused (--partial sends to the others)"));
    }
    if (!result.data) return void(lost("at DATA"));
    if (!result.data->intermediate()) {
      return void(fail(Exit::refused, request_.server + " refused DATA: " + describe_reply(*result.data)));
    }
    std::optional<smtp::Reply> final_reply;
    for (const auto& reply : result.final) {
      if (reply) final_reply = reply;
    }
    if (!result.message_sent) return void(lost("while sending the message"));
    if (!final_reply) return void(lost("after the message was sent, so it may or may not have been accepted"));
    if (!final_reply->success()) {
      return void(fail(Exit::refused, "message refused by the server: " + describe_reply(*final_reply)));
    }
    outcome_.accepted = describe_reply(*final_reply);
    if (accepted < recipients.size()) fail(Exit::refused, "sent, but not to every recipient");
  }

  smtp::client::ClientChannel& channel_;
  const SubmissionRequest& request_;
  const smtp::client::OpenRequest hello_;
  smtp::client::ServerExtensions extensions_;
  SubmissionOutcome outcome_;
};

}  // namespace

std::string describe_reply(const smtp::Reply& reply) {
  std::string text = std::to_string(reply.code);
  if (!reply.enhanced.empty()) text += " " + reply.enhanced;
  if (!reply.text.empty()) text += " " + reply.text;
  return cli::terminal_line(text);  // multi-line replies become one line
}

asio::awaitable<SubmissionOutcome> submit(smtp::client::ClientChannel& channel, const SubmissionRequest& request) {
  Dialogue dialogue(channel, request);
  SubmissionOutcome outcome = co_await dialogue.run();
  co_return outcome;
}

}  // namespace mailpipe::mua
