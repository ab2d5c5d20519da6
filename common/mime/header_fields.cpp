#include "common/mime/header_fields.hpp"

#include "common/mime/encoded_words.hpp"
#include "common/mime/header_folding.hpp"

namespace mailpipe::mime {
namespace {

// A word longer than this could not be folded below 78 characters: such a
// subject is sent as encoded-words, which can be split anywhere.
constexpr std::size_t max_plain_word = 60;

bool has_long_word(std::string_view text) {
  std::size_t run = 0;
  for (char c : text) {
    run = c == ' ' ? 0 : run + 1;
    if (run > max_plain_word) return true;
  }
  return false;
}

}  // namespace

std::string subject_field(std::string_view subject) {
  constexpr std::string_view name = "Subject";
  std::vector<HeaderToken> tokens;
  if (needs_encoded_words(subject) || has_long_word(subject)) {
    // The first word shares the line with "Subject: ".
    const std::size_t first_limit = max_header_line - name.size() - 2;
    for (std::string& word : encode_words(subject, first_limit)) tokens.push_back({std::move(word), true});
  } else {
    // Split at every space: empty tokens keep runs of spaces as they were.
    std::size_t start = 0;
    while (true) {
      const std::size_t end = subject.find(' ', start);
      tokens.push_back({std::string(subject.substr(start, end == std::string_view::npos ? subject.npos : end - start)),
                        true});
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
  }
  return fold_header(name, tokens);
}

std::string address_field(std::string_view name, const std::vector<Mailbox>& mailboxes) {
  if (mailboxes.empty()) return "";
  std::vector<HeaderToken> tokens;
  for (std::size_t i = 0; i < mailboxes.size(); ++i) {
    std::vector<HeaderToken> mailbox = mailbox_tokens(mailboxes[i]);
    if (i + 1 < mailboxes.size()) mailbox.back().text += ',';
    for (HeaderToken& token : mailbox) tokens.push_back(std::move(token));
  }
  return fold_header(name, tokens);
}

}  // namespace mailpipe::mime
