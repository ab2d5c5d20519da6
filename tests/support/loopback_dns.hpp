#pragma once
// The resolver config for a test's own DNS server on 127.0.0.1 (a scripted
// UDP server, or dnsmasq), with a short timeout so silence fails fast.
#include <cstdint>
#include <string>

#include "config.pb.h"

namespace mailpipe::test_support {

inline v1::DnsConfig loopback_dns(uint16_t port, uint32_t timeout_ms = 1000, uint32_t tries = 2) {
  v1::DnsConfig config;
  config.add_server("127.0.0.1:" + std::to_string(port));
  config.set_timeout_ms(timeout_ms);
  config.set_tries(tries);
  return config;
}

}  // namespace mailpipe::test_support
