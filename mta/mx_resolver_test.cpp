#include "mta/mx_resolver.hpp"

#include <ares.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <set>
#include <thread>

#include "tests/support/loopback_dns.hpp"
#include "tests/support/run_until_done.hpp"

namespace mailpipe::mta {
namespace {

TEST(MxResolverConfig, BadServerThrows) {
  asio::io_context io;
  v1::DnsConfig config;
  config.add_server("not an address");
  EXPECT_THROW(MxResolver(io, config), std::runtime_error);
}

TEST(MxResolverLiteral, IpLiteralNeedsNoQuery) {
  asio::io_context io;
  v1::DnsConfig config;
  config.add_server("127.0.0.1:9");  // never asked
  MxResolver resolver(io, config);
  std::optional<AddressAnswer> answer;
  asio::co_spawn(io, resolver.lookup_addresses("127.0.0.9"), [&](std::exception_ptr, AddressAnswer a) {
    answer = std::move(a);
  });
  io.run_for(std::chrono::seconds(2));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, DnsStatus::ok);
  ASSERT_EQ(answer->addresses.size(), 1u);
  EXPECT_EQ(answer->addresses[0].to_string(), "127.0.0.9");
}

// ---- live: c-ares against Debian's dnsmasq on a free loopback port ----------

constexpr const char* dnsmasq_path = "/usr/sbin/dnsmasq";

sockaddr_in loopback_address(uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  return address;
}

// A UDP socket bound to 127.0.0.1 on a port the kernel picks, and the port.
std::pair<int, uint16_t> bound_udp_socket() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address = loopback_address(0);
  socklen_t length = sizeof(address);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return {fd, ntohs(address.sin_port)};
}

// A UDP port nobody else holds, with the same TCP port free too.
uint16_t free_port() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const auto [udp, port] = bound_udp_socket();
    const sockaddr_in address = loopback_address(port);
    const int tcp = ::socket(AF_INET, SOCK_STREAM, 0);
    const bool tcp_free = ::bind(tcp, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
    ::close(tcp);
    ::close(udp);
    if (tcp_free) return port;
  }
  return 0;
}

bool tcp_connects(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const sockaddr_in address = loopback_address(port);
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return ok;
}

class MxResolverLive : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::access(dnsmasq_path, X_OK) != 0) return;
    // A bound UDP socket that never reads: queries forwarded there get no
    // answer and no ICMP error, so timeout.test really times out.
    const auto [blackhole, blackhole_port] = bound_udp_socket();
    blackhole_ = blackhole;

    port_ = free_port();
    char dir_template[] = "/tmp/mx_resolver_test.XXXXXX";
    dir_ = ::mkdtemp(dir_template);
    const std::string log = dir_ + "/dnsmasq.log";
    std::vector<std::string> args = {
        dnsmasq_path, "--no-daemon", "--no-resolv", "--no-hosts", "--pid-file=",
        "--port=" + std::to_string(port_), "--listen-address=127.0.0.1", "--bind-interfaces",
        "--log-facility=" + log, "--log-queries",
        // Everything under .test is answered here; unknown names are NXDOMAIN.
        "--local=/test/",
        "--mx-host=two-mx.test,mx-b.two-mx.test,20", "--mx-host=two-mx.test,mx-a.two-mx.test,20",
        "--mx-host=two-mx.test,mx-best.two-mx.test,5", "--mx-host=two-mx.test,mx-last.two-mx.test,30",
        "--host-record=mx-best.two-mx.test,127.0.0.2",
        "--mx-host=nullmx.test,.,0",
        "--host-record=implicit.test,127.0.0.4",
        "--host-record=dual.test,127.0.0.3,::1",
        "--server=/timeout.test/127.0.0.1#" + std::to_string(blackhole_port)};
    if (::geteuid() == 0) args.push_back("--user=root");
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      ::dup2(out, 1);
      ::dup2(out, 2);
      ::execv(dnsmasq_path, argv.data());
      ::_exit(127);
    }
    for (int i = 0; i < 100 && !tcp_connects(port_); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  static void TearDownTestSuite() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      bool reaped = false;
      for (int i = 0; i < 40 && !reaped; ++i) {
        reaped = ::waitpid(pid_, &status, WNOHANG) == pid_;
        if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (!reaped) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
      }
      pid_ = -1;
    }
    if (blackhole_ >= 0) ::close(blackhole_);
    blackhole_ = -1;
    if (!dir_.empty() && std::getenv("MAILPIPE_KEEP_TMP") == nullptr) std::filesystem::remove_all(dir_);
  }

  void SetUp() override {
    if (::access(dnsmasq_path, X_OK) != 0) GTEST_SKIP() << dnsmasq_path << " not installed";
    ASSERT_TRUE(tcp_connects(port_)) << "dnsmasq did not start, see " << dir_;
  }

  v1::DnsConfig config(uint32_t timeout_ms = 1000, uint32_t tries = 2) const {
    return test_support::loopback_dns(port_, timeout_ms, tries);
  }

  template <class T>
  std::optional<T> run(asio::awaitable<T> lookup, std::chrono::seconds bound = std::chrono::seconds(10)) {
    return test_support::run_until_done(io_, std::move(lookup), bound);
  }

  // The answer `lookup` gives; a failure (and an empty answer) if none came.
  template <class T>
  T answer_of(asio::awaitable<T> lookup) {
    const std::optional<T> answer = run(std::move(lookup));
    EXPECT_TRUE(answer) << "no answer in time";
    return answer.value_or(T{});
  }
  // Lookups on one resolver with the default config, made at first use.
  MxAnswer mx_of(const std::string& domain) { return answer_of(resolver().lookup_mx(domain)); }
  AddressAnswer addresses_of(const std::string& host) { return answer_of(resolver().lookup_addresses(host)); }
  MxResolver& resolver() {
    if (!resolver_) resolver_.emplace(io_, config());
    return *resolver_;
  }

  asio::io_context io_;
  std::optional<MxResolver> resolver_;
  static inline pid_t pid_ = -1;
  static inline int blackhole_ = -1;
  static inline uint16_t port_ = 0;
  static inline std::string dir_;
};

// "preference name"
std::string shown(const MxHost& host) { return std::to_string(host.preference) + " " + host.name; }

TEST_F(MxResolverLive, OrdersRealMxAnswerByPreference) {
  const MxAnswer answer = mx_of("Two-MX.test.");
  EXPECT_EQ(answer.status, DnsStatus::ok) << answer.error;
  ASSERT_EQ(answer.hosts.size(), 4u);
  EXPECT_EQ(shown(answer.hosts[0]), "5 mx-best.two-mx.test");
  EXPECT_EQ((std::set<std::string>{shown(answer.hosts[1]), shown(answer.hosts[2])}),
            (std::set<std::string>{"20 mx-a.two-mx.test", "20 mx-b.two-mx.test"}));
  EXPECT_EQ(answer.hosts[3].name, "mx-last.two-mx.test");
}

TEST_F(MxResolverLive, NullMxIsPermanent) {
  const MxAnswer answer = mx_of("nullmx.test");
  EXPECT_EQ(answer.status, DnsStatus::permanent);
  EXPECT_TRUE(answer.null_mx);
  EXPECT_TRUE(answer.hosts.empty());
  EXPECT_NE(answer.error.find("nullmx.test"), std::string::npos) << answer.error;
}

TEST_F(MxResolverLive, NoMxMeansTheDomainItself) {
  const MxAnswer answer = mx_of("implicit.test");
  EXPECT_EQ(answer.status, DnsStatus::ok) << answer.error;
  ASSERT_EQ(answer.hosts.size(), 1u);
  EXPECT_EQ(shown(answer.hosts[0]), "0 implicit.test");
}

TEST_F(MxResolverLive, NxdomainIsPermanent) {
  const MxAnswer answer = mx_of("nowhere.test");
  EXPECT_EQ(answer.status, DnsStatus::permanent);
  EXPECT_FALSE(answer.null_mx);
  EXPECT_EQ(answer.error, "NXDOMAIN for nowhere.test");
}

TEST_F(MxResolverLive, RefusedIsTemporary) {
  // dnsmasq has no upstream for names outside .test: REFUSED.
  const MxAnswer answer = mx_of("example.org");
  EXPECT_EQ(answer.status, DnsStatus::temporary) << answer.error;
}

TEST_F(MxResolverLive, TimeoutIsTemporaryWithinBound) {
  MxResolver resolver(io_, config(300, 1));
  const auto start = std::chrono::steady_clock::now();
  const MxAnswer answer = answer_of(resolver.lookup_mx("slow.timeout.test"));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(answer.status, DnsStatus::temporary);
  EXPECT_EQ(answer.error, "DNS timeout for slow.timeout.test");
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST_F(MxResolverLive, AddressesAThenAaaa) {
  const AddressAnswer answer = addresses_of("dual.test");
  EXPECT_EQ(answer.status, DnsStatus::ok) << answer.error;
  ASSERT_EQ(answer.addresses.size(), 2u);
  EXPECT_EQ(answer.addresses[0].to_string(), "127.0.0.3");
  EXPECT_EQ(answer.addresses[1].to_string(), "::1");
}

TEST_F(MxResolverLive, AddressesFromAOnly) {
  const AddressAnswer answer = addresses_of("mx-best.two-mx.test");
  EXPECT_EQ(answer.status, DnsStatus::ok) << answer.error;
  ASSERT_EQ(answer.addresses.size(), 1u);
  EXPECT_EQ(answer.addresses[0].to_string(), "127.0.0.2");
}

TEST_F(MxResolverLive, NoAddressIsPermanent) {
  const AddressAnswer nodata = addresses_of("nullmx.test");  // has MX, no A/AAAA
  EXPECT_EQ(nodata.status, DnsStatus::permanent) << nodata.error;
  const AddressAnswer nxdomain = addresses_of("nowhere.test");
  EXPECT_EQ(nxdomain.status, DnsStatus::permanent);
  EXPECT_EQ(nxdomain.error, "NXDOMAIN for nowhere.test");
}

TEST_F(MxResolverLive, ManyLookupsOnOneResolver) {
  for (int i = 0; i < 20; ++i) {
    const MxAnswer answer = mx_of("two-mx.test");
    ASSERT_EQ(answer.status, DnsStatus::ok) << answer.error;
  }
}

TEST_F(MxResolverLive, DestroyedResolverCompletesPendingLookup) {
  auto resolver = std::make_unique<MxResolver>(io_, config(2000, 2));
  std::optional<MxAnswer> answer;
  test_support::spawn_into(io_, resolver->lookup_mx("pending.timeout.test"), answer);
  io_.run_for(std::chrono::milliseconds(100));  // the query is on the wire, unanswered
  ASSERT_FALSE(answer);
  resolver.reset();
  test_support::run_until_set(io_, answer, std::chrono::seconds(2));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, DnsStatus::temporary);
}

}  // namespace
}  // namespace mailpipe::mta
