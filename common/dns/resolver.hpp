#pragma once
// Asynchronous DNS queries with c-ares inside the Asio event loop (no thread,
// no blocking call): one query of one type for one name, answered with the
// raw DNS message or the c-ares status saying why there is none. Parsing the
// answer is the caller's job (MX and A/AAAA in mta/mx_resolver, later TXT
// and TLSA), as is deciding which failures are permanent.
//
// Config keys (DnsConfig): server (none: c-ares reads /etc/resolv.conf),
// timeout_ms (per try, clamped to 1..600000) and tries (clamped to 1..16).
//
// Security: answers come from the network. The raw message is handed back
// only when c-ares accepted it and it fits a DNS message (64 KiB); callers
// parse it with c-ares's parsers, which check every length.
#include <asio.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config.pb.h"

namespace mailpipe::dns {

// Query types, numbered as on the wire.
enum class RecordType : uint16_t {
  a = 1,      // RFC 1035
  mx = 15,    // RFC 1035
  txt = 16,   // RFC 1035
  aaaa = 28,  // RFC 3596
  tlsa = 52,  // RFC 6698
};

struct Answer {
  // A c-ares status (ares.h): ARES_SUCCESS with `message` set; otherwise why
  // there is no answer, e.g. ARES_ENODATA (the name has no record of this
  // type), ARES_ENOTFOUND (NXDOMAIN), ARES_ETIMEOUT, ARES_ESERVFAIL,
  // ARES_EDESTRUCTION (the resolver was destroyed first). c-ares codes, not
  // our own, because callers parse `message` with c-ares and get its codes.
  int status = 0;
  std::vector<unsigned char> message;  // the whole DNS response
};

class Resolver;

// One query on the wire. It owns its state, so it may outlive the Resolver
// that started it (it then completes with ARES_EDESTRUCTION).
class Query final {
 public:
  // Waits for the answer; await it once (the message is moved out).
  asio::awaitable<Answer> answer() const;

  struct State;  // shared with the c-ares callback

 private:
  friend class Resolver;
  explicit Query(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

class Resolver final {
 public:
  // Throws std::runtime_error when c-ares cannot start or a server is malformed.
  Resolver(asio::io_context& io, const v1::DnsConfig& config);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Sends the query now (class IN), so several can be on the wire at once:
  // start them all, then await each answer().
  Query start(const std::string& name, RecordType type);
  // start() and answer() in one.
  asio::awaitable<Answer> query(std::string name, RecordType type);

  class Channel;  // c-ares state; shared with in-flight handlers

 private:
  std::shared_ptr<Channel> channel_;
};

}  // namespace mailpipe::dns
