#include "mda/config/lmtp_server_address.hpp"

#include <sys/un.h>

#include <asio.hpp>
#include <charconv>


namespace mailpipe::mda {

std::optional<asio::generic::stream_protocol::endpoint> parse_lmtp_server(std::string_view text, std::string& problem) {
  if (text.starts_with("unix:")) {
    const std::string_view path = text.substr(5);
    if (!path.starts_with('/')) {
      problem = "a UNIX socket needs an absolute path: \"unix:/run/dovecot/lmtp\"";
      return std::nullopt;
    }
    if (path.size() >= sizeof(sockaddr_un::sun_path)) {
      problem = "UNIX socket path longer than " + std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes";
      return std::nullopt;
    }
    return asio::generic::stream_protocol::endpoint(asio::local::stream_protocol::endpoint(std::string(path)));
  }
  std::string_view host;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const std::size_t close = text.find("]:");
    if (close == std::string_view::npos) {
      problem = "an IPv6 server is written \"[::1]:24\"";
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      problem = "expected \"unix:/path\", \"127.0.0.1:24\" or \"[::1]:24\"";
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
    problem = "port must be a number from 1 to 65535";
    return std::nullopt;
  }
  asio::error_code address_error;
  const asio::ip::address address = asio::ip::make_address(std::string(host), address_error);
  if (address_error) {
    problem = "\"" + std::string(host) + "\" is not a numeric IP address (no DNS for LMTP servers)";
    return std::nullopt;
  }
  return asio::generic::stream_protocol::endpoint(asio::ip::tcp::endpoint(address, static_cast<unsigned short>(port)));
}

}  // namespace mailpipe::mda
