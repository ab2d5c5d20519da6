#include "common/net/listen_address.hpp"

#include <stdexcept>

namespace mailpipe::net {

asio::ip::tcp::endpoint parse_listen_address(std::string_view address) {
  std::string host;
  std::string_view port;
  if (address.starts_with('[')) {
    const std::size_t close = address.find(']');
    if (close == std::string_view::npos || close + 1 >= address.size() || address[close + 1] != ':') {
      throw std::invalid_argument("listen address '" + std::string(address) + "': expected [ipv6]:port");
    }
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    const std::size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) {
      throw std::invalid_argument("listen address '" + std::string(address) + "': expected ip:port");
    }
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  asio::error_code ec;
  const auto ip = asio::ip::make_address(host, ec);
  if (ec) throw std::invalid_argument("listen address '" + std::string(address) + "': bad IP address");
  unsigned number = 0;
  for (char c : port) {
    if (c < '0' || c > '9' || number > 65535) {
      throw std::invalid_argument("listen address '" + std::string(address) + "': bad port");
    }
    number = number * 10 + static_cast<unsigned>(c - '0');
  }
  if (port.empty() || number > 65535) {
    throw std::invalid_argument("listen address '" + std::string(address) + "': bad port");
  }
  return {ip, static_cast<unsigned short>(number)};
}

void listen_on(asio::ip::tcp::acceptor& acceptor, std::string_view address) {
  const auto endpoint = parse_listen_address(address);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
}

std::string endpoint_text(const asio::ip::tcp::endpoint& endpoint) {
  const auto ip = endpoint.address();
  return (ip.is_v6() ? "[" + ip.to_string() + "]" : ip.to_string()) + ":" + std::to_string(endpoint.port());
}

std::string local_address_text(const asio::ip::tcp::acceptor& acceptor) {
  asio::error_code ec;
  const auto endpoint = acceptor.local_endpoint(ec);
  return ec ? "closed" : endpoint_text(endpoint);
}

}  // namespace mailpipe::net
