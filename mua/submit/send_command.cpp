#include "mua/submit/send_command.hpp"

#include <unistd.h>

#include <ctime>
#include <iostream>

#include "common/mime/random_token.hpp"
#include "common/smtp/address.hpp"
#include "common/smtp/client/stream_channel.hpp"
#include "common/smtp/client/tls_client.hpp"
#include "mua/compose/input_files.hpp"
#include "mua/compose/outgoing_mail.hpp"
#include "mua/submit/password_input.hpp"
#include "mua/submit/server_address.hpp"
#include "mua/submit/submission.hpp"

namespace mailpipe::mua {
namespace {

// 128 bits: Message-IDs and boundaries nobody can guess or repeat.
constexpr std::size_t random_bytes = 16;

mime::Mailbox mailbox_option(const std::string& option, const std::string& text) {
  auto parsed = mime::parse_mailbox(text);
  if (auto* error = std::get_if<std::string>(&parsed)) throw Failure(Exit::usage, "--" + option + " " + text + ": " + *error);
  return std::get<mime::Mailbox>(parsed);
}

std::vector<mime::Mailbox> mailbox_options(const std::string& option, const std::vector<std::string>& texts) {
  std::vector<mime::Mailbox> mailboxes;
  for (const std::string& text : texts) mailboxes.push_back(mailbox_option(option, text));
  return mailboxes;
}

std::string checked_subject(const std::string& subject) {
  if (!smtp::valid_utf8(subject)) throw Failure(Exit::usage, "--subject is not valid UTF-8");
  for (char c : subject) {
    // A line break here would let the subject write header fields of its own.
    if (c == '\r' || c == '\n') throw Failure(Exit::usage, "--subject holds a line break");
  }
  return subject;
}

std::string checked_body(std::string body, const std::string& name) {
  if (!smtp::valid_utf8(body)) {
    throw Failure(Exit::failed, name + " is not UTF-8 text: convert it (iconv -t UTF-8) or send it with --attach");
  }
  if (body.find('\0') != std::string::npos) throw Failure(Exit::failed, name + " holds NUL bytes: send it with --attach");
  return body;
}

MailRequest mail_request(const SendOptions& options, std::istream& in, std::ostream& err) {
  MailRequest request;
  request.from = mailbox_option("from", options.from);
  request.to = mailbox_options("to", options.to);
  request.cc = mailbox_options("cc", options.cc);
  request.bcc = mailbox_options("bcc", options.bcc);
  request.subject = checked_subject(options.subject);
  if (options.body_file && *options.body_file != "-") {
    request.body = checked_body(read_input_file(*options.body_file), *options.body_file);
  } else {
    if (&in == &std::cin && ::isatty(STDIN_FILENO)) err << "mpmail: type the text, end it with Ctrl-D\n";
    request.body = checked_body(read_input_stream(in, "stdin"), "stdin");
  }
  for (const std::string& spec : options.attach) request.attachments.push_back(load_attachment(parse_attachment_spec(spec)));
  request.now = std::time(nullptr);
  return request;
}

// RFC 5321 4.1.4: EHLO with our domain name, or an address literal when
// the host has no name with a dot in it.
std::string helo_name(const smtp::client::StreamChannel& channel) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) {
    const std::string name = host;
    bool usable = name.find('.') != std::string::npos && name.front() != '.' && name.back() != '.';
    for (char c : name) {
      usable = usable && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.');
    }
    if (usable) return name;
  }
  return channel.local_address_literal();
}

asio::ssl::context client_tls(const SendOptions& options) {
  try {
    return smtp::client::make_client_tls_context({!options.insecure, options.ca_file.value_or("")});
  } catch (const std::runtime_error& e) {
    throw Failure(Exit::usage, e.what());
  }
}

struct Connection {
  ServerAddress server;
  bool implicit_tls = false;
  bool verify = true;
  std::chrono::milliseconds timeout{0};
};

// The name's addresses in turn until one answers; with implicit TLS the
// handshake is part of connecting. "" or why not, for the user.
asio::awaitable<std::string> connect(smtp::client::StreamChannel& channel, const Connection& connection,
                                     asio::ssl::context& tls) {
  const ServerAddress& server = connection.server;
  asio::ip::tcp::resolver resolver(co_await asio::this_coro::executor);
  asio::steady_timer deadline(resolver.get_executor(), connection.timeout);
  deadline.async_wait([&resolver](const asio::error_code& ec) {
    if (!ec) resolver.cancel();
  });
  asio::error_code ec;
  const auto endpoints = co_await resolver.async_resolve(server.host, std::to_string(server.port),
                                                         asio::redirect_error(asio::use_awaitable, ec));
  deadline.cancel();
  if (ec || endpoints.empty()) co_return "cannot resolve " + server.host + ": " + (ec ? ec.message() : "no address");
  std::string why = "no address";
  for (const auto& entry : endpoints) {
    const bool connected = co_await channel.connect(asio::generic::stream_protocol::endpoint(entry.endpoint()), connection.timeout);
    if (!connected) {
      why = channel.error().text;
      continue;
    }
    if (!connection.implicit_tls) co_return "";
    const bool secured = co_await channel.start_tls(tls, server.host, connection.verify, connection.timeout);
    if (secured) co_return "";
    std::string error = channel.error().text;
    // The usual cause: a STARTTLS port greets in plaintext, which is no TLS record.
    if (error.find("wrong version number") != std::string::npos) {
      error += " (if this is a STARTTLS port such as 587, leave out --tls)";
    } else if (connection.verify && error.find("certificate verify failed") != std::string::npos) {
      error += " (--ca-file FILE trusts a private CA)";
    }
    co_return error;
  }
  co_return "cannot connect to " + server.str() + ": " + why;
}

asio::awaitable<SubmissionOutcome> connect_and_submit(asio::ssl::context& tls, const Connection& connection,
                                                      SubmissionRequest request) {
  smtp::client::StreamChannel channel(co_await asio::this_coro::executor);
  const std::string error = co_await connect(channel, connection, tls);
  if (!error.empty()) co_return SubmissionOutcome{Exit::unreachable, error, {}, {}};
  request.helo_name = helo_name(channel);
  request.timeout = connection.timeout;
  request.tls = &tls;
  request.tls_host = connection.server.host;
  request.verify = connection.verify;
  SubmissionOutcome outcome = co_await submit(channel, request);
  co_return outcome;
}

}  // namespace

Exit run_send(const SendOptions& options, std::istream& in, std::ostream& out, std::ostream& err) {
  const OutgoingMail mail = prepare_mail(mail_request(options, in, err), [] { return mime::random_hex(random_bytes); });
  if (options.dry_run) {
    out << mail.message;
    return Exit::ok;
  }
  Connection connection;
  const uint16_t default_port = options.implicit_tls ? submissions_port : submission_port;
  const auto server = parse_server_address(*options.server, default_port);
  if (!server) throw Failure(Exit::usage, "--server " + *options.server + ": give HOST, HOST:PORT or [IPv6]:PORT");
  connection.server = *server;
  connection.implicit_tls = options.implicit_tls;
  connection.verify = !options.insecure;
  connection.timeout = std::chrono::seconds(options.timeout_seconds);
  asio::ssl::context tls = client_tls(options);

  const std::string user = options.user ? *options.user : mailbox_option("from", options.from).address;
  Secret password;
  if (options.password_file) {
    read_password_file(*options.password_file, password);
  } else {
    read_password_from_terminal(user, password);
  }

  SubmissionRequest request;
  request.server = connection.server.str();
  request.starttls = !options.implicit_tls;
  request.credentials = Credentials{user, password.view()};
  request.mail = &mail;
  request.partial = options.partial;

  asio::io_context io;
  SubmissionOutcome outcome{Exit::unreachable, "the submission did not finish", {}, {}};
  asio::co_spawn(io, connect_and_submit(tls, connection, request),
                 [&outcome](std::exception_ptr error, SubmissionOutcome result) {
                   if (error) std::rethrow_exception(error);
                   outcome = std::move(result);
                 });
  io.run();

  for (const std::string& refused : outcome.refused) err << "mpmail: " << refused << "\n";
  if (!outcome.accepted.empty()) out << outcome.accepted << "\n";
  if (outcome.exit != Exit::ok) err << "mpmail: " << outcome.error << "\n";
  return outcome.exit;
}

}  // namespace mailpipe::mua
