#include "mua/submission.hpp"

#include <openssl/crypto.h>

#include "common/auth/base64.hpp"
#include "common/smtp/client_text.hpp"
#include "mua/ehlo_extensions.hpp"
#include "mua/terminal_text.hpp"

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
  Dialogue(SmtpChannel& channel, const SubmissionRequest& request) : channel_(channel), request_(request) {}

  asio::awaitable<SubmissionOutcome> run() {
    // Every co_await result gets a name before a test: GCC 12 miscompiles
    // a coroutine whose first statement is `if (co_await ...)`.
    const bool opened = co_await open();
    if (!opened) co_return outcome_;
    if (request_.credentials) {
      const bool logged_in = co_await login();
      if (!logged_in) co_return outcome_;
    }
    const bool envelope_accepted = co_await envelope();
    if (envelope_accepted) co_await data();
    // After a lost or stalled connection QUIT would only wait out another timeout.
    if (outcome_.exit != Exit::unreachable) co_await quit();
    co_return outcome_;
  }

 private:
  asio::awaitable<smtp::Reply> command(const std::string& line) {
    const bool written = co_await channel_.write(line);
    if (!written) co_return smtp::Reply{0, "", channel_.last_error()};
    const smtp::Reply reply = co_await channel_.read_reply();
    co_return reply;
  }

  // Returns false after recording the failure.
  bool fail(Exit exit, std::string error) {
    outcome_.exit = exit;
    outcome_.error = std::move(error);
    return false;
  }

  // A reply with code 0 is a connection that failed: exit 5, whatever step.
  bool lost(const smtp::Reply& reply, std::string_view during) {
    return fail(Exit::unreachable, "connection to " + request_.server + " failed " + std::string(during) + ": " +
                                       terminal_line(reply.text));
  }

  asio::awaitable<bool> hello() {
    const smtp::Reply reply = co_await command("EHLO " + request_.helo_name + "\r\n");
    if (reply.code == 0) co_return lost(reply, "at EHLO");
    if (reply.code != 250) co_return fail(Exit::unreachable, request_.server + " refused EHLO: " + describe_reply(reply));
    extensions_ = parse_ehlo(reply);
    co_return true;
  }

  asio::awaitable<bool> open() {
    const smtp::Reply greeting = co_await channel_.read_reply();
    if (greeting.code == 0) {
      lost(greeting, "before its greeting");
      // The usual cause: an implicit-TLS port waits for our handshake while we wait for its 220.
      if (request_.starttls) outcome_.error += " (if this is an implicit-TLS port such as 465, add --tls)";
      co_return false;
    }
    if (greeting.code != 220) {
      co_return fail(Exit::unreachable, request_.server + " turned the connection away: " + describe_reply(greeting));
    }
    const bool greeted = co_await hello();
    if (!greeted) co_return false;
    if (request_.starttls) {
      if (!extensions_.starttls) {
        co_return fail(Exit::unreachable, request_.server + " does not offer STARTTLS, and mpmail sends neither "
                                                            "passwords nor mail in clear (port 465 wants --tls)");
      }
      const smtp::Reply ready = co_await command("STARTTLS\r\n");
      if (ready.code == 0) co_return lost(ready, "at STARTTLS");
      if (ready.code != 220) co_return fail(Exit::unreachable, request_.server + " refused STARTTLS: " + describe_reply(ready));
      const bool secured = co_await channel_.start_tls();
      if (!secured) co_return fail(Exit::unreachable, channel_.last_error());
      // RFC 3207 4.2: forget what the server said before TLS; ask again.
      const bool greeted_again = co_await hello();
      if (!greeted_again) co_return false;
    }
    if (!channel_.tls_active()) co_return fail(Exit::unreachable, "no TLS with " + request_.server);
    co_return true;
  }

  asio::awaitable<bool> login() {
    const Credentials& credentials = *request_.credentials;
    if (!extensions_.auth) co_return fail(Exit::login_refused, request_.server + " does not offer AUTH, so there is no login");
    smtp::Reply reply;
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
      if (reply.code == 334) reply = co_await command(auth::base64_encode(credentials.user) + "\r\n");
      if (reply.code == 334) {
        const Wiped line(secret_line("", credentials.password));
        reply = co_await command(line.str());
      }
    } else {
      co_return fail(Exit::login_refused, request_.server + " offers no login method mpmail knows (PLAIN, LOGIN)");
    }
    if (reply.code == 0) co_return lost(reply, "during AUTH");
    if (reply.code != 235) co_return fail(Exit::login_refused, "login refused by the server: " + describe_reply(reply));
    co_return true;
  }

  // MAIL FROM with the parameters this message needs, or a reason it cannot go.
  std::optional<std::string> mail_command() {
    const OutgoingMail& mail = *request_.mail;
    std::string line = "MAIL FROM:<" + mail.mail_from + ">";
    if (extensions_.size) {
      if (mail.message.size() > extensions_.size) {
        fail(Exit::refused, "the message is " + std::to_string(mail.message.size()) + " bytes and " + request_.server +
                                " takes at most " + std::to_string(extensions_.size) + " (SIZE)");
        return std::nullopt;
      }
      line += " SIZE=" + std::to_string(mail.message.size());
    }
    if (mail.eight_bit) {
      if (!extensions_.eightbit) {
        fail(Exit::refused, request_.server + " does not offer 8BITMIME, which this message needs");
        return std::nullopt;
      }
      line += " BODY=8BITMIME";
    }
    if (mail.needs_smtputf8) {
      if (!extensions_.smtputf8) {
        fail(Exit::refused, request_.server + " does not offer SMTPUTF8, which the non-ASCII addresses need");
        return std::nullopt;
      }
      line += " SMTPUTF8";
    }
    return line + "\r\n";
  }

  // After MAIL: the recipients the server takes, the refused ones recorded.
  asio::awaitable<std::optional<std::size_t>> recipients() {
    std::size_t accepted = 0;
    for (const std::string& recipient : request_.mail->recipients) {
      const smtp::Reply reply = co_await command("RCPT TO:<" + recipient + ">\r\n");
      if (reply.code == 0) {
        lost(reply, "at RCPT");
        co_return std::nullopt;
      }
      if (reply.positive()) {
        ++accepted;
      } else {
        outcome_.refused.push_back("recipient <" + terminal_line(recipient) + "> refused by the server: " +
                                   describe_reply(reply));
      }
    }
    co_return accepted;
  }

  // MAIL and RCPT; true when the message should go on to DATA.
  asio::awaitable<bool> envelope() {
    const std::optional<std::string> mail = mail_command();
    if (!mail) co_return false;
    const smtp::Reply sender = co_await command(*mail);
    if (sender.code == 0) co_return lost(sender, "at MAIL FROM");
    if (!sender.positive()) {
      co_return fail(Exit::refused, "sender <" + terminal_line(request_.mail->mail_from) +
                                        "> refused by the server: " + describe_reply(sender));
    }
    const std::optional<std::size_t> accepted = co_await recipients();
    if (!accepted) co_return false;
    accepted_ = *accepted;
    const std::size_t total = request_.mail->recipients.size();
    if (accepted_ == 0) co_return fail(Exit::refused, "no recipient accepted: nothing sent");
    if (accepted_ < total && !request_.partial) {
      co_await command("RSET\r\n");  // RFC 5321 4.1.1.5: abandon the transaction
      co_return fail(Exit::refused, "nothing sent: " + std::to_string(total - accepted_) + " of " +
                                        std::to_string(total) + " recipients refused (--partial sends to the others)");
    }
    co_return true;
  }

  asio::awaitable<bool> data() {
    const smtp::Reply go_ahead = co_await command("DATA\r\n");
    if (go_ahead.code == 0) co_return lost(go_ahead, "at DATA");
    if (go_ahead.code != 354) co_return fail(Exit::refused, request_.server + " refused DATA: " + describe_reply(go_ahead));
    const bool sent = co_await channel_.write(smtp::dot_stuff(request_.mail->message));
    if (!sent) {
      co_return fail(Exit::unreachable,
                     "connection to " + request_.server + " failed while sending the message: " + channel_.last_error());
    }
    const smtp::Reply final_reply = co_await channel_.read_reply();
    if (final_reply.code == 0) {
      co_return lost(final_reply, "after the message was sent, so it may or may not have been accepted");
    }
    if (!final_reply.positive()) {
      co_return fail(Exit::refused, "message refused by the server: " + describe_reply(final_reply));
    }
    outcome_.accepted = describe_reply(final_reply);
    if (accepted_ < request_.mail->recipients.size()) co_return fail(Exit::refused, "sent, but not to every recipient");
    co_return true;
  }

  asio::awaitable<void> quit() {
    // A courtesy after the outcome is known; its failure changes nothing.
    const bool written = co_await channel_.write("QUIT\r\n");
    if (written) co_await channel_.read_reply();
  }

  SmtpChannel& channel_;
  const SubmissionRequest& request_;
  EhloExtensions extensions_;
  std::size_t accepted_ = 0;  // recipients the server took
  SubmissionOutcome outcome_;
};

}  // namespace

std::string describe_reply(const smtp::Reply& reply) {
  std::string text = std::to_string(reply.code);
  if (!reply.enhanced.empty()) text += " " + reply.enhanced;
  if (!reply.text.empty()) text += " " + reply.text;
  return terminal_line(text);  // multi-line replies become one line
}

asio::awaitable<SubmissionOutcome> submit(SmtpChannel& channel, const SubmissionRequest& request) {
  Dialogue dialogue(channel, request);
  SubmissionOutcome outcome = co_await dialogue.run();
  co_return outcome;
}

}  // namespace mailpipe::mua
