#pragma once
// Client source addresses base, base+1, ... (IPv4, e.g. 127.0.1.1 on): all
// of 127.0.0.0/8 is local on Linux, so a load from many addresses needs no
// setup, and per-address limits of the server are not what is measured.
#include <asio.hpp>
#include <cstdint>
#include <string>

namespace mailpipe::bench {

inline asio::ip::address source_address(const std::string& base, uint32_t offset) {
  const auto first = asio::ip::make_address(base);
  if (!first.is_v4()) return first;  // IPv6: one address
  return asio::ip::address_v4(first.to_v4().to_uint() + offset);
}

}  // namespace mailpipe::bench
