// The client state machine against scripted servers, honest and hostile:
// a reply counts only at the step that asked for it (DESIGN rule 1).
#include "common/smtp/client/dialogue.hpp"

#include <gtest/gtest.h>

#include "tests/support/scripted_channel.hpp"

namespace mailpipe::smtp::client {
namespace {

using test_support::ScriptedChannel;
using Replies = std::vector<Reply>;

Reply ok() { return Reply{250, "2.0.0", "Ok"}; }
Reply go_ahead() { return Reply{354, "", "Go ahead"}; }

// An honest server; `tweak` may answer a command otherwise (several
// replies, or none).
std::function<Replies(const std::string&)> server(std::function<std::optional<Replies>(const std::string&)> tweak = {}) {
  return [tweak](const std::string& line) -> Replies {
    if (tweak) {
      if (auto replies = tweak(line)) return *replies;
    }
    if (line == "DATA") return {go_ahead()};
    if (line == "<message>") return {Reply{250, "2.0.0", "queued as REMOTE"}};
    return {ok()};
  };
}

// An honest server but for commands starting with `command`, which get `replies`.
std::function<Replies(const std::string&)> answering(std::string command, Replies replies) {
  return server([command, replies](const std::string& line) -> std::optional<Replies> {
    if (line.starts_with(command)) return replies;
    return std::nullopt;
  });
}

// The server broke the protocol at `step`: the first recipient has no
// answer, so the caller keeps the mail (451 4.4.2).
void expect_no_answer(const TransactionResult& result, Step step) {
  EXPECT_TRUE(result.broken);
  EXPECT_EQ(result.broken_at, step);
  EXPECT_FALSE(result.decisive(0));
  EXPECT_FALSE(result.reusable);
}

// open_session against `channel`, run to its end.
Opened opened_session(ScriptedChannel& channel) {
  asio::io_context io;
  Opened opened;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    // Named, not temporaries in the co_await's full-expression (GCC 12).
    const OpenRequest request{"me.test", false, {}};
    const Opened got = co_await open_session(channel, request);
    opened = got;
  }, asio::detached);
  io.run();
  return opened;
}

struct ScriptedRun {
  ScriptedChannel channel;
  std::string message = "Subject: x\r\n\r\nbody\r\n";

  TransactionResult transaction(std::size_t recipients, bool pipelining, bool lmtp = false) {
    Transaction t;
    t.mail_command = "MAIL FROM:<a@example.test>\r\n";
    for (std::size_t i = 0; i < recipients; ++i) t.rcpt_commands.push_back("RCPT TO:<r" + std::to_string(i) + "@example.test>\r\n");
    t.message = &message;
    t.pipelining = pipelining;
    t.lmtp = lmtp;
    channel.pending.clear();  // no greeting: the session is open
    asio::io_context io;
    TransactionResult result;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      const TransactionResult got = co_await run_transaction(channel, t);
      result = got;
    }, asio::detached);
    io.run();
    return result;
  }
};

TEST(ClientTransaction, HonestServerDeliversEveryRecipient) {
  for (bool pipelining : {false, true}) {
    ScriptedRun run;
    run.channel.answer = server();
    const TransactionResult result = run.transaction(2, pipelining);
    EXPECT_FALSE(result.broken);
    EXPECT_TRUE(result.reusable);
    ASSERT_TRUE(result.decisive(0) && result.decisive(1));
    EXPECT_EQ(result.decisive(0)->text, "queued as REMOTE");
    EXPECT_EQ(result.decisive(1)->code, 250);
  }
}

TEST(ClientTransaction, DataAnswered250IsAProtocolErrorNotADelivery) {
  ScriptedRun run;
  run.channel.answer = answering("DATA", Replies{ok()});
  const TransactionResult result = run.transaction(1, false);
  expect_no_answer(result, Step::data);
  EXPECT_FALSE(result.reusable);
  EXPECT_EQ(run.channel.error().kind, ChannelFailure::protocol);
  for (const auto& w : run.channel.written) EXPECT_EQ(w.find("body"), std::string::npos) << "the message was sent";
}

TEST(ClientTransaction, FinalDotAnswered354IsAProtocolError) {
  ScriptedRun run;
  run.channel.answer = answering("<message>", Replies{go_ahead()});
  const TransactionResult result = run.transaction(1, true);
  expect_no_answer(result, Step::final_dot);
}

TEST(ClientTransaction, StrayReplyAfterMailShiftsNothingUnderPipelining) {
  ScriptedRun run;
  run.channel.answer = answering("MAIL", Replies{ok(), ok()});
  const TransactionResult result = run.transaction(1, true);
  // The RCPT reply arrives where DATA's 354 belongs.
  expect_no_answer(result, Step::data);
}

TEST(ClientTransaction, StrayReplyAfterMailIsUnaskedInputWithoutPipelining) {
  ScriptedRun run;
  run.channel.answer = answering("MAIL", Replies{ok(), ok()});
  const TransactionResult result = run.transaction(1, false);
  expect_no_answer(result, Step::rcpt);
  ASSERT_EQ(run.channel.written.size(), 1u);  // RCPT never went out
}

TEST(ClientTransaction, ReplyWaitingBeforeMailIsAProtocolError) {
  ScriptedRun run;
  run.channel.answer = server();
  run.channel.pending.push_back(ok());  // left over in a cached connection
  Transaction t;
  t.mail_command = "MAIL FROM:<a@example.test>\r\n";
  t.rcpt_commands = {"RCPT TO:<b@example.test>\r\n"};
  t.message = &run.message;
  asio::io_context io;
  TransactionResult result;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    const TransactionResult got = co_await run_transaction(run.channel, t);
    result = got;
  }, asio::detached);
  io.run();
  EXPECT_TRUE(result.broken);
  EXPECT_FALSE(result.mail);
  EXPECT_TRUE(run.channel.written.empty());
}

TEST(ClientTransaction, ThirdClassReplyToRcptIsAProtocolError) {
  ScriptedRun run;
  run.channel.answer = answering("RCPT", Replies{go_ahead()});
  const TransactionResult result = run.transaction(1, false);
  EXPECT_TRUE(result.broken);
  EXPECT_EQ(result.broken_at, Step::rcpt);
}

TEST(ClientTransaction, RefusalsDecideTheirRecipients) {
  ScriptedRun run;
  run.channel.answer = answering("RCPT TO:<r1@example.test>", Replies{Reply{550, "5.1.1", "unknown"}});
  const TransactionResult result = run.transaction(2, true);
  EXPECT_FALSE(result.broken);
  EXPECT_EQ(result.decisive(0)->code, 250);
  EXPECT_EQ(result.decisive(1)->code, 550);
  EXPECT_EQ(result.accepted_recipients(), 1u);
}

TEST(ClientTransaction, RefusedMailLeavesTheConnectionClean) {
  ScriptedRun run;
  run.channel.answer = answering("MAIL", Replies{Reply{451, "4.3.0", "later"}});
  const TransactionResult result = run.transaction(2, false);
  EXPECT_FALSE(result.broken);
  EXPECT_TRUE(result.reusable);
  EXPECT_EQ(result.decisive(1)->code, 451);
}

TEST(ClientTransaction, RefusedMailWithA354ToPipelinedDataIsNotReused) {
  ScriptedRun run;
  run.channel.answer = server([](const std::string& line) -> std::optional<Replies> {
    if (line.starts_with("MAIL")) return Replies{Reply{550, "5.7.1", "no"}};
    if (line.starts_with("RCPT")) return Replies{Reply{503, "5.5.1", "MAIL first"}};
    return std::nullopt;  // and 354 to DATA: the server now reads data
  });
  const TransactionResult result = run.transaction(1, true);
  EXPECT_EQ(result.decisive(0)->code, 550);
  EXPECT_FALSE(result.reusable);
}

TEST(ClientTransaction, LmtpAnswersPerRecipientAndA354AmongThemBreaks) {
  ScriptedRun run;
  run.channel.answer = answering("<message>", Replies{Reply{250, "2.0.0", "saved"}, go_ahead()});
  const TransactionResult result = run.transaction(2, false, true);
  ASSERT_TRUE(result.decisive(0));
  EXPECT_EQ(result.decisive(0)->text, "saved");
  EXPECT_FALSE(result.decisive(1));  // its "reply" was a 354
  EXPECT_TRUE(result.broken);
}

TEST(ClientTransaction, ExtraReplyAfterTheDotCountsForNobody) {
  for (bool lmtp : {false, true}) {
    ScriptedRun run;
    run.channel.answer = answering("<message>", Replies{ok(), ok(), Reply{451, "4.3.0", "try later"}});
    const TransactionResult result = run.transaction(lmtp ? 2 : 1, true, lmtp);
    EXPECT_FALSE(result.decisive(0)) << "lmtp " << lmtp;  // which reply was whose cannot be known
    EXPECT_TRUE(result.broken);
    EXPECT_FALSE(result.reusable);
  }
}

TEST(ClientSession, GreetingOtherThan220IsAProtocolErrorAndRefusalIsKept) {
  for (const auto& [greeting, refused] : std::vector<std::pair<Reply, bool>>{{{250, "", "hi"}, false}, {{554, "5.3.2", "go away"}, true}}) {
    ScriptedChannel channel;
    channel.pending = {greeting};
    channel.answer = server();
    const Opened opened = opened_session(channel);
    EXPECT_FALSE(opened.extensions);
    EXPECT_EQ(opened.stopped_at, Step::greeting);
    EXPECT_EQ(opened.refusal.has_value(), refused);
    if (!refused) {
      EXPECT_EQ(channel.error().kind, ChannelFailure::protocol);
    }
  }
}

TEST(ClientSession, NamesInGreetingAndEhloAreKept) {
  ScriptedChannel channel;
  channel.pending = {Reply{220, "", "mx.example.test ESMTP"}};
  channel.answer = [](const std::string&) { return Replies{Reply{250, "", "mx2.example.test hello\nPIPELINING"}}; };
  const Opened opened = opened_session(channel);
  ASSERT_TRUE(opened.extensions);
  EXPECT_EQ(opened.greeting_name, "mx.example.test");
  EXPECT_EQ(opened.extensions->server_name, "mx2.example.test");
  EXPECT_TRUE(opened.extensions->pipelining);
}

}  // namespace
}  // namespace mailpipe::smtp::client
