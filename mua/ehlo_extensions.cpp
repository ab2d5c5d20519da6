#include "mua/ehlo_extensions.hpp"

#include <cctype>
#include <sstream>

namespace mailpipe::mua {
namespace {

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

EhloExtensions parse_ehlo(const smtp::Reply& reply) {
  EhloExtensions ext;
  std::istringstream lines(reply.text);
  std::string line;
  std::getline(lines, line);  // the first line names the server
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string keyword;
    words >> keyword;
    keyword = upper(keyword);
    // "AUTH=PLAIN LOGIN" is what some old servers sent (before RFC 2554 was final).
    if (keyword.starts_with("AUTH=")) {
      ext.auth = true;
      ext.auth_mechanisms.insert(keyword.substr(5));
      keyword = "AUTH";
    }
    if (keyword == "STARTTLS") ext.starttls = true;
    if (keyword == "8BITMIME") ext.eightbit = true;
    if (keyword == "SMTPUTF8") ext.smtputf8 = true;
    if (keyword == "SIZE") {
      std::string limit;
      words >> limit;
      ext.size = std::strtoull(limit.c_str(), nullptr, 10);
    }
    if (keyword == "AUTH") {
      ext.auth = true;
      std::string mechanism;
      while (words >> mechanism) ext.auth_mechanisms.insert(upper(mechanism));
    }
  }
  return ext;
}

}  // namespace mailpipe::mua
