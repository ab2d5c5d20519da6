#include "common/dns/resolver.hpp"

#include <ares.h>
#include <arpa/nameser.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <unordered_map>

#include "common/log/log.hpp"

namespace mailpipe::dns {

// A DNS message is at most 64 KiB (its length field over TCP is 16 bits):
// a bound, not a knob.
constexpr int max_message_bytes = 65535;

// One ares_query in flight. Shared by the awaiting coroutine and by the c-ares
// callback, so either may outlive the other (and the resolver).
struct Query::State {
  State(asio::io_context& io, std::chrono::milliseconds guard) : timer(io), guard(guard) {}
  asio::steady_timer timer;
  std::chrono::milliseconds guard;  // c-ares times out first; this only bounds a c-ares bug
  bool done = false;
  int status = ARES_ETIMEOUT;
  std::vector<unsigned char> message;
};

namespace {

void on_answer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  std::unique_ptr<std::shared_ptr<Query::State>> holder(static_cast<std::shared_ptr<Query::State>*>(arg));
  Query::State& query = **holder;
  query.done = true;
  query.status = status;
  if (status == ARES_SUCCESS) {
    if (abuf == nullptr || alen <= 0 || alen > max_message_bytes) {
      query.status = ARES_EBADRESP;
    } else {
      query.message.assign(abuf, abuf + alen);
    }
  }
  query.timer.cancel();
}

asio::awaitable<Answer> wait_for(std::shared_ptr<Query::State> query) {
  if (!query->done) {
    query->timer.expires_after(query->guard);
    asio::error_code ignored;
    co_await query->timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  if (!query->done) co_return Answer{ARES_ETIMEOUT, {}};
  co_return Answer{query->status, std::move(query->message)};
}

}  // namespace

asio::awaitable<Answer> Query::answer() const { return wait_for(state_); }

// The c-ares channel, driven by Asio: each socket c-ares opens is watched with
// a stream_descriptor (ARES_OPT_SOCK_STATE_CB says which and for what), and
// one steady_timer follows ares_timeout() for retries and timeouts. Handlers
// hold a weak_ptr so they do nothing once the resolver is gone.
class Resolver::Channel final : public std::enable_shared_from_this<Channel> {
 public:
  Channel(asio::io_context& io, const v1::DnsConfig& config);
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  std::shared_ptr<Query::State> start_query(const std::string& name, int type);

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

  void init(int timeout_ms, int tries);
  void set_servers(const v1::DnsConfig& config);
  int count_servers();
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

Resolver::Channel::Channel(asio::io_context& io, const v1::DnsConfig& config) : io_(io), timer_(io) {
  static const int library_status = ares_library_init(ARES_LIB_INIT_ALL);
  if (library_status != ARES_SUCCESS) {
    throw std::runtime_error(std::string("c-ares init failed: ") + ares_strerror(library_status));
  }
  const int timeout_ms = static_cast<int>(std::clamp<uint32_t>(config.timeout_ms(), 1, 600000));
  const int tries = static_cast<int>(std::clamp<uint32_t>(config.tries(), 1, 16));
  init(timeout_ms, tries);
  set_servers(config);
  const int servers = count_servers();
  // c-ares doubles the per-try timeout each round over the servers; this
  // guard is the sum of all tries plus a second, and only matters if c-ares
  // never answers.
  guard_ = std::chrono::milliseconds(static_cast<int64_t>(timeout_ms) * ((int64_t{1} << tries) - 1) *
                                         std::max(servers, 1) +
                                     1000);
}

void Resolver::Channel::init(int timeout_ms, int tries) {
  ares_options options{};
  options.sock_state_cb = &Channel::on_socket_state;
  options.sock_state_cb_data = this;
  options.timeout = timeout_ms;
  options.tries = tries;
  const int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  if (const int status = ares_init_options(&channel_, &options, mask); status != ARES_SUCCESS) {
    throw std::runtime_error(std::string("c-ares init failed: ") + ares_strerror(status));
  }
}

void Resolver::Channel::set_servers(const v1::DnsConfig& config) {
  if (config.server_size() == 0) return;
  std::string csv;
  for (const auto& server : config.server()) csv += (csv.empty() ? "" : ",") + server;
  if (const int status = ares_set_servers_ports_csv(channel_, csv.c_str()); status != ARES_SUCCESS) {
    ares_destroy(channel_);
    throw std::runtime_error("bad DNS server list \"" + csv + "\": " + ares_strerror(status));
  }
}

int Resolver::Channel::count_servers() {
  int servers = 0;
  ares_addr_port_node* list = nullptr;
  if (ares_get_servers_ports(channel_, &list) == ARES_SUCCESS) {
    for (auto* node = list; node != nullptr; node = node->next) ++servers;
    ares_free_data(list);
  }
  return servers;
}

Resolver::Channel::~Channel() {
  // Completes every pending query with ARES_EDESTRUCTION (their Query::State
  // lives on) and reports each socket closed through on_socket_state.
  ares_destroy(channel_);
  timer_.cancel();
  watches_.clear();
}

std::shared_ptr<Query::State> Resolver::Channel::start_query(const std::string& name, int type) {
  auto query = std::make_shared<Query::State>(io_, guard_);
  ares_query(channel_, name.c_str(), ns_c_in, type, &on_answer, new std::shared_ptr<Query::State>(query));
  schedule_timeout();
  return query;
}

void Resolver::Channel::on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
  static_cast<Channel*>(data)->watch(fd, readable != 0, writable != 0);
}

void Resolver::Channel::watch(ares_socket_t fd, bool read, bool write) {
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

void Resolver::Channel::arm(const std::shared_ptr<Watch>& watch) {
  if (watch->want_read && !watch->read_pending) arm_one(watch, false);
  if (watch->want_write && !watch->write_pending) arm_one(watch, true);
}

void Resolver::Channel::arm_one(const std::shared_ptr<Watch>& watch, bool for_write) {
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

void Resolver::Channel::process(ares_socket_t read_fd, ares_socket_t write_fd) {
  ares_process_fd(channel_, read_fd, write_fd);
  schedule_timeout();
}

void Resolver::Channel::schedule_timeout() {
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

Resolver::Resolver(asio::io_context& io, const v1::DnsConfig& config)
    : channel_(std::make_shared<Channel>(io, config)) {}

Resolver::~Resolver() = default;

Query Resolver::start(const std::string& name, RecordType type) {
  return Query(channel_->start_query(name, static_cast<int>(type)));
}

// After the co_await this touches only its locals: the resolver may have
// been destroyed meanwhile.
asio::awaitable<Answer> Resolver::query(std::string name, RecordType type) {
  const Query pending = start(name, type);
  co_return co_await pending.answer();
}

}  // namespace mailpipe::dns
