#include "mta/mx_resolver.hpp"

#include <ares.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace mailpipe::mta {
namespace {

// Safety bounds, not knobs: these only cap what one hostile answer can make
// us keep and try. Postfix tries at most 5 MX addresses per delivery by
// default; 32 refuses no real domain.
constexpr size_t max_mx_hosts = 32;
constexpr int max_addresses_per_family = 32;
constexpr size_t max_name_length = 253;  // RFC 1035 2.3.4, without the root dot

std::string normalize_name(std::string name) {
  if (!name.empty() && name.back() == '.') name.pop_back();
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > max_name_length) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

struct Failure {
  DnsStatus status;
  std::string error;
};

Failure describe_failure(int status, const std::string& name) {
  switch (status) {
    case ARES_ENOTFOUND:
      return {DnsStatus::permanent, "NXDOMAIN for " + name};
    case ARES_EBADNAME:
      return {DnsStatus::permanent, "invalid domain name " + name};
    case ARES_ETIMEOUT:
      return {DnsStatus::temporary, "DNS timeout for " + name};
    case ARES_ESERVFAIL:
      return {DnsStatus::temporary, "SERVFAIL for " + name};
    case ARES_EREFUSED:
      return {DnsStatus::temporary, "REFUSED for " + name};
    case ARES_ECONNREFUSED:
      return {DnsStatus::temporary, "DNS server unreachable for " + name};
    case ARES_EBADRESP:
    case ARES_EFORMERR:
      return {DnsStatus::temporary, "malformed DNS answer for " + name};
    case ARES_EDESTRUCTION:
    case ARES_ECANCELLED:
      return {DnsStatus::temporary, "DNS resolver shut down while looking up " + name};
    default:
      return {DnsStatus::temporary, "DNS error for " + name + ": " + ares_strerror(status)};
  }
}

MxAnswer implicit_mx(const std::string& domain) {
  // RFC 5321 5.1: no MX record, the domain itself is the only MX.
  MxAnswer answer;
  answer.status = DnsStatus::ok;
  answer.hosts.push_back({domain, 0});
  return answer;
}

}  // namespace

MxAnswer parse_mx_answer(const std::string& domain, const dns::Answer& dns_answer, std::mt19937& random) {
  int status = dns_answer.status;
  if (status == ARES_ENODATA) return implicit_mx(domain);
  if (status == ARES_SUCCESS) {
    const auto& bytes = dns_answer.message;
    ares_mx_reply* replies = nullptr;
    status = ares_parse_mx_reply(bytes.data(), static_cast<int>(bytes.size()), &replies);
    if (status == ARES_ENODATA) return implicit_mx(domain);
    if (status != ARES_SUCCESS) status = ARES_EBADRESP;
    std::vector<MxHost> records;
    for (auto* reply = replies; reply != nullptr; reply = reply->next) {
      records.push_back({reply->host != nullptr ? reply->host : "", reply->priority});
    }
    if (replies != nullptr) ares_free_data(replies);
    if (status == ARES_SUCCESS) {
      MxAnswer answer = order_mx(std::move(records), random);
      if (answer.null_mx) answer.error = "null MX for " + domain + ": the domain accepts no mail (RFC 7505)";
      if (answer.hosts.size() > max_mx_hosts) answer.hosts.resize(max_mx_hosts);
      return answer;
    }
  }
  const Failure failure = describe_failure(status, domain);
  MxAnswer answer;
  answer.status = failure.status;
  answer.error = failure.error;
  return answer;
}

namespace {

// One address family's outcome: addresses, or why there are none.
struct FamilyAnswer {
  int status = ARES_ETIMEOUT;
  std::vector<asio::ip::address> addresses;
};

// One family's records (ares_parse_a_reply into ares_addrttl::ipaddr, or
// the AAAA pair), at most max_addresses_per_family of them.
template <class Address, class Record, class Field>
FamilyAnswer parse_family(int status, const std::vector<unsigned char>& bytes,
                          int (*parse)(const unsigned char*, int, hostent**, Record*, int*), Field Record::*field) {
  FamilyAnswer result{status, {}};
  if (status != ARES_SUCCESS) return result;
  Record records[max_addresses_per_family];
  int count = max_addresses_per_family;
  result.status = parse(bytes.data(), static_cast<int>(bytes.size()), nullptr, records, &count);
  if (result.status != ARES_SUCCESS) return result;
  for (int i = 0; i < count && i < max_addresses_per_family; ++i) {
    typename Address::bytes_type raw;
    static_assert(sizeof(Field) == sizeof raw);
    std::memcpy(raw.data(), &(records[i].*field), raw.size());
    result.addresses.emplace_back(Address(raw));
  }
  if (result.addresses.empty()) result.status = ARES_ENODATA;
  return result;
}

FamilyAnswer parse_a(int status, const std::vector<unsigned char>& bytes) {
  return parse_family<asio::ip::address_v4>(status, bytes, ares_parse_a_reply, &ares_addrttl::ipaddr);
}

FamilyAnswer parse_aaaa(int status, const std::vector<unsigned char>& bytes) {
  return parse_family<asio::ip::address_v6>(status, bytes, ares_parse_aaaa_reply, &ares_addr6ttl::ip6addr);
}

AddressAnswer combine_families(const std::string& host, const FamilyAnswer& a, const FamilyAnswer& aaaa) {
  AddressAnswer answer;
  answer.addresses = a.addresses;
  answer.addresses.insert(answer.addresses.end(), aaaa.addresses.begin(), aaaa.addresses.end());
  if (!answer.addresses.empty()) {
    answer.status = DnsStatus::ok;
    return answer;
  }
  const auto no_such = [](int status) { return status == ARES_ENOTFOUND || status == ARES_ENODATA; };
  if (no_such(a.status) && no_such(aaaa.status)) {
    answer.status = DnsStatus::permanent;
    answer.error = (a.status == ARES_ENOTFOUND || aaaa.status == ARES_ENOTFOUND)
                       ? "NXDOMAIN for " + host
                       : "no A or AAAA records for " + host;
    return answer;
  }
  // One family failed for a passing reason: the address may exist, try later.
  const Failure failure = describe_failure(no_such(a.status) ? aaaa.status : a.status, host);
  answer.status = failure.status;
  answer.error = failure.error;
  return answer;
}

}  // namespace

AddressAnswer parse_address_answers(const std::string& host, const dns::Answer& a, const dns::Answer& aaaa) {
  return combine_families(host, parse_a(a.status, a.message), parse_aaaa(aaaa.status, aaaa.message));
}

MxResolver::MxResolver(asio::io_context& io, const v1::DnsConfig& config)
    : dns_(io, config), random_(std::random_device{}()) {}

MxResolver::~MxResolver() = default;

// After a co_await these coroutines touch only their own locals: the
// resolver may have been destroyed meanwhile.
asio::awaitable<MxAnswer> MxResolver::lookup_mx(std::string domain) {
  domain = normalize_name(std::move(domain));
  if (!valid_name(domain)) {
    MxAnswer answer;
    answer.status = DnsStatus::permanent;
    answer.error = "invalid domain name " + domain;
    co_return answer;
  }
  std::mt19937 random(random_());
  const dns::Query query = dns_.start(domain, dns::RecordType::mx);
  const dns::Answer answer = co_await query.answer();
  co_return parse_mx_answer(domain, answer, random);
}

asio::awaitable<AddressAnswer> MxResolver::lookup_addresses(std::string host) {
  host = normalize_name(std::move(host));
  asio::error_code ec;
  const auto literal = asio::ip::make_address(host, ec);
  if (!ec) {
    AddressAnswer answer;
    answer.status = DnsStatus::ok;
    answer.addresses.push_back(literal);
    co_return answer;
  }
  if (!valid_name(host)) {
    AddressAnswer answer;
    answer.status = DnsStatus::permanent;
    answer.error = "invalid host name " + host;
    co_return answer;
  }
  // Both on the wire at once: the wait is the slower of the two, not the sum.
  const dns::Query a_query = dns_.start(host, dns::RecordType::a);
  const dns::Query aaaa_query = dns_.start(host, dns::RecordType::aaaa);
  const dns::Answer a = co_await a_query.answer();
  const dns::Answer aaaa = co_await aaaa_query.answer();
  co_return parse_address_answers(host, a, aaaa);
}

MxAnswer order_mx(std::vector<MxHost> records, std::mt19937& random) {
  MxAnswer answer;
  std::vector<MxHost> usable;
  for (auto& record : records) {
    record.name = normalize_name(std::move(record.name));
    // RFC 7505 3: a null MX target is the root ".". A domain must not mix it
    // with real MX records; if one does, the real ones are still usable.
    if (!record.name.empty()) usable.push_back(std::move(record));
  }
  if (usable.empty()) {
    answer.status = DnsStatus::permanent;
    answer.null_mx = !records.empty();
    answer.error = records.empty() ? "no MX records" : "null MX: the domain accepts no mail (RFC 7505)";
    return answer;
  }
  std::stable_sort(usable.begin(), usable.end(),
                   [](const MxHost& a, const MxHost& b) { return a.preference < b.preference; });
  // RFC 5321 5.1: hosts of equal preference are tried in random order, to
  // spread the load.
  for (auto first = usable.begin(); first != usable.end();) {
    auto last = std::find_if(first, usable.end(),
                             [&](const MxHost& host) { return host.preference != first->preference; });
    std::shuffle(first, last, random);
    first = last;
  }
  answer.status = DnsStatus::ok;
  answer.hosts = std::move(usable);
  return answer;
}

}  // namespace mailpipe::mta
