#include "common/smtp/client/tls_client.hpp"

#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/tls/openssl_error.hpp"

namespace mailpipe::smtp::client {
namespace {

bool is_ip_address(const std::string& host) {
  unsigned char buffer[16];
  return ::inet_pton(AF_INET, host.c_str(), buffer) == 1 || ::inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

}  // namespace

asio::ssl::context make_client_tls_context(const ClientTlsSettings& settings) {
  asio::ssl::context context(asio::ssl::context::tls_client);
  SSL_CTX* ctx = context.native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (!settings.verify) {
    context.set_verify_mode(asio::ssl::verify_none);
    return context;
  }
  if (!settings.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, settings.ca_file.c_str(), nullptr) != 1) {
      throw std::runtime_error("cannot load the CA certificates in " + settings.ca_file + ": " + tls::openssl_error());
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    throw std::runtime_error("cannot load the system's CA certificates: " + tls::openssl_error());
  }
  context.set_verify_mode(asio::ssl::verify_peer);
  return context;
}

void expect_server_name(SSL* ssl, const std::string& host, bool verify) {
  const bool address = is_ip_address(host);
  if (!address) SSL_set_tlsext_host_name(ssl, host.c_str());
  if (!verify) return;
  SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (address) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  }
}

std::string verification_problem(SSL* ssl) {
  const long result = SSL_get_verify_result(ssl);
  if (result == X509_V_OK) return "";
  return X509_verify_cert_error_string(result);
}

}  // namespace mailpipe::smtp::client
