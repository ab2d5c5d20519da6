#pragma once
// OpenSSL's reason for the last failure on this thread's error queue, for
// an error message ("unknown OpenSSL error" when the queue is empty).
#include <string>

namespace mailpipe::tls {

std::string openssl_error();

}  // namespace mailpipe::tls
