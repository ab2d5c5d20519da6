#include "common/transport/curve.hpp"

#include <zmq.h>

#include <stdexcept>

#include "common/config/config.hpp"
#include "common/log/log.hpp"

namespace mailpipe::transport {
namespace {

constexpr std::string_view zap_endpoint = "inproc://zeromq.zap.01";  // fixed by ZeroMQ RFC 27

std::string host_of(std::string_view endpoint) {
  std::string_view rest = endpoint.substr(6);  // after "tcp://"
  if (rest.starts_with('[')) return std::string(rest.substr(1, rest.find(']') - 1));
  const std::size_t colon = rest.rfind(':');
  return std::string(rest.substr(0, colon));
}

}  // namespace

CurveKeyPair generate_curve_key_pair() {
  char public_key[41] = {};
  char secret_key[41] = {};
  if (zmq_curve_keypair(public_key, secret_key) != 0) {
    throw std::runtime_error(std::string("zmq_curve_keypair: ") + zmq_strerror(zmq_errno()) +
                             " (is libzmq built with CURVE?)");
  }
  return {public_key, secret_key};
}

bool valid_curve_key(std::string_view z85) {
  if (z85.size() != 40) return false;
  uint8_t binary[32];
  const std::string text(z85);
  return zmq_z85_decode(binary, text.c_str()) != nullptr;
}

CurveKeyPair load_curve_key_pair(const std::string& path) {
  v1::CurveKeyFile file;
  const ConfigFile parsed = ConfigFile::parse(path, file);
  if (!valid_curve_key(file.public_key())) parsed.fail({"public_key"}, "not a 40-character Z85 CURVE key");
  if (!valid_curve_key(file.secret_key())) parsed.fail({"secret_key"}, "not a 40-character Z85 CURVE key");
  return {file.public_key(), file.secret_key()};
}

bool is_local_endpoint(std::string_view endpoint) {
  if (endpoint.starts_with("ipc://") || endpoint.starts_with("inproc://")) return true;
  if (!endpoint.starts_with("tcp://")) return false;
  const std::string host = host_of(endpoint);
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

void validate_link(const ConfigFile& file, std::string_view field, const v1::LinkSecurity& security,
                   const std::vector<std::string>& endpoints, bool server_end) {
  if (!security.has_key_file()) {
    if (security.insecure()) return;
    for (const auto& endpoint : endpoints) {
      if (is_local_endpoint(endpoint)) continue;
      file.fail({field}, "the link to " + endpoint +
                             " leaves this host: set key_file and the peer's keys (mailpipectl keygen), "
                             "or insecure: true to run it in plaintext");
    }
    return;
  }
  if (server_end) {
    if (security.allowed_client_key_size() == 0) {
      file.fail({field, "allowed_client_key"}, "a CURVE server needs the public keys of the clients it admits");
    }
    for (int i = 0; i < security.allowed_client_key_size(); ++i) {
      if (!valid_curve_key(security.allowed_client_key(i))) {
        file.fail({field, "allowed_client_key"}, "not a 40-character Z85 CURVE public key", i);
      }
    }
  } else if (!valid_curve_key(security.server_public_key())) {
    file.fail({field, "server_public_key"}, "the server's 40-character Z85 CURVE public key is required");
  }
}

LinkKeys load_link_keys(const v1::LinkSecurity& security) {
  LinkKeys keys;
  if (security.has_key_file()) keys.mine = load_curve_key_pair(security.key_file());
  keys.server_public_key = security.server_public_key();
  keys.allowed_clients.insert(security.allowed_client_key().begin(), security.allowed_client_key().end());
  return keys;
}

void warn_if_insecure(const v1::LinkSecurity& security, const std::vector<std::string>& endpoints,
                      std::string_view link) {
  if (security.has_key_file()) return;
  for (const auto& endpoint : endpoints) {
    if (is_local_endpoint(endpoint)) continue;
    log::warning("insecure_link").kv("link", link).kv("endpoint", endpoint)
        .kv("reason", "plaintext ZeroMQ between hosts (insecure: true): anyone on the path reads and forges mail; "
                      "set key_file and the peer's keys (mailpipectl keygen)");
  }
}

void make_curve_server(zmq::socket_t& socket, const LinkKeys& keys, const std::string& zap_domain) {
  if (!keys.mine) return;
  socket.set(zmq::sockopt::curve_server, 1);
  socket.set(zmq::sockopt::curve_secretkey, keys.mine->secret_key);
  socket.set(zmq::sockopt::zap_domain, zap_domain);
}

void make_curve_client(zmq::socket_t& socket, const LinkKeys& keys) {
  if (!keys.mine) return;
  socket.set(zmq::sockopt::curve_serverkey, keys.server_public_key);
  socket.set(zmq::sockopt::curve_publickey, keys.mine->public_key);
  socket.set(zmq::sockopt::curve_secretkey, keys.mine->secret_key);
}

ZapHandler::ZapHandler(asio::io_context& io, zmq::context_t& context) : socket_(io, context, zmq::socket_type::rep) {
  socket_.raw().bind(std::string(zap_endpoint));
  socket_.start([this](Parts&& parts) { on_request(std::move(parts)); });
}

void ZapHandler::allow(const std::string& zap_domain, std::set<std::string> z85_client_keys) {
  allowed_[zap_domain] = std::move(z85_client_keys);
}

void ZapHandler::on_request(Parts&& parts) {
  // RFC 27: version, request id, domain, address, identity, mechanism,
  // credentials (for CURVE: the client's 32-byte public key).
  auto text = [&](std::size_t i) { return i < parts.size() ? parts[i].to_string() : std::string(); };
  const std::string request_id = text(1);
  const std::string domain = text(2);
  const std::string address = text(3);
  const std::string mechanism = text(5);
  std::string status = "400";
  std::string reason = "client key not allowed";
  std::string client_key;
  if (text(0) != "1.0") {
    reason = "bad ZAP version";
  } else if (mechanism != "CURVE") {
    // NULL on a server that set a domain: nothing to check here.
    status = "200";
    reason = "OK";
  } else if (parts.size() >= 7 && parts[6].size() == 32) {
    char z85[41] = {};
    zmq_z85_encode(z85, static_cast<const uint8_t*>(parts[6].data()), 32);
    client_key = z85;
    const auto it = allowed_.find(domain);
    if (it != allowed_.end() && it->second.contains(client_key)) {
      status = "200";
      reason = "OK";
    }
  }
  if (status != "200") {
    log::warning("link_refused").kv("domain", domain).kv("peer", address).kv("client_key", client_key)
        .kv("reason", reason + ": add its public key to allowed_client_key if it is yours");
  }
  Parts reply;
  for (const std::string& frame : {std::string("1.0"), request_id, status, reason, std::string(), std::string()}) {
    reply.emplace_back(frame.data(), frame.size());
  }
  socket_.send(std::move(reply));
}

}  // namespace mailpipe::transport
