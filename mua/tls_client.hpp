#pragma once
// The TLS client side of submission: TLS 1.2 or newer (RFC 8996, RFC 8314
// 4.1), the server's certificate checked against the system's trust store
// or --ca-file, and its name against the host we asked for (RFC 6125);
// --insecure skips both, for tests against a self-signed certificate.
#include <asio/ssl.hpp>
#include <optional>
#include <string>

namespace mailpipe::mua {

struct TlsSettings {
  std::optional<std::string> ca_file;
  bool insecure = false;
};

// Throws Failure (Exit::usage) when the CA file cannot be loaded.
asio::ssl::context make_client_context(const TlsSettings& settings);

// Per connection: SNI (not for an address, RFC 6066 3) and the name or
// address the certificate must carry.
void expect_server_name(SSL* ssl, const std::string& host, bool verify);

// "certificate verify failed (self-signed certificate)" and the like, for
// a handshake that failed; "" when the handshake's error says it all.
std::string verification_problem(SSL* ssl);

}  // namespace mailpipe::mua
