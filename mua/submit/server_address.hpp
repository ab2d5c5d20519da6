#pragma once
// Where `mpmail send` submits: --server HOST[:PORT], with the port of the
// chosen TLS mode when none is given (RFC 8314: 587 for STARTTLS, 465
// for implicit TLS). An IPv6 address is written in brackets: [::1]:587.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailpipe::mua {

constexpr uint16_t submission_port = 587;         // RFC 6409
constexpr uint16_t submissions_port = 465;        // RFC 8314 7.3

struct ServerAddress {
  std::string host;  // name or address, without brackets
  uint16_t port = 0;

  std::string str() const;  // "host:port", "[::1]:587"
};

std::optional<ServerAddress> parse_server_address(std::string_view text, uint16_t default_port);

}  // namespace mailpipe::mua
