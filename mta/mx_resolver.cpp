#include "mta/mx_resolver.hpp"

#include <ares.h>
#include <arpa/nameser.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <unordered_map>

#include "common/log.hpp"

namespace mailpipe::mta {
namespace {

// Safety bounds, not knobs: a DNS message is at most 64 KiB, so these only
// cap what one hostile answer can make us keep and try. Postfix tries at most
// 5 MX addresses per delivery by default; 32 refuses no real domain.
constexpr size_t max_mx_hosts = 32;
constexpr int max_addresses_per_family = 32;
constexpr int max_answer_bytes = 65535;
constexpr size_t max_name_length = 253;  // RFC 1035 2.3.4, without the root dot

// One ares_query in flight. Shared by the awaiting coroutine and by the c-ares
// callback, so either may outlive the other (and the resolver).
struct PendingQuery {
  PendingQuery(asio::io_context& io, std::chrono::milliseconds guard) : timer(io), guard(guard) {}
  asio::steady_timer timer;
  std::chrono::milliseconds guard;  // c-ares times out first; this only bounds a c-ares bug
  bool done = false;
  int status = ARES_ETIMEOUT;
  std::vector<unsigned char> answer;
};

void on_answer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  std::unique_ptr<std::shared_ptr<PendingQuery>> holder(static_cast<std::shared_ptr<PendingQuery>*>(arg));
  PendingQuery& query = **holder;
  query.done = true;
  query.status = status;
  if (status == ARES_SUCCESS) {
    if (abuf == nullptr || alen <= 0 || alen > max_answer_bytes) {
      query.status = ARES_EBADRESP;
    } else {
      query.answer.assign(abuf, abuf + alen);
    }
  }
  query.timer.cancel();
}

asio::awaitable<int> wait_for(std::shared_ptr<PendingQuery> query) {
  if (!query->done) {
    query->timer.expires_after(query->guard);
    asio::error_code ignored;
    co_await query->timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  co_return query->done ? query->status : ARES_ETIMEOUT;
}

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

MxAnswer mx_answer(const std::string& domain, int status, const std::vector<unsigned char>& bytes,
                   std::mt19937& random) {
  if (status == ARES_ENODATA) return implicit_mx(domain);
  if (status == ARES_SUCCESS) {
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

// One address family's outcome: addresses, or why there are none.
struct FamilyAnswer {
  int status = ARES_ETIMEOUT;
  std::vector<asio::ip::address> addresses;
};

FamilyAnswer parse_a(int status, const std::vector<unsigned char>& bytes) {
  FamilyAnswer result{status, {}};
  if (status != ARES_SUCCESS) return result;
  ares_addrttl records[max_addresses_per_family];
  int count = max_addresses_per_family;
  result.status = ares_parse_a_reply(bytes.data(), static_cast<int>(bytes.size()), nullptr, records, &count);
  if (result.status != ARES_SUCCESS) return result;
  for (int i = 0; i < count && i < max_addresses_per_family; ++i) {
    asio::ip::address_v4::bytes_type raw;
    std::memcpy(raw.data(), &records[i].ipaddr, raw.size());
    result.addresses.emplace_back(asio::ip::address_v4(raw));
  }
  if (result.addresses.empty()) result.status = ARES_ENODATA;
  return result;
}

FamilyAnswer parse_aaaa(int status, const std::vector<unsigned char>& bytes) {
  FamilyAnswer result{status, {}};
  if (status != ARES_SUCCESS) return result;
  ares_addr6ttl records[max_addresses_per_family];
  int count = max_addresses_per_family;
  result.status = ares_parse_aaaa_reply(bytes.data(), static_cast<int>(bytes.size()), nullptr, records, &count);
  if (result.status != ARES_SUCCESS) return result;
  for (int i = 0; i < count && i < max_addresses_per_family; ++i) {
    asio::ip::address_v6::bytes_type raw;
    std::memcpy(raw.data(), &records[i].ip6addr, raw.size());
    result.addresses.emplace_back(asio::ip::address_v6(raw));
  }
  if (result.addresses.empty()) result.status = ARES_ENODATA;
  return result;
}

AddressAnswer address_answer(const std::string& host, const FamilyAnswer& a, const FamilyAnswer& aaaa) {
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

// The c-ares channel, driven by Asio: each socket c-ares opens is watched with
// a stream_descriptor (ARES_OPT_SOCK_STATE_CB says which and for what), and
// one steady_timer follows ares_timeout() for retries and timeouts. Handlers
// hold a weak_ptr so they do nothing once the resolver is gone.
class MxResolver::Channel final : public std::enable_shared_from_this<Channel> {
 public:
  Channel(asio::io_context& io, const v1::DnsConfig& config);
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  std::shared_ptr<PendingQuery> start_query(const std::string& name, int type);

 private:
  struct Watch {
    Watch(asio::io_context& io, ares_socket_t fd) : fd(fd), descriptor(io) {}
    ~Watch() {
      // The descriptor belongs to c-ares, which closes it.
      if (descriptor.is_open()) descriptor.release();
    }
    ares_socket_t fd;
    asio::posix::stream_descriptor descriptor;
    bool want_read = false, want_write = false;
    bool read_pending = false, write_pending = false;
    bool closed = false;
  };

  static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable);
  void watch(ares_socket_t fd, bool read, bool write);
  void arm(const std::shared_ptr<Watch>& watch);
  void arm_one(const std::shared_ptr<Watch>& watch, bool for_write);
  void process(ares_socket_t read_fd, ares_socket_t write_fd);
  void schedule_timeout();

  asio::io_context& io_;
  ares_channel channel_ = nullptr;
  asio::steady_timer timer_;
  std::unordered_map<ares_socket_t, std::shared_ptr<Watch>> watches_;
  std::chrono::milliseconds guard_{0};
};

MxResolver::Channel::Channel(asio::io_context& io, const v1::DnsConfig& config) : io_(io), timer_(io) {
  static const int library_status = ares_library_init(ARES_LIB_INIT_ALL);
  if (library_status != ARES_SUCCESS) {
    throw std::runtime_error(std::string("c-ares init failed: ") + ares_strerror(library_status));
  }
  const int timeout_ms = static_cast<int>(std::clamp<uint32_t>(config.timeout_ms(), 1, 600000));
  const int tries = static_cast<int>(std::clamp<uint32_t>(config.tries(), 1, 16));
  ares_options options{};
  options.sock_state_cb = &Channel::on_socket_state;
  options.sock_state_cb_data = this;
  options.timeout = timeout_ms;
  options.tries = tries;
  const int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  if (const int status = ares_init_options(&channel_, &options, mask); status != ARES_SUCCESS) {
    throw std::runtime_error(std::string("c-ares init failed: ") + ares_strerror(status));
  }
  if (config.server_size() > 0) {
    std::string csv;
    for (const auto& server : config.server()) csv += (csv.empty() ? "" : ",") + server;
    if (const int status = ares_set_servers_ports_csv(channel_, csv.c_str()); status != ARES_SUCCESS) {
      ares_destroy(channel_);
      throw std::runtime_error("bad DNS server list \"" + csv + "\": " + ares_strerror(status));
    }
  }
  int servers = 0;
  ares_addr_port_node* list = nullptr;
  if (ares_get_servers_ports(channel_, &list) == ARES_SUCCESS) {
    for (auto* node = list; node != nullptr; node = node->next) ++servers;
    ares_free_data(list);
  }
  // c-ares doubles the per-try timeout each round over the servers; this
  // guard is the sum of all tries plus a second, and only matters if c-ares
  // never answers.
  guard_ = std::chrono::milliseconds(static_cast<int64_t>(timeout_ms) * ((int64_t{1} << tries) - 1) *
                                         std::max(servers, 1) +
                                     1000);
}

MxResolver::Channel::~Channel() {
  // Completes every pending query with ARES_EDESTRUCTION (their PendingQuery
  // lives on) and reports each socket closed through on_socket_state.
  ares_destroy(channel_);
  timer_.cancel();
  watches_.clear();
}

std::shared_ptr<PendingQuery> MxResolver::Channel::start_query(const std::string& name, int type) {
  auto query = std::make_shared<PendingQuery>(io_, guard_);
  ares_query(channel_, name.c_str(), ns_c_in, type, &on_answer, new std::shared_ptr<PendingQuery>(query));
  schedule_timeout();
  return query;
}

void MxResolver::Channel::on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
  static_cast<Channel*>(data)->watch(fd, readable != 0, writable != 0);
}

void MxResolver::Channel::watch(ares_socket_t fd, bool read, bool write) {
  auto it = watches_.find(fd);
  if (!read && !write) {
    // c-ares is about to close fd: let go of it first.
    if (it == watches_.end()) return;
    const auto watch = it->second;
    watches_.erase(it);
    watch->closed = true;
    if (watch->descriptor.is_open()) watch->descriptor.release();  // cancels pending waits
    return;
  }
  if (it == watches_.end()) {
    auto watch = std::make_shared<Watch>(io_, fd);
    asio::error_code ec;
    watch->descriptor.assign(fd, ec);
    if (ec) {
      // The query on this socket will time out; nothing else breaks.
      log::warning("dns_socket_watch_failed").kv("error", ec.message());
      return;
    }
    it = watches_.emplace(fd, std::move(watch)).first;
  }
  it->second->want_read = read;
  it->second->want_write = write;
  arm(it->second);
}

void MxResolver::Channel::arm(const std::shared_ptr<Watch>& watch) {
  if (watch->want_read && !watch->read_pending) arm_one(watch, false);
  if (watch->want_write && !watch->write_pending) arm_one(watch, true);
}

void MxResolver::Channel::arm_one(const std::shared_ptr<Watch>& watch, bool for_write) {
  (for_write ? watch->write_pending : watch->read_pending) = true;
  const auto wait = for_write ? asio::posix::descriptor_base::wait_write : asio::posix::descriptor_base::wait_read;
  watch->descriptor.async_wait(wait, [self = weak_from_this(), watch, for_write](asio::error_code ec) {
    (for_write ? watch->write_pending : watch->read_pending) = false;
    const auto channel = self.lock();
    if (!channel || watch->closed || ec == asio::error::operation_aborted) return;
    if (!(for_write ? watch->want_write : watch->want_read)) return;
    // On an error c-ares reads or writes, sees it and closes the socket.
    channel->process(for_write ? ARES_SOCKET_BAD : watch->fd, for_write ? watch->fd : ARES_SOCKET_BAD);
    if (!ec && !watch->closed) channel->arm(watch);
  });
}

void MxResolver::Channel::process(ares_socket_t read_fd, ares_socket_t write_fd) {
  ares_process_fd(channel_, read_fd, write_fd);
  schedule_timeout();
}

void MxResolver::Channel::schedule_timeout() {
  timeval storage{};
  const timeval* next = ares_timeout(channel_, nullptr, &storage);
  if (next == nullptr) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(std::chrono::seconds(next->tv_sec) + std::chrono::microseconds(next->tv_usec));
  timer_.async_wait([self = weak_from_this()](asio::error_code ec) {
    if (ec == asio::error::operation_aborted) return;
    if (const auto channel = self.lock()) channel->process(ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  });
}

MxResolver::MxResolver(asio::io_context& io, const v1::DnsConfig& config)
    : channel_(std::make_shared<Channel>(io, config)), random_(std::random_device{}()) {}

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
  auto query = channel_->start_query(domain, ns_t_mx);
  const int status = co_await wait_for(query);
  co_return mx_answer(domain, status, query->answer, random);
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
  auto a_query = channel_->start_query(host, ns_t_a);
  auto aaaa_query = channel_->start_query(host, ns_t_aaaa);
  const int a_status = co_await wait_for(a_query);
  const int aaaa_status = co_await wait_for(aaaa_query);
  co_return address_answer(host, parse_a(a_status, a_query->answer), parse_aaaa(aaaa_status, aaaa_query->answer));
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
