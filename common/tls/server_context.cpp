#include "common/tls/server_context.hpp"

#include <openssl/ssl.h>

#include <stdexcept>

#include "common/tls/openssl_error.hpp"

namespace mailpipe::tls {

asio::ssl::context make_server_context(const v1::TlsConfig& config) {
  if (config.cert_file().empty() || config.key_file().empty()) {
    throw std::runtime_error("tls: cert_file and key_file are required");
  }
  asio::ssl::context context(asio::ssl::context::tls_server);
  SSL_CTX* ctx = context.native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // TLS 1.2 suites: ECDHE + AEAD only. TLS 1.3 suites are all fine.
  SSL_CTX_set_cipher_list(ctx,
                          "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                          "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                          "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
  if (SSL_CTX_use_certificate_chain_file(ctx, config.cert_file().c_str()) != 1) {
    throw std::runtime_error("tls: cannot load certificate " + config.cert_file() + ": " + openssl_error());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, config.key_file().c_str(), SSL_FILETYPE_PEM) != 1) {
    throw std::runtime_error("tls: cannot load private key " + config.key_file() + ": " + openssl_error());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    throw std::runtime_error("tls: private key " + config.key_file() + " does not match certificate " +
                             config.cert_file());
  }
  return context;
}

SessionInfo describe(SSL* ssl) {
  SessionInfo info;
  if (ssl == nullptr) return info;
  info.version = SSL_get_version(ssl);
  if (const char* cipher = SSL_get_cipher_name(ssl)) info.cipher = cipher;
  return info;
}

}  // namespace mailpipe::tls
