#pragma once
// The TLS client side of every SMTP client (relay, LMTP, mpmail): TLS 1.2
// or newer (RFC 8996), no compression (CRIME), no renegotiation; with
// verification, the server's certificate checked against a CA file or the
// system's trust store and its name against the host we asked for
// (RFC 6125, no partial wildcards).
#include <asio/ssl.hpp>
#include <stdexcept>
#include <string>

namespace mailpipe::smtp::client {

struct ClientTlsSettings {
  bool verify = true;   // false: opportunistic (RFC 7435), any certificate will do
  std::string ca_file;  // with verify: "" is the system's trust store
};

// Throws std::runtime_error saying which file could not be loaded.
asio::ssl::context make_client_tls_context(const ClientTlsSettings& settings);

// Per connection: SNI (not for an address, RFC 6066 3) and, with verify,
// the name or address the certificate must carry.
void expect_server_name(SSL* ssl, const std::string& host, bool verify);

// "certificate verify failed (self-signed certificate)" and the like, for
// a handshake that failed; "" when verification was not the problem.
std::string verification_problem(SSL* ssl);

}  // namespace mailpipe::smtp::client
