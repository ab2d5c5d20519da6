#include "mta/recipient_resolver.hpp"

#include <gtest/gtest.h>

#include "common/smtp/replies.hpp"
#include "mta/inbound_policy.hpp"

namespace mailpipe::mta {
namespace {

using Kind = Resolution::Kind;
using Mailboxes = std::vector<std::string>;

constexpr std::string_view users_text =
    "alice@example.test:{PLAIN}a\n"
    "bob@example.test:{PLAIN}b\n"
    "carol@second.test:{PLAIN}c\n"
    "dave+x@example.test:{PLAIN}d\n";

constexpr std::string_view aliases_text =
    "sales@example.test: alice@example.test, bob@example.test\n"
    "postmaster@example.test: alice@example.test\n"
    "team@example.test: sales@example.test, carol@second.test, alice@example.test\n"
    "keep@example.test: keep@example.test, bob@example.test\n"
    "ghost@example.test: nobody@example.test, bob@example.test\n"
    "allghost@example.test: nobody@example.test\n"
    "outside@example.test: Friend@Remote.TEST\n"
    "loop1@example.test: loop2@example.test\n"
    "loop2@example.test: loop1@example.test\n"
    "@catchall.test: alice@example.test\n"
    "@old.test: @second.test\n"
    "list@alias.test: alice@example.test\n";

struct Fixture {
  explicit Fixture(std::string_view aliases = aliases_text, std::string delimiter = "+")
      : users(std::make_shared<const auth::PasswdFile>(auth::PasswdFile::parse(users_text, "passwd"))),
        map(std::make_shared<const AliasMap>(AliasMap::parse(aliases, "aliases"))) {
    config.add_local_domain("example.test");
    config.add_local_domain("Second.TEST");
    config.set_recipient_delimiter(delimiter);
  }
  Resolution resolve(std::string_view address) {
    RecipientResolver resolver(config, users, map);
    return resolver.resolve(address);
  }
  void expect_resolution(std::string_view address, Kind kind, const Mailboxes& mailboxes) {
    const Resolution r = resolve(address);
    EXPECT_EQ(r.kind, kind) << address;
    EXPECT_EQ(r.mailboxes, mailboxes) << address;
  }
  // For each address, its mailboxes joined by ", ", or "unknown user".
  void expect_where(std::initializer_list<std::pair<const char*, const char*>> cases) {
    for (const auto& [address, where] : cases) {
      const Resolution r = resolve(address);
      std::string mailboxes;
      for (const auto& mailbox : r.mailboxes) mailboxes += (mailboxes.empty() ? "" : ", ") + mailbox;
      EXPECT_EQ(r.kind == Kind::unknown_user ? "unknown user" : mailboxes, where) << address;
    }
  }
  v1::MtaConfig config;
  std::shared_ptr<const auth::PasswdFile> users;
  std::shared_ptr<const AliasMap> map;
};

TEST(RecipientResolver, LocalUserIsItsOwnMailboxLowercased) {
  Fixture().expect_resolution("Alice@EXAMPLE.test", Kind::deliver, {"alice@example.test"});
}

TEST(RecipientResolver, UnknownLocalUserIsUnknown) {
  // Users are per domain.
  Fixture().expect_where({{"nobody@example.test", "unknown user"}, {"alice@second.test", "unknown user"}});
}

TEST(RecipientResolver, ForeignDomainIsRemoteAndKeepsItsLocalPartCase) {
  Fixture().expect_resolution("Someone@Elsewhere.TEST", Kind::remote, {"Someone@elsewhere.test"});
}

TEST(RecipientResolver, AliasExpandsToEveryTarget) {
  Fixture().expect_resolution("sales@example.test", Kind::deliver, {"alice@example.test", "bob@example.test"});
}

TEST(RecipientResolver, NestedAliasesExpandOnceEachWithoutDuplicates) {
  Fixture().expect_resolution("team@example.test", Kind::deliver,
                              {"alice@example.test", "bob@example.test", "carol@second.test"});
}

TEST(RecipientResolver, AliasNamingItselfKeepsACopyInsteadOfLooping) {
  Fixture f;
  // keep@ is not a user, so its own copy has nowhere to go: only bob gets it.
  f.expect_resolution("keep@example.test", Kind::deliver, {"bob@example.test"});
  EXPECT_EQ(f.resolve("keep@example.test").unknown_targets, Mailboxes{"keep@example.test"});

  Fixture user_alias("alice@example.test: alice@example.test, bob@example.test\n");
  const auto both = user_alias.resolve("alice@example.test");
  EXPECT_EQ(both.mailboxes, (Mailboxes{"alice@example.test", "bob@example.test"}));
}

TEST(RecipientResolver, LoopBetweenAliasesIsALoop) {
  Fixture f;
  EXPECT_EQ(f.resolve("loop1@example.test").kind, Kind::loop);
  EXPECT_TRUE(f.resolve("loop1@example.test").mailboxes.empty());
}

TEST(RecipientResolver, CatchAllToANonUserLoopsBackAsUnknownNotForever) {
  Fixture f("@example.test: admin@example.test\n");
  const auto r = f.resolve("anyone@example.test");
  EXPECT_NE(r.kind, Kind::deliver);
  EXPECT_TRUE(r.mailboxes.empty());
}

TEST(RecipientResolver, UnknownAliasTargetsAreReportedAndTheRestDelivered) {
  Fixture f;
  f.expect_resolution("ghost@example.test", Kind::deliver, {"bob@example.test"});
  EXPECT_EQ(f.resolve("ghost@example.test").unknown_targets, Mailboxes{"nobody@example.test"});
  EXPECT_EQ(f.resolve("allghost@example.test").kind, Kind::unknown_user);
}

TEST(RecipientResolver, AliasToARemoteAddressForwardsAndIsNotRemoteItself) {
  // ours: the MX accepts it
  Fixture().expect_resolution("outside@example.test", Kind::deliver, {"Friend@remote.test"});
}

TEST(RecipientResolver, CatchAllTakesUnknownNamesButNeverHidesAUser) {
  Fixture("@example.test: bob@example.test\n")
      .expect_where({{"whoever@example.test", "bob@example.test"}, {"alice@example.test", "alice@example.test"}});
}

TEST(RecipientResolver, CatchAllDomainIsOursEvenWithoutUsers) {
  Fixture().expect_resolution("x@CatchAll.test", Kind::deliver, {"alice@example.test"});
}

TEST(RecipientResolver, DomainRewriteKeepsTheLocalPart) {
  Fixture().expect_where({{"carol@old.test", "carol@second.test"}, {"nobody@old.test", "unknown user"}});
}

TEST(RecipientResolver, AliasOnlyDomainRefusesNamesItDoesNotList) {
  Fixture().expect_where({{"list@alias.test", "alice@example.test"}, {"other@alias.test", "unknown user"}});
}

TEST(RecipientResolver, PlusAddressGoesToTheUser) {
  Fixture().expect_where({
      {"alice+news@example.test", "alice@example.test"},
      {"sales+q4@example.test", "alice@example.test, bob@example.test"},
      // A user whose name holds the delimiter is found as such first.
      {"dave+x@example.test", "dave+x@example.test"},
      {"nobody+tag@example.test", "unknown user"},
      // A leading delimiter is not a tag.
      {"+alice@example.test", "unknown user"},
  });
}

TEST(RecipientResolver, EmptyDelimiterTurnsPlusAddressingOff) {
  Fixture(aliases_text, "").expect_where({{"alice+news@example.test", "unknown user"}});
}

TEST(RecipientResolver, BarePostmasterIsPostmasterOfTheFirstLocalDomain) {
  Fixture().expect_where({{"Postmaster", "alice@example.test"}, {"someone", "unknown user"}});
}

TEST(RecipientResolver, ExpansionLimitStopsAHugeAlias) {
  Fixture f("big@example.test: alice@example.test, bob@example.test, carol@second.test\n");
  f.config.set_alias_expansion_limit(2);
  EXPECT_EQ(f.resolve("big@example.test").kind, Kind::too_many);
}

TEST(RecipientResolver, RecursionLimitStopsADeepChain) {
  std::string chain;
  for (int i = 0; i < 5; ++i) chain += "a" + std::to_string(i) + "@example.test: a" + std::to_string(i + 1) + "@example.test\n";
  chain += "a5@example.test: alice@example.test\n";
  Fixture f(chain);
  EXPECT_EQ(f.resolve("a0@example.test").mailboxes, Mailboxes{"alice@example.test"});
  f.config.set_alias_recursion_limit(3);
  EXPECT_EQ(f.resolve("a0@example.test").kind, Kind::too_many);
}

TEST(RecipientResolver, WithoutAPasswdFileAnyLocalPartIsAMailbox) {
  v1::MtaConfig config;
  config.add_local_domain("example.test");
  RecipientResolver resolver(config, nullptr, nullptr);
  EXPECT_EQ(resolver.resolve("anyone+tag@example.test").mailboxes, Mailboxes{"anyone@example.test"});
}

TEST(RecipientResolver, ReplaceBringsNewUsersAndAliases) {
  Fixture f;
  RecipientResolver resolver(f.config, f.users, f.map);
  EXPECT_EQ(resolver.resolve("frank@example.test").kind, Kind::unknown_user);
  auto users = std::make_shared<const auth::PasswdFile>(auth::PasswdFile::parse("frank@example.test:{PLAIN}f\n", "p"));
  auto aliases = std::make_shared<const AliasMap>(AliasMap::parse("sales@example.test: frank@example.test\n", "a"));
  resolver.replace(f.config, users, aliases);
  EXPECT_EQ(resolver.resolve("frank@example.test").mailboxes, Mailboxes{"frank@example.test"});
  EXPECT_EQ(resolver.resolve("sales@example.test").mailboxes, Mailboxes{"frank@example.test"});
  EXPECT_EQ(resolver.resolve("alice@example.test").kind, Kind::unknown_user);  // gone from the new file
}

// --- the MX policy on top of it ------------------------------------------

std::optional<smtp::Reply> check(Fixture& f, std::string local, std::string domain, v1::MxConfig mx = {}) {
  RecipientResolver resolver(f.config, f.users, f.map);
  InboundPolicy policy(resolver, mx);
  smtp::SessionInfo session;
  session.client_address = "192.0.2.1";
  return policy.check_recipient(session, smtp::Address{std::move(local), std::move(domain)});
}

std::string code_of(const std::optional<smtp::Reply>& reply) {
  return reply ? std::to_string(reply->code) + " " + reply->enhanced : "accepted";
}

TEST(InboundPolicy, AcceptsUsersAndAliasesAtRcptTime) {
  Fixture f;
  EXPECT_EQ(code_of(check(f, "alice", "example.test")), "accepted");
  EXPECT_EQ(code_of(check(f, "sales", "example.test")), "accepted");
  EXPECT_EQ(code_of(check(f, "x", "catchall.test")), "accepted");
}

TEST(InboundPolicy, UnknownUserIs550And511) {
  Fixture f;
  EXPECT_EQ(code_of(check(f, "nobody", "example.test")), "550 5.1.1");
}

TEST(InboundPolicy, ForeignDomainIsRelayDenied) {
  Fixture f;
  EXPECT_EQ(code_of(check(f, "victim", "elsewhere.test")), "554 5.7.1");
  EXPECT_EQ(code_of(check(f, "victim", "[192.0.2.7]")), "554 5.7.1");
}

TEST(InboundPolicy, RelayDomainIsAcceptedForAnyLocalPart) {
  Fixture f;
  v1::MxConfig mx;
  mx.add_relay_domain("Backup.TEST");
  EXPECT_EQ(code_of(check(f, "anyone", "backup.test", mx)), "accepted");
  EXPECT_EQ(code_of(check(f, "anyone", "elsewhere.test", mx)), "554 5.7.1");
}

TEST(InboundPolicy, AliasLoopIsATemporaryRefusal) {
  Fixture f;
  EXPECT_EQ(code_of(check(f, "loop1", "example.test")), "451 4.4.6");
}

TEST(InboundPolicy, AnySenderIncludingNullIsAccepted) {
  Fixture f;
  RecipientResolver resolver(f.config, f.users, f.map);
  InboundPolicy policy(resolver, {});
  EXPECT_FALSE(policy.check_sender({}, smtp::Address{}));
  EXPECT_FALSE(policy.check_sender({}, smtp::Address{"x", "anywhere.test"}));
  EXPECT_FALSE(policy.offers_auth());
}

}  // namespace
}  // namespace mailpipe::mta
