#include "mta/alias_map.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <stdexcept>

#include "tests/support/error_text.hpp"
#include "tests/support/temp_dir.hpp"

namespace mailpipe::mta {
namespace {

using Targets = std::vector<std::string>;

// The targets of `key` as strings; {"<none>"} when there is no entry.
Targets targets_of(const AliasMap& map, std::string_view key) {
  const auto* targets = key.starts_with('@') ? map.find_catch_all(key.substr(1)) : map.find(key);
  if (targets == nullptr) return {"<none>"};
  Targets out;
  for (const auto& target : *targets) out.push_back(target.str());
  return out;
}

std::string error_of(const std::string& text) {
  return test_support::error_text([&] { AliasMap::parse(text, "f"); });
}

TEST(AliasMap, ParsesASimpleEntry) {
  const auto map = AliasMap::parse("postmaster@example.test: alice@example.test\n", "t");
  EXPECT_EQ(map.size(), 1u);
  EXPECT_EQ(targets_of(map, "postmaster@example.test"), Targets{"alice@example.test"});
  EXPECT_EQ(map.find("alice@example.test"), nullptr);
}

TEST(AliasMap, TargetsAreSeparatedByCommasAndWhitespace) {
  const auto map = AliasMap::parse("sales@x.test:a@x.test,b@x.test , c@x.test\t d@x.test,,e@x.test  \n", "t");
  EXPECT_EQ(targets_of(map, "sales@x.test"), (Targets{"a@x.test", "b@x.test", "c@x.test", "d@x.test", "e@x.test"}));
}

TEST(AliasMap, IndentedLineContinuesTheEntryAbove) {
  const auto map = AliasMap::parse(
      "info@x.test: a@x.test\n"
      "    , b@x.test\n"
      "\n"
      "# a comment does not end the entry\n"
      "\tc@x.test d@x.test\n"
      "list@x.test:\n"
      "  e@x.test\n",
      "t");
  EXPECT_EQ(targets_of(map, "info@x.test"), (Targets{"a@x.test", "b@x.test", "c@x.test", "d@x.test"}));
  EXPECT_EQ(targets_of(map, "list@x.test"), Targets{"e@x.test"});
}

TEST(AliasMap, FullLineAndTrailingCommentsAreIgnored) {
  const auto map = AliasMap::parse(
      "# aliases\n"
      "   # indented comment\n"
      "a@x.test: b@x.test # trailing, with: colon@x.test\n"
      "c@x.test: d@x.test,# right after a comma\n"
      "e@x.test: f#g@x.test\n",  // '#' inside an address is atext
      "t");
  EXPECT_EQ(map.size(), 3u);
  EXPECT_EQ(targets_of(map, "a@x.test"), Targets{"b@x.test"});
  EXPECT_EQ(targets_of(map, "c@x.test"), Targets{"d@x.test"});
  EXPECT_EQ(targets_of(map, "e@x.test"), Targets{"f#g@x.test"});
}

TEST(AliasMap, CrlfAndMissingFinalNewlineAreFine) {
  const auto map = AliasMap::parse("# c\r\n\r\na@x.test: b@x.test\r\n  c@x.test\r\nd@x.test: e@x.test", "t");
  EXPECT_EQ(targets_of(map, "a@x.test"), (Targets{"b@x.test", "c@x.test"}));
  EXPECT_EQ(targets_of(map, "d@x.test"), Targets{"e@x.test"});
  EXPECT_EQ(AliasMap::parse("", "t").size(), 0u);
}

TEST(AliasMap, FindIsCaseInsensitiveAndTargetsKeepTheirLocalCase) {
  const auto map = AliasMap::parse("Sales@Example.TEST: Friend@Remote.TEST\n", "t");
  EXPECT_EQ(map.entries().at(0).key, "sales@example.test");
  EXPECT_EQ(targets_of(map, "SALES@example.Test"), Targets{"Friend@remote.test"});
  const auto& target = map.find("sales@example.test")->at(0);
  EXPECT_EQ(target.local, "Friend");
  EXPECT_EQ(target.domain, "remote.test");
}

TEST(AliasMap, CatchAllIsFoundByDomain) {
  const auto map = AliasMap::parse("@Example.ORG: admin@example.test\n", "t");
  EXPECT_EQ(targets_of(map, "@example.org"), Targets{"admin@example.test"});
  EXPECT_NE(map.find_catch_all("EXAMPLE.org"), nullptr);
  EXPECT_EQ(map.find_catch_all("other.org"), nullptr);
  // A catch-all is not an exact entry for any address.
  EXPECT_EQ(map.find("@example.org"), nullptr);
  EXPECT_EQ(map.find("anyone@example.org"), nullptr);
}

TEST(AliasMap, DomainTargetKeepsTheLocalPartToExpand) {
  const auto map = AliasMap::parse("@old.test: @New.TEST\nsales@x.test: @y.test, z@y.test\n", "t");
  const auto& target = map.find_catch_all("old.test")->at(0);
  EXPECT_EQ(target.local, "");
  EXPECT_EQ(target.domain, "new.test");
  EXPECT_EQ(target.str(), "@new.test");
  EXPECT_EQ(targets_of(map, "sales@x.test"), (Targets{"@y.test", "z@y.test"}));
}

TEST(AliasMap, HasDomainForExactAndCatchAllKeysOnly) {
  const auto map = AliasMap::parse("sales@Alias.test: a@target.test\n@catch.test: b@target.test\n", "t");
  EXPECT_TRUE(map.has_domain("alias.test"));
  EXPECT_TRUE(map.has_domain("CATCH.test"));
  EXPECT_FALSE(map.has_domain("target.test"));  // targets do not make a domain ours
  EXPECT_FALSE(map.has_domain("sub.alias.test"));
  EXPECT_FALSE(AliasMap().has_domain("alias.test"));
}

TEST(AliasMap, Utf8LocalPartsAreAccepted) {
  const auto map = AliasMap::parse("info@x.test: jürgen@x.test, 用户@例子.test\n", "t");
  EXPECT_EQ(targets_of(map, "info@x.test"), (Targets{"jürgen@x.test", "用户@例子.test"}));
  EXPECT_EQ(error_of("info@x.test: j\xFF@x.test\n"), "f:1: bad target \"j\xFF@x.test\": not a valid address");
}

TEST(AliasMap, EntriesKeepFileOrderAndLineNumbers) {
  const auto map = AliasMap::parse("# c\nb@x.test: a@x.test\n  c@x.test\n\n@x.test: d@x.test\n", "t");
  ASSERT_EQ(map.entries().size(), 2u);
  EXPECT_EQ(map.entries()[0].key, "b@x.test");
  EXPECT_EQ(map.entries()[0].line, 2u);
  EXPECT_EQ(map.entries()[0].targets.size(), 2u);
  EXPECT_EQ(map.entries()[1].key, "@x.test");
  EXPECT_EQ(map.entries()[1].line, 5u);
}

TEST(AliasMap, ByteOrderMarkIsNotPartOfTheFirstKey) {
  const auto map = AliasMap::parse("\xEF\xBB\xBF" "a@x.test: b@x.test\n", "t");
  EXPECT_NE(map.find("a@x.test"), nullptr);
}

TEST(AliasMap, MissingColonIsAnError) {
  EXPECT_EQ(error_of("a@x.test: b@x.test\nsales@x.test alice@x.test\n"),
            "f:2: missing ':' after the alias in \"sales@x.test alice@x.test\"");
  EXPECT_EQ(error_of("sales@x.test # note: here\n"), "f:1: missing ':' after the alias in \"sales@x.test\"");
}

TEST(AliasMap, EmptyAliasIsAnError) {
  EXPECT_EQ(error_of(": a@x.test\n"), "f:1: empty alias before ':'");
}

TEST(AliasMap, EntryWithoutTargetsIsAnError) {
  test_support::expect_errors(error_of, {
      {"a@x.test:\n", "f:1: no targets for a@x.test"},
      {"a@x.test: , # nothing\nb@x.test: c@x.test\n", "f:1: no targets for a@x.test"},
      {"a@x.test: b@x.test\n\nC@x.test:\n# end\n", "f:3: no targets for c@x.test"},
  });
}

TEST(AliasMap, BadAddressesSayWhichAndWhy) {
  test_support::expect_errors(error_of, {
      {"a..b@x.test: c@x.test\n", "f:1: bad alias \"a..b@x.test\": not a valid address"},
      {"a@x.test: c@x..test\n", "f:1: bad target \"c@x..test\": not a valid address"},
      {"@-x.test: c@x.test\n", "f:1: bad alias \"@-x.test\": not a valid address"},
      {"a@x.test: @\n", "f:1: bad target \"@\": not a valid address"},
      {"postmaster: c@x.test\n", "f:1: alias \"postmaster\" has no @domain"},
      {"a@x.test: alice\n", "f:1: target \"alice\" has no @domain"},
      {"a@x.test: " + std::string(65, 'l') + "@x.test\n",
       "f:1: bad target \"" + std::string(64, 'l') +
           "...\": too long (RFC 5321 4.5.3.1: local part 64, domain 255 octets)"},
      {"a@x.test: \"q\"@x.test\n", "f:1: bad target \"\"q\"@x.test\": quoted local part not supported"},
      {"a@[192.0.2.1]: c@x.test\n", "f:1: bad alias \"a@[192.0.2.1]\": address literal not supported"},
  });
}

TEST(AliasMap, DuplicateAliasNamesTheFirstDefinition) {
  EXPECT_EQ(error_of("# c\n\nsales@example.test: a@x.test\nb@x.test: c@x.test\nSALES@Example.test: d@x.test\n"),
            "f:5: sales@example.test already defined at line 3");
  EXPECT_EQ(error_of("@x.test: a@x.test\n@X.TEST: b@x.test\n"), "f:2: @x.test already defined at line 1");
}

TEST(AliasMap, PipesFilesAndIncludesAreRefused) {
  for (const char* target : {"|/usr/bin/procmail", "\"|/usr/bin/vacation", "/var/mail/sales", ":include:/etc/list",
                             ":INCLUDE:/etc/list"}) {
    const std::string message = error_of(std::string("a@x.test: b@x.test,\n  ") + target + "\n");
    EXPECT_EQ(message.rfind("f:2: ", 0), 0u) << message;
    EXPECT_NE(message.find("pipes, files and :include: are not supported in aliases"), std::string::npos) << message;
  }
}

TEST(AliasMap, ContinuationWithoutAnEntryIsAnError) {
  EXPECT_EQ(error_of("# c\n  a@x.test\n"), "f:2: continuation line (starts with whitespace) with no entry before it");
}

TEST(AliasMap, LinesUpTo4096BytesAreAllowed) {
  std::string targets;
  while (targets.size() < 4096 - 20) targets += " t@x.test";
  const std::string line = "a@x.test:" + targets;
  const std::string fits = line + std::string(4096 - line.size(), ' ');
  ASSERT_EQ(fits.size(), 4096u);
  test_support::expect_errors(error_of, {
      {fits + "\r\n", "accepted"},
      {"# c\n" + fits + " \n", "f:2: line longer than 4096 bytes"},
      {"#" + std::string(5000, 'c') + "\n", "f:1: line longer than 4096 bytes"},
  });
}

TEST(AliasMap, ErrorsShowTokensWithoutControlBytes) {
  EXPECT_EQ(error_of("a@x.test: b\x01\x1b[2J@x.test\n"), "f:1: bad target \"b??[2J@x.test\": not a valid address");
}

TEST(AliasMap, EmptyMapFindsNothing) {
  const AliasMap map;
  EXPECT_EQ(map.size(), 0u);
  EXPECT_EQ(map.find("a@x.test"), nullptr);
  EXPECT_EQ(map.find_catch_all("x.test"), nullptr);
  EXPECT_TRUE(map.entries().empty());
}

TEST(AliasMap, LoadOfAMissingFileNamesThePathAndTheReason) {
  try {
    AliasMap::load("/nonexistent/aliases");
    FAIL() << "loaded a missing file";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/aliases: cannot read aliases file: No such file or directory");
  }
  EXPECT_THROW(AliasMap::load("/tmp"), std::runtime_error);  // a directory
}

TEST(AliasMap, LoadsFromDiskAndNamesThePathInParseErrors) {
  const test_support::TempDir dir("alias_map_test");
  const std::string path = dir.path() + "/aliases";
  std::ofstream(path) << "sales@x.test: a@x.test\n";
  EXPECT_EQ(targets_of(AliasMap::load(path), "sales@x.test"), Targets{"a@x.test"});
  std::ofstream(path) << "sales@x.test: a@x.test\nbroken\n";
  EXPECT_EQ(test_support::error_text([&] { AliasMap::load(path); }),
            path + ":2: missing ':' after the alias in \"broken\"");
}

}  // namespace
}  // namespace mailpipe::mta
