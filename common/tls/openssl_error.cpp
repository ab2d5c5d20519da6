#include "common/tls/openssl_error.hpp"

#include <openssl/err.h>

namespace mailpipe::tls {

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

}  // namespace mailpipe::tls
