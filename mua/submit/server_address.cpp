#include "mua/submit/server_address.hpp"

namespace mailpipe::mua {
namespace {

std::optional<uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535) return std::nullopt;
  return static_cast<uint16_t>(value);
}

bool valid_host(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  for (char c : host) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7F || c == '/' || c == '[' || c == ']' || c == '@') return false;
  }
  return true;
}

}  // namespace

std::string ServerAddress::str() const {
  const std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return shown + ":" + std::to_string(port);
}

std::optional<ServerAddress> parse_server_address(std::string_view text, uint16_t default_port) {
  ServerAddress address;
  address.port = default_port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    address.host = std::string(text.substr(1, close - 1));
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      const auto port = parse_port(rest.substr(1));
      if (!port) return std::nullopt;
      address.port = *port;
    }
    if (address.host.find(':') == std::string::npos) return std::nullopt;
    for (char c : address.host) {
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.')) {
        return std::nullopt;
      }
    }
    return address;
  }
  const std::size_t colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos) {
    return std::nullopt;  // an IPv6 address needs its brackets
  }
  address.host = std::string(text.substr(0, colon));
  if (colon != std::string_view::npos) {
    const auto port = parse_port(text.substr(colon + 1));
    if (!port) return std::nullopt;
    address.port = *port;
  }
  if (!valid_host(address.host)) return std::nullopt;
  return address;
}

}  // namespace mailpipe::mua
