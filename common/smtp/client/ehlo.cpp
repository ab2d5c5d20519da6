#include "common/smtp/client/ehlo.hpp"

#include <charconv>
#include <sstream>

namespace mailpipe::smtp::client {
namespace {

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

uint64_t size_limit(const std::string& text) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() ? value : 0;
}

}  // namespace

ServerExtensions parse_ehlo(const Reply& reply) {
  ServerExtensions ext;
  std::istringstream lines(reply.text);
  std::string line;
  std::getline(lines, line);
  std::istringstream(line) >> ext.server_name;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string keyword;
    words >> keyword;
    keyword = upper(keyword);
    // "AUTH=PLAIN LOGIN" is what some old servers sent (before RFC 2554 was final).
    if (keyword.starts_with("AUTH=")) {
      ext.auth_mechanisms.insert(keyword.substr(5));
      keyword = "AUTH";
    }
    if (keyword == "STARTTLS") ext.starttls = true;
    if (keyword == "PIPELINING") ext.pipelining = true;
    if (keyword == "8BITMIME") ext.eightbit = true;
    if (keyword == "SMTPUTF8") ext.smtputf8 = true;
    if (keyword == "DSN") ext.dsn = true;
    if (keyword == "SIZE") {
      std::string limit;
      words >> limit;
      ext.size = size_limit(limit);
    }
    if (keyword == "AUTH") {
      ext.auth = true;
      std::string mechanism;
      while (words >> mechanism) ext.auth_mechanisms.insert(upper(mechanism));
    }
  }
  return ext;
}

}  // namespace mailpipe::smtp::client
