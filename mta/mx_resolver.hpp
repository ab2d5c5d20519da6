#pragma once
// Where mail for a domain goes: MX lookup (RFC 5321 5.1) and the addresses
// of each MX host. The queries go through common/dns (c-ares inside the Asio
// event loop: no thread, no blocking call); servers, per-try timeout and
// tries come from DnsConfig, and with no server configured c-ares reads
// /etc/resolv.conf. This file turns the answers into an ordered host list.
//
// Every answer says ok, permanent or temporary so the queue can decide
// between bounce and retry (STYLE habit 11): NXDOMAIN, null MX (RFC 7505)
// and "no address at all" are permanent; SERVFAIL, REFUSED, timeouts and
// malformed answers are temporary.
#include <asio.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "common/dns/resolver.hpp"
#include "config.pb.h"

namespace mailpipe::mta {

enum class DnsStatus { ok, permanent, temporary };

struct MxHost {
  std::string name;
  uint16_t preference = 0;
};

struct MxAnswer {
  DnsStatus status = DnsStatus::temporary;
  // Preference ascending, random order among equal preference. A domain with
  // no MX record (NODATA) gets one implicit MX: the domain itself.
  std::vector<MxHost> hosts;
  bool null_mx = false;  // RFC 7505: the domain accepts no mail; status is permanent
  std::string error;     // for logs and DSNs, e.g. "NXDOMAIN for example.invalid"
};

struct AddressAnswer {
  DnsStatus status = DnsStatus::temporary;
  std::vector<asio::ip::address> addresses;  // A records first, then AAAA
  std::string error;
};

class MxResolver final {
 public:
  // Throws std::runtime_error when c-ares cannot start or a server is malformed.
  MxResolver(asio::io_context& io, const v1::DnsConfig& config);
  ~MxResolver();
  MxResolver(const MxResolver&) = delete;
  MxResolver& operator=(const MxResolver&) = delete;

  asio::awaitable<MxAnswer> lookup_mx(std::string domain);
  // Looks up A and AAAA together; ok when either gave an address. An IP
  // literal is answered without a query.
  asio::awaitable<AddressAnswer> lookup_addresses(std::string host);

 private:
  dns::Resolver dns_;
  std::mt19937 random_;
};

// The pure part, for tests.

// Orders by preference, shuffles among equal preference with `random`,
// detects null MX. Status is ok unless the records are a null MX.
MxAnswer order_mx(std::vector<MxHost> records, std::mt19937& random);

// The outcome of the MX query for `domain` (already lowercased, no trailing
// dot): ordered hosts, the domain itself when it has no MX record, or why not.
MxAnswer parse_mx_answer(const std::string& domain, const dns::Answer& dns_answer, std::mt19937& random);

// The outcome of the A and AAAA queries for `host`: A addresses first, ok
// when either family gave one.
AddressAnswer parse_address_answers(const std::string& host, const dns::Answer& a, const dns::Answer& aaaa);

}  // namespace mailpipe::mta
