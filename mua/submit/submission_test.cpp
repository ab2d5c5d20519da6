#include "mua/submit/submission.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <functional>

#include "common/auth/base64.hpp"
#include "tests/support/scripted_channel.hpp"

namespace mailpipe::mua {
namespace {

// A scripted server: `answer` sees each command line (or the message
// after 354) and returns the reply.
using FakeChannel = test_support::ScriptedChannel;

smtp::Reply ok(int code = 250, std::string text = "Ok") { return smtp::Reply{code, "2.0.0", std::move(text)}; }

// A good submission server; `tweak` may answer a command differently.
std::function<std::vector<smtp::Reply>(const std::string&)> server(const FakeChannel& channel, std::string auth = "AUTH PLAIN LOGIN",
                                                      std::function<std::optional<smtp::Reply>(const std::string&)> tweak = {}) {
  return FakeChannel::one_each([&channel, auth, tweak](const std::string& line) -> smtp::Reply {
    if (tweak) {
      if (auto reply = tweak(line)) return *reply;
    }
    if (line.starts_with("EHLO")) {
      return smtp::Reply{250, "", channel.tls ? "fake\nPIPELINING\nSIZE 1000000\n8BITMIME\nSMTPUTF8\n" + auth
                                              : "fake\nSTARTTLS"};
    }
    if (line == "STARTTLS") return smtp::Reply{220, "2.0.0", "Ready to start TLS"};
    if (line.starts_with("AUTH PLAIN ")) return smtp::Reply{235, "2.7.0", "Authentication successful"};
    if (line == "<message>") return ok(250, "Ok: queued as ABC123");
    if (line == "DATA") return smtp::Reply{354, "", "End data with <CR><LF>.<CR><LF>"};
    if (line == "QUIT") return smtp::Reply{221, "2.0.0", "Bye"};
    return ok();
  });
}

OutgoingMail sample_mail() {
  OutgoingMail mail;
  mail.message = "Subject: x\r\n\r\n.leading dot\r\nend\r\n";
  mail.mail_from = "demo@example.test";
  mail.recipients = {"a@example.test", "b@example.test"};
  return mail;
}

SubmissionOutcome run(FakeChannel& channel, const OutgoingMail& mail, bool partial = false, bool starttls = true) {
  SubmissionRequest request;
  request.server = "fake:587";
  request.helo_name = "[127.0.0.1]";
  request.starttls = starttls;
  request.credentials = Credentials{"demo@example.test", "s3cret"};
  request.mail = &mail;
  request.partial = partial;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  request.tls = &tls;
  request.tls_host = "fake";
  asio::io_context io;
  SubmissionOutcome outcome;
  asio::co_spawn(io, submit(channel, request), [&](std::exception_ptr error, SubmissionOutcome result) {
    if (error) std::rethrow_exception(error);
    outcome = std::move(result);
  });
  io.run();
  return outcome;
}

// One submission of sample_mail() to a good server that answers `reply` to
// every line starting with `prefix`.
SubmissionOutcome run_answering(FakeChannel& channel, std::string auth, std::string prefix, smtp::Reply reply,
                                bool partial = false) {
  channel.answer = server(channel, std::move(auth),
                          [prefix = std::move(prefix), reply = std::move(reply)](const std::string& line) {
                            return line.starts_with(prefix) ? std::optional<smtp::Reply>(reply) : std::nullopt;
                          });
  return run(channel, sample_mail(), partial);
}

std::string transcript(const FakeChannel& channel) {
  std::string out;
  for (const auto& w : channel.written) out += w.size() > 100 ? "<message>\r\n" : w;
  return out;
}

// Exit 5 for `why`, and the password never left: no AUTH was sent.
void expect_stopped_before_auth(FakeChannel& channel, std::string_view why) {
  const SubmissionOutcome outcome = run(channel, sample_mail());
  EXPECT_EQ(outcome.exit, Exit::unreachable);
  EXPECT_NE(outcome.error.find(why), std::string::npos) << outcome.error;
  EXPECT_EQ(transcript(channel).find("AUTH"), std::string::npos);
}

TEST(Submission, TheWholeDialogueInOrder) {
  FakeChannel channel;
  channel.answer = server(channel);
  const OutgoingMail mail = sample_mail();
  const SubmissionOutcome outcome = run(channel, mail);
  EXPECT_EQ(outcome.exit, Exit::ok) << outcome.error;
  EXPECT_EQ(outcome.accepted, "250 2.0.0 Ok: queued as ABC123");
  const std::string plain = auth::base64_encode(std::string("\0demo@example.test\0s3cret", 25));
  EXPECT_EQ(transcript(channel), "EHLO [127.0.0.1]\r\nSTARTTLS\r\nEHLO [127.0.0.1]\r\nAUTH PLAIN " + plain +
                                     "\r\nMAIL FROM:<demo@example.test> SIZE=33\r\nRCPT TO:<a@example.test>\r\n"
                                     "RCPT TO:<b@example.test>\r\nDATA\r\n"
                                     "Subject: x\r\n\r\n..leading dot\r\nend\r\n.\r\nQUIT\r\n");
}

TEST(Submission, ParametersOnlyWhenNeeded) {
  FakeChannel channel;
  channel.answer = server(channel);
  OutgoingMail mail = sample_mail();
  mail.eight_bit = true;
  mail.needs_smtputf8 = true;
  run(channel, mail);
  EXPECT_NE(transcript(channel).find("MAIL FROM:<demo@example.test> SIZE=33 BODY=8BITMIME SMTPUTF8\r\n"),
            std::string::npos);
}

TEST(Submission, LoginFallsBackToLoginMechanism) {
  FakeChannel channel;
  channel.answer = server(channel, "AUTH LOGIN", [](const std::string& line) -> std::optional<smtp::Reply> {
    if (line == "AUTH LOGIN") return smtp::Reply{334, "", "VXNlcm5hbWU6"};
    if (line == auth::base64_encode("demo@example.test")) return smtp::Reply{334, "", "UGFzc3dvcmQ6"};
    if (line == auth::base64_encode("s3cret")) return smtp::Reply{235, "2.7.0", "Authentication successful"};
    return std::nullopt;
  });
  const SubmissionOutcome outcome = run(channel, sample_mail());
  EXPECT_EQ(outcome.exit, Exit::ok) << outcome.error;
}

TEST(Submission, RefusedLoginIsExit3WithTheServersWords) {
  FakeChannel channel;
  const SubmissionOutcome outcome =
      run_answering(channel, "AUTH PLAIN LOGIN", "AUTH", {535, "5.7.8", "Authentication credentials invalid"});
  EXPECT_EQ(outcome.exit, Exit::login_refused);
  EXPECT_EQ(outcome.error, "login refused by the server: 535 5.7.8 Authentication credentials invalid");
  EXPECT_EQ(transcript(channel).find("MAIL"), std::string::npos);
}

TEST(Submission, NoStarttlsNoPassword) {
  FakeChannel channel;
  channel.answer = FakeChannel::one_each([](const std::string& line) {
    return line.starts_with("EHLO") ? smtp::Reply{250, "", "fake\nAUTH PLAIN"} : ok();
  });
  expect_stopped_before_auth(channel, "does not offer STARTTLS");
}

TEST(Submission, FailedHandshakeIsExit5) {
  FakeChannel channel;
  channel.tls_works = false;
  channel.answer = server(channel);
  expect_stopped_before_auth(channel, "certificate verify failed");
}

TEST(Submission, OneRefusedRecipientAbortsWithRset) {
  FakeChannel channel;
  const SubmissionOutcome outcome =
      run_answering(channel, "AUTH PLAIN", "RCPT TO:<b@example.test>", {550, "5.1.1", "User unknown"});
  EXPECT_EQ(outcome.exit, Exit::refused);
  ASSERT_EQ(outcome.refused.size(), 1u);
  EXPECT_EQ(outcome.refused[0], "recipient <b@example.test> refused by the server: 550 5.1.1 User unknown");
  const std::string t = transcript(channel);
  EXPECT_NE(t.find("RCPT TO:<b@example.test>\r\nRSET\r\nQUIT\r\n"), std::string::npos) << t;
  EXPECT_EQ(t.find("DATA"), std::string::npos);
}

TEST(Submission, PartialSendsToTheOthersAndStillSaysSo) {
  FakeChannel channel;
  const SubmissionOutcome outcome =
      run_answering(channel, "AUTH PLAIN", "RCPT TO:<b@example.test>", {550, "5.1.1", "User unknown"}, true);
  EXPECT_EQ(outcome.exit, Exit::refused);
  EXPECT_EQ(outcome.accepted, "250 2.0.0 Ok: queued as ABC123");
  EXPECT_EQ(outcome.refused.size(), 1u);
}

TEST(Submission, AllRecipientsRefusedSendsNothing) {
  FakeChannel channel;
  const SubmissionOutcome outcome =
      run_answering(channel, "AUTH PLAIN", "RCPT", {501, "5.1.3", "Bad address syntax"}, true);
  EXPECT_EQ(outcome.exit, Exit::refused);
  EXPECT_EQ(outcome.refused.size(), 2u);
  EXPECT_EQ(transcript(channel).find("DATA"), std::string::npos);
}

TEST(Submission, RefusedSenderIsExit4) {
  FakeChannel channel;
  const SubmissionOutcome outcome =
      run_answering(channel, "AUTH PLAIN", "MAIL", {553, "5.7.1", "Sender address rejected: not owned by authenticated user"});
  EXPECT_EQ(outcome.exit, Exit::refused);
  EXPECT_EQ(outcome.error, "sender <demo@example.test> refused by the server: 553 5.7.1 Sender address rejected: "
                           "not owned by authenticated user");
}

TEST(Submission, MissingExtensionsStopBeforeMail) {
  FakeChannel channel;
  channel.answer = server(channel, "AUTH PLAIN", [&channel](const std::string& line) -> std::optional<smtp::Reply> {
    if (line.starts_with("EHLO") && channel.tls) return smtp::Reply{250, "", "fake\nSIZE 10\nAUTH PLAIN"};
    return std::nullopt;
  });
  const SubmissionOutcome outcome = run(channel, sample_mail());
  EXPECT_EQ(outcome.exit, Exit::refused);
  EXPECT_NE(outcome.error.find("at most 10 (SIZE)"), std::string::npos) << outcome.error;
  EXPECT_EQ(transcript(channel).find("MAIL"), std::string::npos);
}

TEST(Submission, ConnectionLostIsExit5AndNoQuit) {
  FakeChannel channel;
  const SubmissionOutcome outcome = run_answering(channel, "AUTH PLAIN", "RCPT", {-1, "", ""});  // no answer at all
  EXPECT_EQ(outcome.exit, Exit::unreachable);
  EXPECT_EQ(outcome.error, "connection to fake:587 failed at RCPT: connection lost: End of file");
  EXPECT_EQ(transcript(channel).find("QUIT"), std::string::npos);
}

TEST(Submission, ImplicitTlsSkipsStarttls) {
  FakeChannel channel;
  channel.tls = true;
  channel.answer = server(channel);
  const SubmissionOutcome outcome = run(channel, sample_mail(), false, false);
  EXPECT_EQ(outcome.exit, Exit::ok) << outcome.error;
  EXPECT_EQ(transcript(channel).find("STARTTLS"), std::string::npos);
}

}  // namespace
}  // namespace mailpipe::mua
