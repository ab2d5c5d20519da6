#pragma once
// The TLS server context shared by every listener of a process.
// TLS 1.2 minimum (RFC 8996 retired 1.0/1.1; RFC 8314 4.1), forward-secret
// AEAD ciphers only, no compression (CRIME), no renegotiation.
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <string>

#include "config.pb.h"

namespace mailpipe::tls {

// Throws std::runtime_error naming the file when the certificate or key
// cannot be loaded or do not match.
asio::ssl::context make_server_context(const v1::TlsConfig& config);

// "TLSv1.3" / "TLS_AES_256_GCM_SHA384" of an established session, for the
// Received header and logs.
struct SessionInfo {
  std::string version;
  std::string cipher;
};
SessionInfo describe(SSL* ssl);

}  // namespace mailpipe::tls
