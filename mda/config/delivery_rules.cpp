#include "mda/config/delivery_rules.hpp"

namespace mailpipe::mda {
namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto fold = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (fold(a[i]) != fold(b[i])) return false;
  }
  return true;
}

// The domain of an address: after its last '@' (a quoted local part may
// hold one, a domain never does).
std::string_view domain_of(std::string_view address) {
  const std::size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

}  // namespace

bool rule_matches(std::string_view match, std::string_view address) {
  if (match == "*") return true;
  if (match.starts_with('@')) {
    const std::string_view domain = domain_of(address);
    return !domain.empty() && equal_ignoring_case(match.substr(1), domain);
  }
  return equal_ignoring_case(match, address);
}

int find_rule(const google::protobuf::RepeatedPtrField<v1::DeliveryRule>& rules, std::string_view address) {
  for (int i = 0; i < rules.size(); ++i) {
    if (rule_matches(rules[i].match(), address)) return i;
  }
  return -1;
}

std::string match_pattern_problem(std::string_view match) {
  if (match == "*") return "";
  for (char c : match) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return "has a space or control character";
  }
  const std::size_t at = match.rfind('@');
  if (at == std::string_view::npos) return "is neither \"user@domain\", \"@domain\" nor \"*\"";
  if (at + 1 == match.size()) return "has no domain after '@'";
  if (match.substr(at + 1).find_first_of("*<>") != std::string_view::npos) return "has a bad domain";
  if (match.find('*') != std::string_view::npos) return "uses '*' inside a pattern (only \"*\" alone matches everyone)";
  return "";
}

bool match_shadows(std::string_view earlier, std::string_view later) {
  if (earlier == "*") return true;
  if (later == "*") return false;
  if (earlier.starts_with('@')) return equal_ignoring_case(earlier.substr(1), domain_of(later));
  return equal_ignoring_case(earlier, later);
}

}  // namespace mailpipe::mda
