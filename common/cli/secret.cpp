#include "common/cli/secret.hpp"

#include <openssl/crypto.h>

namespace mailpipe::cli {

void wipe_bytes(char* bytes, std::size_t size) { OPENSSL_cleanse(bytes, size); }

bool same_bytes(const char* a, const char* b, std::size_t size) { return CRYPTO_memcmp(a, b, size) == 0; }

}  // namespace mailpipe::cli
