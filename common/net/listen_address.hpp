#pragma once
// The addresses a server listens on, as configs and logs write them:
// "127.0.0.1:2525", "[::1]:2525" (RFC 3986 brackets around IPv6).
#include <asio.hpp>
#include <string>
#include <string_view>

namespace mailpipe::net {

// "127.0.0.1:587", "[::1]:587". Throws std::invalid_argument saying why.
asio::ip::tcp::endpoint parse_listen_address(std::string_view address);

// Opens, binds (SO_REUSEADDR, so a restart need not wait out TIME_WAIT)
// and listens on `address`. Throws std::invalid_argument for a bad address,
// std::system_error when the port cannot be had.
void listen_on(asio::ip::tcp::acceptor& acceptor, std::string_view address);

std::string endpoint_text(const asio::ip::tcp::endpoint& endpoint);

// The acceptor's bound address, or "closed" when it has none.
std::string local_address_text(const asio::ip::tcp::acceptor& acceptor);

}  // namespace mailpipe::net
