#pragma once
// CURVE for the ZeroMQ links between hosts (DESIGN rule 3): key pairs, the
// socket options of each end, the rule that plaintext is for local links
// only, and the ZAP handler that admits only the client keys a server's
// config lists (ZeroMQ RFC 27; without a handler libzmq would encrypt but
// admit any key).
#include <zmq.hpp>

#include <asio.hpp>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.hpp"
#include "common/transport/zmq_socket.hpp"
#include "config.pb.h"

namespace mailpipe::transport {

struct CurveKeyPair {
  std::string public_key;  // Z85, 40 characters
  std::string secret_key;
};

CurveKeyPair generate_curve_key_pair();
bool valid_curve_key(std::string_view z85);
// Reads a CurveKeyFile (protobuf text). Throws std::runtime_error naming
// the file and what is wrong (never the secret).
CurveKeyPair load_curve_key_pair(const std::string& path);

// "ipc://", "inproc://" and tcp:// on 127.0.0.0/8, ::1 or localhost.
bool is_local_endpoint(std::string_view endpoint);

// What one end of a link needs at run time; made from LinkSecurity.
struct LinkKeys {
  std::optional<CurveKeyPair> mine;     // none: plaintext
  std::string server_public_key;        // client end
  std::set<std::string> allowed_clients;  // server end
};
LinkKeys load_link_keys(const v1::LinkSecurity& security);

// Config checks of one link: plaintext only on local endpoints unless
// `insecure`; with a key_file, the server's key (client end) or at least
// one allowed client key (server end), all valid Z85. Throws ConfigError
// at `field` ("mta_link", "intake_link" ...).
void validate_link(const ConfigFile& file, std::string_view field, const v1::LinkSecurity& security,
                   const std::vector<std::string>& endpoints, bool server_end);

// Says once, loudly, when a link that is not local runs in plaintext.
void warn_if_insecure(const v1::LinkSecurity& security, const std::vector<std::string>& endpoints,
                      std::string_view link);

// Socket options, before bind/connect.
void make_curve_server(zmq::socket_t& socket, const LinkKeys& keys, const std::string& zap_domain);
void make_curve_client(zmq::socket_t& socket, const LinkKeys& keys);

// The process's ZAP handler: bound in the zmq context before any CURVE
// server socket, answering on the event loop. A client whose key is not
// allowed for the server's domain is refused (and logged).
class ZapHandler final {
 public:
  ZapHandler(asio::io_context& io, zmq::context_t& context);
  void allow(const std::string& zap_domain, std::set<std::string> z85_client_keys);
  void close() { socket_.close(); }

 private:
  void on_request(Parts&& parts);
  ZmqSocket socket_;
  std::map<std::string, std::set<std::string>> allowed_;  // domain -> Z85 keys
};

}  // namespace mailpipe::transport
